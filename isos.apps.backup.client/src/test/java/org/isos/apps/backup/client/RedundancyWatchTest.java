package org.isos.apps.backup.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scheduled audits and repair over in-memory holders (4-of-8, 64 KiB segments). */
class RedundancyWatchTest {

    static final char[] SECRET = "watch them".toCharArray();
    static final BackupOptions OPTIONS = BackupOptions.defaults().withCode(4, 8).withSegmentBytes(64 * 1024)
            .withAuditBlocks(1024);

    @TempDir
    Path dir;

    private Path file(String name, int size, long seed) throws IOException {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }

    @Test
    void repairsOnlyWhenAFileFallsBelowTheThresholdAndReportsHealthPerFile() throws Exception {
        List<MemoryHolder> holders = BackupClientTest.holders(8, "h");
        List<MemoryHolder> spares = BackupClientTest.holders(4, "spare");
        try (BackupClient client = BackupClient.open("w", SECRET, holders, OPTIONS)) {
            StoredFile a = client.put(file("a", 200_000, 1), null);
            StoredFile b = client.put(file("b", 10_000, 2), null);
            AtomicInteger repairs = new AtomicInteger();
            RedundancyWatch.Repairer repairer = health -> {
                repairs.incrementAndGet();
                return client.repair(List.of(spares.remove(0)));
            };
            RedundancyWatch tolerant = new RedundancyWatch(client, 2); // 4-of-8: two of four spare may go

            RedundancyWatch.Round first = tolerant.round(1, repairer);
            assertTrue(first.healthy(), first.toString());
            assertEquals(List.of(a.id(), b.id()), first.files().stream().map(FileHealth::fileId).toList());
            assertTrue(first.files().stream().allMatch(h -> h.spare() == 4 && h.designedSpare() == 4));
            assertFalse(first.repaired());

            holders.get(0).offline = true; // one host gone: 3 spare left, above the threshold
            RedundancyWatch.Round second = tolerant.round(2, repairer);
            assertFalse(second.healthy());
            assertTrue(second.files().stream().allMatch(h -> h.spare() == 3), second.toString());
            assertEquals(List.of(), second.belowThreshold());
            assertFalse(second.repaired());
            assertEquals(0, repairs.get());

            holders.get(1).store.clear(); // a second lost its disk, a third rots: 1 spare left, below 2
            holders.get(2).store.replaceAll((id, bytes) -> {
                byte[] c = bytes.clone();
                c[c.length / 2] ^= 1;
                return c;
            });
            RedundancyWatch.Round third = tolerant.round(3, health -> {
                repairs.incrementAndGet();
                return client.repair(List.of(spares.remove(0), spares.remove(0), spares.remove(0)));
            });
            assertEquals(List.of(a.id(), b.id()), third.belowThreshold(), third.toString());
            assertTrue(third.files().stream().allMatch(h -> h.spare() == 1), third.toString());
            assertTrue(third.repaired(), third.toString());
            assertTrue(third.repair().complete(), third.repair().toString());
            assertEquals(1, repairs.get());

            RedundancyWatch.Round fourth = tolerant.round(4, repairer);
            assertTrue(fourth.healthy(), fourth.toString());
            assertFalse(fourth.repaired());
        }
    }

    @Test
    void fullThresholdRepairsAnyLossAndRunCountsRoundsAndReportsFailures() throws Exception {
        List<MemoryHolder> holders = BackupClientTest.holders(8, "h");
        try (BackupClient client = BackupClient.open("w2", SECRET, holders, OPTIONS)) {
            client.put(file("c", 100_000, 3), null);
            holders.get(5).offline = true;
            RedundancyWatch full = new RedundancyWatch(client, RedundancyWatch.FULL);
            List<RedundancyWatch.Round> rounds = new ArrayList<>();
            List<MemoryHolder> spare = new ArrayList<>(BackupClientTest.holders(1, "spare"));
            long start = System.nanoTime();
            full.run(Duration.ofMillis(50), 3, health -> client.repair(spare.isEmpty() ? List.of() : List.of(spare.remove(0))),
                    rounds::add);
            assertTrue(System.nanoTime() - start >= 100_000_000L, "three rounds 50 ms apart");
            assertEquals(List.of(1, 2, 3), rounds.stream().map(RedundancyWatch.Round::number).toList());
            assertTrue(rounds.get(0).repaired(), rounds.get(0).toString());
            assertTrue(rounds.get(0).repair().complete());
            assertTrue(rounds.get(1).healthy(), rounds.get(1).toString());
            assertTrue(rounds.get(2).healthy());

            // a repair that throws is reported, not fatal
            holders.get(6).offline = true;
            RedundancyWatch.Round failed = full.round(9, health -> {
                throw new IOException("no hosts to lease");
            });
            assertNull(failed.repair());
            assertEquals("repair failed: no hosts to lease", failed.problem());
            assertEquals(1, failed.belowThreshold().size());
        }
        assertThrows(NullPointerException.class, () -> new RedundancyWatch(null, 0));
    }

    @Test
    void refusesBadArguments() throws Exception {
        try (BackupClient client = BackupClient.open("w3", SECRET, BackupClientTest.holders(8, "h"), OPTIONS)) {
            assertThrows(IllegalArgumentException.class, () -> new RedundancyWatch(client, -2));
            RedundancyWatch w = new RedundancyWatch(client, 0);
            assertThrows(IllegalArgumentException.class, () -> w.run(Duration.ZERO, 1, h -> null, r -> { }));
            assertThrows(IllegalArgumentException.class, () -> w.run(Duration.ofSeconds(1), -1, h -> null, r -> { }));
        }
    }
}
