package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import org.isos.agent.e2e.AgentProcess.Outcome;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real agent process for the class: leases handed over through its inbox, signed apps reached
 * over TLS, bundles it must refuse, and the owner coming back to the machine.
 */
@TestInstance(Lifecycle.PER_CLASS)
class InboxE2ETest {

    static final String ECHO = "isos.testapp.echo";
    static final Duration PROCESSING = Duration.ofSeconds(30);

    @TempDir
    static Path root;
    AgentProcess agent;
    byte[] echo;

    @BeforeAll
    void startAgent() throws Exception {
        echo = Jars.app(ECHO);
        agent = new AgentProcess(root.resolve("agent"), Map.of()).start();
        agent.awaitReady(Duration.ofSeconds(60));
    }

    @AfterAll
    void stopAgent() throws Exception {
        if (agent != null) {
            agent.kill();
        }
    }

    private AppClient client() throws Exception {
        return AppClient.connect(agent.transport(), AgentProcess.pki().resolve("ca.pem"), "buyer-a", ECHO);
    }

    /** Hands {@code jar} over under a fresh lease of {@code seconds}; returns the lease id once it is ACTIVE. */
    private String host(String id, byte[] jar, long seconds) throws Exception {
        agent.drop(id + ".jar", jar);
        agent.dropLease(id, AgentProcess.hostLease(id, "buyer-a", ECHO, seconds, id + ".jar"));
        assertDone(agent.awaitProcessed(id + ".lease", PROCESSING));
        agent.awaitStatus(id + " ACTIVE", PROCESSING, s -> "ACTIVE".equals(s.getProperty("app." + id + ".state")));
        return id;
    }

    private void end(String id) throws Exception {
        agent.dropLease(id + "-end", Map.of("action", "end", "id", id, "reason", "test over"));
        assertDone(agent.awaitProcessed(id + "-end.lease", PROCESSING));
        agent.awaitStatus(id + " gone", PROCESSING, s -> s.getProperty("app." + id + ".state") == null);
    }

    @Test
    void aLeaseDroppedIntoTheInboxRunsTheSignedAppForItsClients() throws Exception {
        String lease = host("lease-talk", echo, 300);
        Properties status = agent.status();
        assertEquals(ECHO, status.getProperty("app." + lease + ".app"));
        assertEquals("buyer-a", status.getProperty("app." + lease + ".buyer"));
        assertTrue(Files.exists(agent.inbox().resolve("done/" + lease + ".jar")), "the jar went with its lease file");
        try (AppClient client = client()) {
            assertTrue(client.ask("lease").startsWith(lease + " buyer-a "));
            assertEquals("ok", client.ask("put greeting hello from outside"));
            assertEquals("hello from outside", client.ask("get greeting"));
            assertEquals("submitted w1", client.ask("work w1 20"));
            eventually("task w1 done", () -> client.ask("get event.w1.done").equals("20"));
            assertEquals("echo:anything else", client.ask("anything else"));
        }
        end(lease);
        assertFalse(Files.exists(agent.kernelData().resolve("stores").resolve(lease)), "the store goes with the lease");
    }

    @Test
    void refusedBundlesAndBadLeaseFilesAreFiledWithTheirReasonAndTheAgentRunsOn() throws Exception {
        agent.drop("tampered.jar", TestJars.tampered(echo));
        agent.dropLease("tampered", AgentProcess.hostLease("lease-tampered", "buyer-a", ECHO, 300, "tampered.jar"));
        agent.drop("buyer-b.jar", Jars.pki().sign(TestJars.unsigned(echo), "buyer-b"));
        agent.dropLease("wrong-buyer", AgentProcess.hostLease("lease-wrong-buyer", "buyer-a", ECHO, 300, "buyer-b.jar"));
        Map<String, String> bad = new java.util.LinkedHashMap<>(AgentProcess.hostLease("lease-bad", "buyer-a", ECHO, 300,
                "missing.jar"));
        bad.remove("buyer");
        bad.put("cpuShare", "2");
        agent.dropLease("bad", bad);

        Outcome tampered = agent.awaitProcessed("tampered.lease", PROCESSING);
        assertFalse(tampered.done());
        assertTrue(tampered.reason().startsWith("TAMPERED: "), tampered.reason());
        assertTrue(Files.exists(agent.inbox().resolve("refused/tampered.jar")));
        Outcome wrongBuyer = agent.awaitProcessed("wrong-buyer.lease", PROCESSING);
        assertFalse(wrongBuyer.done());
        assertTrue(wrongBuyer.reason().startsWith("WRONG_BUYER: "), wrongBuyer.reason());
        Outcome bad2 = agent.awaitProcessed("bad.lease", PROCESSING);
        assertFalse(bad2.done());
        assertTrue(bad2.reason().startsWith("BAD_INPUT: ") && bad2.reason().contains("buyer missing")
                && bad2.reason().contains("cpuShare"), bad2.reason());

        Properties status = agent.status();
        for (String id : new String[] { "lease-tampered", "lease-wrong-buyer", "lease-bad" }) {
            assertTrue(status.getProperty("app." + id + ".state") == null, id + " is not hosted");
            assertFalse(Files.exists(agent.kernelData().resolve("stores").resolve(id)));
        }
        // the agent runs on: the next good lease is hosted
        assertTrue(agent.alive());
        String lease = host("lease-after-refusals", echo, 300);
        try (AppClient client = client()) {
            assertEquals("ok", client.ask("put still here"));
        }
        end(lease);
    }

    @Test
    void ownerActivitySuspendsAppWorkUntilTheIdlePeriodHasPassed() throws Exception {
        String lease = host("lease-owner", echo, 300);
        try (AppClient client = client()) {
            agent.drop("owner.activity", "owner typing in the editor\n".getBytes());
            assertDone(agent.awaitProcessed("owner.activity", PROCESSING));
            // idle period 2 s (AgentProcess): suspended, then resumed on its own
            agent.awaitStatus("suspended for the owner", PROCESSING, s -> "true".equals(s.getProperty("suspended"))
                    && "owner typing in the editor".equals(s.getProperty("suspendedReason")));
            eventually("the app was told", () -> client.ask("get event.suspended").equals("owner typing in the editor"));
            assertEquals("submitted w2", client.ask("work w2 5"));
            agent.awaitStatus("resumed after the idle period", PROCESSING,
                    s -> "false".equals(s.getProperty("suspended")));
            eventually("the app was told", () -> client.ask("get event.resumed").equals("yes"));
            eventually("work submitted while suspended ran after", () -> client.ask("get event.w2.done").equals("5"));
        }
        end(lease);
    }

    static void assertDone(Outcome outcome) {
        assertTrue(outcome.done(), "refused: " + outcome.reason());
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void eventually(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not within 20 s: " + what);
    }
}
