package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a real agent in the middle of its leases, and a restart on the same data directory: what
 * is still leased runs again with its store, what expired meanwhile is finished off.
 */
class CrashRecoveryE2ETest {

    static final String ECHO = InboxE2ETest.ECHO;
    static final Duration PROCESSING = InboxE2ETest.PROCESSING;

    @TempDir
    Path root;
    AgentProcess agent;

    @AfterEach
    void killAgent() throws Exception {
        if (agent != null) {
            agent.kill();
        }
    }

    @Test
    void aKilledAgentResumesItsLeasesAndEndsTheOnesThatExpiredWhileItWasDown() throws Exception {
        agent = new AgentProcess(root.resolve("agent"), Map.of()).start();
        agent.awaitReady(Duration.ofSeconds(60));

        // "keep" outlives the crash, "brief" expires while the agent is down. Clients reach an app by
        // buyer and app name, so the brief lease is buyer-b's, with the echo app signed by buyer-b.
        byte[] echo = Jars.app(ECHO);
        agent.drop("echo-a.jar", echo);
        agent.drop("echo-b.jar", Jars.pki().sign(TestJars.unsigned(echo), "buyer-b"));
        agent.dropLease("1-keep", AgentProcess.hostLease("keep", "buyer-a", ECHO, 600, "echo-a.jar"));
        agent.dropLease("2-brief", AgentProcess.hostLease("brief", "buyer-b", ECHO, 15, "echo-b.jar"));
        InboxE2ETest.assertDone(agent.awaitProcessed("1-keep.lease", PROCESSING));
        InboxE2ETest.assertDone(agent.awaitProcessed("2-brief.lease", PROCESSING));
        Properties before = agent.awaitStatus("both ACTIVE", PROCESSING,
                s -> "ACTIVE".equals(s.getProperty("app.keep.state")) && "ACTIVE".equals(s.getProperty("app.brief.state")));
        Instant briefExpiry = Instant.parse(before.getProperty("app.brief.expiry"));
        Path stores = agent.kernelData().resolve("stores");
        try (AppClient client = AppClient.connect(agent.transport(), AgentProcess.pki().resolve("ca.pem"), "buyer-a",
                ECHO)) {
            assertEquals("ok", client.ask("put kept survives a crash"));
        }
        assertTrue(Files.exists(stores.resolve("keep").resolve("kept")));
        assertTrue(Files.exists(stores.resolve("brief")), "the brief lease's app has a store");
        assertTrue(Instant.now().isBefore(briefExpiry), "the crash must come before the brief lease expires");
        long firstPid = agent.pid();

        agent.kill();
        Duration left = Duration.between(Instant.now(), briefExpiry).plusMillis(300);
        if (!left.isNegative()) {
            Thread.sleep(left.toMillis());
        }

        agent.start();
        assertTrue(agent.pid() != firstPid);
        Properties after = agent.awaitStatus("keep ACTIVE again, brief gone", Duration.ofSeconds(60),
                s -> "ACTIVE".equals(s.getProperty("app.keep.state")) && "keep".equals(s.getProperty("apps")));
        assertEquals(before.getProperty("app.keep.expiry"), after.getProperty("app.keep.expiry"), "the same lease");
        assertEquals(before.getProperty("app.keep.bundleSha256"), after.getProperty("app.keep.bundleSha256"));
        try (AppClient client = AppClient.connect(agent.transport(), AgentProcess.pki().resolve("ca.pem"), "buyer-a",
                ECHO)) {
            assertTrue(client.ask("lease").startsWith("keep buyer-a "));
            assertEquals("survives a crash", client.ask("get kept"));
        }

        // the lease that expired while the agent was down: store deleted, final usage record written
        assertFalse(Files.exists(stores.resolve("brief")), "store of the expired lease deleted");
        assertFalse(Files.exists(agent.kernelData().resolve("leases").resolve("brief.lease")));
        List<Properties> records = records(agent.kernelData().resolve("usage").resolve("brief"));
        assertFalse(records.isEmpty(), "usage records of the expired lease");
        Properties last = records.get(records.size() - 1);
        assertEquals("true", last.getProperty("last"), "a final usage record: " + last);
        assertEquals("brief", last.getProperty("leaseId"));
        assertEquals(AgentProcess.HOST, last.getProperty("hostId"));
        assertFalse(last.getProperty("signature", "").isEmpty(), "signed by the host");
    }

    private static List<Properties> records(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".record")).sorted().map(f -> {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(f)) {
                    p.load(in);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return p;
            }).toList();
        }
    }
}
