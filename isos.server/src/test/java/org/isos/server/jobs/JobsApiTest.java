package org.isos.server.jobs;

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
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.http.HttpApi;
import org.isos.server.http.HttpConfig;
import org.isos.server.internal.ServerHome;
import org.isos.server.jobs.internal.ExactEquivalence;
import org.isos.server.jobs.internal.JdbcJobs;
import org.isos.server.jobs.internal.JobsConfig;
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
 * The jobs API over real HTTPS with the real job service on H2: a job created, units dispatched to two leased hosts
 * and their results reported by the runner, validated by the quorum and read back; bad requests refused with 400,
 * a host without a lease of the app with 403, another buyer's job with 404, an owner with 403.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobsApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;
    private JdbcStore store;
    private HttpApi api;
    private HttpClient client;
    private String buyer;
    private String owner;
    private String other;
    private String app;

    @BeforeAll
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), home);
        BouncyCastleAuthority ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        JdbcAccounts accounts = new JdbcAccounts(store);
        JdbcHosts hosts = new JdbcHosts(store, ca);
        JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
        JdbcRepository repository = new JdbcRepository(store, ca);
        var b = accounts.create(AccountKind.BUYER, "Acme");
        buyer = b.secret();
        owner = accounts.create(AccountKind.OWNER, "Mary").secret();
        other = accounts.create(AccountKind.BUYER, "Other").secret();
        app = repository.store(b.account(), LeaseFixtures.signedBundle(ca, b.account().id(), "org.acme.compute")).sha256();
        Set<String> leased = Set.of("host-a", "host-b");
        api = new HttpApi(TestConfigs.of(HttpConfig.class, Map.of("port", 0, "workerThreads", 2)), home, ca, accounts,
                hosts, repository, new JdbcLeases(store, hosts, bank, PriceTable.DEFAULT, Clock.systemUTC()), bank,
                new JdbcJobs(TestConfigs.of(JobsConfig.class, Map.of()), store, repository,
                        (host, sha) -> leased.contains(host) && sha.equals(app), List.of(new ExactEquivalence()),
                        Clock.systemUTC(), new Random(3)));
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
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aJobIsCreatedDispatchedReportedValidatedAndReadBack() throws Exception {
        String unit = Base64.getEncoder().encodeToString("range 2..10".getBytes(StandardCharsets.UTF_8));
        String job = "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\",\"deadlineSeconds\":60,"
                + "\"units\":[{\"name\":\"u0\",\"input\":\"" + unit + "\",\"estimatedCost\":7}]}";
        JsonNode created = json(call("POST", "/v1/jobs", buyer, job), 201);
        String id = created.get("id").asText();
        assertEquals("RUNNING", created.get("state").asText());
        assertEquals(2, created.get("minQuorum").asInt(), "the default quorum");
        assertEquals(4, created.get("maxReplicas").asInt());
        assertEquals(1, created.get("ready").asInt());
        assertEquals(id, json(call("GET", "/v1/jobs", buyer, null), 200).get("jobs").get(0).get("id").asText());

        error(call("POST", "/v1/jobs/" + id + "/dispatch", buyer, "{\"hostId\":\"host-z\"}"), 403,
                "host host-z holds no running lease of the job's app");
        String[] replicas = new String[2];
        String[] hosts = { "host-a", "host-b" };
        for (int i = 0; i < 2; i++) {
            JsonNode units = json(call("POST", "/v1/jobs/" + id + "/dispatch", buyer,
                    "{\"hostId\":\"" + hosts[i] + "\",\"max\":5}"), 200).get("units");
            assertEquals(1, units.size(), units::toString);
            assertEquals(unit, units.get(0).get("input").asText());
            replicas[i] = units.get(0).get("replicaId").asText();
        }
        String result = Base64.getEncoder().encodeToString("primes 2 3 5 7".getBytes(StandardCharsets.UTF_8));
        JsonNode first = json(call("POST", "/v1/jobs/" + id + "/results", buyer, "{\"results\":[{\"hostId\":\"host-a\","
                + "\"replicaId\":\"" + replicas[0] + "\",\"result\":\"" + result + "\"}]}"), 200);
        assertEquals("PENDING", first.get("outcomes").get(0).get("outcome").asText());
        JsonNode second = json(call("POST", "/v1/jobs/" + id + "/results", buyer, "{\"results\":[{\"hostId\":\"host-b\","
                + "\"replicaId\":\"" + replicas[1] + "\",\"result\":\"" + result + "\"}]}"), 200);
        assertEquals("VALID", second.get("outcomes").get(0).get("outcome").asText());

        JsonNode results = json(call("GET", "/v1/jobs/" + id + "/results", buyer, null), 200);
        assertEquals("DONE", results.get("job").get("state").asText());
        assertEquals("VALIDATED", results.get("units").get(0).get("state").asText());
        assertEquals(result, results.get("units").get(0).get("result").asText());
        JsonNode trust = json(call("GET", "/v1/jobs/" + id + "/hosts", buyer, null), 200).get("hosts");
        assertEquals(2, trust.size());
        assertEquals(7, trust.get(0).get("credit").asLong());
        assertEquals(1, trust.get(0).get("streak").asInt());

        error(call("GET", "/v1/jobs/" + id, other, null), 404, "no job " + id + " of yours");
        error(call("GET", "/v1/jobs/" + id, null, null), 401, "");
    }

    @Test
    void aReportCanAskForTheHostsNextUnitsInTheSameCall() throws Exception {
        String[] inputs = new String[3];
        StringBuilder units = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            inputs[i] = Base64.getEncoder().encodeToString(("range " + i).getBytes(StandardCharsets.UTF_8));
            units.append(i == 0 ? "" : ",").append("{\"name\":\"u").append(i).append("\",\"input\":\"").append(inputs[i])
                    .append("\"}");
        }
        String id = json(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\","
                + "\"minQuorum\":1,\"units\":[" + units + "]}"), 201).get("id").asText();
        JsonNode first = json(call("POST", "/v1/jobs/" + id + "/dispatch", buyer, "{\"hostId\":\"host-a\"}"), 200)
                .get("units").get(0);
        String result = Base64.getEncoder().encodeToString("answer".getBytes(StandardCharsets.UTF_8));
        String report = "{\"results\":[{\"hostId\":\"host-a\",\"replicaId\":\"" + first.get("replicaId").asText()
                + "\",\"result\":\"" + result + "\"}]";
        error(call("POST", "/v1/jobs/" + id + "/results", buyer, report + ",\"next\":3}"), 400,
                "field 'next' must be an object");
        error(call("POST", "/v1/jobs/" + id + "/results", buyer, report + ",\"next\":{\"max\":2}}"), 400,
                "missing field 'next.hostId'");
        error(call("POST", "/v1/jobs/" + id + "/results", buyer, report + ",\"next\":{\"hostId\":\"host-a\",\"max\":0}}"),
                400, "field 'next.max' must be a whole number >= 1");
        error(call("POST", "/v1/jobs/" + id + "/results", buyer, report + ",\"next\":{\"hostId\":\"host-a\",\"n\":1}}"),
                400, "unknown field 'next.n'");
        error(call("POST", "/v1/jobs/" + id + "/results", buyer, report + ",\"next\":{\"hostId\":\"host-z\"}}"), 403,
                "host host-z holds no running lease of the job's app");

        JsonNode reply = json(call("POST", "/v1/jobs/" + id + "/results", buyer,
                report + ",\"next\":{\"hostId\":\"host-a\",\"max\":5}}"), 200);
        assertEquals("VALID", reply.get("outcomes").get(0).get("outcome").asText(), "reported despite the refused calls");
        JsonNode next = reply.get("units");
        assertEquals(2, next.size(), next::toString);
        java.util.Set<String> seen = new java.util.HashSet<>(java.util.List.of(first.get("input").asText()));
        for (JsonNode u : next) {
            assertTrue(seen.add(u.get("input").asText()), "each unit once: " + next);
            assertTrue(u.has("replicaId") && u.has("deadline"), u::toString);
        }
        assertEquals(java.util.Set.of(inputs[0], inputs[1], inputs[2]), seen);
        JsonNode plain = json(call("POST", "/v1/jobs/" + id + "/results", buyer, "{\"results\":[{\"hostId\":\"host-a\","
                + "\"replicaId\":\"" + next.get(0).get("replicaId").asText() + "\",\"result\":\"" + result + "\"}]}"), 200);
        assertFalse(plain.has("units"), "a report without 'next' answers as before");
    }

    @Test
    void badJobsAreRefusedWithWhatWasWrong() throws Exception {
        String unit = "{\"name\":\"u0\",\"input\":\"AAEC\"}";
        error(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + app + "\",\"app\":\"lottery\",\"units\":[" + unit + "]}"),
                400, "app: unknown kind of work 'lottery' (known: genes, mersenne, signal)");
        error(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\",\"units\":[]}"), 400,
                "units: a job needs at least one work unit");
        error(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\"}"), 400,
                "missing field 'units'");
        error(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\",\"units\":"
                + "[{\"name\":\"u0\",\"input\":\"not base64!\"}]}"), 400, "field 'units[0].input' is not base64");
        error(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\",\"units\":[" + unit
                + "],\"spotChecks\":[" + unit + "]}"), 400, "missing field 'spotChecks[0].expected'");
        error(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\",\"minQuorum\":0,"
                + "\"units\":[" + unit + "]}"), 400, "minQuorum");
        error(call("POST", "/v1/jobs", buyer, "{\"bundle\":\"" + "0".repeat(64) + "\",\"app\":\"mersenne\",\"units\":["
                + unit + "]}"), 404, "you have no such bundle");
        error(call("POST", "/v1/jobs", owner, "{\"bundle\":\"" + app + "\",\"app\":\"mersenne\",\"units\":[" + unit
                + "]}"), 403, "only a buyer account submits jobs");
        error(call("POST", "/v1/jobs/job-00000000000000000000/results", buyer, "{\"results\":[{\"hostId\":\"h\","
                + "\"replicaId\":\"r\"}]}"), 400, "needs exactly one of 'result' and 'error'");
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
