package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import org.isos.admission.BundleAdmission;
import org.isos.agent.host.internal.LeaseInboxTest.FakeKernel;
import org.isos.agent.host.internal.UsageDeliveryTest.FakeOutbox;
import org.isos.kernel.api.Lease;
import org.isos.kernel.wire.LeaseGrant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/**
 * The heartbeat component as a whole against a JDK HTTPS server speaking the protocol: the answer's
 * leases are hosted on a kernel stand-in with the bundle fetched over mutual TLS, the outcome reaches the
 * server at once (not a 30 s period later), usage is delivered, a malformed answer stops nothing.
 */
class ServerExchangeTest {

    @TempDir
    Path data;
    HttpsServer server;
    final FakeKernel kernel = new FakeKernel();
    final FakeOutbox outbox = new FakeOutbox();
    final List<JsonNode> heartbeats = Collections.synchronizedList(new ArrayList<>());
    final List<JsonNode> usage = Collections.synchronizedList(new ArrayList<>());
    final byte[] good = "good bundle".getBytes(StandardCharsets.UTF_8);
    final byte[] bad = "bad bundle".getBytes(StandardCharsets.UTF_8);
    volatile String answer;
    ServerHeartbeat heartbeat;

    @BeforeEach
    void start() throws Exception {
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        SSLContext tls = UsageDeliveryTest.serverTls();
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = tls.getDefaultSSLParameters();
                p.setNeedClientAuth(true);
                params.setSSLParameters(p);
            }
        });
        server.createContext("/v1/hosts/host-1/heartbeat", exchange -> {
            heartbeats.add(HeartbeatMessages.JSON.readTree(exchange.getRequestBody()));
            reply(exchange, 200, answer.getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/v1/hosts/host-1/usage", exchange -> {
            JsonNode body = HeartbeatMessages.JSON.readTree(exchange.getRequestBody());
            usage.add(body);
            StringBuilder accepted = new StringBuilder();
            for (JsonNode r : body.get("records")) {
                accepted.append(accepted.length() == 0 ? "" : ",").append("{\"leaseId\":\"")
                        .append(r.get("leaseId").asText()).append("\",\"sequence\":").append(r.get("sequence")).append('}');
            }
            reply(exchange, 200, ("{\"accepted\":[" + accepted + "],\"refused\":[]}").getBytes(StandardCharsets.UTF_8));
        });
        server.createContext("/v1/bundles/", exchange -> {
            String sha = exchange.getRequestURI().getPath().substring("/v1/bundles/".length());
            byte[] jar = sha.equals(BundleAdmission.sha256Hex(good)) ? good
                    : sha.equals(BundleAdmission.sha256Hex(bad)) ? bad : null;
            reply(exchange, jar == null ? 404 : 200, jar == null ? "{\"error\":\"no\"}".getBytes() : jar);
        });
        server.start();
        Path agent = Files.createDirectories(data.resolve("agent"));
        Files.copy(UsageDeliveryTest.PKI.resolve("host-1.p12"), agent.resolve("identity.p12"));
        Files.copy(UsageDeliveryTest.PKI.resolve("ca.pem"), agent.resolve("ca.pem"));
        enrollment("ENROLLED");
    }

    @AfterEach
    void stop() throws Exception {
        if (heartbeat != null) {
            heartbeat.deactivate();
        }
        server.stop(0);
        enrollment(null);
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws java.io.IOException {
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream o = exchange.getResponseBody()) {
            o.write(body);
        }
    }

    /** What SCR and the enrollment would have done: the agent enrolled, the kernel's services bound. */
    private void startAgent(int seconds) throws Exception {
        Map<String, String> launch = Map.of("isos.data", data.toString(), "isos.server.url",
                "https://127.0.0.1:" + server.getAddress().getPort(), "isos.identity.password", "isos-test",
                "isos.heartbeat.seconds", Integer.toString(seconds));
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { BundleContext.class }, (p, m, a) -> {
                    if (m.getName().equals("getProperty")) {
                        return launch.get(a[0]);
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        heartbeat = new ServerHeartbeat(context, () -> ServerHeartbeatTest.HOST);
        bind("hosting", kernel);
        bind("availability", kernel);
        bind("peers", kernel);
        bind("outbox", outbox);
    }

    private void bind(String field, Object service) throws Exception {
        Field f = ServerHeartbeat.class.getDeclaredField(field);
        f.setAccessible(true);
        f.set(heartbeat, service);
    }

    private static void enrollment(String state) throws Exception {
        Field f = ServerEnrollment.class.getDeclaredField("state");
        f.setAccessible(true);
        f.set(null, state);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private static String lease(String id, byte[] jar) {
        return "{\"id\":\"" + id + "\",\"buyer\":\"buyer-a\",\"app\":\"echo\",\"bundleSha256\":\""
                + BundleAdmission.sha256Hex(jar) + "\",\"expiry\":\"" + Instant.now().plusSeconds(600)
                + "\",\"cpuShare\":0.25,\"memoryBytes\":1048576,\"storageQuotaBytes\":0,\"bandwidthBytesPerSecond\":65536}";
    }

    @Test
    void leasesAreCarriedOutAndTheOutcomeGoesBackAtOnce() throws Exception {
        kernel.host(new LeaseGrant(new Lease("l0", "buyer-a", "echo", Instant.now().plusSeconds(600), 0.5, 0, 0, 1),
                "host-1", BundleAdmission.sha256Hex(good)), good);
        outbox.records.add(UsageDeliveryTest.record("l0", 1));
        answer = "{\"serverTime\":\"2026-11-28T12:00:00Z\",\"nextHeartbeatSeconds\":30,\"revokedSerials\":[],"
                + "\"leases\":[" + lease("l1", good) + "," + lease("l2", bad) + "],"
                + "\"ended\":[{\"id\":\"l0\",\"reason\":\"RELEASED by the buyer\"}]}";
        startAgent(30);

        // with a 30 s period, a second heartbeat within seconds can only be the one the outcome called for
        await("the outcomes reach the server", () -> heartbeats.stream().anyMatch(h -> h.path("status")
                .path("leases").size() == 3));
        JsonNode report = heartbeats.stream().filter(h -> h.path("status").path("leases").size() == 3)
                .reduce((a, b) -> b).orElseThrow().get("status");
        assertEquals("[{\"id\":\"l1\",\"state\":\"ACTIVE\",\"bundleSha256\":\"" + BundleAdmission.sha256Hex(good)
                + "\"},"
                + "{\"id\":\"l2\",\"state\":\"FAILED\",\"reason\":\"TAMPERED: entry x.class does not match its signature\"},"
                + "{\"id\":\"l0\",\"state\":\"ENDED\",\"reason\":\"RELEASED by the buyer\"}]", report.get("leases").toString());
        assertEquals("127.0.0.1:4711", report.get("transport").asText());
        assertTrue(heartbeats.size() <= 4, "no heartbeat storm: " + heartbeats.size());
        assertEquals(List.of("l1"), kernel.hosted().stream().map(a -> a.lease().id()).toList());
        assertEquals("host-1", kernel.grants.get(1).hostId());
        assertEquals(List.of("l0: RELEASED by the buyer"), kernel.ended);

        await("usage is delivered", () -> outbox.records.isEmpty());
        assertEquals("l0", usage.get(0).get("records").get(0).get("leaseId").asText());
        Map<String, String> status = ServerHeartbeat.statusEntries();
        assertEquals("l0,l1,l2", status.get("serverLeases"));
        assertEquals("FAILED (TAMPERED: entry x.class does not match its signature)", status.get("serverLease.l2"));
        assertEquals("1", status.get("usage.delivered"));
        assertEquals("0", status.get("usage.pending"));
        assertEquals("ONLINE", ServerHeartbeat.state());
        assertEquals("2026-11-28T12:00:00Z", ServerHeartbeat.lastHeartbeat());
        assertTrue(Files.readString(data.resolve("agent/server-leases.properties")).contains("l2.state=FAILED"));
    }

    @Test
    void aMalformedAnswerStopsNothing() throws Exception {
        answer = "{\"nextHeartbeatSeconds\": 1, \"leases\": \"all of them\"}";
        startAgent(1);
        await("heartbeats go on", () -> heartbeats.size() >= 2);
        assertEquals("ONLINE", ServerHeartbeat.state());
        assertTrue(kernel.grants.isEmpty());
        answer = "{\"nextHeartbeatSeconds\": 1, \"leases\": [" + lease("l1", good) + "]}";
        await("the next good answer is carried out", () -> !kernel.hosted().isEmpty());
    }
}
