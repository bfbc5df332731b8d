package org.isos.server.http;

import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.isos.server.hosts.Hosts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.isos.server.TestConfigs;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.leases.internal.JdbcLeases;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The API over real TLS on loopback: the component on port 0 over an H2 store in a temporary data
 * directory, called with the JDK's HttpClient that trusts only the ISOS root.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpApiTest {

    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;
    private JdbcStore store;
    private BouncyCastleAuthority ca;
    private HttpApi api;
    private SSLContext trustingIsos;
    private HttpClient client;

    @BeforeAll
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        api = api(Map.of("port", 0, "maxRequestBytes", MAX_REQUEST_BYTES, "workerThreads", 4), home);
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("isos-root", ca.root());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        trustingIsos = SSLContext.getInstance("TLS");
        trustingIsos.init(null, trust.getTrustManagers(), null);
        client = HttpClient.newBuilder().sslContext(trustingIsos).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** An API over this test's store and CA, configured by {@code config}. */
    private HttpApi api(Map<String, Object> config, ServerHome home) throws Exception {
        JdbcHosts hosts = new JdbcHosts(store, ca);
        JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
        return new HttpApi(TestConfigs.of(HttpConfig.class, config), home, ca, new JdbcAccounts(store), hosts,
                new JdbcRepository(store, ca), new JdbcLeases(store, hosts, bank, PriceTable.DEFAULT,
                        java.time.Clock.systemUTC()), bank);
    }

    @AfterAll
    void stop() {
        if (api != null) {
            api.close();
        }
        if (store != null) {
            store.close();
        }
    }

    // ------------------------------------------------------------------ what works

    @Test
    void anAccountItsTokensAndMe() throws Exception {
        JsonNode created = json(post("/v1/accounts", "{\"kind\": \"buyer\", \"name\": \"Acme Movies\"}"), 201);
        String id = created.get("id").asText();
        String token = created.get("token").asText();
        assertTrue(id.startsWith("buyer-"), id);
        assertEquals("buyer", created.get("kind").asText());
        assertEquals("Acme Movies", created.get("name").asText());
        assertTrue(token.startsWith("isos_"), token);

        JsonNode me = json(send(get("/v1/me").header("Authorization", "Bearer " + token)), 200);
        assertEquals(id, me.get("id").asText());
        assertEquals("buyer", me.get("kind").asText());
        assertEquals("Acme Movies", me.get("name").asText());
        assertEquals(created.get("created"), me.get("created"));
        assertFalse(me.has("token"), "a token is shown once");

        JsonNode second = json(send(request("/v1/tokens").header("Authorization", "bearer " + token)
                .POST(BodyPublishers.noBody())), 201);
        String token2 = second.get("token").asText();
        assertNotEquals(token, token2);
        assertEquals(id, second.get("account").asText());
        assertEquals(id, json(send(get("/v1/me").header("Authorization", "Bearer " + token2)), 200).get("id").asText());
        // an empty JSON object is as good as no body
        json(send(request("/v1/tokens").header("Authorization", "Bearer " + token2)
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{}"))), 201);

        HttpResponse<String> revoked = send(request("/v1/tokens/current").header("Authorization", "Bearer " + token)
                .DELETE());
        assertEquals(204, revoked.statusCode(), revoked.body());
        assertError(send(get("/v1/me").header("Authorization", "Bearer " + token)), 401, "revoked");
        assertError(send(request("/v1/tokens/current").header("Authorization", "Bearer " + token).DELETE()), 401,
                "revoked");
        assertEquals(id, json(send(get("/v1/me").header("Authorization", "Bearer " + token2)), 200).get("id").asText(),
                "the account's other tokens stay valid");

        // the store has the token's hash, never the token
        try (var c = store.connection(); var s = c.createStatement();
                var rs = s.executeQuery("SELECT token_hash FROM api_tokens WHERE account_id = '" + id + "'")) {
            Set<String> hashes = new HashSet<>();
            while (rs.next()) {
                hashes.add(rs.getString(1));
            }
            assertEquals(3, hashes.size());
            assertTrue(hashes.contains(JdbcAccounts.hash(token)));
            assertFalse(hashes.contains(token));
        }
    }

    @Test
    void theCaRootAndTheBoundAddressAreServed() throws Exception {
        HttpResponse<String> pem = send(get("/v1/ca.pem"));
        assertEquals(200, pem.statusCode());
        assertEquals(ca.rootPem(), pem.body());
        assertTrue(pem.headers().firstValue("Content-Type").orElseThrow().startsWith("application/x-pem-file"));

        assertTrue(api.port() > 0);
        assertEquals(api.uri() + "\n", Files.readString(data.resolve("server.url")));
        assertEquals(URI.create("https://127.0.0.1:" + api.port() + "/"), api.uri());

        // a client that trusts only the JDK's usual roots refuses the server: the chain is the ISOS CA's
        HttpClient stranger = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        assertThrows(IOException.class, () -> stranger.send(get("/v1/ca.pem").build(), BodyHandlers.ofString()));
    }

    @Test
    void theOpenApiDescriptionListsEveryRoute() throws Exception {
        HttpResponse<String> response = send(get("/v1/openapi.json"));
        JsonNode openApi = json(response, 200);
        assertTrue(openApi.get("openapi").asText().startsWith("3."), "OpenAPI 3");
        JsonNode paths = openApi.get("paths");
        Map<String, List<String>> served = api.routes();
        assertEquals(Set.of("/v1/accounts", "/v1/me", "/v1/tokens", "/v1/tokens/current", "/v1/hosts",
                "/v1/hosts/{hostId}/heartbeat", "/v1/hosts/{hostId}/usage", "/v1/certificates", "/v1/bundles",
                "/v1/invitations", "/v1/certificates/{serial}/revoke",
                "/v1/bundles/{sha256}", "/v1/leases", "/v1/leases/{id}", "/v1/leases/{id}/renew", "/v1/leases/{id}/bundle",
                "/v1/deposits",
                "/v1/withdrawals", "/v1/balance", "/v1/ledger", "/v1/ledger/totals", "/v1/ca.pem", "/v1/openapi.json",
                "/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/dispatch", "/v1/jobs/{id}/results", "/v1/jobs/{id}/hosts",
                "/v1/hosts/{hostId}/policy", "/v1/hosts/{hostId}/pause", "/v1/hosts/{hostId}/resume", "/v1/directives",
                "/v1/ledger/series", "/console", "/console/", "/console/{asset}",
                "/v1/titles", "/v1/titles/{name}", "/v1/titles/{name}/views"),
                served.keySet());
        for (Map.Entry<String, List<String>> route : served.entrySet()) {
            assertTrue(paths.has(route.getKey()), "described: " + route.getKey());
            List<String> described = new ArrayList<>();
            paths.get(route.getKey()).fieldNames().forEachRemaining(m -> described.add(m.toUpperCase()));
            assertEquals(route.getValue(), described, route.getKey());
        }
        assertEquals(served.size(), paths.size(), "and nothing that is not served");
    }

    @Test
    void manyRequestsAtOnce() throws Exception {
        List<CompletableFuture<String>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            HttpRequest create = request("/v1/accounts").header("Content-Type", "application/json")
                    .POST(BodyPublishers.ofString("{\"kind\":\"owner\",\"name\":\"Owner " + i + "\"}")).build();
            int n = i;
            all.add(client.sendAsync(create, BodyHandlers.ofString()).thenCompose(created -> {
                JsonNode account = parse(created, 201);
                HttpRequest me = get("/v1/me").header("Authorization", "Bearer " + account.get("token").asText()).build();
                return client.sendAsync(me, BodyHandlers.ofString()).thenApply(r -> {
                    JsonNode mine = parse(r, 200);
                    assertEquals(account.get("id"), mine.get("id"));
                    assertEquals("Owner " + n, mine.get("name").asText());
                    return mine.get("id").asText();
                });
            }));
        }
        Set<String> ids = new HashSet<>();
        for (CompletableFuture<String> one : all) {
            ids.add(one.get());
        }
        assertEquals(50, ids.size(), "fifty accounts, each seen by its own token");
    }

    // ------------------------------------------------------------------ what is refused

    @Test
    void badAccountRequestsAreRefusedNamingTheProblem() throws Exception {
        String before = count("accounts");
        assertError(post("/v1/accounts", "{\"kind\": \"buyer\", \"name\": "), 400, "malformed JSON");
        assertError(post("/v1/accounts", "{kind: buyer}"), 400, "malformed JSON at line 1");
        assertError(post("/v1/accounts", "{\"kind\":\"buyer\",\"name\":\"A\"} {}"), 400, "more content after the JSON value");
        assertError(post("/v1/accounts", "{\"kind\": [[1}"), 400, "malformed JSON at line 1, column 13: Unexpected close marker");
        assertError(post("/v1/accounts", "{\"kind\":\"buyer\",\"kind\":\"owner\",\"name\":\"A\"}"), 400, "kind");
        assertError(post("/v1/accounts", new byte[] { '{', '"', (byte) 0xC3, '"', ':', '1', '}' }), 400, "malformed JSON");
        assertError(post("/v1/accounts", "[]"), 400, "must be a JSON object, not an array");
        assertError(post("/v1/accounts", "\"buyer\""), 400, "must be a JSON object, not a string");
        assertError(post("/v1/accounts", ""), 400, "request body is empty");
        assertError(post("/v1/accounts", "{\"name\": \"Acme\"}"), 400, "missing field 'kind'");
        assertError(post("/v1/accounts", "{\"kind\": \"buyer\"}"), 400, "missing field 'name'");
        assertError(post("/v1/accounts", "{\"kind\": \"admin\", \"name\": \"Eve\"}"), 400,
                "field 'kind' must be \"owner\" or \"buyer\", not \"admin\"");
        assertError(post("/v1/accounts", "{\"kind\": 1, \"name\": \"Eve\"}"), 400, "field 'kind' must be a string, not a number");
        assertError(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": null}"), 400, "field 'name' must be a string, not null");
        assertError(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": [\"Eve\"]}"), 400, "field 'name' must be a string");
        assertError(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \" Eve\"}"), 400, "name must not start or end");
        assertError(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \"" + "e".repeat(101) + "\"}"), 400,
                "name is longer than 100");
        assertError(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \"Eve\", \"admin\": true}"), 400,
                "unknown field \"admin\"");
        assertError(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": " + "[".repeat(100) + "]".repeat(100) + "}"),
                400, "malformed JSON");
        assertEquals(before, count("accounts"), "nothing was created");
    }

    @Test
    void onlyJsonIsAccepted() throws Exception {
        String body = "{\"kind\": \"buyer\", \"name\": \"Acme\"}";
        assertError(send(request("/v1/accounts").POST(BodyPublishers.ofString(body))), 415, "missing Content-Type");
        assertError(send(request("/v1/accounts").header("Content-Type", "text/plain").POST(BodyPublishers.ofString(body))),
                415, "Content-Type must be application/json, not \"text/plain\"");
        assertError(send(request("/v1/accounts").header("Content-Type", "application/json; charset=latin1")
                .POST(BodyPublishers.ofString(body))), 415, "UTF-8");
        json(send(request("/v1/accounts").header("Content-Type", "Application/JSON; charset=\"UTF-8\"")
                .POST(BodyPublishers.ofString(body))), 201);
    }

    @Test
    void tooLargeBodiesAreRefusedAndTheServerCarriesOn() throws Exception {
        String huge = "{\"kind\": \"buyer\", \"name\": \"" + "a".repeat(MAX_REQUEST_BYTES) + "\"}";
        for (int i = 0; i < 3; i++) {
            assertError(post("/v1/accounts", huge), 413, "request body larger than " + MAX_REQUEST_BYTES + " bytes");
        }
        json(post("/v1/accounts", "{\"kind\": \"buyer\", \"name\": \"Small\"}"), 201);
    }

    @Test
    void unknownRoutesAndWrongMethods() throws Exception {
        assertError(send(get("/v1/nothing")), 404, "no route /v1/nothing");
        assertError(send(get("/")), 404, "no route /");
        assertError(send(get("/v1/me/")), 404, "no route /v1/me/");
        HttpResponse<String> wrong = send(get("/v1/accounts"));
        assertError(wrong, 405, "GET is not allowed on /v1/accounts (allowed: POST)");
        assertEquals("POST", wrong.headers().firstValue("Allow").orElseThrow());
        assertError(send(request("/v1/me").PUT(BodyPublishers.ofString("{}"))), 405, "PUT is not allowed on /v1/me");
        assertError(send(request("/v1/tokens/current").method("PATCH", BodyPublishers.noBody())), 405, "PATCH");
        assertError(send(request("/v1/ca.pem").DELETE()), 405, "allowed: GET");
    }

    @Test
    void missingForgedAndRevokedTokens() throws Exception {
        HttpResponse<String> none = send(get("/v1/me"));
        assertError(none, 401, "missing Authorization header");
        assertTrue(none.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Bearer"));
        assertError(send(get("/v1/me").header("Authorization", "Basic dXNlcjpwYXNz")), 401, "must be 'Bearer <token>'");
        assertError(send(get("/v1/me").header("Authorization", "Bearer")), 401, "must be 'Bearer <token>'");
        assertError(send(get("/v1/me").header("Authorization", "Bearer isos_" + "A".repeat(43))), 401,
                "invalid or revoked token");
        assertError(send(get("/v1/me").header("Authorization", "Bearer ' OR 1=1 --")), 401, "invalid or revoked token");
        assertError(send(request("/v1/tokens").POST(BodyPublishers.noBody())), 401, "missing Authorization header");
        assertError(send(request("/v1/tokens/current").DELETE()), 401, "missing Authorization header");

        String token = json(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 201).get("token").asText();
        assertError(send(request("/v1/tokens").header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"for\": \"ever\"}"))),
                400, "unknown field \"for\": this request takes none");
        assertError(send(request("/v1/tokens").header("Authorization", "Bearer " + token)
                .POST(BodyPublishers.ofString("{}"))), 415, "missing Content-Type");
        assertEquals(204, send(request("/v1/tokens/current").header("Authorization", "Bearer " + token).DELETE())
                .statusCode());
        assertError(send(get("/v1/me").header("Authorization", "Bearer " + token)), 401, "invalid or revoked token");
        assertError(send(request("/v1/tokens").header("Authorization", "Bearer " + token).POST(BodyPublishers.noBody())),
                401, "invalid or revoked token");
    }

    @Test
    void malformedHttpGetsAJsonAnswerAndAClosedConnection() throws Exception {
        String garbage = raw("THIS IS NOT HTTP\r\n\r\n");
        assertTrue(garbage.startsWith("HTTP/1.1 400"), garbage);
        assertTrue(garbage.contains("\"status\":400"), garbage);

        String hugeHeader = raw("GET /v1/ca.pem HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n");
        assertTrue(hugeHeader.startsWith("HTTP/1.1 431"), hugeHeader);
        assertTrue(hugeHeader.contains("headers are too large"), hugeHeader);

        String longLine = raw("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(longLine.startsWith("HTTP/1.1 414"), longLine);

        // HTTP/1.1 pipelining: answers in the order asked
        String pipelined = raw("GET /v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/ca.pem HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        int first = pipelined.indexOf("HTTP/1.1 404");
        int second = pipelined.indexOf("HTTP/1.1 200");
        int third = pipelined.indexOf("HTTP/1.1 401");
        assertTrue(first == 0 && first < second && second < third, pipelined);

        json(send(get("/v1/openapi.json")), 200);
    }

    @Test
    void ownersEnrollHostsWithACertificateRequest() throws Exception {
        String owner = json(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 201).get("token").asText();
        String ownerId = json(send(get("/v1/me").header("Authorization", "Bearer " + owner)), 200).get("id").asText();
        KeyPair keys = ecKeys();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        assertTrue(hostId.matches("host-[0-9a-f]{32}"), hostId);
        String hostsBefore = count("hosts");

        JsonNode enrolled = json(enroll(owner, csrPem("CN=" + hostId, keys), "{\"cores\": 8}"), 201);
        assertEquals(hostId, enrolled.get("hostId").asText());
        assertEquals(ownerId, enrolled.get("owner").asText());
        assertEquals("ENROLLING", enrolled.get("status").asText());
        assertEquals(ca.rootPem(), enrolled.get("caPem").asText());
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        X509Certificate leaf = (X509Certificate) x509.generateCertificate(
                new ByteArrayInputStream(enrolled.get("certificate").asText().getBytes(StandardCharsets.US_ASCII)));
        assertEquals("CN=" + hostId + ",OU=host,O=ISOS", leaf.getSubjectX500Principal().getName());
        assertEquals(keys.getPublic(), leaf.getPublicKey());
        assertEquals(leaf.getSerialNumber().toString(16), enrolled.get("serial").asText());
        leaf.verify(ca.root().getPublicKey());
        assertTrue(leaf.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")));
        assertEquals(2, x509.generateCertificates(new ByteArrayInputStream(
                enrolled.get("chain").asText().getBytes(StandardCharsets.US_ASCII))).size());
        try (var c = store.connection(); var st = c.prepareStatement(
                "SELECT owner_id, certificate_serial, status, description FROM hosts WHERE id = ?")) {
            st.setString(1, hostId);
            try (var rs = st.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(ownerId, rs.getString(1));
                assertEquals(enrolled.get("serial").asText(), rs.getString(2));
                assertEquals("ENROLLING", rs.getString(3));
                assertEquals("{\"cores\":8}", rs.getString(4));
            }
        }
        assertEquals("host", ca.record(enrolled.get("serial").asText()).orElseThrow().kind().name().toLowerCase());

        // the same key again: refused, nothing more recorded
        String certificates = count("certificates");
        assertError(enroll(owner, csrPem("CN=" + hostId, keys), null), 409, "enrolled already as host " + hostId);
        assertEquals(certificates, count("certificates"));
        assertEquals(String.valueOf(Integer.parseInt(hostsBefore) + 1), count("hosts"));
    }

    @Test
    void enrollmentRefusals() throws Exception {
        String owner = json(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 201).get("token").asText();
        String buyer = json(post("/v1/accounts", "{\"kind\": \"buyer\", \"name\": \"Bob\"}"), 201).get("token").asText();
        KeyPair keys = ecKeys();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        String good = csrPem("CN=" + hostId, keys);
        String hosts = count("hosts");
        String certificates = count("certificates");

        assertError(enroll(buyer, good, null), 403, "only host owners enroll hosts");
        assertError(send(request("/v1/hosts").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body(good, null)))), 401, "missing Authorization");
        assertError(enroll("isos_forged", good, null), 401, "invalid");
        assertError(enroll(owner, "not a request", null), 400, "csr is not a readable PKCS#10");
        assertError(enroll(owner, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", null),
                400, "csr is not");
        assertError(enroll(owner, csrPem("CN=host-1", keys), null), 400, "make the request with CN=" + hostId);
        assertError(enroll(owner, csrPem("O=ISOS", keys), null), 400, "no CN");
        assertError(send(request("/v1/hosts").header("Authorization", "Bearer " + owner)
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{}"))), 400, "missing field 'csr'");
        assertError(send(request("/v1/hosts").header("Authorization", "Bearer " + owner)
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"csr\": 5}"))), 400,
                "field 'csr' must be a string");
        assertError(enroll(owner, good, "[1]"), 400, "field 'description' must be an object");
        assertError(send(request("/v1/hosts").header("Authorization", "Bearer " + owner)
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"csr\": \"x\", \"id\": 1}"))),
                400, "unknown field \"id\"");
        // a forged proof of possession: another key's signature
        KeyPair other = ecKeys();
        PKCS10CertificationRequest forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + hostId),
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(other.getPrivate()));
        assertError(enroll(owner, pem(forged), null), 400, "signature");
        assertEquals(hosts, count("hosts"), "nothing enrolled");
        assertEquals(certificates, count("certificates"), "nothing issued");
    }

    /**
     * Where BoringSSL and epoll load the API runs on them; with nativeTransport=false (or where they do not load)
     * on the JDK's TLS and NIO, which must serve a host's mutual-TLS heartbeat and refuse one without a
     * certificate just the same.
     */
    @Test
    void theJdkTransportServesHostsAsTheNativeOneDoes() throws Exception {
        if ("Linux".equals(System.getProperty("os.name")) && "amd64".equals(System.getProperty("os.arch"))) {
            // the build carries the linux-x86_64 libraries: a silent fallback here would be a regression
            assertTrue(io.netty.handler.ssl.OpenSsl.isAvailable(), "BoringSSL does not load: "
                    + io.netty.handler.ssl.OpenSsl.unavailabilityCause());
            assertTrue(io.netty.channel.epoll.Epoll.isAvailable(), "epoll does not load: "
                    + io.netty.channel.epoll.Epoll.unavailabilityCause());
        }
        // its own home: an API writes server.url there and deletes it when closed
        ServerHome home = new ServerHome(Files.createDirectories(data.resolve("jdk-transport")));
        try (HttpApi jdk = api(Map.of("port", 0, "nativeTransport", false), home)) {
            String owner = json(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \"Jo\"}"), 201).get("token").asText();
            KeyPair keys = ecKeys();
            String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
            JsonNode enrolled = json(enroll(owner, csrPem("CN=" + hostId, keys), null), 201);
            String beat = "{\"description\": {\"os\": \"Linux\"}, \"status\": {\"suspended\": false, \"apps\": 0}}";
            HttpRequest request = HttpRequest.newBuilder(jdk.uri().resolve("/v1/hosts/" + hostId + "/heartbeat"))
                    .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                    .POST(BodyPublishers.ofString(beat)).build();
            JsonNode answer = json(clientWith(keys, enrolled.get("chain").asText()).send(request, BodyHandlers.ofString()), 200);
            assertTrue(answer.get("revokedSerials").isArray(), answer.toString());
            assertError(client.send(request, BodyHandlers.ofString()), 401, "no client certificate");
        }
    }

    @Test
    void hostsHeartbeatWithTheirCertificates() throws Exception {
        String owner = json(post("/v1/accounts", "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 201).get("token").asText();
        KeyPair keys = ecKeys();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        JsonNode enrolled = json(enroll(owner, csrPem("CN=" + hostId, keys), null), 201);
        HttpClient host = clientWith(keys, enrolled.get("chain").asText());
        String beat = "{\"description\": {\"os\": \"Linux\", \"cores\": 8, \"uptime\": 0.9}, "
                + "\"status\": {\"suspended\": false, \"reason\": null, \"apps\": 2}}";

        // before: listed by the owner as ENROLLING without a heartbeat
        JsonNode listed = only(json(send(get("/v1/hosts").header("Authorization", "Bearer " + owner)), 200), hostId);
        assertEquals("ENROLLING", listed.get("status").asText());
        assertTrue(listed.get("lastHeartbeat").isNull());
        assertTrue(listed.get("suspended").isNull() && listed.get("suspendedReason").isNull() && listed.get("apps").isNull(),
                listed.toString());

        Instant before = Instant.now().minusSeconds(1);
        JsonNode answer = json(heartbeat(host, hostId, beat), 200);
        Instant serverTime = Instant.parse(answer.get("serverTime").asText());
        assertFalse(serverTime.isBefore(before), serverTime.toString());
        assertEquals(30, answer.get("nextHeartbeatSeconds").asInt());
        assertTrue(answer.get("revokedSerials").isArray());
        try (var c = store.connection(); var st = c.prepareStatement(
                "SELECT status, last_heartbeat, description FROM hosts WHERE id = ?")) {
            st.setString(1, hostId);
            try (var rs = st.executeQuery()) {
                assertTrue(rs.next());
                assertEquals("ONLINE", rs.getString(1));
                assertEquals(serverTime, rs.getObject(2, java.time.OffsetDateTime.class).toInstant());
                assertEquals("{\"os\":\"Linux\",\"cores\":8,\"uptime\":0.9}", rs.getString(3));
            }
        }
        listed = only(json(send(get("/v1/hosts").header("Authorization", "Bearer " + owner)), 200), hostId);
        assertEquals("ONLINE", listed.get("status").asText());
        assertEquals(serverTime, Instant.parse(listed.get("lastHeartbeat").asText()));
        assertEquals(8, listed.get("description").get("cores").asInt());
        assertEquals(enrolled.get("serial").asText(), listed.get("serial").asText());
        assertFalse(listed.get("suspended").asBoolean());
        assertTrue(listed.get("suspendedReason").isNull());
        assertEquals(2, listed.get("apps").asInt());
        json(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": true, "
                + "\"reason\": \"owner at work\", \"apps\": 0}}"), 200);
        listed = only(json(send(get("/v1/hosts").header("Authorization", "Bearer " + owner)), 200), hostId);
        assertTrue(listed.get("suspended").asBoolean());
        assertEquals("owner at work", listed.get("suspendedReason").asText());
        assertEquals(0, listed.get("apps").asInt());
        assertEquals("ONLINE", listed.get("status").asText());

        // another host of Mary's is revoked: the first host learns its serial; the revoked one is refused
        KeyPair keys2 = ecKeys();
        String hostId2 = Hosts.hostIdOf(keys2.getPublic().getEncoded());
        JsonNode enrolled2 = json(enroll(owner, csrPem("CN=" + hostId2, keys2), null), 201);
        HttpClient host2 = clientWith(keys2, enrolled2.get("chain").asText());
        json(heartbeat(host2, hostId2, beat), 200);
        assertTrue(ca.revoke(enrolled2.get("serial").asText(), "key compromise"));
        JsonNode second = json(heartbeat(host, hostId, beat), 200);
        List<String> revoked = new ArrayList<>();
        second.get("revokedSerials").forEach(n -> revoked.add(n.asText()));
        assertTrue(revoked.contains(enrolled2.get("serial").asText()), revoked.toString());
        assertError(heartbeat(host2, hostId2, beat), 403, "is revoked (key compromise)");

        // the certificate must name the host in the path
        assertError(heartbeat(host, hostId2, beat), 403, "the client certificate is for " + hostId + ", not for " + hostId2);
        assertError(heartbeat(host, "host-unknown", beat), 403, "not for host-unknown");
        // no client certificate: 401
        HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(api.uri().resolve("/v1/hosts/" + hostId
                + "/heartbeat")).header("Content-Type", "application/json").POST(BodyPublishers.ofString(beat)).build(),
                BodyHandlers.ofString());
        assertError(anonymous, 401, "no client certificate");
        // a bearer token is no substitute
        assertError(send(request("/v1/hosts/" + hostId + "/heartbeat").header("Authorization", "Bearer " + owner)
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString(beat))), 401, "no client certificate");

        // bodies are validated
        assertError(heartbeat(host, hostId, "{\"status\": {\"suspended\": false, \"apps\": 0}}"), 400,
                "missing field 'description'");
        assertError(heartbeat(host, hostId, "{\"description\": [], \"status\": {\"suspended\": false, \"apps\": 0}}"),
                400, "field 'description' must be an object");
        assertError(heartbeat(host, hostId, "{\"description\": {}}"), 400, "missing field 'status'");
        assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"apps\": 0}}"), 400,
                "missing field 'status.suspended'");
        assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": \"no\", \"apps\": 0}}"),
                400, "'status.suspended' must be a boolean");
        assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": true, \"apps\": -1}}"),
                400, "'status.apps' must be a whole number >= 0, not -1");
        assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": true}}"), 400,
                "missing field 'status.apps'");
        assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": true, \"reason\": 3, "
                + "\"apps\": 0}}"), 400, "'status.reason' must be a string");
        assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": true, \"apps\": 0, "
                + "\"x\": 1}}"), 400, "unknown field \"status.x\"");
        assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": true, \"apps\": 0}, "
                + "\"hostId\": 1}"), 400, "unknown field \"hostId\"");
        assertError(send(request("/v1/hosts/" + hostId + "/heartbeat").GET()), 405, "GET is not allowed");
        assertError(send(get("/v1/hosts/" + hostId + "/heartbeat/x")), 404, "no route");

        // only owners have hosts
        String buyer = json(post("/v1/accounts", "{\"kind\": \"buyer\", \"name\": \"Bob\"}"), 201).get("token").asText();
        assertError(send(get("/v1/hosts").header("Authorization", "Bearer " + buyer)), 403, "only host owners");
        assertError(send(get("/v1/hosts")), 401, "missing Authorization");
    }

    /** An HttpClient presenting {@code keys} with {@code chainPem} as its TLS client key, trusting only the root. */
    private HttpClient clientWith(KeyPair keys, String chainPem) throws Exception {
        List<java.security.cert.Certificate> chain = new ArrayList<>(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(chainPem.getBytes(StandardCharsets.US_ASCII))));
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("host", keys.getPrivate(), "pw".toCharArray(), chain.toArray(java.security.cert.Certificate[]::new));
        Path file = Files.createTempFile(data, "identity", ".p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            identity.store(out, "pw".toCharArray());
        }
        KeyStore loaded = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            loaded.load(in, "pw".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory keyManagers = javax.net.ssl.KeyManagerFactory
                .getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(loaded, "pw".toCharArray());
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("isos-root", ca.root());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private HttpResponse<String> heartbeat(HttpClient host, String hostId, String body) throws Exception {
        return host.send(request("/v1/hosts/" + hostId + "/heartbeat").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
    }

    private static JsonNode only(JsonNode list, String hostId) {
        for (JsonNode host : list.get("hosts")) {
            if (host.get("hostId").asText().equals(hostId)) {
                return host;
            }
        }
        throw new AssertionError(hostId + " not listed: " + list);
    }

    private HttpResponse<String> enroll(String token, String csr, String description) throws Exception {
        return send(request("/v1/hosts").header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(BodyPublishers.ofString(body(csr, description))));
    }

    private static String body(String csr, String description) throws Exception {
        return "{\"csr\": " + JSON.writeValueAsString(csr) + (description == null ? "" : ", \"description\": " + description) + "}";
    }

    private static KeyPair ecKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static String csrPem(String subject, KeyPair keys) throws Exception {
        return pem(new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    private static String pem(PKCS10CertificationRequest request) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(request);
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ helpers

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(api.uri().resolve(path)).timeout(Duration.ofSeconds(30));
    }

    private HttpRequest.Builder get(String path) {
        return request(path).GET();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return post(path, BodyPublishers.ofString(body));
    }

    private HttpResponse<String> post(String path, byte[] body) throws Exception {
        return post(path, BodyPublishers.ofByteArray(body));
    }

    private HttpResponse<String> post(String path, BodyPublisher body) throws Exception {
        return send(request(path).header("Content-Type", "application/json").POST(body));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return client.send(request.build(), BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response, int status) {
        return parse(response, status);
    }

    private static JsonNode parse(HttpResponse<String> response, int status) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    private static void assertError(HttpResponse<String> response, int status, String fragment) {
        JsonNode error = parse(response, status);
        assertEquals(status, error.get("status").asInt(), response.body());
        String message = error.get("error").asText();
        assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        assertEquals(2, error.size(), "only error and status: " + response.body());
        assertFalse(response.body().contains("Exception") || response.body().contains("\tat "), "no stack trace");
        assertFalse(message.contains("Source:") || message.contains("com.fasterxml"), "no parser internals: " + message);
    }

    /** Sends bytes over a TLS socket that trusts the ISOS root and reads until the server closes. */
    private String raw(String request) throws IOException {
        try (SSLSocket socket = (SSLSocket) trustingIsos.getSocketFactory().createSocket("127.0.0.1", api.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0;) {
                    answer.write(buffer, 0, n);
                }
            } catch (IOException e) {
                if (answer.size() == 0) {
                    throw e;
                }
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private String count(String table) throws Exception {
        try (var c = store.connection(); var s = c.createStatement(); var rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
