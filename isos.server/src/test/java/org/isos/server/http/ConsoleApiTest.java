package org.isos.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Map;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.bank.internal.JdbcLedgerSeries;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.directives.internal.JdbcHostDirectives;
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
 * What the web console stands on, over real TLS: its files with their security headers, owners' directives
 * (refused with a reason when the agent would refuse them, delivered in heartbeat answers) and the ledger series.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = "{\"maxCpuShare\": 0.3, \"storageQuotaBytes\": 1000, "
            + "\"bandwidthCapBytesPerSecond\": 2000, \"acceptedCategories\": [\"storage\", \"compute\"], "
            + "\"minimumPricePerHourMicros\": 7}";

    @TempDir
    static Path data;
    private JdbcStore store;
    private BouncyCastleAuthority ca;
    private HttpApi api;
    private HttpClient client;

    @BeforeAll
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        JdbcHosts hosts = new JdbcHosts(store, ca);
        JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
        api = new HttpApi(TestConfigs.of(HttpConfig.class, Map.of("port", 0, "workerThreads", 2)), home, ca,
                new JdbcAccounts(store), hosts, new JdbcRepository(store, ca),
                new JdbcLeases(store, hosts, bank, PriceTable.DEFAULT, java.time.Clock.systemUTC()), bank, null,
                new JdbcHostDirectives(store), new JdbcLedgerSeries(store), null, null);
        client = HttpClient.newBuilder().sslContext(ApiClients.tls(ca.root(), null)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
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
    void theConsoleIsServedWithAStrictContentSecurityPolicy() throws Exception {
        HttpResponse<String> page = call("GET", "/console/", null, null);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
        assertTrue(page.body().contains("<script type=\"module\" src=\"console.js\"></script>"), page.body());
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"), csp);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElseThrow());
        assertEquals("no-referrer", page.headers().firstValue("Referrer-Policy").orElseThrow());
        assertTrue(page.headers().firstValue("Strict-Transport-Security").isPresent());
        for (String file : new String[] { "console.js", "api.js", "charts.js", "views.js" }) {
            HttpResponse<String> script = call("GET", "/console/" + file, null, null);
            assertEquals(200, script.statusCode(), file);
            assertTrue(script.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"), file);
            assertFalse(script.body().contains("innerHTML"), file + " builds the DOM from text, never from HTML");
            assertEquals(csp, script.headers().firstValue("Content-Security-Policy").orElseThrow());
        }
        assertTrue(call("GET", "/console/console.css", null, null).headers().firstValue("Content-Type").orElseThrow()
                .startsWith("text/css"));
        HttpResponse<String> redirect = call("GET", "/console", null, null);
        assertEquals(301, redirect.statusCode());
        assertEquals("/console/", redirect.headers().firstValue("Location").orElseThrow());
        assertError(call("GET", "/console/missing.js", null, null), 404, "no file");
        assertError(call("GET", "/console/../v1/me", null, null), 404, "");
    }

    @Test
    void anOwnersDirectiveIsCheckedStoredAndHandedToTheHostInItsHeartbeat() throws Exception {
        String owner = json(call("POST", "/v1/accounts", null, "{\"kind\":\"owner\",\"name\":\"Mary\"}"), 201).get("token").asText();
        String other = json(call("POST", "/v1/accounts", null, "{\"kind\":\"owner\",\"name\":\"Acme\"}"), 201).get("token").asText();
        String buyer = json(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Lab\"}"), 201).get("token").asText();
        KeyPair keys = LeaseFixtures.ecKeys();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        JsonNode enrolled = json(call("POST", "/v1/hosts", owner, ApiClients.csrBody(hostId, keys)), 201);
        HttpClient host = ApiClients.client(ca.root(), keys, ApiClients.chain(enrolled.get("chain").asText()));
        String beat = "{\"description\": {}, \"status\": {\"suspended\": false, \"apps\": 0}}";

        JsonNode none = json(heartbeat(host, hostId, beat), 200).get("directives");
        assertEquals(JSON.readTree("{\"policy\": null, \"paused\": false, \"revision\": 0}"), none);

        String policyPath = "/v1/hosts/" + hostId + "/policy";
        JsonNode set = json(call("PUT", policyPath, owner, POLICY), 200);
        assertEquals(1, set.get("revision").asInt());
        assertEquals("[\"compute\",\"storage\"]", set.get("policy").get("acceptedCategories").toString());
        JsonNode delivered = json(heartbeat(host, hostId, beat), 200).get("directives");
        assertEquals(1, delivered.get("revision").asInt());
        assertEquals(0.3, delivered.get("policy").get("maxCpuShare").asDouble());
        assertEquals(7, delivered.get("policy").get("minimumPricePerHourMicros").asLong());
        assertFalse(delivered.get("paused").asBoolean());

        JsonNode paused = json(call("POST", "/v1/hosts/" + hostId + "/pause", owner, null), 200);
        assertEquals(2, paused.get("revision").asInt());
        assertTrue(json(heartbeat(host, hostId, beat), 200).get("directives").get("paused").asBoolean());
        assertEquals(2, json(call("POST", "/v1/hosts/" + hostId + "/pause", owner, "{}"), 200).get("revision").asInt(),
                "pausing again changes nothing");
        assertFalse(json(call("POST", "/v1/hosts/" + hostId + "/resume", owner, null), 200).get("paused").asBoolean());
        JsonNode listed = json(call("GET", "/v1/directives", owner, null), 200).get("directives");
        assertEquals(1, listed.size());
        assertEquals(3, listed.get(0).get("revision").asInt());
        assertEquals(0, json(call("GET", "/v1/directives", other, null), 200).get("directives").size());

        // refusals say what was wrong
        assertError(call("PUT", policyPath, owner, POLICY.replace("0.3", "1.5")), 400, "maxCpuShare");
        assertError(call("PUT", policyPath, owner, POLICY.replace("0.3", "0")), 400, "maxCpuShare");
        assertError(call("PUT", policyPath, owner, POLICY.replace("2000", "0")), 400, "bandwidthCapBytesPerSecond");
        assertError(call("PUT", policyPath, owner, POLICY.replace("\"storage\", ", "\"bitcoin\", ")), 400, "bitcoin");
        assertError(call("PUT", policyPath, owner, POLICY.replace("[\"storage\", \"compute\"]", "[]")), 400, "pause the host");
        assertError(call("PUT", policyPath, owner, POLICY.replace("}", ", \"allowedHours\": []}")), 400, "unknown field");
        assertError(call("PUT", policyPath, owner, "{\"maxCpuShare\": 0.5}"), 400, "missing field 'storageQuotaBytes'");
        assertError(call("PUT", policyPath, owner, null), 415, "Content-Type");
        assertError(call("PUT", policyPath, other, POLICY), 404, "among your hosts");
        assertError(call("PUT", policyPath, buyer, POLICY), 403, "only host owners");
        assertError(call("PUT", policyPath, null, POLICY), 401, "Authorization");
        assertError(call("POST", "/v1/hosts/" + hostId + "/pause", owner, "{\"now\": true}"), 400, "unknown field");
        assertError(call("GET", policyPath, owner, null), 405, "PUT");
        assertEquals(3, json(call("GET", "/v1/directives", owner, null), 200).get("directives").get(0).get("revision")
                .asInt(), "nothing refused was stored");
    }

    @Test
    void theLedgerSeriesSumsTheAccountsEntries() throws Exception {
        String buyer = json(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Lab\"}"), 201).get("token").asText();
        json(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 5000000}"), 201);
        json(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 2000000}"), 201);
        JsonNode series = json(call("GET", "/v1/ledger/series?kind=deposit&bucket=day", buyer, null), 200);
        assertEquals("day", series.get("bucket").asText());
        assertEquals(7_000_000, series.get("totalInMicros").asLong());
        assertEquals(1, series.get("points").size());
        assertEquals(2, series.get("points").get(0).get("entries").asInt());
        JsonNode usage = json(call("GET", "/v1/ledger/series", buyer, null), 200);
        assertEquals("usage", usage.get("kind").asText());
        assertEquals("hour", usage.get("bucket").asText());
        assertEquals(0, usage.get("totalOutMicros").asLong());
        assertError(call("GET", "/v1/ledger/series?bucket=week", buyer, null), 400, "bucket");
        assertError(call("GET", "/v1/ledger/series?kind=gifts", buyer, null), 400, "kind");
        assertError(call("GET", "/v1/ledger/series?since=yesterday", buyer, null), 400, "ISO-8601");
        assertError(call("GET", "/v1/ledger/series?since=2000-01-01T00:00:00Z", buyer, null), 400, "bucket=day");
        assertError(call("GET", "/v1/ledger/series?limit=3", buyer, null), 400, "unknown query parameter");
        assertError(call("GET", "/v1/ledger/series", null, null), 401, "Authorization");
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(api.uri().resolve(path)).timeout(Duration.ofSeconds(20));
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

    private HttpResponse<String> heartbeat(HttpClient host, String hostId, String body) throws Exception {
        return host.send(request("/v1/hosts/" + hostId + "/heartbeat").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
        return JSON.readTree(response.body());
    }

    private static void assertError(HttpResponse<String> response, int status, String fragment) throws Exception {
        JsonNode error = json(response, status);
        assertEquals(status, error.get("status").asInt(), response.body());
        String message = error.get("error").asText();
        assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        assertFalse(response.body().contains("Exception"), "no stack trace: " + response.body());
    }
}
