package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.isos.kernel.wire.ClientSession;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The web console in a real browser against a real world: {@code ./isos dev --hosts 2}, a signed app leased on
 * both hosts and its usage paid, then Debian's headless Chromium (driven by {@code browser/console.mjs} with
 * playwright-core, TLS checked against the server's own key) logs in as an owner, reads the earnings chart and
 * compares it with the ledger, changes a host's policy in the page and waits for the agent to report it, pauses
 * the host (the agent suspends ISOS work and the app's task stops until the host is resumed), and logs in as
 * the buyer to see its leases and spend. Without Chromium or the Node packages this test fails: CI installs
 * both ({@code .ci/run}).
 */
class ConsoleWorldE2ETest {

    private static final String APP = "isos.testapp.echo";
    private static final Path APPS = Path.of(System.getProperty("isos.test.apps", "target/apps"));
    private static final Path BROWSER = World.ROOT.resolve("isos.world.e2e/browser");
    private static final Path SCREENSHOTS = World.ROOT.resolve("isos.world.e2e/target/console-screenshots");
    private static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");

    @TempDir
    static Path root;
    static World world;

    @BeforeAll
    static void startTheWorld() throws Exception {
        // fail, never skip: a CI without the browser must not pass as if the console were tested
        assertTrue(Files.isExecutable(Path.of(CHROMIUM)), CHROMIUM + " is missing: apt-get install -y chromium");
        assertTrue(Files.isDirectory(BROWSER.resolve("node_modules/playwright-core")),
                "playwright-core is missing: (cd isos.world.e2e/browser && npm ci)");
        Process node = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
        assertTrue(node.waitFor(30, TimeUnit.SECONDS) && node.exitValue() == 0, "node is missing: apt-get install -y nodejs");
        world = World.start(root.resolve("dev"), 2, "--usage-period-seconds", "3", "--agent-property",
                "isos.agent.policy.idlePeriodSeconds=2");
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(40), world::allStopped);
        }
    }

    @Test
    void ownersAndBuyersSeeRealDataAndTheAgentObeysThePolicyAndPauseSetInThePage() throws Exception {
        Path unsigned = root.resolve("echo-unsigned.jar");
        Files.write(unsigned, TestJars.unsigned(Files.readAllBytes(APPS.resolve(APP + ".jar"))));
        assertEquals(0, world.isos("keys", "new", "dev").exit());
        Path signed = root.resolve("echo-signed.jar");
        World.Run sign = world.isos("sign", unsigned.toString(), "--key", "dev", "-o", signed.toString());
        assertEquals(0, sign.exit(), sign::toString);
        String buyer = world.get("/v1/me", world.env("ISOS_TOKEN")).path("id").asText();
        String owner = world.ownerTokens().get(0);
        String hostId = world.get("/v1/hosts", owner).path("hosts").get(0).path("hostId").asText();

        // real money: a short lease on both hosts, CPU work on each, usage paid when the leases end
        List<JsonNode> first = deploy(signed, "20s");
        for (JsonNode lease : first) {
            try (ClientSession session = session(lease, buyer)) {
                assertEquals("submitted w", ask(session, "work w 100"));
            }
        }
        world.await("the first leases EXPIRED", Duration.ofSeconds(90), () -> states(first).values().stream()
                .allMatch("EXPIRED"::equals));
        long earned = stable("the owner's earnings settled", () -> usageSum(owner, true));
        assertTrue(earned > 0, "the owner earned something");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ISOS_CONSOLE_URL", base() + "console/");
        env.put("ISOS_SPKI", serverSpki());
        env.put("ISOS_OWNER_TOKEN", owner);
        env.put("ISOS_BUYER_TOKEN", world.env("ISOS_TOKEN"));
        env.put("ISOS_HOST_ID", hostId);
        env.put("ISOS_EXPECT_EARNINGS_MICROS", Long.toString(earned));
        env.put("ISOS_SCREENSHOTS", SCREENSHOTS.toString());

        // the owner reads the earnings chart and edits the host's policy in the page ...
        String out = browser("owner", env);
        assertTrue(out.contains("earnings chart total: " + earned + " micros"), out);
        assertTrue(out.contains("refused: ") && out.contains("maxCpuShare"), "a bad policy is refused with the reason: " + out);
        // ... and the agent runs under it: its heartbeat reports it, its status file names the directive
        JsonNode reported = host(owner, hostId).path("policy");
        assertEquals(0.8, reported.path("maxCpuShare").asDouble(), 1e-9, reported::toString);
        assertEquals(256L * 1024 * 1024, reported.path("storageQuotaBytes").asLong(), reported::toString);
        assertEquals(512L * 1024, reported.path("bandwidthCapBytesPerSecond").asLong(), reported::toString);
        assertEquals("[\"compute\",\"storage\"]", reported.path("acceptedCategories").toString());
        Properties status = agentOf(hostId);
        assertNotEquals("0", status.getProperty("directives.revision"), status::toString);
        assertEquals("", status.getProperty("directives.problem"), status::toString);

        // a lease running on the host when the owner pauses it
        List<JsonNode> second = deploy(signed, "180s");
        JsonNode onHost = second.stream().filter(l -> l.path("hostId").asText().equals(hostId)).findFirst().orElseThrow();
        try (ClientSession session = session(onHost, buyer)) {
            assertEquals("missing", ask(session, "get event.suspended"));
            out = browser("pause", env);
            assertTrue(out.contains("paused: "), out);
            Properties paused = agentOf(hostId);
            assertEquals("true", paused.getProperty("suspended"), paused::toString);
            assertTrue(paused.getProperty("suspendedReason").contains("owner's pause"), paused::toString);
            assertEquals("true", paused.getProperty("directives.paused"), paused::toString);
            // the kernel told the app, and its work waits
            assertNotEquals("missing", ask(session, "get event.suspended"), "the app was suspended");
            assertEquals("submitted p", ask(session, "work p 300"));
            Thread.sleep(4000);
            assertEquals("missing", ask(session, "get event.p.done"), "no app work runs on a paused host");
            // and the server places nothing new on it
            World.Run refused = world.isos("deploy", signed.toString(), "--hosts", "1", "--lease", "30s", "--cpu", "0.25",
                    "--storage", "1MiB", "--bandwidth", "256kbit");
            assertEquals(1, refused.exit(), "two hosts, one paused, one running the bundle already: " + refused);
            assertTrue(refused.err().contains("suspended by the owner"), refused::toString);

            out = browser("resume", env);
            assertTrue(out.contains("resumed: "), out);
            world.await("the app's work done after the resume", Duration.ofSeconds(60),
                    () -> "300".equals(askQuietly(session, "get event.p.done")));
        }
        for (JsonNode lease : second) {
            World.Run release = world.isos("release", lease.path("id").asText());
            assertEquals(0, release.exit(), release::toString);
        }
        world.await("the escrow returned", Duration.ofSeconds(60), () -> {
            try {
                return world.get("/v1/balance", world.env("ISOS_TOKEN")).path("heldMicros").asLong() == 0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        long spent = stable("the buyer's spend settled", () -> usageSum(world.env("ISOS_TOKEN"), false));
        List<String> ids = new ArrayList<>();
        first.forEach(l -> ids.add(l.path("id").asText()));
        second.forEach(l -> ids.add(l.path("id").asText()));
        env.put("ISOS_EXPECT_LEASES", String.join(",", ids));
        env.put("ISOS_EXPECT_SPEND_MICROS", Long.toString(spent));
        out = browser("buyer", env);
        assertTrue(out.contains("spend chart total: " + spent + " micros"), out);
        for (String id : ids) {
            assertTrue(out.contains("lease " + id + ": "), out);
        }
        assertTrue(Files.size(SCREENSHOTS.resolve("console-owner-earnings.png")) > 0);
    }

    /** {@code node console.mjs PHASE} with {@code env}; its output, which must end with the phase passed. */
    private static String browser(String phase, Map<String, String> env) throws Exception {
        Path log = root.resolve("browser-" + phase + ".out");
        ProcessBuilder builder = new ProcessBuilder("node", "console.mjs", phase).directory(BROWSER.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        builder.environment().put("CHROMIUM", CHROMIUM);
        Process process = builder.start();
        if (!process.waitFor(240, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("node console.mjs " + phase + " did not end in 240 s:\n" + Files.readString(log));
        }
        String out = Files.readString(log);
        System.out.println("--- browser, phase " + phase + ":\n" + out);
        assertEquals(0, process.exitValue(), "node console.mjs " + phase + ":\n" + out + "\n--- dev output:\n"
                + World.tail(world.devOutput(), 20));
        assertTrue(out.contains("phase " + phase + ": ok"), out);
        return out;
    }

    private static List<JsonNode> deploy(Path signed, String lease) throws Exception {
        World.Run deploy = world.isos("deploy", signed.toString(), "--hosts", "2", "--lease", lease, "--cpu", "0.25",
                "--storage", "1MiB", "--bandwidth", "256kbit", "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        List<JsonNode> leases = new ArrayList<>();
        deploy.json().path("leases").forEach(leases::add);
        assertEquals(2, leases.size(), deploy::toString);
        world.await("the app ACTIVE on both hosts", Duration.ofSeconds(30), () -> {
            try {
                int active = 0;
                for (Properties s : world.agentStatus().values()) {
                    for (JsonNode l : leases) {
                        active += "ACTIVE".equals(s.getProperty("app." + l.path("id").asText() + ".state")) ? 1 : 0;
                    }
                }
                return active == 2;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        return leases;
    }

    private static ClientSession session(JsonNode lease, String buyer) throws Exception {
        String[] address = lease.path("transportAddress").asText().split(":");
        return ClientSession.open(new InetSocketAddress(address[0], Integer.parseInt(address[1])), List.of(world.ca()),
                buyer, APP, lease.path("id").asText());
    }

    private static String ask(ClientSession session, String message) throws Exception {
        session.send(message.getBytes(StandardCharsets.UTF_8));
        return new String(session.receive(Duration.ofSeconds(20)), StandardCharsets.UTF_8);
    }

    private static String askQuietly(ClientSession session, String message) {
        try {
            return ask(session, message);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, String> states(List<JsonNode> leases) {
        try {
            Map<String, String> states = new LinkedHashMap<>();
            for (JsonNode lease : leases) {
                String id = lease.path("id").asText();
                states.put(id, world.get("/v1/leases/" + id, world.env("ISOS_TOKEN")).path("state").asText());
            }
            return states;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The account's usage entries from the ledger route: credited ({@code in}) or debited, in micro-credits. */
    private static long usageSum(String token, boolean in) {
        try {
            long sum = 0;
            for (JsonNode entry : world.get("/v1/ledger?limit=1000", token).path("entries")) {
                long amount = entry.path("amountMicros").asLong();
                if (entry.path("kind").asText().equals("usage") && (in ? amount > 0 : amount < 0)) {
                    sum += Math.abs(amount);
                }
            }
            return sum;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until {@code value} reads the same, above 0, twice 3 s apart; that value. */
    private static long stable(String what, java.util.function.LongSupplier value) throws InterruptedException {
        long[] last = { -1 };
        world.await(what, Duration.ofSeconds(90), () -> {
            long now = value.getAsLong();
            boolean same = now > 0 && now == last[0];
            last[0] = now;
            if (!same) {
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return same;
        });
        return last[0];
    }

    private static JsonNode host(String owner, String hostId) throws Exception {
        for (JsonNode host : world.get("/v1/hosts", owner).path("hosts")) {
            if (host.path("hostId").asText().equals(hostId)) {
                return host;
            }
        }
        throw new AssertionError("the owner has no host " + hostId);
    }

    private static Properties agentOf(String hostId) throws IOException {
        for (Properties status : world.agentStatus().values()) {
            if (hostId.equals(status.getProperty("hostId"))) {
                return status;
            }
        }
        throw new AssertionError("no agent status file names " + hostId);
    }

    private static String base() {
        String base = world.env("ISOS_SERVER");
        return base.endsWith("/") ? base : base + "/";
    }

    /** Base64 of the SHA-256 of the server certificate's public key, as Chromium's SPKI allow-list takes it. */
    private static String serverSpki() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("isos-ca", world.ca());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        URI uri = URI.create(base());
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(uri.getHost(), uri.getPort())) {
            socket.startHandshake();
            Certificate leaf = socket.getSession().getPeerCertificates()[0];
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(leaf.getPublicKey().getEncoded()));
        }
    }
}
