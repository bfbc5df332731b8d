package org.isos.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.accounts.internal.JdbcSignup;
import org.isos.server.accounts.internal.SignupConfig;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.leases.internal.JdbcLeases;
import org.isos.server.repository.internal.JdbcRepository;
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
 * A server as configured by default (signup = invite) over real TLS: who may open accounts and invite, and
 * revoking certificates (a buyer its code-signing certificate, an owner its host's), which reaches hosts in the
 * heartbeat answers' {@code revokedSerials}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RevocationAndSignupApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATUS = "\"suspended\": false, \"apps\": 0";

    @TempDir
    static Path data;
    private JdbcStore store;
    private BouncyCastleAuthority ca;
    private HttpApi api;
    private HttpClient client;
    private String operator;

    @BeforeAll
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        JdbcAccounts accounts = new JdbcAccounts(store);
        JdbcHosts hosts = new JdbcHosts(store, ca);
        JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
        api = new HttpApi(TestConfigs.of(HttpConfig.class, Map.of("port", 0, "workerThreads", 2)), home, ca, accounts,
                hosts, new JdbcRepository(store, ca), new JdbcLeases(store, hosts, bank, PriceTable.DEFAULT,
                        java.time.Clock.systemUTC()), bank, null, null, null, null,
                new JdbcSignup(TestConfigs.of(SignupConfig.class, Map.of()), home, store, accounts));
        operator = Files.readString(data.resolve("operator.token")).strip();
        client = HttpClient.newBuilder().sslContext(ApiClients.tls(ca.root(), null)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
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

    @Test
    void accountsOpenByOperatorOrInvitationOnly() throws Exception {
        assertError(call("POST", "/v1/accounts", null, "{\"kind\":\"owner\",\"name\":\"Mary\"}"), 403, "invitation only");
        String mary = json(call("POST", "/v1/accounts", operator, "{\"kind\":\"owner\",\"name\":\"Mary\"}"), 201)
                .get("token").asText();
        assertError(call("POST", "/v1/accounts", mary, "{\"kind\":\"owner\",\"name\":\"Eve\"}"), 403,
                "not the operator's");

        JsonNode invitation = json(call("POST", "/v1/invitations", mary, "{\"kind\":\"buyer\"}"), 201);
        assertEquals("buyer", invitation.get("kind").asText());
        assertEquals("invite", invitation.get("signup").asText());
        String code = invitation.get("invitation").asText();
        assertError(call("POST", "/v1/accounts", null, "{\"kind\":\"owner\",\"name\":\"Bob\",\"invitation\":\"" + code
                + "\"}"), 403, "opens a buyer account, not a owner account");
        String bob = json(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Bob\",\"invitation\":\""
                + code + "\"}"), 201).get("token").asText();
        assertError(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Eve\",\"invitation\":\"" + code
                + "\"}"), 403, "used already");
        assertError(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Eve\",\"invitation\": 5}"), 400,
                "invitation");

        assertError(call("POST", "/v1/invitations", bob, "{\"kind\":\"buyer\"}"), 403, "only the operator and host owners");
        assertError(call("POST", "/v1/invitations", null, "{\"kind\":\"buyer\"}"), 401, "Authorization");
        assertError(call("POST", "/v1/invitations", operator, "{\"kind\":\"root\"}"), 400, "field 'kind'");
        assertEquals("operator", json(call("POST", "/v1/invitations", operator, "{\"kind\":\"owner\"}"), 201)
                .get("issuedBy").asText());
    }

    @Test
    void aBuyerRevokesItsSigningCertificateAndHostsHearOfIt() throws Exception {
        String owner = json(call("POST", "/v1/accounts", operator, "{\"kind\":\"owner\",\"name\":\"Olga\"}"), 201)
                .get("token").asText();
        JsonNode buyerAccount = json(call("POST", "/v1/accounts", operator, "{\"kind\":\"buyer\",\"name\":\"Acme\"}"), 201);
        String buyer = buyerAccount.get("token").asText();
        String other = json(call("POST", "/v1/accounts", operator, "{\"kind\":\"buyer\",\"name\":\"Other\"}"), 201)
                .get("token").asText();
        String serial = json(call("POST", "/v1/certificates", buyer,
                ApiClients.csrBody(buyerAccount.get("id").asText(), LeaseFixtures.ecKeys())), 201).get("serial").asText();

        // two hosts; the first heartbeat of each lists no revocation yet
        List<HttpClient> hosts = new ArrayList<>();
        List<String> hostIds = new ArrayList<>();
        List<String> hostSerials = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            KeyPair keys = LeaseFixtures.ecKeys();
            String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
            JsonNode enrolled = json(call("POST", "/v1/hosts", owner, ApiClients.csrBody(hostId, keys)), 201);
            hosts.add(ApiClients.client(ca.root(), keys, ApiClients.chain(enrolled.get("chain").asText())));
            hostIds.add(hostId);
            hostSerials.add(enrolled.get("serial").asText());
            assertFalse(revokedSerials(json(heartbeat(hosts.get(i), hostId), 200)).contains(serial));
        }

        String revoke = "/v1/certificates/" + serial + "/revoke";
        assertError(call("POST", revoke, other, "{\"reason\":\"not mine\"}"), 404, "no certificate " + serial + " of yours");
        assertError(call("POST", revoke, owner, "{\"reason\":\"not mine\"}"), 404, "of yours");
        assertError(call("POST", revoke, buyer, "{}"), 400, "missing field 'reason'");
        assertError(call("POST", revoke, buyer, "{\"reason\":\"   \"}"), 400, "say why");
        assertError(call("POST", revoke, null, "{\"reason\":\"leaked\"}"), 401, "Authorization");
        assertError(call("POST", "/v1/certificates/xyz/revoke", buyer, "{\"reason\":\"leaked\"}"), 404, "no route");
        JsonNode revoked = json(call("POST", revoke, buyer, "{\"reason\":\"key leaked\"}"), 200);
        assertEquals(serial, revoked.get("serial").asText());
        assertEquals("buyer", revoked.get("kind").asText());
        assertEquals("key leaked", revoked.get("reason").asText());
        assertError(call("POST", revoke, buyer, "{\"reason\":\"again\"}"), 409, "revoked already");
        assertTrue(revokedSerials(json(heartbeat(hosts.get(0), hostIds.get(0)), 200)).contains(serial),
                "the next heartbeat answer lists it");

        // the owner revokes its second host's certificate: that host is refused from then on, the other hears of it
        String hostRevoke = "/v1/certificates/" + hostSerials.get(1) + "/revoke";
        assertError(call("POST", hostRevoke, buyer, "{\"reason\":\"stolen\"}"), 404, "of yours");
        assertEquals("host", json(call("POST", hostRevoke, owner, "{\"reason\":\"machine stolen\"}"), 200).get("kind")
                .asText());
        assertError(heartbeat(hosts.get(1), hostIds.get(1)), 403, "is revoked (machine stolen)");
        assertTrue(revokedSerials(json(heartbeat(hosts.get(0), hostIds.get(0)), 200)).contains(hostSerials.get(1)));
    }

    // ------------------------------------------------------------------ helpers

    private static List<String> revokedSerials(JsonNode answer) {
        List<String> serials = new ArrayList<>();
        answer.get("revokedSerials").forEach(s -> serials.add(s.asText()));
        return serials;
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(api.uri().resolve(path)).timeout(Duration.ofSeconds(60));
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = request(path);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        return client.send(request.build(), BodyHandlers.ofString());
    }

    private HttpResponse<String> heartbeat(HttpClient host, String hostId) throws Exception {
        return host.send(request("/v1/hosts/" + hostId + "/heartbeat").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString("{\"description\": {}, \"status\": {" + STATUS + "}}")).build(),
                BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String fragment) throws Exception {
        JsonNode error = json(response, status);
        String message = error.get("error").asText();
        assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
    }
}
