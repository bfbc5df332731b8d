package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.isos.apps.backup.client.BackupClient;
import org.isos.apps.backup.client.BackupException;
import org.isos.apps.backup.client.BackupOptions;
import org.isos.apps.backup.client.FileHealth;
import org.isos.apps.backup.client.RepairReport;
import org.isos.apps.backup.client.SessionHolder;
import org.isos.apps.backup.client.StoredFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup client against the backup app on real secure agents (never more than four running at once): a buyer
 * leases the app onto each through its inbox; the client stores a multi-segment file 2-of-4 over four agents; two
 * are killed; a fresh client, with only the secret, the backup's name and the holders, finds the manifest on the two
 * left, restores the file byte for byte, and its audit names the killed holders' fragments as missing. Two new agents
 * come up, a repair regenerates the lost fragments onto them (back to four per segment), the two old survivors are
 * killed too, and the file comes back from the two fragments per segment that the new agents hold.
 */
class BackupClientE2ETest {

    static final String APP = "isos.apps.backup";
    static final String LEASE = "backup";
    static final String BUYER = "buyer-a";
    static final int SIZE = 5_000_003; // three segments of a 2-of-4 code (about 2 MiB each), the last one short
    static final char[] SECRET = "e2e backup secret".toCharArray();
    static final BackupOptions OPTIONS = BackupOptions.defaults().withCode(2, 4).withoutFallback();

    @TempDir
    Path root;

