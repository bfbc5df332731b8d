package org.isos.apps.backup.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.AEADBadTagException;

import org.isos.apps.backup.client.internal.Keys;
import org.isos.apps.backup.client.internal.Locator;
import org.isos.apps.backup.client.internal.Manifest;
import org.isos.apps.backup.client.internal.Manifest.FileEntry;
import org.isos.apps.backup.client.internal.Manifest.FragmentEntry;
import org.isos.apps.backup.client.internal.Manifest.Head;
import org.isos.apps.backup.client.internal.Manifest.SegmentEntry;
import org.isos.apps.backup.protocol.FragmentMessage;
import org.isos.toolkit.erasure.ReedSolomon;
import org.isos.toolkit.storage.AuditChallenge;
import org.isos.toolkit.storage.AuditCommitment;
import org.isos.toolkit.storage.AuditVerdict;
import org.isos.toolkit.storage.FragmentPlacement;
import org.isos.toolkit.storage.FragmentRepair;
import org.isos.toolkit.storage.FragmentStatus;
import org.isos.toolkit.storage.HolderState;
import org.isos.toolkit.storage.HostCandidate;
import org.isos.toolkit.storage.PlacementException;
import org.isos.toolkit.storage.RepairPlan;
import org.isos.toolkit.storage.RepairPlanner;
import org.isos.toolkit.storage.SegmentState;
import org.isos.toolkit.storage.StorageAudit;

/**
 * One backup (a name) of one owner (a secret) over a set of holders: put, ls, get, verify and repair.
 *
 * <p>A file is cut into segments; segment i is sealed with AES-256-GCM under the file's content key (see
 * {@link Keys}) with nonce i and AAD binding the file id, i and whether it is the last segment; the ciphertext is
 * erasure-coded k-of-n, each fragment named by its SHA-256, committed to for Merkle audits, and stored on n distinct
 * holders chosen by the toolkit's {@link FragmentPlacement}. The manifest (files → segments → fragments, holders,
 * commitments, plaintext hashes) is sealed and coded the same way, and found again through the {@link Locator}'s
 * beacons by any client with the secret, the backup's name and the holders; an encrypted copy is also kept in the
 * cache directory when there is one.
 *
 * <p>One client is not safe for concurrent use by several threads, and two clients writing the same backup at once
 * would overwrite each other's manifests (the later generation wins).
 */
public final class BackupClient implements AutoCloseable {

    private static final HexFormat HEX = HexFormat.of();
    /** Manifest code: at most this many fragments, a quarter of them needed. */
    private static final int MANIFEST_MAX_FRAGMENTS = 16;

    private final String name;
    private final Keys keys;
    private final Locator locator;
    private final BackupOptions options;
    private final Map<String, FragmentHolder> holders = new LinkedHashMap<>();
    /** Holders that failed a transfer in this client's life: placed last, not chosen as new holders. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    /** Smoothed nanoseconds per fetch, per holder: reads go to fast holders first. */
    private final Map<String, Long> latency = new ConcurrentHashMap<>();
    /** Holders among {@link #failing} that answered with a refusal: reachable, so still asked to delete. */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    private final Map<Long, ReedSolomon> codecs = new ConcurrentHashMap<>();
    private final ExecutorService transfers;
    /**
     * Whole segments in flight beside the caller's thread: a get's fetches running ahead of the segment being
     * written, a put's coding and PUTs behind the segment being read and sealed. Their tasks wait only on
     * {@link #transfers}, never on each other.
     */
    private final ExecutorService segmentFetches;
    private static final int SEGMENTS_AHEAD = 3;
    /** A put's segments being coded and stored while the next one is read and sealed. */
    private static final int SEGMENTS_BEHIND = 2;
    private final SecureRandom random = new SecureRandom();

    private Manifest manifest;
    /** Where the manifest generation in hand is stored (null before the first store or when only cached). */
    private Head head;
    private String headId;
    private List<String> locatorHolders = List.of();

