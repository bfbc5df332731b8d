package org.isos.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.isos.server.TestConfigs;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.jobs.internal.ExactEquivalence;
import org.isos.server.jobs.internal.JdbcJobs;
import org.isos.server.jobs.internal.JobsConfig;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.leases.UsageReport;
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
 * The API under hostile input, over real TLS on an H2 store: malformed and mistyped JSON, bodies past
 * the limits, missing and forged credentials (bad tokens, another host's certificate, a self-signed
 * one), replayed deposits and usage, and random bytes on every route the server's own OpenAPI
 * description lists. Every refusal is a 4xx with a JSON {@code error}, never a 5xx; the server keeps
 * answering; and the world it keeps — ledger totals, balances, hosts, leases — is what it was before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiFuzzTest {

    private static final int MAX_REQUEST_BYTES = 16 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;
    private JdbcStore store;
    private BouncyCastleAuthority ca;
    private HttpApi api;
    private HttpClient client;

    // a small world the fuzzing must leave as it is
    private String buyer;
    private String owner;
    private String hostId;
    private KeyPair hostKeys;
    private HttpClient host;
    private HttpClient otherHost;
    private String otherHostId;
    private String leaseId;
    private Instant leaseCreated;

    @BeforeAll
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        JdbcHosts hosts = new JdbcHosts(store, ca);
        JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
        JdbcRepository repository = new JdbcRepository(store, ca);
        JdbcLeases leases = new JdbcLeases(store, hosts, bank, PriceTable.DEFAULT, Clock.systemUTC());
        JdbcAccounts accounts = new JdbcAccounts(store);
        api = new HttpApi(TestConfigs.of(HttpConfig.class, Map.of("port", 0, "maxRequestBytes", MAX_REQUEST_BYTES,
                "workerThreads", 4)), home, ca, accounts, hosts, repository, leases, bank,
                new JdbcJobs(TestConfigs.of(JobsConfig.class, Map.of()), store, repository, leases::holdsBundle,
                        List.of(new ExactEquivalence()), Clock.systemUTC(), new Random()),
                new org.isos.server.directives.internal.JdbcHostDirectives(store),
                new org.isos.server.bank.internal.JdbcLedgerSeries(store),
                new org.isos.server.titles.internal.JdbcTitles(store, bank),
                new org.isos.server.accounts.internal.JdbcSignup(TestConfigs.of(
                        org.isos.server.accounts.internal.SignupConfig.class, Map.of("signup", "open")), home, store,
                        accounts));
        client = HttpClient.newBuilder().sslContext(ApiClients.tls(ca.root(), null)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();

        JsonNode buyerAccount = json(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Acme\"}"), 201);
        buyer = buyerAccount.get("token").asText();
        String buyerId = buyerAccount.get("id").asText();
        owner = json(call("POST", "/v1/accounts", null, "{\"kind\":\"owner\",\"name\":\"Mary\"}"), 201).get("token").asText();
        json(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 100000000, \"id\": \"dep-1\"}"), 201);

        hostKeys = LeaseFixtures.ecKeys();
        hostId = Hosts.hostIdOf(hostKeys.getPublic().getEncoded());
        host = ApiClients.client(ca.root(), hostKeys, ApiClients.chain(json(call("POST", "/v1/hosts", owner,
                ApiClients.csrBody(hostId, hostKeys)), 201).get("chain").asText()));
        KeyPair otherKeys = LeaseFixtures.ecKeys();
        otherHostId = Hosts.hostIdOf(otherKeys.getPublic().getEncoded());
        otherHost = ApiClients.client(ca.root(), otherKeys, ApiClients.chain(json(call("POST", "/v1/hosts", owner,
                ApiClients.csrBody(otherHostId, otherKeys)), 201).get("chain").asText()));
        json(heartbeat(host, hostId, beat()), 200);

        String sha256 = json(upload(buyer, LeaseFixtures.signedBundle(ca, buyerId, "org.acme.fuzzed")), 201)
                .get("sha256").asText();
        JsonNode lease = json(call("POST", "/v1/leases", buyer, "{\"bundle\": \"" + sha256 + "\", \"hosts\": 1, "
                + "\"seconds\": 3600, \"cpuShare\": 0.5, \"memoryBytes\": 67108864, \"storageBytes\": 0, "
                + "\"bandwidthBytesPerSecond\": 1000}"), 201).get("leases").get(0);
        leaseId = lease.get("id").asText();
        leaseCreated = Instant.parse(lease.get("created").asText());
        json(heartbeat(host, hostId, beat().replace("\"apps\": 1", "\"apps\": 1, \"leases\": [{\"id\": \"" + leaseId
                + "\", \"state\": \"ACTIVE\"}]")), 200);
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
    void malformedAndMistypedJsonIsA400ThatSaysWhatWasWrong() throws Exception {
        String before = snapshot();
        String[][] cases = {
                { "POST", "/v1/accounts", null, "{\"kind\": \"buyer\", \"name\": ", "JSON" },
                { "POST", "/v1/accounts", null, "[1, 2, 3]", "object" },
                { "POST", "/v1/accounts", null, "{\"kind\": 7, \"name\": \"x\"}", "kind" },
                { "POST", "/v1/accounts", null, "{\"kind\": \"emperor\", \"name\": \"x\"}", "kind" },
                { "POST", "/v1/accounts", null, "{\"kind\": \"buyer\", \"name\": {\"a\": 1}}", "name" },
                { "POST", "/v1/accounts", null, "\"just a string\"", "object" },
                { "POST", "/v1/accounts", null, "", "" },
                { "POST", "/v1/deposits", "B", "{\"amountMicros\": \"lots\"}", "amountMicros" },
                { "POST", "/v1/deposits", "B", "{\"amountMicros\": -5}", "amountMicros" },
                { "POST", "/v1/deposits", "B", "{\"amountMicros\": 1e30}", "amountMicros" },
                { "POST", "/v1/deposits", "B", "{\"amountMicros\": 99999999999999999999999}", "amountMicros" },
                { "POST", "/v1/deposits", "B", "{\"amountMicros\": null}", "amountMicros" },
                { "POST", "/v1/deposits", "B", "{\"amountMicros\": 5, \"id\": 17}", "id" },
                { "POST", "/v1/deposits", "B", "{\"amountMicros\": 5, \"amountMicros\": 6}", "" },
                { "POST", "/v1/withdrawals", "B", "{\"amountMicros\": true}", "amountMicros" },
                { "POST", "/v1/leases", "B", "{\"bundle\": 5, \"hosts\": 1, \"seconds\": 60, \"cpuShare\": 0.5, \"memoryBytes\": 1, \"storageBytes\": 0, \"bandwidthBytesPerSecond\": 0}", "bundle" },
                { "POST", "/v1/leases", "B", "{\"bundle\": \"abc\", \"hosts\": \"one\", \"seconds\": 60, \"cpuShare\": 0.5, \"memoryBytes\": 1, \"storageBytes\": 0, \"bandwidthBytesPerSecond\": 0}", "hosts" },
                { "POST", "/v1/leases", "B", "{\"bundle\": \"abc\", \"hosts\": 1, \"seconds\": [60], \"cpuShare\": 0.5, \"memoryBytes\": 1, \"storageBytes\": 0, \"bandwidthBytesPerSecond\": 0}", "seconds" },
                { "POST", "/v1/leases", "B", "{\"bundle\": \"abc\", \"hosts\": 1, \"seconds\": 60, \"cpuShare\": 0.5, \"memoryBytes\": 1, \"storageBytes\": 0, \"bandwidthBytesPerSecond\": 0, \"excludeHosts\": 5}",
                        "excludeHosts" },
                { "POST", "/v1/leases/LEASE/renew", "B", "{\"seconds\": \"forever\"}", "seconds" },
                { "POST", "/v1/leases/LEASE/renew", "B", "{\"seconds\": 1.5}", "seconds" },
                { "POST", "/v1/certificates", "B", "{\"csr\": 12}", "csr" },
                { "POST", "/v1/certificates", "B", "{\"csr\": \"-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n\"}", "" },
                { "POST", "/v1/hosts", "O", "{\"csr\": [\"x\"]}", "csr" },
                { "POST", "/v1/hosts", "O", "{\"csr\": \"garbage\"}", "" },
                { "GET", "/v1/ledger?limit=many", "B", null, "limit" },
                { "GET", "/v1/ledger?limit=-1", "B", null, "limit" },
                { "GET", "/v1/leases?state=", "B", null, "state" },
                { "GET", "/v1/bundles/%00%ff", "B", null, "" },
        };
        for (String[] c : cases) {
            String token = c[2] == null ? null : c[2].equals("B") ? buyer : owner;
            HttpResponse<String> response = call(c[0], c[1].replace("LEASE", leaseId), token, c[3]);
            assertEquals(400, response.statusCode(), c[0] + " " + c[1] + " " + c[3] + " -> " + response.body());
            assertRefusal(response, c[4]);
        }
        for (String body : new String[] { "{\"description\": 5, \"status\": {}}", "{\"description\": {}, \"status\": 5}",
                "{\"description\": {}, \"status\": {\"suspended\": \"no\", \"apps\": 0}}",
                "{\"description\": {}, \"status\": {\"suspended\": false, \"apps\": -1}}", "{", "null" }) {
            HttpResponse<String> response = heartbeat(host, hostId, body);
            assertEquals(400, response.statusCode(), body + " -> " + response.body());
            assertRefusal(response, "");
        }
        for (String body : new String[] { "{\"records\": 5}", "{\"records\": [5]}", "{\"records\": [{\"leaseId\": 1}]}",
                "{\"records\": [{}]}", "{}" }) {
            HttpResponse<String> response = usage(host, hostId, body);
            assertEquals(400, response.statusCode(), body + " -> " + response.body());
            assertRefusal(response, "");
        }
        assertEquals(before, snapshot());
    }

    @Test
    void bodiesPastTheLimitsAreA413() throws Exception {
        String before = snapshot();
        String big = "{\"kind\":\"buyer\",\"name\":\"" + "x".repeat(MAX_REQUEST_BYTES + 10) + "\"}";
        for (String[] route : new String[][] { { "/v1/accounts", null }, { "/v1/deposits", buyer },
                { "/v1/leases", buyer }, { "/v1/hosts", owner }, { "/v1/certificates", buyer } }) {
            HttpResponse<String> response = call("POST", route[0], route[1], big);
            assertEquals(413, response.statusCode(), route[0] + ": " + response.body());
            assertRefusal(response, "larger than");
        }
        for (String path : new String[] { "/v1/hosts/" + hostId + "/heartbeat", "/v1/hosts/" + hostId + "/usage" }) {
            HttpResponse<String> response = host.send(request(path).header("Content-Type", "application/json")
                    .POST(BodyPublishers.ofString(big)).build(), BodyHandlers.ofString());
            assertEquals(413, response.statusCode(), path + ": " + response.body());
            assertRefusal(response, "larger than");
        }
        // a body that says nothing of its length (chunked), past the limit all the same
        HttpResponse<String> chunked = client.send(request("/v1/accounts").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build(), BodyHandlers.ofString());
        assertEquals(413, chunked.statusCode(), chunked.body());
        assertRefusal(chunked, "larger than");
        assertServerAnswers();
        assertEquals(before, snapshot());
    }

    @Test
    void missingAndForgedCredentialsAreRefused() throws Exception {
        String before = snapshot();
        for (String[] route : new String[][] { { "GET", "/v1/me" }, { "GET", "/v1/balance" }, { "GET", "/v1/leases" },
                { "POST", "/v1/deposits" }, { "POST", "/v1/withdrawals" }, { "GET", "/v1/ledger" },
                { "GET", "/v1/hosts" }, { "POST", "/v1/leases" }, { "POST", "/v1/tokens" },
                { "DELETE", "/v1/tokens/current" } }) {
            String body = route[0].equals("POST") ? "{\"amountMicros\": 1000}" : null;
            for (String token : new String[] { null, "isos_forged", buyer + "x", "", "Basic " }) {
                HttpResponse<String> response = callRaw(route[0], route[1],
                        token == null ? null : token.startsWith("Basic") ? token + "dXNlcjpwdw==" : "Bearer " + token, body);
                assertEquals(401, response.statusCode(), route[1] + " with " + token + ": " + response.body());
                assertRefusal(response, "");
            }
        }
        // a host's routes need its own certificate: a token, none, or another host's certificate
        assertEquals(401, call("POST", "/v1/hosts/" + hostId + "/heartbeat", owner, beat()).statusCode());
        assertEquals(401, call("POST", "/v1/hosts/" + hostId + "/heartbeat", null, beat()).statusCode());
        HttpResponse<String> impostor = heartbeat(otherHost, hostId, beat());
        assertEquals(403, impostor.statusCode(), impostor.body());
        assertRefusal(impostor, "");
        UsageReport record = LeaseFixtures.signed(new UsageReport(leaseId, hostId, 100, leaseCreated,
                leaseCreated.plusSeconds(1), 1_000_000, 0, 0, 0, false, null), hostKeys.getPrivate());
        HttpResponse<String> stolen = usage(otherHost, hostId, "{\"records\": [" + ApiClients.usageJson(record) + "]}");
        assertEquals(403, stolen.statusCode(), stolen.body());
        // the other host presenting the record as its own: it holds no such lease
        HttpResponse<String> foreign = usage(otherHost, otherHostId, "{\"records\": [" + ApiClients.usageJson(record) + "]}");
        assertTrue(foreign.statusCode() == 400 || json(foreign, 200).get("accepted").isEmpty(), foreign.body());
        // a self-signed client certificate does not chain to the ISOS root: no handshake or 401
        KeyPair selfKeys = LeaseFixtures.ecKeys();
        HttpClient selfSigned = ApiClients.client(ca.root(), selfKeys, selfSigned(selfKeys, hostId));
        try {
            HttpResponse<String> response = heartbeat(selfSigned, hostId, beat());
            assertEquals(401, response.statusCode(), response.body());
        } catch (IOException refusedAtHandshake) {
            // the TLS layer refused the certificate: the intended outcome too
        }
        assertServerAnswers();
        assertEquals(before, snapshot());
    }

    @Test
    void replayedDepositsAndUsageArePaidOnce() throws Exception {
        String deposit = "{\"amountMicros\": 7000000, \"id\": \"replay-1\"}";
        long available = json(call("GET", "/v1/balance", buyer, null), 200).get("availableMicros").asLong();
        JsonNode first = json(call("POST", "/v1/deposits", buyer, deposit), 201);
        for (int i = 0; i < 3; i++) {
            JsonNode again = json(call("POST", "/v1/deposits", buyer, deposit), 201);
            assertTrue(again.get("repeated").asBoolean(), again.toString());
            assertEquals(first.get("posted"), again.get("posted"));
        }
        assertEquals(available + 7_000_000, json(call("GET", "/v1/balance", buyer, null), 200).get("availableMicros")
                .asLong());

        UsageReport record = LeaseFixtures.signed(new UsageReport(leaseId, hostId, 1, leaseCreated,
                leaseCreated.plusSeconds(1), 500_000_000L, 0, 100, 100, false, null), hostKeys.getPrivate());
        String body = "{\"records\": [" + ApiClients.usageJson(record) + "]}";
        JsonNode accepted = json(usage(host, hostId, body), 200);
        assertEquals(1, accepted.get("accepted").size(), accepted.toString());
        String paidOnce = snapshot();
        for (int i = 0; i < 3; i++) {
            assertEquals(accepted, json(usage(host, hostId, body), 200));
        }
        // the same record twice in one delivery
        json(usage(host, hostId, "{\"records\": [" + ApiClients.usageJson(record) + "," + ApiClients.usageJson(record) + "]}"), 200);
        assertEquals(paidOnce, snapshot());
        assertTrue(json(call("GET", "/v1/ledger/totals", buyer, null), 200).get("balanced").asBoolean());
    }

    @Test
    void randomBytesOnEveryRouteAreRefusedAndChangeNothing() throws Exception {
        JsonNode paths = json(call("GET", "/v1/openapi.json", null, null), 200).get("paths");
        List<String[]> routes = new ArrayList<>();
        paths.fields().forEachRemaining(p -> p.getValue().fieldNames()
                .forEachRemaining(m -> routes.add(new String[] { m.toUpperCase(), p.getKey() })));
        assertTrue(routes.size() >= 20, "the route table: " + routes.size());
        String before = snapshot();
        Random random = new Random(20261128L);
        int requests = 0;
        for (String[] route : routes) {
            boolean tokenRoute = route[1].startsWith("/v1/tokens");
            for (int round = 0; round < 6; round++) {
                byte[] body = new byte[random.nextInt(round < 3 ? 64 : 4096) + 1];
                random.nextBytes(body);
                String path = route[1].replace("{hostId}", round % 2 == 0 ? hostId : noise(random))
                        .replace("{sha256}", noise(random)).replace("{id}", round % 2 == 0 ? leaseId : noise(random))
                        .replace("{asset}", round % 2 == 0 ? "console.js" : noise(random))
                        .replace("{name}", noise(random)).replace("{serial}", noise(random));
                // as nobody, as the buyer, as the owner and as the host (mutual TLS); the token routes'
                // own effect (a new token, a revoked one) needs no body, so they are fuzzed unauthenticated only
                List<HttpResponse<String>> answers = new ArrayList<>();
                answers.add(send(client, route[0], path, null, body));
                if (!tokenRoute) {
                    answers.add(send(client, route[0], path, buyer, body));
                    answers.add(send(client, route[0], path, owner, body));
                    answers.add(send(host, route[0], path, null, body));
                }
                for (HttpResponse<String> response : answers) {
                    requests++;
                    int status = response.statusCode();
                    assertTrue(status < 500, route[0] + " " + path + " -> " + status + " " + response.body());
                    if (status >= 400) {
                        assertRefusal(response, "");
                    } else {
                        // only reads may succeed with nonsense in their body: they ignore it
                        assertEquals("GET", route[0], route[0] + " " + path + " accepted random bytes: " + response.body());
                    }
                }
            }
        }
        assertTrue(requests > 300, "requests sent: " + requests);
        assertServerAnswers();
        assertEquals(before, snapshot());
    }

    // ------------------------------------------------------------------ helpers

    /** What the fuzzing must not change: totals, balances, hosts and leases as their owners see them. */
    private String snapshot() throws Exception {
        StringBuilder text = new StringBuilder();
        text.append(json(call("GET", "/v1/ledger/totals", buyer, null), 200)).append('\n');
        text.append(json(call("GET", "/v1/balance", buyer, null), 200)).append('\n');
        text.append(json(call("GET", "/v1/balance", owner, null), 200)).append('\n');
        for (JsonNode h : json(call("GET", "/v1/hosts", owner, null), 200).get("hosts")) {
            text.append(h.get("id")).append(' ').append(h.get("status")).append('\n');
        }
        text.append(json(call("GET", "/v1/leases", buyer, null), 200)).append('\n');
        text.append(json(call("GET", "/v1/ledger?limit=1000", buyer, null), 200).get("entries").size()).append('\n');
        text.append(json(call("GET", "/v1/bundles", buyer, null), 200)).append('\n');
        return text.toString();
    }

    private void assertServerAnswers() throws Exception {
        assertEquals(200, call("GET", "/v1/ca.pem", null, null).statusCode());
        assertEquals(200, call("GET", "/v1/me", buyer, null).statusCode());
        assertEquals(200, heartbeat(host, hostId, beat()).statusCode());
    }

    private static String noise(Random random) {
        byte[] bytes = new byte[random.nextInt(40) + 1];
        random.nextBytes(bytes);
        return URLEncoder.encode(new String(bytes, StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String beat() {
        return "{\"description\": {\"memoryBytes\": 8589934592}, \"status\": {\"suspended\": false, \"apps\": 1, \"transport\": \"127.0.0.1:40123\", "
                + "\"policy\": {\"maxCpuShare\": 1, \"storageQuotaBytes\": 1000000000, \"bandwidthCapBytesPerSecond\": "
                + "1000000, \"acceptedCategories\": [\"compute\"], \"minimumPricePerHourMicros\": 0}}}";
    }

    private static void assertRefusal(HttpResponse<String> response, String fragment) throws Exception {
        int status = response.statusCode();
        assertTrue(status >= 400 && status < 500, status + " " + response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "a JSON refusal: " + response.headers().map());
        JsonNode error = JSON.readTree(response.body());
        assertEquals(status, error.path("status").asInt(), response.body());
        String message = error.path("error").asText("");
        assertFalse(message.isBlank(), "a message: " + response.body());
        assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        assertFalse(response.body().contains("Exception"), "no stack trace: " + response.body());
    }

    private static X509Certificate selfSigned(KeyPair keys, String commonName) throws Exception {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=" + commonName + ",OU=host,O=ISOS");
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)),
                name, keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(api.uri().resolve(path)).timeout(Duration.ofSeconds(60));
    }

    private HttpResponse<String> send(HttpClient via, String method, String path, String token, byte[] body)
            throws Exception {
        HttpRequest.Builder request = request(path).header("Content-Type", "application/json");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        try {
            return via.send(request.method(method, BodyPublishers.ofByteArray(body)).build(), BodyHandlers.ofString());
        } catch (IOException e) {
            fail(method + " " + path + ": the server did not answer: " + e);
            throw e;
        }
    }

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        return callRaw(method, path, token == null ? null : "Bearer " + token, body);
    }

    private HttpResponse<String> callRaw(String method, String path, String authorization, String body) throws Exception {
        HttpRequest.Builder request = request(path);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        return client.send(request.build(), BodyHandlers.ofString());
    }

    private HttpResponse<String> upload(String token, byte[] jar) throws Exception {
        return client.send(request("/v1/bundles").header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/java-archive").POST(BodyPublishers.ofByteArray(jar)).build(),
                BodyHandlers.ofString());
    }

    private HttpResponse<String> heartbeat(HttpClient via, String id, String body) throws Exception {
        return via.send(request("/v1/hosts/" + id + "/heartbeat").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
    }

    private HttpResponse<String> usage(HttpClient via, String id, String body) throws Exception {
        return via.send(request("/v1/hosts/" + id + "/usage").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }
}