    /** Agents by holder id, in start order; killed ones stay listed (the client must cope with them). */
    final Map<String, AgentProcess> agents = new LinkedHashMap<>();
    /** Transport addresses, read while each agent was up. */
    final Map<String, InetSocketAddress> transports = new LinkedHashMap<>();
    final List<SessionHolder> opened = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        opened.forEach(SessionHolder::close);
        for (AgentProcess a : agents.values()) {
            a.close();
        }
    }

    @Test
    void aFileSurvivesTwoOfFourHostsKilledAndRepairRestoresItsRedundancy() throws Exception {
        long start = System.nanoTime();
        byte[] app = Jars.pki().sign(Jars.app(APP), BUYER);
        startAgents(app, "agent-0", "agent-1", "agent-2", "agent-3");
        phase("four agents up, the backup app ACTIVE on each", start);

        byte[] data = new byte[SIZE];
        new Random(42).nextBytes(data);
        Path file = root.resolve("archive.bin");
        Files.write(file, data);
        StoredFile stored;
        List<long[]> progress = new ArrayList<>();
        try (BackupClient client = BackupClient.open("e2e", SECRET, holders(), OPTIONS)) {
            long put = System.nanoTime();
            stored = client.put(file, (done, total) -> progress.add(new long[] { done, total }));
            phase("put " + SIZE + " bytes 2-of-4", put);
            assertEquals(2, stored.k());
            assertEquals(4, stored.n());
            assertEquals(3, stored.segments());
            assertEquals(SIZE, progress.get(progress.size() - 1)[0]);
            FileHealth health = client.verify(stored.id());
            assertTrue(health.intact(), health.toString());
        }

        kill("agent-0", "agent-1");
        Set<String> killed = Set.of("agent-0", "agent-1");
        long lookup = System.nanoTime();
        try (BackupClient fresh = BackupClient.open("e2e", SECRET, holders(), OPTIONS)) {
            assertEquals(List.of(stored), fresh.list());
            phase("a fresh client found the manifest on the two agents left", lookup);
            long get = System.nanoTime();
            Path out = root.resolve("restored.bin");
            fresh.get(stored.id(), out, null);
            phase("get from the two agents left", get);
            assertArrayEquals(data, Files.readAllBytes(out));

            FileHealth health = fresh.verify(stored.id());
            assertTrue(health.recoverable(), health.toString());
            assertEquals(3 * 2, health.missing(), health.toString());
            assertEquals(3 * 2, health.healthy(), health.toString());
            assertEquals(0, health.corrupt(), health.toString());
            for (FileHealth.SegmentReport s : health.segments()) {
                for (int i : s.missing()) {
                    assertTrue(killed.contains(s.holders().get(i)), "missing fragment " + i + " on " + s.holders());
                }
                for (int i : s.healthy()) {
                    assertFalse(killed.contains(s.holders().get(i)), "healthy fragment " + i + " on " + s.holders());
                }
            }

            // two new hosts: repair regenerates the six lost fragments onto them
            long repair = System.nanoTime();
            startAgents(app, "agent-4", "agent-5");
            RepairReport report = fresh.repair(holders(List.of("agent-4", "agent-5")));
            phase("two new agents up and the repair done", repair);
            assertTrue(report.complete(), report.toString());
            assertEquals(6, report.regenerated());
            FileHealth after = fresh.verify(stored.id());
            assertTrue(after.intact(), after.toString());
            for (FileHealth.SegmentReport s : after.segments()) {
                assertEquals(Set.of("agent-2", "agent-3", "agent-4", "agent-5"), new HashSet<>(s.holders()));
            }
        }

        // the old survivors go too: the repaired copies and the re-stored manifest carry the file
        kill("agent-2", "agent-3");
        try (BackupClient fresh = BackupClient.open("e2e", SECRET, holders(), OPTIONS)) {
            Path out = root.resolve("restored-again.bin");
            fresh.get(stored.id(), out, null);
            assertArrayEquals(data, Files.readAllBytes(out));
        }

        // a wrong secret finds nothing, and writes nothing
        try (BackupClient wrong = BackupClient.open("e2e", "guess".toCharArray(), holders(), OPTIONS)) {
            Path out = root.resolve("wrong.bin");
            BackupException e = assertThrows(BackupException.class, () -> wrong.get(stored.id(), out, null));
            assertTrue(e.getMessage().startsWith(BackupException.WRONG_SECRET), e.getMessage());
            assertFalse(Files.exists(out));
        }
        phase("the whole test", start);
    }

    /** Starts agents, leases the signed backup app onto each (64 MiB quota) and waits until it is ACTIVE. */
    private void startAgents(byte[] app, String... ids) throws Exception {
        for (String id : ids) {
            agents.put(id, new AgentProcess(root.resolve(id), Map.of()).secure().start());
        }
        for (String id : ids) {
            AgentProcess agent = agents.get(id);
            agent.awaitReady(Duration.ofSeconds(90));
            agent.drop("backup.jar", app);
            Map<String, String> lease = AgentProcess.hostLease(LEASE, BUYER, APP, 600, "backup.jar");
            lease.put("storageQuotaBytes", Long.toString(64L << 20));
            lease.put("bandwidthBytesPerSecond", Long.toString(64L << 20));
            agent.dropLease(LEASE, lease);
        }
        for (String id : ids) {
            AgentProcess agent = agents.get(id);
            agent.awaitStatus("backup app ACTIVE", Duration.ofSeconds(60),
                    s -> "ACTIVE".equals(s.getProperty("app." + LEASE + ".state")));
            transports.put(id, agent.transport());
        }
    }

    private void kill(String... ids) throws InterruptedException {
        for (String id : ids) {
            agents.get(id).kill();
        }
    }

    /** A holder for every agent started so far, killed ones included: each its own host and owner. */
    private List<SessionHolder> holders() throws Exception {
        return holders(List.copyOf(transports.keySet()));
    }

    private List<SessionHolder> holders(List<String> ids) throws Exception {
        List<X509Certificate> ca = List.of(Jars.pki().certificate("ca"));
        List<SessionHolder> made = new ArrayList<>();
        for (String id : ids) {
            made.add(new SessionHolder(id, "owner-" + id, transports.get(id), ca, BUYER, LEASE, Duration.ofSeconds(30)));
        }
        opened.addAll(made);
        return made;
    }

    private static void phase(String what, long since) {
        System.out.printf("BackupClientE2ETest: %s: %d ms%n", what, (System.nanoTime() - since) / 1_000_000);
    }
}