    private BackupClient(String name, Keys keys, Collection<? extends FragmentHolder> holders,
            BackupOptions options) {
        this.name = name;
        this.keys = keys;
        this.locator = new Locator(keys.locatorKey());
        this.options = options;
        addHolders(holders);
        AtomicInteger count = new AtomicInteger();
        this.transfers = Executors.newFixedThreadPool(options.parallelism(), r -> {
            Thread t = new Thread(r, "isos-backup-transfer-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.segmentFetches = Executors.newFixedThreadPool(SEGMENTS_AHEAD, r -> {
            Thread t = new Thread(r, "isos-backup-segment-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A client for backup {@code backupName} under {@code secret}, over these holders. Derives the keys (PBKDF2,
     * the slow part); reads nothing yet.
     *
     * @throws IllegalArgumentException for a blank or overlong name, an empty secret, or holders with duplicate ids
     */
    public static BackupClient open(String backupName, char[] secret, Collection<? extends FragmentHolder> holders,
            BackupOptions options) {
        Objects.requireNonNull(options, "options");
        if (backupName == null || backupName.isBlank() || backupName.length() > 200) {
            throw new IllegalArgumentException("a backup name is 1..200 characters, not blank");
        }
        if (secret == null || secret.length == 0) {
            throw new IllegalArgumentException("the secret is empty");
        }
        Objects.requireNonNull(holders, "holders");
        return new BackupClient(backupName, Keys.derive(secret, backupName, options.iterations()), holders, options);
    }

    public String name() {
        return name;
    }

    /** Adds holders (e.g. hosts newly leased before a repair). */
    public void addHolders(Collection<? extends FragmentHolder> more) {
        for (FragmentHolder h : more) {
            Objects.requireNonNull(h, "holder");
            if (h.hostId() == null || h.hostId().isBlank()) {
                throw new IllegalArgumentException("a holder without a host id");
            }
            FragmentHolder old = holders.putIfAbsent(h.hostId(), h);
            if (old != null && old != h) {
                throw new IllegalArgumentException("two holders with host id " + h.hostId());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------- put

    /** Stores a file under its file name. */
    public StoredFile put(Path file, Progress progress) throws IOException {
        return put(List.of(file), progress).get(0);
    }

    /**
     * Stores files under their file names, then the manifest once (each manifest generation costs a few hundred
     * small writes on the locator holders, so many files in one call are much cheaper than one call each). Progress
     * counts the bytes of all of them. Nothing is added when any of them fails.
     */
    public List<StoredFile> put(List<Path> files, Progress progress) throws IOException {
        Objects.requireNonNull(files, "files");
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no files to store");
        }
        long total = 0;
        for (Path file : files) {
            Objects.requireNonNull(file, "file");
            if (!Files.isRegularFile(file)) {
                throw new BackupException("no file " + file);
            }
            total += Files.size(file);
        }
        Progress report = progress == null ? Progress.NONE : progress;
        manifest(true);
        List<FileEntry> entries = new ArrayList<>();
        long base = 0;
        try {
            for (Path file : files) {
                try (InputStream in = Files.newInputStream(file)) {
                    long offset = base;
                    long all = total;
                    FileEntry e = storeFile(in, file.getFileName().toString(),
                            (done, size) -> report.advanced(offset + done, all));
                    entries.add(e);
                    base += e.size;
                }
            }
        } catch (IOException | RuntimeException e) {
            entries.forEach(f -> f.segments.forEach(this::deleteQuietly));
            throw e;
        }
        commit(entries);
        report.advanced(base, base);
        return entries.stream().map(BackupClient::stored).toList();
    }

    /** Stores what {@code in} yields (to its end) under {@code fileName}; {@code size} is -1 when unknown. */
    public StoredFile put(InputStream in, String fileName, long size, Progress progress) throws IOException {
        Objects.requireNonNull(in, "input");
        Progress report = progress == null ? Progress.NONE : progress;
        manifest(true);
        FileEntry entry = storeFile(in, fileName, (done, ignored) -> report.advanced(done, size));
        commit(List.of(entry));
        report.advanced(entry.size, entry.size);
        return stored(entry);
    }

    /** Adds stored files to the manifest and stores it; on failure, takes them out and deletes their fragments. */
    private void commit(List<FileEntry> entries) throws IOException {
        manifest.files.addAll(entries);
        try {
            storeManifest();
        } catch (IOException | RuntimeException e) {
            manifest.files.removeAll(entries);
            entries.forEach(f -> f.segments.forEach(this::deleteQuietly));
            throw e;
        }
    }

    /** Segments, seals, codes and stores one file's fragments; the manifest is not touched. */
    private FileEntry storeFile(InputStream in, String fileName, Progress report) throws IOException {
        if (fileName == null || fileName.isBlank()) {
            throw new IllegalArgumentException("a stored file needs a name");
        }
        int[] code = code(usableHolders().size());
        int k = code[0];
        int n = code[1];
        int segmentBytes = options.effectiveSegmentBytes(k);
        String id;
        do {
            byte[] b = new byte[8];
            random.nextBytes(b);
            id = HEX.formatHex(b);
        } while (find(manifest, id) != null);
        byte[] salt = new byte[Keys.SALT_BYTES];
        random.nextBytes(salt);
        byte[] key = keys.contentKey(salt);
        MessageDigest digest = Keys.digest();
        List<SegmentEntry> segments = new ArrayList<>();
        // segments are coded and stored on other threads, at most SEGMENTS_BEHIND at once, while this one reads
        // and seals the next: the hashing and coding of one overlaps the PUTs of another
        java.util.ArrayDeque<Future<SegmentEntry>> inFlight = new java.util.ArrayDeque<>();
        List<Long> lengths = new ArrayList<>();
        PushbackInputStream source = new PushbackInputStream(in, 1);
        byte[] buffer = new byte[segmentBytes];
        long done = 0;
        try {
            while (true) {
                int length = source.readNBytes(buffer, 0, segmentBytes);
                if (length == 0) {
                    break;
                }
                int next = source.read();
                boolean last = next < 0;
                if (!last) {
                    source.unread(next);
                }
                digest.update(buffer, 0, length);
                int index = segments.size() + inFlight.size();
                byte[] sealed = Keys.seal(key, Keys.segmentNonce(index), segmentAad(id, index, last), buffer, 0,
                        length);
                while (inFlight.size() >= SEGMENTS_BEHIND) {
                    segments.add(await(inFlight.removeFirst()));
                    done += lengths.remove(0);
                    report.advanced(done, -1);
                }
                String what = "segment " + index + " of " + fileName;
                inFlight.addLast(segmentFetches.submit(() -> storeSegment(what, sealed, length, k, n, true)));
                lengths.add((long) length);
                if (last) {
                    break;
                }
            }
            while (!inFlight.isEmpty()) {
                segments.add(await(inFlight.removeFirst()));
                done += lengths.remove(0);
                report.advanced(done, -1);
            }
        } catch (IOException | RuntimeException e) {
            // the segments still in flight finish (or fail) first, so that nothing they stored is left behind
            for (Future<SegmentEntry> f : inFlight) {
                try {
                    segments.add(f.get());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    f.cancel(true);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException failed) {
                    // failed on its own: place() already removed what it stored
                }
            }
            segments.forEach(this::deleteQuietly);
            throw e;
        }
        return new FileEntry(id, fileName, done, digest.digest(), System.currentTimeMillis(), k, n, segmentBytes, salt,
                segments);
    }

    /** The code for this many usable holders: the configured one, or the fallback, or a clear refusal. */
    int[] code(int usable) throws BackupException {
        int k = options.dataFragments();
        int n = options.totalFragments();
        if (usable >= n) {
            return new int[] { k, n };
        }
        if (!options.fallback()) {
            throw new BackupException("a " + k + "-of-" + n + " code needs " + n + " holders, have " + usable
                    + " usable (allow the fallback, or lease more hosts)");
        }
        if (usable < 2) {
            throw new BackupException("need at least 2 holders to store anything redundantly, have " + usable);
        }
        int fallbackK = Math.max(1, Math.min(usable - 1, (int) ((long) k * usable / n)));
        return new int[] { fallbackK, usable };
    }

    private static byte[] segmentAad(String fileId, long index, boolean last) {
        byte[] label = ("isos-backup/v1/segment/" + fileId).getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(label.length + 9).put(label).putLong(index).put((byte) (last ? 1 : 0)).array();
    }

    /** Erasure-codes one sealed segment, commits to its fragments and stores them on n distinct holders. */
    private SegmentEntry storeSegment(String what, byte[] sealed, int plainLength, int k, int n, boolean audited)
            throws IOException {
        int fragmentBytes = Math.max(1, (sealed.length + k - 1) / k);
        if (fragmentBytes > BackupOptions.MAX_FRAGMENT_BYTES) {
            throw new IllegalStateException(what + ": fragment of " + fragmentBytes + " bytes over the message limit");
        }
        byte[][] shards = new byte[n][fragmentBytes];
        for (int i = 0; i < k; i++) {
            int from = i * fragmentBytes;
            int count = Math.min(fragmentBytes, sealed.length - from);
            if (count > 0) { // a short segment leaves its last data fragments all padding
                System.arraycopy(sealed, from, shards[i], 0, count);
            }
        }
        codec(k, n).encodeParity(shards, 0, fragmentBytes);
        List<FragmentEntry> fragments = new ArrayList<>(n);
        StorageAudit merkle = StorageAudit.merkle();
        for (int i = 0; i < n; i++) {
            byte[] hash = Keys.sha256(shards[i]);
            byte[] commitment = audited ? merkle.commit(hash, shards[i], random).encode() : new byte[0];
            fragments.add(new FragmentEntry(i, HEX.formatHex(hash), "", commitment));
        }
        place(what, shards, fragments, k, n, fragmentBytes, options.maxPerOwner());
        return new SegmentEntry(plainLength, sealed.length, fragmentBytes, fragments);
    }

    /** Places and PUTs the fragments, moving those whose holder fails to other holders (a few rounds). */
    private void place(String what, byte[][] shards, List<FragmentEntry> fragments, int k, int n, long fragmentBytes,
            int maxPerOwner) throws IOException {
        FragmentPlacement placement = FragmentPlacement.seeded(random.nextLong()).withFragmentBytes(fragmentBytes);
        if (maxPerOwner > 0) {
            placement = placement.withMaxPerOwner(maxPerOwner);
        }
        Map<Integer, HostCandidate> targets = new TreeMap<>();
        Map<Integer, HostCandidate> placed = new TreeMap<>();
        Set<String> failed = new java.util.HashSet<>();
        try {
            List<HostCandidate> chosen = placement.place(candidates(), k, n);
            for (int i = 0; i < n; i++) {
                targets.put(i, chosen.get(i));
            }
        } catch (PlacementException e) {
            throw new BackupException(what + ": " + e.getMessage(), e);
        }
        Map<String, String> errors = new TreeMap<>();
        for (int round = 0; round < 3 && !targets.isEmpty(); round++) {
            Map<Integer, Future<?>> puts = new TreeMap<>();
            for (Map.Entry<Integer, HostCandidate> t : targets.entrySet()) {
                FragmentHolder holder = holders.get(t.getValue().id());
                int i = t.getKey();
                puts.put(i, transfers.submit(() -> {
                    holder.put(fragments.get(i).id, shards[i]);
                    return null;
                }));
            }
            for (Map.Entry<Integer, Future<?>> p : puts.entrySet()) {
                HostCandidate host = targets.get(p.getKey());
                try {
                    await(p.getValue());
                    placed.put(p.getKey(), host);
                    fragments.get(p.getKey()).holder = host.id();
                } catch (IOException e) {
                    failed.add(host.id());
                    failing.add(host.id());
                    if (e instanceof HolderRefusal) {
                        refused.add(host.id());
                    }
                    errors.put(host.id(), e.getMessage());
                }
            }
            if (placed.size() == n) {
                return;
            }
            try {
                targets = new TreeMap<>(placement.replace(candidates(), k, n, placed, failed));
            } catch (PlacementException e) {
                break;
            }
        }
        for (Map.Entry<Integer, HostCandidate> p : placed.entrySet()) {
            try {
                holders.get(p.getValue().id()).delete(fragments.get(p.getKey()).id);
            } catch (IOException ignored) {
                // the put fails anyway; a leftover fragment only costs the host's quota
            }
        }
        throw new BackupException(what + ": stored only " + placed.size() + " of " + n
                + " fragments; holders failed: " + errors);
    }

    // ----------------------------------------------------------------------------------------------------------- ls

    /** The files in the backup, oldest first. */
    public List<StoredFile> list() throws IOException {
        return manifest(false).files.stream().map(BackupClient::stored).toList();
    }

    private static StoredFile stored(FileEntry f) {
        return new StoredFile(f.id, f.name, f.size, HEX.formatHex(f.sha256), f.k, f.n, f.segments.size(),
                Instant.ofEpochMilli(f.created));
    }

    // ---------------------------------------------------------------------------------------------------------- get

    /**
     * Restores file {@code fileId} to {@code out}: from any k fragments per segment, checked against their ids,
     * decrypted and checked against the plaintext hash. Written to a temporary file next to {@code out} and renamed
     * only on success: on any failure there is no output file (and an existing {@code out} is left as it was).
     */
    public StoredFile get(String fileId, Path out, Progress progress) throws IOException {
        Objects.requireNonNull(out, "output path");
        Progress report = progress == null ? Progress.NONE : progress;
        FileEntry f = file(fileId);
        Path target = out.toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new BackupException("the output " + target + " is a directory; name a file");
        }
        if (!Files.isDirectory(target.getParent())) {
            throw new BackupException("no directory " + target.getParent() + " for the output");
        }
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
        try {
            MessageDigest digest = Keys.digest();
            byte[] key = keys.contentKey(f.salt);
            long done = 0;
            // segments ahead are fetched while this one is opened and written: one segment alone reads from only
            // k holders, each paced by its lease's bandwidth cap, so the lookahead is what puts more holders to work
            Map<Integer, Future<byte[]>> ahead = new HashMap<>();
            try (OutputStream o = Files.newOutputStream(temp)) {
                for (int i = 0; i < f.segments.size(); i++) {
                    for (int j = i; j < Math.min(f.segments.size(), i + SEGMENTS_AHEAD); j++) {
                        if (!ahead.containsKey(j)) {
                            int index = j;
                            SegmentEntry e = f.segments.get(j);
                            ahead.put(j, segmentFetches.submit(
                                    () -> fetchSegment("segment " + index + " of " + f.id, e, f.k, f.n)));
                        }
                    }
                    SegmentEntry s = f.segments.get(i);
                    byte[] sealed = await(ahead.remove(i));
                    byte[] plain;
                    try {
                        plain = Keys.open(key, Keys.segmentNonce(i), segmentAad(f.id, i, i == f.segments.size() - 1),
                                sealed, 0, sealed.length);
                    } catch (AEADBadTagException e) {
                        throw new BackupException("segment " + i + " of file " + f.id
                                + " does not decrypt: its fragments do not belong to it");
                    }
                    if (plain.length != s.plainLength) {
                        throw new BackupException("segment " + i + " of file " + f.id + " has " + plain.length
                                + " bytes, the manifest says " + s.plainLength);
                    }
                    o.write(plain);
                    digest.update(plain);
                    done += plain.length;
                    report.advanced(done, f.size);
                }
            } finally {
                ahead.values().forEach(a -> a.cancel(true));
            }
            if (!MessageDigest.isEqual(digest.digest(), f.sha256) || done != f.size) {
                throw new BackupException("file " + f.id + " restored to " + done + " bytes that do not match its "
                        + "SHA-256 " + HEX.formatHex(f.sha256));
            }
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            report.advanced(done, f.size);
            return stored(f);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Fetches any k fragments of a segment that match their ids (fast holders and data fragments first) and decodes. */
    private byte[] fetchSegment(String what, SegmentEntry s, int k, int n) throws IOException {
        byte[][] shards = new byte[n][];
        boolean[] present = new boolean[n];
        List<FragmentEntry> order = new ArrayList<>(s.fragments);
        order.sort(Comparator.comparingInt((FragmentEntry e) -> holders.containsKey(e.holder) ? 0 : 1)
                .thenComparingInt(e -> failing.contains(e.holder) ? 1 : 0)
                .thenComparingInt(e -> e.index < k ? 0 : 1)
                .thenComparingLong(e -> latency.getOrDefault(e.holder, 0L)));
        Map<Integer, String> problems = new TreeMap<>();
        int have = 0;
        int next = 0;
        while (have < k && next < order.size()) {
            Map<FragmentEntry, Future<byte[]>> wave = new LinkedHashMap<>();
            while (wave.size() < k - have && next < order.size()) {
                FragmentEntry e = order.get(next++);
                FragmentHolder holder = holders.get(e.holder);
                if (holder == null) {
                    problems.put(e.index, e.holder.isEmpty() ? "no holder" : "holder " + e.holder + " not given");
                    continue;
                }
                wave.put(e, transfers.submit(() -> timedGet(holder, e.id)));
            }
            for (Map.Entry<FragmentEntry, Future<byte[]>> w : wave.entrySet()) {
                FragmentEntry e = w.getKey();
                try {
                    byte[] bytes = await(w.getValue());
                    if (bytes.length != s.fragmentBytes || !HEX.formatHex(Keys.sha256(bytes)).equals(e.id)) {
                        problems.put(e.index, "holder " + e.holder + " sent bytes that do not match the fragment id");
                        failing.add(e.holder);
                        continue;
                    }
                    shards[e.index] = bytes;
                    present[e.index] = true;
                    have++;
                } catch (IOException ex) {
                    problems.put(e.index, "holder " + e.holder + ": " + ex.getMessage());
                    if (!(ex instanceof HolderRefusal)) {
                        failing.add(e.holder);
                    }
                }
            }
        }
        if (have < k) {
            throw new BackupException(what + ": only " + have + " of the " + k + " fragments needed could be read ("
                    + (n - k) + " may be lost, " + (n - have) + " are): " + problems);
        }
        boolean dataComplete = true;
        for (int i = 0; i < k; i++) {
            dataComplete &= present[i];
        }
        if (!dataComplete) {
            for (int i = 0; i < n; i++) {
                if (!present[i]) {
                    shards[i] = null;
                }
            }
            codec(k, n).decodeMissing(shards, present, 0, s.fragmentBytes);
        }
        byte[] sealed = new byte[s.cipherLength];
        for (int i = 0; i < k; i++) {
            int from = i * s.fragmentBytes;
            int count = Math.min(s.fragmentBytes, s.cipherLength - from);
            if (count > 0) {
                System.arraycopy(shards[i], 0, sealed, from, count);
            }
        }
        return sealed;
    }

    private byte[] timedGet(FragmentHolder holder, String id) throws IOException {
        long start = System.nanoTime();
        byte[] bytes = holder.get(id);
        long took = System.nanoTime() - start;
        latency.merge(holder.hostId(), took, (old, now) -> (old * 3 + now) / 4);
        return bytes;
    }

    /** Fragment ids per segment of a file, by fragment index: for tests and tools that inspect holders. */
    List<List<String>> fragmentIds(String fileId) throws IOException {
        List<List<String>> ids = new ArrayList<>();
        for (SegmentEntry s : file(fileId).segments) {
            ids.add(s.fragments.stream().map(e -> e.id).toList());
        }
        return ids;
    }

    // ------------------------------------------------------------------------------------------------------- verify

    /** Audits every fragment of file {@code fileId} (Merkle challenge, fresh nonce, random blocks). */
    public FileHealth verify(String fileId) throws IOException {
        FileEntry f = file(fileId);
        return health(f, audit(f));
    }

    /** {@link #verify} for every file. */
    public List<FileHealth> verifyAll() throws IOException {
        List<FileHealth> all = new ArrayList<>();
        for (FileEntry f : manifest(false).files) {
            all.add(health(f, audit(f)));
        }
        return all;
    }

    private static FileHealth health(FileEntry f, HolderState[][] states) {
        List<FileHealth.SegmentReport> reports = new ArrayList<>();
        boolean recoverable = true;
        for (int s = 0; s < f.segments.size(); s++) {
            List<Integer> healthy = new ArrayList<>();
            List<Integer> missing = new ArrayList<>();
            List<Integer> corrupt = new ArrayList<>();
            List<String> holderIds = new ArrayList<>();
            for (FragmentEntry e : f.segments.get(s).fragments) {
                holderIds.add(e.holder);
                switch (states[s][e.index]) {
                case AUDITED_OK, ALIVE -> healthy.add(e.index);
                case FAILED -> corrupt.add(e.index);
                case MISSING -> missing.add(e.index);
                }
            }
            FileHealth.SegmentReport r = new FileHealth.SegmentReport(s, f.k, f.n, healthy, missing, corrupt,
                    holderIds);
            recoverable &= r.recoverable();
            reports.add(r);
        }
        return new FileHealth(f.id, f.name, reports, recoverable);
    }

    /** Audits all fragments of a file in parallel: per segment and fragment, AUDITED_OK, FAILED or MISSING. */
    private HolderState[][] audit(FileEntry f) throws IOException {
        HolderState[][] states = new HolderState[f.segments.size()][f.n];
        Map<int[], Future<HolderState>> audits = new LinkedHashMap<>();
        for (int s = 0; s < f.segments.size(); s++) {
            for (FragmentEntry e : f.segments.get(s).fragments) {
                FragmentHolder holder = holders.get(e.holder);
                if (holder == null) {
                    states[s][e.index] = HolderState.MISSING;
                    continue;
                }
                audits.put(new int[] { s, e.index }, transfers.submit(() -> auditOne(holder, e)));
            }
        }
        for (Map.Entry<int[], Future<HolderState>> a : audits.entrySet()) {
            states[a.getKey()[0]][a.getKey()[1]] = await(a.getValue());
        }
        return states;
    }

    private HolderState auditOne(FragmentHolder holder, FragmentEntry e) {
        AuditCommitment commitment = AuditCommitment.decode(e.commitment);
        int blockCount = (int) Math.max(1, (commitment.fragmentSize() + commitment.blockSize() - 1)
                / commitment.blockSize());
        int depth = 64 - Long.numberOfLeadingZeros(blockCount);
        int fitting = (FragmentMessage.MAX_PAYLOAD_BYTES - 4096) / (commitment.blockSize() + 32 * (depth + 2) + 8);
        int blocks = Math.max(1, Math.min(Math.min(options.auditBlocks(), blockCount),
                Math.min(fitting, AuditChallenge.MAX_BLOCKS)));
        AuditChallenge challenge;
        synchronized (random) {
            challenge = StorageAudit.challenge(commitment, random, blocks);
        }
        try {
            byte[] answer = holder.audit(e.id, challenge.encode());
            AuditVerdict verdict = StorageAudit.verify(commitment, challenge, answer);
            return verdict.passed() ? HolderState.AUDITED_OK : HolderState.FAILED;
        } catch (HolderRefusal r) {
            return r.noSuchFragment() ? HolderState.MISSING : HolderState.FAILED;
        } catch (IOException io) {
            failing.add(holder.hostId());
            return HolderState.MISSING;
        }
    }

    // ------------------------------------------------------------------------------------------------------- repair

    /**
     * Audits every fragment and regenerates the missing and failed ones from k good ones onto other holders
     * ({@code newHolders} are added first), back to all n per segment; then stores the updated manifest.
     */
    public RepairReport repair(Collection<? extends FragmentHolder> newHolders) throws IOException {
        addHolders(newHolders == null ? List.of() : newHolders);
        Manifest m = manifest(false);
        List<SegmentState> states = new ArrayList<>();
        Map<String, FileEntry> fileOf = new HashMap<>();
        Map<String, HostCandidate> byId = new HashMap<>();
        for (HostCandidate c : allCandidates()) {
            byId.put(c.id(), c);
        }
        for (FileEntry f : m.files) {
            HolderState[][] audited = audit(f);
            for (int s = 0; s < f.segments.size(); s++) {
                List<FragmentStatus> statuses = new ArrayList<>();
                for (FragmentEntry e : f.segments.get(s).fragments) {
                    HolderState state = audited[s][e.index];
                    HostCandidate holder = byId.get(e.holder);
                    if (holder == null && state.alive()) {
                        state = HolderState.MISSING;
                    }
                    statuses.add(new FragmentStatus(e.index, holder, state));
                }
                String segmentId = f.id + "/" + s;
                fileOf.put(segmentId, f);
                states.add(new SegmentState(segmentId, f.k, f.n, f.segments.get(s).fragmentBytes, statuses));
            }
        }
        FragmentPlacement placement = FragmentPlacement.seeded(random.nextLong());
        if (options.maxPerOwner() > 0) {
            placement = placement.withMaxPerOwner(options.maxPerOwner());
        }
        RepairPlan plan = RepairPlanner.using(placement).withRepairMargin(ReedSolomon.MAX_TOTAL_SHARDS)
                .plan(states, candidates());
        int regenerated = 0;
        List<String> blocked = new ArrayList<>();
        for (RepairPlan.Blocked b : plan.blocked()) {
            blocked.add("segment " + b.health().segmentId() + ": " + b.reason());
        }
        List<String> lost = new ArrayList<>();
        for (var h : plan.unrecoverable()) {
            lost.add("segment " + h.segmentId() + " of " + fileOf.get(h.segmentId()).name + ": " + h.alive()
                    + " fragments left, " + h.k() + " needed");
        }
        for (RepairPlan.SegmentRepair r : plan.repairs()) {
            String segmentId = r.health().segmentId();
            FileEntry f = fileOf.get(segmentId);
            SegmentEntry s = f.segments.get(Integer.parseInt(segmentId.substring(segmentId.indexOf('/') + 1)));
            try {
                regenerated += regenerate(segmentId, f, s, r, states.get(indexOf(states, segmentId)));
            } catch (IOException | RuntimeException e) {
                blocked.add("segment " + segmentId + ": " + e.getMessage());
            }
        }
        if (regenerated > 0 || head == null || manifestDegraded()) {
            storeManifest();
        }
        return new RepairReport(regenerated, blocked, lost);
    }

    /** Whether a holder of the stored manifest (or of its head) failed or is no longer given. */
    private boolean manifestDegraded() {
        for (String locatorHolder : locatorHolders) {
            if (!holders.containsKey(locatorHolder) || failing.contains(locatorHolder)) {
                return true;
            }
        }
        for (SegmentEntry s : head.segments()) {
            for (FragmentEntry e : s.fragments) {
                if (!holders.containsKey(e.holder) || failing.contains(e.holder)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int indexOf(List<SegmentState> states, String segmentId) {
        for (int i = 0; i < states.size(); i++) {
            if (states.get(i).segmentId().equals(segmentId)) {
                return i;
            }
        }
        throw new IllegalStateException("no segment " + segmentId);
    }

    private int regenerate(String segmentId, FileEntry f, SegmentEntry s, RepairPlan.SegmentRepair r,
            SegmentState state) throws IOException {
        byte[][] fragments = new byte[f.n][];
        byte[][] hashes = new byte[f.n][];
        for (FragmentEntry e : s.fragments) {
            hashes[e.index] = HEX.parseHex(e.id);
        }
        // the plan's sources first, then any other fragment still alive, until k match their hashes
        List<Integer> order = new ArrayList<>(r.sources());
        for (FragmentStatus fs : state.fragments()) {
            if (fs.state().alive() && !order.contains(fs.index())) {
                order.add(fs.index());
            }
        }
        int have = 0;
        for (int i : order) {
            if (have >= f.k) {
                break;
            }
            FragmentEntry e = s.fragments.get(i);
            FragmentHolder holder = holders.get(e.holder);
            try {
                byte[] bytes = holder.get(e.id);
                if (HEX.formatHex(Keys.sha256(bytes)).equals(e.id)) {
                    fragments[i] = bytes;
                    have++;
                }
            } catch (IOException ex) {
                // another source may do
            }
        }
        int[] wanted = r.targets().keySet().stream().mapToInt(Integer::intValue).toArray();
        FragmentRepair.Regenerated rebuilt = FragmentRepair.regenerate(codec(f.k, f.n), fragments, hashes, wanted);
        int stored = 0;
        List<String> failures = new ArrayList<>();
        for (Map.Entry<Integer, HostCandidate> t : r.targets().entrySet()) {
            FragmentEntry e = s.fragments.get(t.getKey());
            FragmentHolder target = holders.get(t.getValue().id());
            FragmentHolder old = holders.get(e.holder);
            try {
                target.put(e.id, rebuilt.fragments().get(t.getKey()));
            } catch (IOException ex) {
                failures.add("fragment " + t.getKey() + " onto " + target.hostId() + ": " + ex.getMessage());
                failing.add(target.hostId());
                continue;
            }
            if (old != null && !failing.contains(old.hostId())) {
                try {
                    old.delete(e.id); // a bad copy, or one the host lost track of
                } catch (IOException ignored) {
                    // the host is gone or refuses: nothing more to do about it
                }
            }
            e.holder = target.hostId();
            stored++;
        }
        if (!failures.isEmpty()) {
            throw new BackupException("segment " + segmentId + ": " + stored + " fragments regenerated, failed: "
                    + failures);
        }
        return stored;
    }

    // ----------------------------------------------------------------------------------------------------- manifest

    private FileEntry file(String fileId) throws IOException {
        if (fileId == null || fileId.isBlank()) {
            throw new IllegalArgumentException("no file id given");
        }
        Manifest m = manifest(false);
        FileEntry f = find(m, fileId);
        if (f == null) {
            throw new BackupException("no file " + fileId + " in backup '" + name + "' (" + m.files.size()
                    + " files; see ls)");
        }
        return f;
    }

    private static FileEntry find(Manifest m, String fileId) {
        for (FileEntry f : m.files) {
            if (f.id.equals(fileId)) {
                return f;
            }
        }
        return null;
    }

    /** The manifest in hand, else the newer of the cached copy and the one on the holders. */
    private Manifest manifest(boolean create) throws IOException {
        if (manifest != null) {
            return manifest;
        }
        Cached cached = readCache();
        List<String> problems = new ArrayList<>();
        Loaded remote;
        try {
            remote = loadRemote(problems, cached == null ? -1 : cached.manifest.generation);
        } catch (UncheckedIOException unreachable) {
            if (cached == null) {
                throw unreachable.getCause();
            }
            remote = null; // work from the cached copy
        }
        if (remote != null && (cached == null || remote.manifest.generation >= cached.manifest.generation)) {
            manifest = remote.manifest;
            head = remote.head;
            headId = remote.headId;
            locatorHolders = remote.locatorHolders;
            writeCache();
        } else if (cached != null) {
            manifest = cached.manifest;
            head = cached.head;
            headId = cached.headId;
            locatorHolders = cached.locatorHolders;
        } else if (create && problems.isEmpty()) {
            manifest = new Manifest(name, -1, new ArrayList<>());
        } else {
            throw new BackupException(BackupException.WRONG_SECRET + ": no manifest of backup '" + name
                    + "' found on the " + holders.size() + " holders given (or none of them ever had it)"
                    + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")"));
        }
        return manifest;
    }

    private record Loaded(Manifest manifest, Head head, String headId, List<String> locatorHolders) {
    }

    private record Cached(Manifest manifest, Head head, String headId, List<String> locatorHolders) {
    }

    /**
     * The latest manifest on the holders, or null when none has one newer than generation {@code known} (the cached
     * one's, or -1); what went wrong is added to problems.
     */
    private Loaded loadRemote(List<String> problems, long known) {
        Map<String, Future<Long>> probes = new LinkedHashMap<>();
        for (FragmentHolder h : holders.values()) {
            probes.put(h.hostId(), transfers.submit(() -> locator.latest(h)));
        }
        Map<String, Long> latest = new LinkedHashMap<>();
        List<String> unreachable = new ArrayList<>();
        for (Map.Entry<String, Future<Long>> p : probes.entrySet()) {
            try {
                long g = await(p.getValue());
                if (g >= 0) {
                    latest.put(p.getKey(), g);
                }
            } catch (IOException e) {
                unreachable.add(p.getKey() + ": " + e.getMessage());
                failing.add(p.getKey());
            }
        }
        if (latest.isEmpty() && !unreachable.isEmpty() && unreachable.size() == holders.size()) {
            throw new UncheckedIOException(new BackupException("none of the " + holders.size()
                    + " holders could be reached: " + String.join("; ", unreachable)));
        }
        if (latest.values().stream().allMatch(g -> g <= known)) {
            return null; // nothing newer than the cached copy: no need to read the head and the manifest
        }
        List<String> order = new ArrayList<>(latest.keySet());
        order.sort(Comparator.comparingLong((String h) -> latest.get(h)).reversed());
        for (String hostId : order) {
            long g = latest.get(hostId);
            try {
                byte[] sealedHead = locator.head(holders.get(hostId), g);
                if (sealedHead == null) {
                    problems.add(hostId + " lost the head of generation " + g);
                    continue;
                }
                Head h = openHead(sealedHead, g);
                Manifest m = readManifest(h);
                List<String> locators = new ArrayList<>();
                for (Map.Entry<String, Long> e : latest.entrySet()) {
                    if (e.getValue() == g) {
                        locators.add(e.getKey());
                    }
                }
                return new Loaded(m, h, Locator.idOf(sealedHead), locators);
            } catch (IOException | IllegalArgumentException e) {
                problems.add(hostId + ", generation " + g + ": " + e.getMessage());
            }
        }
        return null;
    }

    private Head openHead(byte[] sealedHead, long generation) throws BackupException {
        if (sealedHead.length < Keys.NONCE_BYTES + Keys.TAG_BYTES) {
            throw new BackupException(BackupException.WRONG_SECRET + ": manifest head too short");
        }
        try {
            byte[] plain = Keys.open(keys.headKey(), Arrays.copyOf(sealedHead, Keys.NONCE_BYTES),
                    headAad(generation), sealedHead, Keys.NONCE_BYTES, sealedHead.length - Keys.NONCE_BYTES);
            Head h = Head.decode(plain);
            if (h.generation() != generation) {
                throw new BackupException(BackupException.WRONG_SECRET + ": head of generation " + h.generation()
                        + " found for " + generation);
            }
            return h;
        } catch (AEADBadTagException e) {
            throw new BackupException(BackupException.WRONG_SECRET + ": the manifest head does not open");
        }
    }

    private Manifest readManifest(Head h) throws IOException {
        byte[] key = keys.contentKey(h.salt());
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        for (int i = 0; i < h.segments().size(); i++) {
            byte[] sealed = fetchSegment("manifest segment " + i, h.segments().get(i), h.k(), h.n());
            try {
                plain.write(Keys.open(key, Keys.segmentNonce(i), manifestAad(h.generation(), i), sealed, 0,
                        sealed.length));
            } catch (AEADBadTagException e) {
                throw new BackupException(BackupException.WRONG_SECRET + ": manifest segment " + i
                        + " does not open");
            }
        }
        byte[] bytes = plain.toByteArray();
        if (bytes.length != h.length() || !MessageDigest.isEqual(Keys.sha256(bytes), h.sha256())) {
            throw new BackupException(BackupException.WRONG_SECRET + ": the manifest does not match its hash");
        }
        Manifest m = Manifest.decode(bytes);
        if (!m.backupName.equals(name) || m.generation != h.generation()) {
            throw new BackupException(BackupException.WRONG_SECRET + ": the manifest is of backup '"
                    + m.backupName + "' generation " + m.generation);
        }
        return m;
    }

    private byte[] headAad(long generation) {
        return ("isos-backup/v1/head/" + generation + "/" + name).getBytes(StandardCharsets.UTF_8);
    }

    private byte[] manifestAad(long generation, int segment) {
        return ("isos-backup/v1/manifest/" + generation + "/" + segment + "/" + name)
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Stores the manifest as a new generation: sealed, coded (up to 4-of-16) and placed over the usable holders;
     * its head and beacons on a few of them; then deletes the previous generation's fragments, head and beacons.
     */
    private void storeManifest() throws IOException {
        long generation = manifest.generation + 1;
        manifest.generation = generation;
        boolean stored = false;
        try {
            byte[] plain = manifest.encode();
            List<HostCandidate> usable = usableHolders();
            if (usable.size() < 2) {
                throw new BackupException("need at least 2 usable holders to store the manifest, have "
                        + usable.size());
            }
            int n = Math.min(usable.size(), MANIFEST_MAX_FRAGMENTS);
            int k = Math.max(1, n / 4);
            int segmentBytes = options.effectiveSegmentBytes(k);
            byte[] salt = new byte[Keys.SALT_BYTES];
            random.nextBytes(salt);
            byte[] key = keys.contentKey(salt);
            List<SegmentEntry> segments = new ArrayList<>();
            for (int from = 0, i = 0; from < plain.length || i == 0; from += segmentBytes, i++) {
                int length = Math.min(segmentBytes, plain.length - from);
                byte[] sealed = Keys.seal(key, Keys.segmentNonce(i), manifestAad(generation, i), plain, from, length);
                String what = "manifest segment " + i;
                try {
                    segments.add(storeSegment(what, sealed, length, k, n, false));
                } catch (BackupException e) {
                    // few owners: the manifest is sealed, so spreading it over owners matters less than storing it
                    segments.add(storeManifestSegmentAnywhere(what, sealed, length, k, n));
                }
            }
            Head h = new Head(generation, salt, plain.length, Keys.sha256(plain), k, n, segmentBytes, segments);
            byte[] nonce = new byte[Keys.NONCE_BYTES];
            random.nextBytes(nonce);
            byte[] sealedHead = concat(nonce, Keys.seal(keys.headKey(), nonce, headAad(generation), h.encode(), 0,
                    h.encode().length));
            if (sealedHead.length > FragmentMessage.MAX_PAYLOAD_BYTES) {
                throw new BackupException("the manifest head of " + sealedHead.length + " bytes does not fit one "
                        + "message; use larger segments");
            }
            List<String> locators = new ArrayList<>();
            Map<String, Future<?>> publishing = new LinkedHashMap<>();
            for (HostCandidate c : usable.subList(0, Math.min(options.locatorCopies(), usable.size()))) {
                FragmentHolder holder = holders.get(c.id());
                publishing.put(c.id(), transfers.submit(() -> {
                    locator.publish(holder, generation, sealedHead);
                    return null;
                }));
            }
            List<String> errors = new ArrayList<>();
            for (Map.Entry<String, Future<?>> p : publishing.entrySet()) {
                try {
                    await(p.getValue());
                    locators.add(p.getKey());
                } catch (IOException e) {
                    errors.add(p.getKey() + ": " + e.getMessage());
                    failing.add(p.getKey());
                }
            }
            if (locators.isEmpty()) {
                segments.forEach(this::deleteQuietly);
                throw new BackupException("could not publish the manifest on any holder: " + errors);
            }
            Head previous = head;
            String previousId = headId;
            List<String> previousLocators = locatorHolders;
            head = h;
            headId = Locator.idOf(sealedHead);
            locatorHolders = locators;
            stored = true;
            if (previous != null) {
                previous.segments().forEach(this::deleteQuietly);
                for (String hostId : previousLocators) {
                    FragmentHolder holder = holders.get(hostId);
                    if (holder != null && !failing.contains(hostId)) {
                        try {
                            locator.retire(holder, previous.generation(), previousId,
                                    locators.contains(hostId) ? generation : -1);
                        } catch (IOException ignored) {
                            // a superseded generation left behind is found no more (the search ends later)
                        }
                    }
                }
            }
            writeCache();
        } finally {
            if (!stored) {
                manifest.generation = generation - 1;
            }
        }
    }

    private SegmentEntry storeManifestSegmentAnywhere(String what, byte[] sealed, int length, int k, int n)
            throws IOException {
        int fragmentBytes = Math.max(1, (sealed.length + k - 1) / k);
        byte[][] shards = new byte[n][fragmentBytes];
        for (int i = 0; i < k; i++) {
            int from = i * fragmentBytes;
            int count = Math.min(fragmentBytes, sealed.length - from);
            if (count > 0) {
                System.arraycopy(sealed, from, shards[i], 0, count);
            }
        }
        codec(k, n).encodeParity(shards, 0, fragmentBytes);
        List<FragmentEntry> fragments = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            fragments.add(new FragmentEntry(i, HEX.formatHex(Keys.sha256(shards[i])), "", new byte[0]));
        }
        place(what, shards, fragments, k, n, fragmentBytes, n);
        return new SegmentEntry(length, sealed.length, fragmentBytes, fragments);
    }

    // -------------------------------------------------------------------------------------------------------- cache

    private Path cacheFile() {
        Path dir = options.cacheDirectory();
        if (dir == null) {
            return null;
        }
        String key = HEX.formatHex(Keys.sha256(("isos-backup/v1/cache/" + name).getBytes(StandardCharsets.UTF_8)));
        return dir.resolve("backup-" + key.substring(0, 32) + ".manifest");
    }

    private byte[] cacheAad() {
        return ("isos-backup/v1/cache/" + name).getBytes(StandardCharsets.UTF_8);
    }

    /** The cached manifest, null when there is none; a cache that does not open is a wrong secret. */
    private Cached readCache() throws IOException {
        Path file = cacheFile();
        if (file == null || !Files.isRegularFile(file)) {
            return null;
        }
        byte[] sealed = Files.readAllBytes(file);
        byte[] plain;
        try {
            if (sealed.length < Keys.NONCE_BYTES + Keys.TAG_BYTES) {
                throw new AEADBadTagException("too short");
            }
            plain = Keys.open(keys.headKey(), Arrays.copyOf(sealed, Keys.NONCE_BYTES), cacheAad(), sealed,
                    Keys.NONCE_BYTES, sealed.length - Keys.NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new BackupException(BackupException.WRONG_SECRET + ": the cached manifest " + file
                    + " does not open with this secret");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(plain))) {
            Head h = null;
            String id = null;
            List<String> locators = new ArrayList<>();
            if (in.readBoolean()) {
                h = Head.decode(in.readNBytes(in.readInt()));
                id = in.readUTF();
                int count = in.readInt();
                for (int i = 0; i < count; i++) {
                    locators.add(in.readUTF());
                }
            }
            Manifest m = Manifest.decode(in.readAllBytes());
            return new Cached(m, h, id, locators);
        } catch (IOException | IllegalArgumentException e) {
            throw new BackupException(BackupException.WRONG_SECRET + ": the cached manifest " + file
                    + " is unreadable: " + e.getMessage());
        }
    }

    private void writeCache() throws IOException {
        Path file = cacheFile();
        if (file == null) {
            return;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeBoolean(head != null);
            if (head != null) {
                byte[] h = head.encode();
                out.writeInt(h.length);
                out.write(h);
                out.writeUTF(headId);
                out.writeInt(locatorHolders.size());
                for (String l : locatorHolders) {
                    out.writeUTF(l);
                }
            }
            out.write(manifest.encode());
        }
        byte[] nonce = new byte[Keys.NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] plain = bytes.toByteArray();
        byte[] sealed = concat(nonce, Keys.seal(keys.headKey(), nonce, cacheAad(), plain, 0, plain.length));
        Files.createDirectories(file.getParent());
        Path temp = Files.createTempFile(file.getParent(), ".backup-", ".tmp");
        try {
            Files.write(temp, sealed);
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    // ------------------------------------------------------------------------------------------------------ helpers

    private List<HostCandidate> allCandidates() {
        List<HostCandidate> all = new ArrayList<>();
        for (FragmentHolder h : holders.values()) {
            all.add(new HostCandidate(h.hostId(), h.ownerId() == null || h.ownerId().isBlank() ? h.hostId()
                    : h.ownerId(), Math.max(0, Math.min(1, h.availability())), Math.max(0, h.freeBytes())));
        }
        return all;
    }

    /** Holders that have not failed a transfer in this client's life. */
    private List<HostCandidate> candidates() {
        List<HostCandidate> usable = new ArrayList<>();
        for (HostCandidate c : allCandidates()) {
            if (!failing.contains(c.id())) {
                usable.add(c);
            }
        }
        return usable;
    }

    private List<HostCandidate> usableHolders() {
        List<HostCandidate> usable = candidates();
        usable.sort(Comparator.comparingDouble(HostCandidate::availability).reversed());
        return usable;
    }

    private ReedSolomon codec(int k, int n) {
        return codecs.computeIfAbsent(((long) k << 32) | n, key -> ReedSolomon.create(k, n - k));
    }

    private void deleteQuietly(SegmentEntry s) {
        for (FragmentEntry e : s.fragments) {
            FragmentHolder h = holders.get(e.holder);
            // unreachable holders are skipped (each would cost a timeout); one that refused a PUT (e.g. its quota
            // is full) still answers, and what it keeps of a failed put would only fill it further
            if (h != null && (!failing.contains(h.hostId()) || refused.contains(h.hostId()))) {
                try {
                    h.delete(e.id);
                } catch (IOException ignored) {
                    // best effort: the holder is gone or refuses; the fragment only costs its quota
                }
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static <T> T await(Future<T> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new java.io.InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(cause);
        }
    }

    /** Stops the transfer threads and forgets the keys. Holders stay open: they belong to the caller. */
    @Override
    public void close() {
        segmentFetches.shutdownNow();
        transfers.shutdownNow();
        keys.destroy();
    }
}
