package org.isos.apps.backup.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup client over in-memory holders that behave like the backup app's host side. */
class BackupClientTest {

    static final int SEGMENT = 64 * 1024;
    static final char[] SECRET = "correct horse battery staple".toCharArray();
    static final BackupOptions OPTIONS = BackupOptions.defaults().withCode(4, 8).withSegmentBytes(SEGMENT);

    @TempDir
    Path dir;

    static List<MemoryHolder> holders(int count, String prefix) {
        List<MemoryHolder> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(new MemoryHolder(prefix + i, "owner-" + prefix + i));
        }
        return all;
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    Path write(String name, byte[] content) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    @Test
    void roundTripsEmptyOneByteOneSegmentAndSeveralSegmentsPlusOne() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        int[] sizes = { 0, 1, SEGMENT, 3 * SEGMENT + 1 };
        try (BackupClient client = BackupClient.open("photos", SECRET, holders, OPTIONS)) {
            List<StoredFile> stored = new ArrayList<>();
            for (int size : sizes) {
                stored.add(client.put(write("in-" + size, random(size, size)), null));
            }
            assertEquals(List.of(0, 1, 1, 4), stored.stream().map(StoredFile::segments).toList());
            assertEquals(stored, client.list());
            for (int i = 0; i < sizes.length; i++) {
                StoredFile f = stored.get(i);
                assertEquals(4, f.k());
                assertEquals(8, f.n());
                assertEquals("in-" + sizes[i], f.name());
                Path out = dir.resolve("out-" + sizes[i]);
                client.get(f.id(), out, null);
                assertArrayEquals(random(sizes[i], sizes[i]), Files.readAllBytes(out), "size " + sizes[i]);
            }
        }
    }

    @Test
    void progressIsReportedUpToTheTotal() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        int size = 2 * SEGMENT + 5;
        List<long[]> puts = Collections.synchronizedList(new ArrayList<>());
        List<long[]> gets = Collections.synchronizedList(new ArrayList<>());
        try (BackupClient client = BackupClient.open("progress", SECRET, holders, OPTIONS)) {
            StoredFile f = client.put(new ByteArrayInputStream(random(size, 1)), "stream", -1,
                    (done, total) -> puts.add(new long[] { done, total }));
            assertEquals(size, f.size());
            client.get(f.id(), dir.resolve("out"), (done, total) -> gets.add(new long[] { done, total }));
        }
        for (List<long[]> events : List.of(puts, gets)) {
            long last = -1;
            for (long[] e : events) {
                assertTrue(e[0] >= last, "progress went back");
                last = e[0];
            }
            assertEquals(size, last);
        }
        assertEquals(-1, puts.get(0)[1], "a stream's total is unknown while it is read");
        assertEquals(size, puts.get(puts.size() - 1)[1]);
        assertEquals(size, gets.get(0)[1]);
    }

    @Test
    void aWrongSecretGetsAClearErrorAndNoOutputFile() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        Path cache = dir.resolve("cache");
        String id;
        try (BackupClient client = BackupClient.open("docs", SECRET, holders, OPTIONS.withCacheDirectory(cache))) {
            id = client.put(write("secret.txt", random(1000, 7)), null).id();
        }
        Path out = dir.resolve("restored.txt");
        // with the local cache: it does not open
        try (BackupClient wrong = BackupClient.open("docs", "not it".toCharArray(), holders,
                OPTIONS.withCacheDirectory(cache))) {
            BackupException e = assertThrows(BackupException.class, () -> wrong.get(id, out, null));
            assertTrue(e.getMessage().startsWith(BackupException.WRONG_SECRET), e.getMessage());
        }
        // from the holders alone: nothing there opens with it
        try (BackupClient wrong = BackupClient.open("docs", "not it".toCharArray(), holders, OPTIONS)) {
            BackupException e = assertThrows(BackupException.class, () -> wrong.get(id, out, null));
            assertTrue(e.getMessage().startsWith(BackupException.WRONG_SECRET), e.getMessage());
            assertThrows(BackupException.class, wrong::list);
        }
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("restored")), "a temp file was left");
        }
    }

    @Test
    void anyNMinusKHoldersLostStillRestoresAndOneMoreIsAClearError() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        byte[] data = random(2 * SEGMENT + 77, 3);
        String id;
        try (BackupClient client = BackupClient.open("lossy", SECRET, holders, OPTIONS)) {
            id = client.put(write("data", data), null).id();
        }
        Random pick = new Random(11);
        for (int trial = 0; trial < 6; trial++) {
            List<MemoryHolder> shuffled = new ArrayList<>(holders);
            Collections.shuffle(shuffled, pick);
            shuffled.subList(0, 4).forEach(h -> h.offline = true);
            // a fresh client: the manifest too must come back from the holders that are left
            try (BackupClient client = BackupClient.open("lossy", SECRET, holders, OPTIONS)) {
                Path out = dir.resolve("out-" + trial);
                client.get(id, out, null);
                assertArrayEquals(data, Files.readAllBytes(out), "trial " + trial);
                FileHealth health = client.verify(id);
                assertTrue(health.recoverable());
                assertEquals(3 * 4, health.missing(), health.toString());
                assertEquals(3 * 4, health.healthy());
            }
            holders.forEach(h -> h.offline = false);
        }
        try (BackupClient client = BackupClient.open("lossy", SECRET, holders, OPTIONS)) {
            client.list(); // manifest in hand
            for (int i = 0; i < 5; i++) {
                holders.get(i).offline = true;
            }
            Path out = dir.resolve("too-few");
            BackupException e = assertThrows(BackupException.class, () -> client.get(id, out, null));
            assertTrue(e.getMessage().contains("only 3 of the 4 fragments needed could be read"), e.getMessage());
            assertFalse(Files.exists(out));
            FileHealth health = client.verify(id);
            assertFalse(health.recoverable(), health.toString());
        }
    }

    @Test
    void aFlippedByteIsCaughtByItsHashAndByAuditAndTheFileStillRestores() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        byte[] data = random(SEGMENT + 3, 5);
        BackupOptions everyBlock = OPTIONS.withAuditBlocks(1024);
        try (BackupClient client = BackupClient.open("rot", SECRET, holders, everyBlock)) {
            StoredFile f = client.put(write("data", data), null);
            String fragment = client.fragmentIds(f.id()).get(0).get(0); // a data fragment: read first
            MemoryHolder holder = holders.stream().filter(h -> h.store.containsKey(fragment)).findFirst()
                    .orElseThrow();
            holder.store.get(fragment)[100] ^= 0x01;
            holder.unchecked = true; // the host serves the bad copy: the client must catch it by its hash
            Path out = dir.resolve("out");
            client.get(f.id(), out, null);
            assertArrayEquals(data, Files.readAllBytes(out));

            FileHealth health = client.verify(f.id());
            assertEquals(List.of(0), health.segments().get(0).corrupt(), health.toString());
            assertEquals(holder.hostId(), health.segments().get(0).holders().get(0));
            assertEquals(f.n() * f.segments() - 1, health.healthy());
            assertTrue(health.recoverable());
        }
    }

    @Test
    void repairRestoresFullRedundancyOnNewHolders() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        byte[] data = random(3 * SEGMENT, 9);
        try (BackupClient client = BackupClient.open("fix", SECRET, holders, OPTIONS.withAuditBlocks(1024))) {
            StoredFile f = client.put(write("data", data), null);
            holders.get(0).offline = true;
            holders.get(1).store.clear(); // lost its disk
            MemoryHolder rotten = holders.get(2);
            rotten.store.replaceAll((id, bytes) -> {
                byte[] b = bytes.clone();
                b[0] ^= 1;
                return b;
            });
            FileHealth before = client.verify(f.id());
            assertFalse(before.intact());
            assertTrue(before.recoverable());

            List<MemoryHolder> fresh = holders(3, "new");
            RepairReport report = client.repair(fresh);
            assertTrue(report.complete(), report.toString());
            assertEquals(before.missing() + before.corrupt(), report.regenerated());

            FileHealth after = client.verify(f.id());
            assertTrue(after.intact(), after.toString());
            Set<String> used = new HashSet<>();
            after.segments().forEach(s -> used.addAll(s.holders()));
            assertFalse(used.contains("h0") || used.contains("h1") || used.contains("h2"), used.toString());
            // four more holders go: the repaired copies carry the file
            for (int i = 3; i < 7; i++) {
                holders.get(i).offline = true;
            }
            Path out = dir.resolve("out");
            client.get(f.id(), out, null);
            assertArrayEquals(data, Files.readAllBytes(out));
        }
        // and a fresh client finds the repaired manifest
        List<FragmentHolder> all = new ArrayList<>(holders);
        try (BackupClient client = BackupClient.open("fix", SECRET, all, OPTIONS)) {
            assertEquals(1, client.list().size());
        }
    }

    @Test
    void repairStoresTheManifestAgainWhenOnlyItsHoldersWereLost() throws Exception {
        List<MemoryHolder> holders = holders(10, "h");
        String id;
        try (BackupClient client = BackupClient.open("meta", SECRET, holders, OPTIONS)) {
            id = client.put(write("one", random(1000, 1)), null).id();
        }
        MemoryHolder bystander;
        try (BackupClient client = BackupClient.open("meta", SECRET, holders, OPTIONS)) {
            Set<String> fileHolders = new HashSet<>(client.verify(id).segments().get(0).holders());
            bystander = holders.stream().filter(h -> !fileHolders.contains(h.hostId())).findFirst().orElseThrow();
            assertFalse(bystander.store.isEmpty(), "the manifest is spread over all ten holders");
        }
        bystander.offline = true;
        int before = holders.stream().mapToInt(h -> h.puts.get()).sum();
        try (BackupClient client = BackupClient.open("meta", SECRET, holders, OPTIONS)) {
            RepairReport report = client.repair(List.of());
            assertEquals(0, report.regenerated(), report.toString());
            assertTrue(report.complete());
        }
        assertTrue(holders.stream().mapToInt(h -> h.puts.get()).sum() > before, "the manifest was not stored again");
        bystander.offline = false;
        bystander.store.clear(); // it comes back empty: the new generation does not need it
        try (BackupClient client = BackupClient.open("meta", SECRET, holders, OPTIONS)) {
            client.get(id, dir.resolve("one.out"), null);
            assertArrayEquals(random(1000, 1), Files.readAllBytes(dir.resolve("one.out")));
        }
    }

    @Test
    void theManifestIsFoundFromTheSecretAndNameAlone() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        byte[] a = random(10_000, 1);
        byte[] b = random(SEGMENT * 2, 2);
        try (BackupClient client = BackupClient.open("home", SECRET, holders, OPTIONS)) {
            client.put(write("a", a), null);
            client.put(write("b", b), null);
        }
        List<StoredFile> files;
        try (BackupClient fresh = BackupClient.open("home", SECRET, holders, OPTIONS)) {
            files = fresh.list();
            assertEquals(List.of("a", "b"), files.stream().map(StoredFile::name).toList());
            fresh.get(files.get(1).id(), dir.resolve("b.out"), null);
            assertArrayEquals(b, Files.readAllBytes(dir.resolve("b.out")));
            fresh.put(write("c", a), null);
        }
        try (BackupClient third = BackupClient.open("home", SECRET, holders, OPTIONS)) {
            assertEquals(List.of("a", "b", "c"), third.list().stream().map(StoredFile::name).toList());
        }
        // another backup name under the same secret is another backup
        try (BackupClient other = BackupClient.open("work", SECRET, holders, OPTIONS)) {
            BackupException e = assertThrows(BackupException.class, other::list);
            assertTrue(e.getMessage().contains("no manifest of backup 'work'"), e.getMessage());
        }
        // superseded generations' manifests are deleted: the holders keep one manifest's worth, not three
        long heads = holders.stream().mapToLong(h -> h.store.size()).sum();
        assertTrue(heads < 1200, "holders keep " + heads + " fragments");
    }

    @Test
    void theHostsHoldOnlyCiphertext() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 3 * SEGMENT; i++) {
            text.append("Line ").append(i).append(": the quick brown fox jumps over the lazy dog.\n");
        }
        byte[] plain = text.toString().getBytes(StandardCharsets.UTF_8);
        try (BackupClient client = BackupClient.open("text", SECRET, holders, OPTIONS)) {
            client.put(write("notes.txt", plain), null);
        }
        // every 16-byte window of the input at an offset that is a multiple of 16: any run of 32 plaintext bytes
        // in a fragment contains one of them
        Set<ByteBuffer> windows = new HashSet<>();
        for (int i = 0; i + 16 <= plain.length; i += 16) {
            windows.add(ByteBuffer.wrap(plain, i, 16).slice());
        }
        byte[] name = "notes.txt".getBytes(StandardCharsets.UTF_8);
        int fragments = 0;
        for (MemoryHolder h : holders) {
            for (byte[] stored : h.store.values()) {
                fragments++;
                for (int i = 0; i + 16 <= stored.length; i++) {
                    assertFalse(windows.contains(ByteBuffer.wrap(stored, i, 16).slice()),
                            "plaintext at offset " + i + " of a fragment on " + h.hostId());
                }
                assertEquals(-1, indexOf(stored, name), "the file name in clear on " + h.hostId());
            }
        }
        assertTrue(fragments > 4 * 8, "fragments: " + fragments);
    }

    @Test
    void tooFewHoldersFallBackToASmallerCodeOrAreRefusedClearly() throws Exception {
        List<MemoryHolder> holders = holders(6, "h");
        byte[] data = random(5000, 4);
        BackupOptions strict = BackupOptions.defaults().withoutFallback();
        try (BackupClient client = BackupClient.open("small", SECRET, holders, strict)) {
            BackupException e = assertThrows(BackupException.class, () -> client.put(write("d", data), null));
            assertEquals("a 16-of-64 code needs 64 holders, have 6 usable (allow the fallback, or lease more hosts)",
                    e.getMessage());
        }
        try (BackupClient client = BackupClient.open("small", SECRET, holders, BackupOptions.defaults())) {
            StoredFile f = client.put(write("d", data), null);
            assertEquals(1, f.k());
            assertEquals(6, f.n());
            client.get(f.id(), dir.resolve("d.out"), null);
            assertArrayEquals(data, Files.readAllBytes(dir.resolve("d.out")));
        }
        try (BackupClient client = BackupClient.open("tiny", SECRET, holders(1, "x"), BackupOptions.defaults())) {
            BackupException e = assertThrows(BackupException.class, () -> client.put(write("e", data), null));
            assertTrue(e.getMessage().startsWith("need at least 2 holders"), e.getMessage());
        }
    }

    @Test
    void defaultCodeIs16Of64AndFragmentsFitOneMessage() throws Exception {
        List<MemoryHolder> holders = holders(64, "h");
        byte[] data = random(BackupOptions.DEFAULT_SEGMENT_BYTES + 1, 6);
        try (BackupClient client = BackupClient.open("big", SECRET, holders, BackupOptions.defaults())) {
            StoredFile f = client.put(write("big", data), null);
            assertEquals(16, f.k());
            assertEquals(64, f.n());
            assertEquals(2, f.segments());
            for (MemoryHolder h : holders) {
                for (byte[] stored : h.store.values()) {
                    assertTrue(stored.length <= BackupOptions.MAX_FRAGMENT_BYTES);
                }
            }
            // a 2-of-4 code caps the segment so that a fragment still fits one message
            assertTrue(2L * BackupOptions.MAX_FRAGMENT_BYTES - 16 == BackupOptions.defaults().withCode(2, 4)
                    .effectiveSegmentBytes(2));
            // the placement spread them: 64 distinct holders per segment
            for (int s = 0; s < 2; s++) {
                assertEquals(64, new HashSet<>(client.verify(f.id()).segments().get(s).holders()).size());
            }
            client.get(f.id(), dir.resolve("big.out"), null);
            assertArrayEquals(data, Files.readAllBytes(dir.resolve("big.out")));
        }
    }

    @Test
    void unreachableHoldersAreNotTakenForAWrongSecretAndTheCacheStillLists() throws Exception {
        List<MemoryHolder> holders = holders(4, "h");
        Path cache = dir.resolve("cache");
        BackupOptions options = OPTIONS.withCode(2, 4).withCacheDirectory(cache);
        try (BackupClient client = BackupClient.open("away", SECRET, holders, options)) {
            client.put(write("f", random(100, 1)), null);
        }
        holders.forEach(h -> h.offline = true);
        try (BackupClient client = BackupClient.open("away", SECRET, holders, OPTIONS)) {
            BackupException e = assertThrows(BackupException.class, client::list);
            assertTrue(e.getMessage().startsWith("none of the 4 holders could be reached: h0: host h0 unreachable"),
                    e.getMessage());
        }
        try (BackupClient client = BackupClient.open("away", SECRET, holders, options)) {
            assertEquals(List.of("f"), client.list().stream().map(StoredFile::name).toList());
        }
        // with the holders back and nothing newer there, the cached copy is used after one batch of probes each
        holders.forEach(h -> {
            h.offline = false;
            h.gets.set(0);
        });
        try (BackupClient client = BackupClient.open("away", SECRET, holders, options)) {
            assertEquals(List.of("f"), client.list().stream().map(StoredFile::name).toList());
        }
        assertEquals(4 * 41, holders.stream().mapToInt(h -> h.gets.get()).sum());
    }

    @Test
    void getNeedsAnOutputFileInAnExistingDirectory() throws Exception {
        List<MemoryHolder> holders = holders(8, "h");
        try (BackupClient client = BackupClient.open("out", SECRET, holders, OPTIONS)) {
            String id = client.put(write("f", random(10, 1)), null).id();
            BackupException e = assertThrows(BackupException.class, () -> client.get(id, dir, null));
            assertTrue(e.getMessage().endsWith("is a directory; name a file"), e.getMessage());
            e = assertThrows(BackupException.class, () -> client.get(id, dir.resolve("no/such/f"), null));
            assertTrue(e.getMessage().startsWith("no directory "), e.getMessage());
            e = assertThrows(BackupException.class, () -> client.get("feedface", dir.resolve("x"), null));
            assertEquals("no file feedface in backup 'out' (1 files; see ls)", e.getMessage());
        }
    }

    @Test
    void manyFilesInOnePutStoreTheManifestOnce() throws Exception {
        List<Path> files = List.of(write("a", random(100, 1)), write("b", random(SEGMENT + 1, 2)),
                write("c", random(5, 3)));
        List<MemoryHolder> together = holders(8, "t");
        List<long[]> progress = new ArrayList<>();
        try (BackupClient client = BackupClient.open("many", SECRET, together, OPTIONS)) {
            List<StoredFile> stored = client.put(files, (done, total) -> progress.add(new long[] { done, total }));
            assertEquals(List.of("a", "b", "c"), stored.stream().map(StoredFile::name).toList());
        }
        long total = 100 + SEGMENT + 1 + 5;
        assertEquals(total, progress.get(progress.size() - 1)[0]);
        assertTrue(progress.stream().allMatch(p -> p[1] == total));
        List<MemoryHolder> apart = holders(8, "s");
        try (BackupClient client = BackupClient.open("many", SECRET, apart, OPTIONS)) {
            for (Path f : files) {
                client.put(f, null);
            }
        }
        int one = together.stream().mapToInt(h -> h.puts.get()).sum();
        int three = apart.stream().mapToInt(h -> h.puts.get()).sum();
        assertTrue(3 * one < 2 * three, "one call " + one + " PUTs, three calls " + three);
        try (BackupClient fresh = BackupClient.open("many", SECRET, together, OPTIONS)) {
            assertEquals(3, fresh.list().size());
            fresh.get(fresh.list().get(1).id(), dir.resolve("b.out"), null);
            assertArrayEquals(random(SEGMENT + 1, 2), Files.readAllBytes(dir.resolve("b.out")));
        }
    }

    @Test
    void aPutThatFailsMidwayLeavesNoFragmentsBehindThoughSegmentsWereInFlight() throws Exception {
        List<MemoryHolder> memory = holders(8, "h");
        java.util.concurrent.atomic.AtomicInteger allowed = new java.util.concurrent.atomic.AtomicInteger(Integer.MAX_VALUE);
        List<FragmentHolder> holders = new ArrayList<>(memory.subList(0, 7));
        MemoryHolder last = memory.get(7);
        holders.add(new FragmentHolder() { // takes a few fragments, then its disk is full
            public String hostId() { return last.hostId(); }
            public String ownerId() { return last.ownerId(); }
            public void put(String id, byte[] f) throws IOException {
                if (allowed.decrementAndGet() < 0) {
                    throw new HolderRefusal("over the quota (test)");
                }
                last.put(id, f);
            }
            public byte[] get(String id) throws IOException { return last.get(id); }
            public byte[] audit(String id, byte[] c) throws IOException { return last.audit(id, c); }
            public void delete(String id) throws IOException { last.delete(id); }
        });
        try (BackupClient client = BackupClient.open("full", SECRET, holders, OPTIONS)) {
            client.put(write("small", random(100, 1)), null);
            List<java.util.Set<String>> before = memory.stream().map(m -> java.util.Set.copyOf(m.store.keySet())).toList();
            allowed.set(5);
            BackupException e = assertThrows(BackupException.class,
                    () -> client.put(write("big", random(12 * SEGMENT + 5, 2)), null));
            assertTrue(e.getMessage().contains("over the quota (test)"), e.getMessage());
            for (int i = 0; i < memory.size(); i++) {
                assertEquals(before.get(i), memory.get(i).store.keySet(), "holder " + i + " kept fragments of the failed put");
            }
            assertEquals(1, client.list().size());
            // and a pipelined get of a many-segment file restores it
            allowed.set(Integer.MAX_VALUE);
            byte[] data = random(12 * SEGMENT + 5, 3);
            StoredFile f = client.put(write("many", data), null);
            assertEquals(13, f.segments());
            Path out = dir.resolve("many.out");
            client.get(f.id(), out, null);
            assertArrayEquals(data, Files.readAllBytes(out));
        }
    }

    @Test
    void badArgumentsAreRefusedWithAMessage() {
        List<MemoryHolder> holders = holders(4, "h");
        assertThrows(IllegalArgumentException.class, () -> BackupClient.open(" ", SECRET, holders, OPTIONS));
        assertThrows(IllegalArgumentException.class, () -> BackupClient.open("x", new char[0], holders, OPTIONS));
        List<MemoryHolder> twice = List.of(holders.get(0), new MemoryHolder("h0", "other"));
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> BackupClient.open("x", SECRET, twice, OPTIONS));
        assertEquals("two holders with host id h0", dup.getMessage());
        IllegalArgumentException weak = assertThrows(IllegalArgumentException.class,
                () -> OPTIONS.withIterations(1000));
        assertTrue(weak.getMessage().contains("below the minimum 200000"), weak.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OPTIONS.withCode(4, 4));
        assertNotNull(OPTIONS.withCode(1, 2));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
