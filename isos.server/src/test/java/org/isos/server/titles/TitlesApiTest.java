package org.isos.server.titles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.http.HttpApi;
import org.isos.server.http.HttpConfig;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.leases.LeaseRequest;
import org.isos.server.leases.internal.JdbcLeases;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.server.titles.internal.JdbcTitles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The titles API over real HTTPS on H2: a provider publishes a title onto its two leases, anyone lists it, a second
 * buyer buys a view (charged once per view id, the manifest in the answer), a viewer without funds gets 402, an
 * unknown title 404, a title whose leases ended 409, malformed requests 400.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TitlesApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;
    private JdbcStore store;
    private JdbcLeases leases;
    private HttpApi api;
    private java.security.PublicKey rootKey;
    private HttpClient client;
    private String acme;
    private String acmeId;
    private String viewer;
    private String poor;
    private String owner;
    private List<Lease> granted;

    @BeforeAll
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        BouncyCastleAuthority ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        rootKey = ca.root().getPublicKey();
        JdbcAccounts accounts = new JdbcAccounts(store);
        JdbcHosts hosts = new JdbcHosts(store, ca);
        JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
        JdbcRepository repository = new JdbcRepository(store, ca);
        leases = new JdbcLeases(store, hosts, bank, PriceTable.DEFAULT, Clock.systemUTC());
        var a = accounts.create(AccountKind.BUYER, "Acme Movies");
        acme = a.secret();
        acmeId = a.account().id();
        var v = accounts.create(AccountKind.BUYER, "Viewer");
        viewer = v.secret();
        poor = accounts.create(AccountKind.BUYER, "Poor").secret();
        var o = accounts.create(AccountKind.OWNER, "Mary");
        owner = o.secret();
        bank.deposit("acme", acmeId, 50_000_000);
        bank.deposit("viewer", v.account().id(), 1_000_000);
        for (int i = 0; i < 2; i++) {
            KeyPair keys = LeaseFixtures.ecKeys();
            String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
            X509Certificate certificate = hosts.enroll(o.account(), LeaseFixtures.csr(hostId, keys)
                    .getBytes(StandardCharsets.US_ASCII), null).certificate().certificate();
            leases.heartbeat(hostId, certificate, "{}", new ReportedStatus(false, null, 0, "127.0.0.1:1000",
                    new HostPolicy(1.0, 1L << 40, 1L << 30, Set.of("streaming"), 0)), List.of());
        }
        String app = repository.store(a.account(), LeaseFixtures.signedBundle(ca, acmeId, "org.acme.streaming"))
                .sha256();
        granted = leases.grant(a.account(), new LeaseRequest(app, 2, 3600, 0.1, 0, 0, 32_000, null, "streaming",
                null));
        api = new HttpApi(TestConfigs.of(HttpConfig.class, Map.of("port", 0, "workerThreads", 2)), home, ca, accounts,
                hosts, repository, leases, bank, null, null, null, new JdbcTitles(store, bank), null);
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("isos-root", ca.root());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        client = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    void stop() {
        if (api != null) {
            api.close();
        }
        if (leases != null) {
            leases.close();
        }
        if (store != null) {
            store.close();
        }
    }

    @Test
    @Order(1)
    void aTitleIsPublishedListedAndViewedForItsPrice() throws Exception {
        String body = "{\"name\":\"movie.ts\",\"pricePerViewMicros\":300000,\"manifest\":" + manifest("movie.ts") + "}";
        JsonNode published = json(call("POST", "/v1/titles", acme, body), 201);
        assertEquals("movie.ts", published.get("name").asText());
        assertEquals(acmeId, published.get("provider").asText());
        assertTrue(published.get("available").asBoolean());
        assertEquals(2, published.get("runningLeases").asInt());
        assertEquals(1, published.get("neededLeases").asInt());
        assertEquals(granted.get(0).id(), published.get("manifest").get("holders").get(0).get("leaseId").asText());
        assertEquals(200, call("POST", "/v1/titles", acme, body).statusCode(), "published again");

        JsonNode listed = json(call("GET", "/v1/titles", owner, null), 200).get("titles");
        assertEquals(1, listed.size());
        assertEquals(300_000, listed.get(0).get("pricePerViewMicros").asLong());
        assertEquals("Acme Movies", listed.get(0).get("providerName").asText());
        assertFalse(listed.get(0).has("manifest"));
        assertFalse(json(call("GET", "/v1/titles/movie.ts", viewer, null), 200).has("manifest"));
        assertTrue(json(call("GET", "/v1/titles/movie.ts", acme, null), 200).has("manifest"));

        JsonNode view = json(call("POST", "/v1/titles/movie.ts/views", viewer, "{\"id\":\"night-1\"}"), 201);
        assertEquals("night-1", view.get("viewId").asText());
        assertEquals(300_000, view.get("priceMicros").asLong());
        assertEquals(30_000, view.get("feeMicros").asLong());
        assertEquals(270_000, view.get("providerMicros").asLong());
        assertFalse(view.get("repeated").asBoolean());
        assertEquals("movie.ts", view.get("manifest").get("title").asText());
        // the view ticket the hosts check: signed by the CA, for this title and view, hours ahead
        org.isos.server.titles.ViewTicket ticket = org.isos.server.titles.ViewTickets.verify(view.get("ticket").asText(),
                rootKey, "movie.ts", java.time.Instant.now());
        assertEquals("night-1", ticket.viewId());
        assertEquals(ticket.expires().toString(), view.get("ticketExpires").asText());
        JsonNode again = json(call("POST", "/v1/titles/movie.ts/views", viewer, "{\"id\":\"night-1\"}"), 201);
        assertTrue(again.get("repeated").asBoolean());
        assertEquals("night-1", org.isos.server.titles.ViewTickets.verify(again.get("ticket").asText(), rootKey,
                "movie.ts", java.time.Instant.now()).viewId(), "a replay gets a ticket too");
        assertEquals(700_000, json(call("GET", "/v1/balance", viewer, null), 200).get("availableMicros").asLong(),
                "charged once");
        JsonNode fresh = json(call("POST", "/v1/titles/movie.ts/views", viewer, null), 201);
        assertEquals(36, fresh.get("viewId").asText().length(), "an id of the server's when the viewer sends none");
        assertTrue(json(call("GET", "/v1/ledger/totals", viewer, null), 200).get("balanced").asBoolean());

        error(call("POST", "/v1/titles/movie.ts/views", poor, "{}"), 402, "has only 0 available");
        error(call("POST", "/v1/titles/no-such/views", viewer, "{}"), 404, "no title no-such is published");
        error(call("GET", "/v1/titles/no-such", viewer, null), 404, "no title no-such");
        error(call("POST", "/v1/titles/movie.ts/views", null, "{}"), 401, "");
        error(call("POST", "/v1/titles/movie.ts/views", viewer, "{\"id\":\"bad id\"}"), 400, "a view id is 1 to 100");
        error(call("POST", "/v1/titles/movie.ts/views", viewer, "{\"what\":1}"), 400, "unknown field \"what\"");
    }

    @Test
    @Order(2)
    void badPublicationsAreRefusedWithWhatWasWrong() throws Exception {
        error(call("POST", "/v1/titles", acme, "{\"name\":\"x\",\"pricePerViewMicros\":1}"), 400,
                "missing field 'manifest'");
        error(call("POST", "/v1/titles", acme, "{\"name\":\"x\",\"pricePerViewMicros\":1,\"manifest\":\"{}\"}"), 400,
                "field 'manifest' must be the publisher's manifest (a JSON object), not a string");
        error(call("POST", "/v1/titles", acme, "{\"name\":\"x\",\"pricePerViewMicros\":-5,\"manifest\":{}}"), 400,
                "field 'pricePerViewMicros' must be a whole number >= 0");
        error(call("POST", "/v1/titles", acme, "{\"name\":\"x\",\"pricePerViewMicros\":1,\"manifest\":{}}"), 400,
                "the manifest must name its holders");
        error(call("POST", "/v1/titles", viewer, "{\"name\":\"x\",\"pricePerViewMicros\":1,\"manifest\":"
                + manifest("x") + "}"), 403, "the manifest's provider is \"" + acmeId + "\", not the publisher");
        error(call("POST", "/v1/titles", viewer, "{\"name\":\"x\",\"pricePerViewMicros\":1,\"manifest\":"
                + "{\"holders\":[{\"leaseId\":\"" + granted.get(0).id() + "\"}]}}"), 403, "is not a lease of");
        error(call("POST", "/v1/titles", owner, "{\"name\":\"x\",\"pricePerViewMicros\":1,\"manifest\":"
                + manifest("x") + "}"), 403, "only a buyer account publishes titles");
    }

    @Test
    @Order(3)
    void aTitleWhoseLeasesEndedIsUnavailable() throws Exception {
        json(call("POST", "/v1/titles", acme, "{\"name\":\"short\",\"pricePerViewMicros\":0,\"manifest\":"
                + "{\"dataFragments\":2,\"holders\":[{\"leaseId\":\"" + granted.get(0).id() + "\"},{\"leaseId\":\""
                + granted.get(1).id() + "\"}]}}"), 201);
        assertEquals(0, json(call("POST", "/v1/titles/short/views", viewer, "{}"), 201).get("priceMicros").asLong(),
                "a free title");
        json(call("DELETE", "/v1/leases/" + granted.get(1).id(), acme, null), 200);
        JsonNode title = json(call("GET", "/v1/titles/short", viewer, null), 200);
        assertFalse(title.get("available").asBoolean());
        error(call("POST", "/v1/titles/short/views", viewer, "{}"), 409,
                "title short is unavailable: only 1 of its 2 leases run and it needs 2 (nothing was charged)");
    }

    private String manifest(String title) {
        return "{\"title\":\"" + title + "\",\"provider\":\"" + acmeId + "\",\"dataFragments\":1,\"holders\":["
                + "{\"leaseId\":\"" + granted.get(0).id() + "\"},{\"leaseId\":\"" + granted.get(1).id() + "\"}]}";
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(api.uri().resolve(path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        return client.send(request.build(), BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response::body);
        return JSON.readTree(response.body());
    }

    private static void error(HttpResponse<String> response, int status, String part) throws Exception {
        JsonNode body = json(response, status);
        assertTrue(body.get("error").asText().contains(part), body::toString);
    }
}
