package org.isos.server.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.isos.admission.BundleAdmission;
import org.isos.server.TestConfigs;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.bank.PriceTable;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.leases.UsageReport;
import org.isos.server.leases.internal.JdbcLeases;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The buyer's and the host's routes over real TLS: certificates, bundle uploads past the small JSON limit,
 * the bank, leases, heartbeats that deliver them, bundle downloads by hosts and usage over mutual TLS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeasesApiTest {

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
        JdbcHosts hosts = new JdbcHosts(store, ca);
        JdbcBank bank = new JdbcBank(store, PriceTable.DEFAULT);
        api = new HttpApi(TestConfigs.of(HttpConfig.class, Map.of("port", 0, "maxRequestBytes", MAX_REQUEST_BYTES,
                "workerThreads", 4)), home, ca, new JdbcAccounts(store), hosts, new JdbcRepository(store, ca),
                new JdbcLeases(store, hosts, bank, PriceTable.DEFAULT, java.time.Clock.systemUTC()), bank);
        trustingIsos = ApiClients.tls(ca.root(), null);
        client = HttpClient.newBuilder().sslContext(trustingIsos).version(HttpClient.Version.HTTP_1_1)
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
    void aBuyerSignsUploadsFundsAndLeasesAndAHostRunsItAndIsPaid() throws Exception {
        JsonNode buyerAccount = json(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Acme\"}"), 201);
        String buyer = buyerAccount.get("token").asText();
        String buyerId = buyerAccount.get("id").asText();
        String owner = json(call("POST", "/v1/accounts", null, "{\"kind\":\"owner\",\"name\":\"Mary\"}"), 201)
                .get("token").asText();

        // a code-signing certificate for the buyer's key
        KeyPair signing = LeaseFixtures.ecKeys();
        JsonNode certificate = json(call("POST", "/v1/certificates", buyer, ApiClients.csrBody(buyerId, signing)), 201);
        List<Certificate> chain = List.of(ApiClients.chain(certificate.get("chain").asText()));
        assertEquals(2, chain.size(), "leaf and root");
        assertEquals(ca.root(), chain.get(1));
        assertEquals(ca.rootPem(), certificate.get("caPem").asText());
        assertTrue(certificate.hasNonNull("serial") && certificate.hasNonNull("expires"), certificate.toString());
        assertError(call("POST", "/v1/certificates", owner, ApiClients.csrBody("owner-x", signing)), 403, "only buyers");
        assertError(call("POST", "/v1/certificates", buyer, ApiClients.csrBody("buyer-not-me", signing)), 400, "CN");
        assertError(call("POST", "/v1/certificates", buyer, "{}"), 400, "missing field 'csr'");
        assertError(call("POST", "/v1/certificates", null, ApiClients.csrBody(buyerId, signing)), 401, "Authorization");

        // upload: a jar larger than the JSON limit passes on this route only
        byte[] filler = new byte[200 * 1024];
        new SecureRandom().nextBytes(filler);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-ManifestVersion", "2");
        headers.put("Bundle-SymbolicName", "org.acme.movies");
        headers.put("Bundle-Version", "2.1.0");
        byte[] jar = TestJars.sign(TestJars.jar(headers, Map.of("media/filler.bin", filler)), signing.getPrivate(), chain);
        assertTrue(jar.length > MAX_REQUEST_BYTES);
        String sha256 = BundleAdmission.sha256Hex(jar);
        JsonNode uploaded = json(upload(buyer, jar, "application/java-archive"), 201);
        assertEquals(sha256, uploaded.get("sha256").asText());
        assertEquals("org.acme.movies", uploaded.get("symbolicName").asText());
        assertEquals("2.1.0", uploaded.get("version").asText());
        assertEquals(jar.length, uploaded.get("size").asLong());
        assertEquals(uploaded, json(upload(buyer, jar, "application/java-archive"), 200), "there already");
        assertError(upload(buyer, jar, "application/octet-stream"), 415, "application/java-archive");
        assertError(upload(buyer, LeaseFixtures.bundle("org.acme.x", "1.0.0"), "application/java-archive"), 400,
                "UNSIGNED: ");
        assertError(upload(owner, jar, "application/java-archive"), 403, "only buyers");
        // past the repository's 64 MiB: refused before the body is read
        assertError(upload(buyer, new byte[64 * 1024 * 1024 + 1], "application/java-archive"), 413, "larger than");
        // the JSON limit still holds elsewhere
        assertError(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"" + "x".repeat(20_000) + "\"}"),
                413, "larger than");
        JsonNode listed = json(call("GET", "/v1/bundles", buyer, null), 200).get("bundles");
        assertEquals(1, listed.size());
        assertEquals(sha256, listed.get(0).get("sha256").asText());
        HttpResponse<byte[]> download = client.send(request("/v1/bundles/" + sha256)
                .header("Authorization", "Bearer " + buyer).GET().build(), BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertEquals("application/java-archive", download.headers().firstValue("Content-Type").orElseThrow());
        assertArrayEquals(jar, download.body());
        String other = json(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Other\"}"), 201)
                .get("token").asText();
        assertError(call("GET", "/v1/bundles/" + sha256, other, null), 404, "no bundle");
        assertError(call("GET", "/v1/bundles/XYZ", buyer, null), 400, "SHA-256");

        // the bank: deposits are idempotent by the client's id
        JsonNode deposit = json(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 50000000, \"id\": \"dep-1\"}"), 201);
        assertEquals("dep-1", deposit.get("id").asText());
        assertEquals(50_000_000, deposit.get("amountMicros").asLong());
        assertTrue(json(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 50000000, \"id\": \"dep-1\"}"), 201)
                .get("repeated").asBoolean());
        assertEquals(50_000_000, json(call("GET", "/v1/balance", buyer, null), 200).get("availableMicros").asLong());
        assertError(call("POST", "/v1/withdrawals", buyer, "{\"amountMicros\": 60000000}"), 402, "");
        json(call("POST", "/v1/withdrawals", buyer, "{\"amountMicros\": 1000000}"), 201);
        assertError(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 0}"), 400, "amountMicros");
        assertError(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 1.5}"), 400, "amountMicros");
        assertError(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 5, \"id\": \"a b\"}"), 400, "field 'id'");
        assertError(call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 5, \"to\": \"x\"}"), 400, "unknown field");
        assertEquals(2, json(call("GET", "/v1/ledger?limit=2", buyer, null), 200).get("entries").size());
        assertError(call("GET", "/v1/ledger?limit=0", buyer, null), 400, "limit");
        assertTrue(json(call("GET", "/v1/ledger/totals", buyer, null), 200).get("balanced").asBoolean());

        // a host reports its policy and transport
        KeyPair hostKeys = LeaseFixtures.ecKeys();
        String hostId = Hosts.hostIdOf(hostKeys.getPublic().getEncoded());
        JsonNode enrolled = json(call("POST", "/v1/hosts", owner, ApiClients.csrBody(hostId, hostKeys)), 201);
        HttpClient host = ApiClients.client(ca.root(), hostKeys, ApiClients.chain(enrolled.get("chain").asText()));
        String status = "\"suspended\": false, \"apps\": 0, \"transport\": \"127.0.0.1:40123\", \"policy\": "
                + "{\"maxCpuShare\": 1, \"storageQuotaBytes\": 1000000000, \"bandwidthCapBytesPerSecond\": 1000000, "
                + "\"acceptedCategories\": [\"compute\", \"streaming\"], \"minimumPricePerHourMicros\": 0, "
                + "\"allowedHours\": [\"08:00-20:00\"], \"minimumPriceOutsideHoursMicros\": 2000000}";
        JsonNode beat = json(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + "}}"), 200);
        assertEquals(0, beat.get("leases").size());
        assertEquals(0, beat.get("ended").size());
        JsonNode listedHost = json(call("GET", "/v1/hosts", owner, null), 200).get("hosts").get(0);
        assertEquals("127.0.0.1:40123", listedHost.get("transport").asText());
        assertEquals(JSON.readTree("{\"maxCpuShare\": 1.0, \"storageQuotaBytes\": 1000000000, "
                + "\"bandwidthCapBytesPerSecond\": 1000000, \"minimumPricePerHourMicros\": 0, "
                + "\"acceptedCategories\": [\"compute\", \"streaming\"], \"allowedHours\": [\"08:00-20:00\"], "
                + "\"minimumPriceOutsideHoursMicros\": 2000000}"), listedHost.get("policy"));
        assertEquals(8L << 30, listedHost.get("memoryBytes").asLong(), "the description's memory");
        assertEquals(0.0, listedHost.get("availability").asDouble(), 0.001, "just online, no history yet");
        for (String[] bad : new String[][] {
                { "\"transport\": \"no port\"", "status.transport" },
                { "\"transport\": \"h:70000\"", "status.transport" },
                { "\"policy\": 5", "status.policy" },
                { "\"policy\": {\"maxCpuShare\": 0}", "status.policy.maxCpuShare" },
                { "\"policy\": {\"maxCpuShare\": 1}", "status.policy.storageQuotaBytes" },
                { "\"policy\": {\"maxCpuShare\": 1, \"storageQuotaBytes\": 1, \"bandwidthCapBytesPerSecond\": 1, "
                        + "\"minimumPricePerHourMicros\": 0, \"acceptedCategories\": [\"gaming\"]}",
                        "status.policy.acceptedCategories" },
                { "\"policy\": {\"cores\": 1}", "status.policy.cores" },
                { "\"policy\": {\"maxCpuShare\": 1, \"storageQuotaBytes\": 1, \"bandwidthCapBytesPerSecond\": 1, "
                        + "\"minimumPricePerHourMicros\": 0, \"acceptedCategories\": [], \"allowedHours\": [\"9-17\"]}",
                        "status.policy.allowedHours" },
                { "\"policy\": {\"maxCpuShare\": 1, \"storageQuotaBytes\": 1, \"bandwidthCapBytesPerSecond\": 1, "
                        + "\"minimumPricePerHourMicros\": 0, \"acceptedCategories\": [], \"allowedHours\": \"09:00-17:00\"}",
                        "status.policy.allowedHours" },
                { "\"policy\": {\"maxCpuShare\": 1, \"storageQuotaBytes\": 1, \"bandwidthCapBytesPerSecond\": 1, "
                        + "\"minimumPricePerHourMicros\": 0, \"acceptedCategories\": [], "
                        + "\"minimumPriceOutsideHoursMicros\": -1}", "status.policy.minimumPriceOutsideHoursMicros" },
                { "\"leases\": {}", "status.leases" },
                { "\"leases\": [{\"id\": \"x\", \"state\": \"RUNNING\"}]", "status.leases[0].state" },
                { "\"leases\": [{\"state\": \"ACTIVE\"}]", "status.leases[0].id" },
                { "\"leases\": [{\"id\": \"x\", \"state\": \"FAILED\", \"why\": 1}]", "status.leases[0].why" } }) {
            assertError(heartbeat(host, hostId, "{\"description\": {}, \"status\": {\"suspended\": false, \"apps\": 0, "
                    + bad[0] + "}}"), 400, bad[1]);
        }

        // leases
        String leaseBody = "{\"bundle\": \"" + sha256 + "\", \"hosts\": 1, \"seconds\": 3600, \"cpuShare\": 0.5, "
                + "\"memoryBytes\": 67108864, \"storageBytes\": 0, \"bandwidthBytesPerSecond\": 100000, "
                + "\"category\": \"streaming\"}";
        JsonNode lease = json(call("POST", "/v1/leases", buyer, leaseBody), 201).get("leases").get(0);
        String leaseId = lease.get("id").asText();
        assertEquals(hostId, lease.get("hostId").asText());
        assertEquals("PENDING", lease.get("state").asText());
        assertEquals("127.0.0.1:40123", lease.get("transportAddress").asText());
        assertEquals(500_000, lease.get("pricePerHourMicros").asLong());
        assertEquals(500_000, json(call("GET", "/v1/balance", buyer, null), 200).get("heldMicros").asLong());
        assertError(call("POST", "/v1/leases", buyer, leaseBody.replace("\"hosts\": 1", "\"hosts\": 2")), 409,
                "only 0 of 1 host(s) qualify for 2 lease(s): 1 runs this bundle already");
        assertError(call("POST", "/v1/leases", buyer, leaseBody.replace("0.5", "\"half\"")), 400, "field 'cpuShare'");
        assertError(call("POST", "/v1/leases", buyer, leaseBody.replace("\"hosts\": 1", "\"hosts\": 0")), 400, "hosts");
        assertError(call("POST", "/v1/leases", buyer, leaseBody.replace("streaming", "gaming")), 400, "category");
        for (String[] bad : new String[][] {
                { "\"minAvailability\": 1.5", "field 'minAvailability' must be a number from 0 to 1" },
                { "\"minAvailability\": -0.1", "field 'minAvailability'" },
                { "\"minAvailability\": \"high\"", "field 'minAvailability'" },
                { "\"window\": \"25:00-26:00\"", "field 'window'" },
                { "\"window\": \"9-17\"", "HH:MM-HH:MM" },
                { "\"window\": 9", "field 'window'" } }) {
            assertError(call("POST", "/v1/leases", buyer, leaseBody.replace("}", ", " + bad[0] + "}")), 400, bad[1]);
        }
        // the host is new (availability 0), and protects 20:00-08:00 UTC at 2,000,000 a lease-hour
        assertError(call("POST", "/v1/leases", buyer, leaseBody.replace("\"hosts\": 1", "\"hosts\": 2")
                .replace("}", ", \"minAvailability\": 0.5}")), 409, "1 availability below minAvailability");
        assertError(call("POST", "/v1/leases", buyer, leaseBody.replace("\"hosts\": 1", "\"hosts\": 2")
                .replace("}", ", \"window\": \"21:00-22:00\", \"maxPricePerHourMicros\": 1000000}")), 409,
                "1 reserve outside the allowed hours above maxPricePerHourMicros");
        assertError(call("POST", "/v1/leases", buyer, "{\"bundle\": \"" + sha256 + "\"}"), 400, "missing field 'hosts'");
        assertError(call("POST", "/v1/leases", owner, leaseBody), 403, "only buyers");
        assertError(call("POST", "/v1/leases", other, leaseBody), 404, "upload it first");

        // the host hears of it, fetches the jar over mutual TLS and reports it running
        JsonNode delivered = json(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + "}}"), 200);
        assertEquals(1, delivered.get("leases").size());
        JsonNode toRun = delivered.get("leases").get(0);
        assertEquals(leaseId, toRun.get("id").asText());
        assertEquals(sha256, toRun.get("bundleSha256").asText());
        assertEquals("org.acme.movies", toRun.get("app").asText());
        assertEquals(buyerId, toRun.get("buyer").asText());
        assertEquals(100_000, toRun.get("bandwidthBytesPerSecond").asLong());
        HttpResponse<byte[]> fetched = host.send(request("/v1/bundles/" + sha256).GET().build(), BodyHandlers.ofByteArray());
        assertEquals(200, fetched.statusCode());
        assertArrayEquals(jar, fetched.body());
        json(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status
                + ", \"leases\": [{\"id\": \"" + leaseId + "\", \"state\": \"ACTIVE\"}]}}"), 200);
        assertEquals("ACTIVE", json(call("GET", "/v1/leases/" + leaseId, buyer, null), 200).get("state").asText());
        assertEquals(leaseId, json(call("GET", "/v1/leases?state=ACTIVE", buyer, null), 200).get("leases").get(0)
                .get("id").asText());
        assertEquals(leaseId, json(call("GET", "/v1/leases", owner, null), 200).get("leases").get(0).get("id").asText());
        assertEquals(0, json(call("GET", "/v1/leases?state=PENDING", buyer, null), 200).get("leases").size());
        assertError(call("GET", "/v1/leases?state=RUNNING", buyer, null), 400, "state must be one of");
        assertError(call("GET", "/v1/leases/" + leaseId, other, null), 404, "no lease");

        // usage, signed by the host's key: paid once however often it comes
        Instant from = Instant.parse(lease.get("created").asText());
        UsageReport record = LeaseFixtures.signed(new UsageReport(leaseId, hostId, 1, from, from.plusSeconds(60),
                10_000_000_000L, 0, 1000, 2000, false, null), hostKeys.getPrivate());
        String usage = "{\"records\": [" + ApiClients.usageJson(record) + "]}";
        JsonNode paid = json(usage(host, hostId, usage), 200);
        assertEquals(leaseId, paid.get("accepted").get(0).get("leaseId").asText());
        assertEquals(1, paid.get("accepted").get(0).get("sequence").asLong());
        long ownerBalance = json(call("GET", "/v1/balance", owner, null), 200).get("availableMicros").asLong();
        assertTrue(ownerBalance > 0);
        assertEquals(paid, json(usage(host, hostId, usage), 200));
        assertEquals(ownerBalance, json(call("GET", "/v1/balance", owner, null), 200).get("availableMicros").asLong());
        UsageReport forged = LeaseFixtures.signed(new UsageReport(leaseId, hostId, 2, from, from.plusSeconds(60), 1, 0, 0,
                0, false, null), LeaseFixtures.ecKeys().getPrivate());
        JsonNode refused = json(usage(host, hostId, "{\"records\": [" + ApiClients.usageJson(forged) + "]}"), 200);
        assertEquals(0, refused.get("accepted").size());
        assertTrue(refused.get("refused").get(0).get("reason").asText().startsWith("signature does not verify"));
        assertError(call("POST", "/v1/hosts/" + hostId + "/usage", buyer, usage), 401, "no client certificate");
        assertError(usage(host, hostId, "{\"records\": {}}"), 400, "field 'records'");
        assertError(usage(host, hostId, "{\"records\": [" + ApiClients.usageJson(record).replace("\"sequence\":1", "\"sequence\":0")
                + "]}"), 400, "records[0].sequence");
        assertError(usage(host, hostId, "{\"records\": [" + ApiClients.usageJson(record).replace(from.toString(), "yesterday")
                + "]}"), 400, "records[0].from");
        StringBuilder many = new StringBuilder("{\"records\": [");
        for (int i = 0; i < 1001; i++) {
            many.append(i == 0 ? "" : ",").append("{}");
        }
        assertError(usage(host, hostId, many.append("]}").toString()), 400, "at most 1000");

        // hot-swap: version 2.2.0 of the app wanted; the host hears of it, may fetch it, and reports what it runs
        headers.put("Bundle-Version", "2.2.0");
        byte[] jar2 = TestJars.sign(TestJars.jar(headers, Map.of("media/v2.txt", new byte[] { 2 })), signing.getPrivate(),
                chain);
        String sha2 = json(upload(buyer, jar2, "application/java-archive"), 201).get("sha256").asText();
        String bundleRoute = "/v1/leases/" + leaseId + "/bundle";
        assertError(call("POST", bundleRoute, buyer, "{\"bundle\": \"abc\"}"), 400, "field 'bundle'");
        assertError(call("POST", bundleRoute, buyer, "{}"), 400, "missing field 'bundle'");
        assertError(call("POST", bundleRoute, other, "{\"bundle\": \"" + sha2 + "\"}"), 404, "no lease");
        assertError(call("POST", "/v1/leases/nope/bundle", buyer, "{\"bundle\": \"" + sha2 + "\"}"), 404, "no lease");
        JsonNode wanted = json(call("POST", bundleRoute, buyer, "{\"bundle\": \"" + sha2 + "\"}"), 200);
        assertEquals(sha2, wanted.get("bundle").asText());
        assertEquals("ACTIVE", wanted.get("state").asText());
        assertTrue(wanted.get("updateReason").isNull(), wanted.toString());
        JsonNode swap = json(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + "}}"), 200);
        assertEquals(sha2, swap.get("leases").get(0).get("bundleSha256").asText(), "the wanted bundle is delivered");
        assertEquals(200, host.send(request("/v1/bundles/" + sha2).GET().build(), BodyHandlers.ofByteArray()).statusCode());
        String report = "\"leases\": [{\"id\": \"" + leaseId + "\", \"state\": \"ACTIVE\", \"bundleSha256\": \"";
        assertError(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + ", " + report
                + "xyz\"}]}}"), 400, "bundleSha256");
        assertError(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + ", " + report + sha256
                + "\", \"refusedBundleSha256\": \"" + sha2 + "\"}]}}"), 400, "come together");
        json(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + ", " + report + sha256
                + "\", \"refusedBundleSha256\": \"" + sha2 + "\", \"updateRefused\": \"it would not start\"}]}}"), 200);
        JsonNode refusedUpdate = json(call("GET", "/v1/leases/" + leaseId, buyer, null), 200);
        assertEquals(sha256, refusedUpdate.get("runningBundle").asText());
        assertEquals("it would not start", refusedUpdate.get("updateReason").asText());
        assertEquals("ACTIVE", refusedUpdate.get("state").asText());
        json(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + ", " + report + sha2
                + "\"}]}}"), 200);
        JsonNode swapped = json(call("GET", "/v1/leases/" + leaseId, owner, null), 200);
        assertEquals(sha2, swapped.get("runningBundle").asText());
        assertTrue(swapped.get("updateReason").isNull(), swapped.toString());

        // renewed, then released: the host ends it
        JsonNode renewed = json(call("POST", "/v1/leases/" + leaseId + "/renew", buyer, "{\"seconds\": 7200}"), 200);
        assertTrue(Instant.parse(renewed.get("expiry").asText()).isAfter(Instant.parse(lease.get("expiry").asText())));
        assertError(call("POST", "/v1/leases/" + leaseId + "/renew", buyer, "{\"seconds\": -5}"), 400, "seconds");
        JsonNode released = json(call("DELETE", "/v1/leases/" + leaseId, buyer, null), 200);
        assertEquals("RELEASED", released.get("state").asText());
        assertEquals(0, json(call("GET", "/v1/balance", buyer, null), 200).get("heldMicros").asLong());
        JsonNode ended = json(heartbeat(host, hostId, "{\"description\": " + DESCRIPTION + ", \"status\": {" + status + "}}"), 200);
        assertEquals(0, ended.get("leases").size());
        assertEquals(leaseId, ended.get("ended").get(0).get("id").asText());
        assertEquals("RELEASED", ended.get("ended").get(0).get("reason").asText());
        assertError(call("POST", "/v1/leases/" + leaseId + "/renew", buyer, "{\"seconds\": 60}"), 409, "RELEASED");
        assertError(call("POST", "/v1/leases/" + leaseId + "/bundle", buyer, "{\"bundle\": \"" + sha256 + "\"}"), 409,
                "RELEASED");
        // the host holds no running lease of the bundle now
        HttpResponse<String> late = host.send(request("/v1/bundles/" + sha256).GET().build(), BodyHandlers.ofString());
        assertEquals(404, late.statusCode(), late.body());

        // a buyer without money gets no lease
        String poor = json(call("POST", "/v1/accounts", null, "{\"kind\":\"buyer\",\"name\":\"Poor\"}"), 201)
                .get("token").asText();
        String poorId = json(call("GET", "/v1/me", poor, null), 200).get("id").asText();
        String poorSha = json(upload(poor, LeaseFixtures.signedBundle(ca, poorId, "org.poor.app"),
                "application/java-archive"), 201).get("sha256").asText();
        assertError(call("POST", "/v1/leases", poor, leaseBody.replace(sha256, poorSha)), 402, "escrow");
    }

    // ------------------------------------------------------------------ helpers

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

    private HttpResponse<String> upload(String token, byte[] jar, String type) throws Exception {
        return client.send(request("/v1/bundles").header("Authorization", "Bearer " + token).header("Content-Type", type)
                .POST(BodyPublishers.ofByteArray(jar)).build(), BodyHandlers.ofString());
    }

    private HttpResponse<String> heartbeat(HttpClient host, String hostId, String body) throws Exception {
        return host.send(request("/v1/hosts/" + hostId + "/heartbeat").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
    }

    private HttpResponse<String> usage(HttpClient host, String hostId, String body) throws Exception {
        return host.send(request("/v1/hosts/" + hostId + "/usage").header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response, int status) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
        return JSON.readTree(response.body());
    }

    /** A host's description (OSHI) as far as matching reads it: its memory, 8 GiB. */
    private static final String DESCRIPTION = "{\"memoryBytes\": 8589934592}";

    private static void assertError(HttpResponse<String> response, int status, String fragment) throws Exception {
        JsonNode error = json(response, status);
        assertEquals(status, error.get("status").asInt(), response.body());
        String message = error.get("error").asText();
        assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        assertFalse(response.body().contains("Exception"), "no stack trace: " + response.body());
    }
}
