package org.isos.apps.streaming.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import org.isos.apps.streaming.client.internal.SegmentCoder;
import org.isos.apps.streaming.protocol.SegmentMessage;

/**
 * The provider's side: cuts a movie into time-ordered segments of {@link Options#segmentBytes()} bytes,
 * erasure-codes each k-of-n (n = the holders) and stores fragment i of segment s on holder slot (i + s) mod n, so
 * that every holder keeps one fragment of every segment and the data fragments of consecutive segments fall on
 * different hosts. Each holder is fed by a thread of its own, a few segments ahead at most. The result is the title's
 * {@link TitleManifest}.
 */
public final class Publisher {

    /**
     * @param segmentBytes       bytes per segment (the last may be shorter); each fragment, segmentBytes / k, must
     *                           fit one message to a host
     * @param dataFragments      k: fragments needed to play a segment
     * @param playBytesPerSecond the movie's play rate in bytes per second, 0 when unknown (then viewers cannot tell
     *                           their buffer in seconds)
     * @param segmentsAhead      segments coded and in flight at once at most (memory: about this × segment × n/k)
     */
    public record Options(int segmentBytes, int dataFragments, long playBytesPerSecond, int segmentsAhead) {
        public Options {
            if (segmentBytes < 1) {
                throw new IllegalArgumentException("segment size must be positive, got " + segmentBytes);
            }
            if (dataFragments < 1) {
                throw new IllegalArgumentException("k must be at least 1, got " + dataFragments);
            }
            if (SegmentCoder.fragmentBytes(segmentBytes, dataFragments) > SegmentMessage.MAX_PAYLOAD_BYTES) {
                throw new IllegalArgumentException("segments of " + segmentBytes + " bytes in " + dataFragments
                        + " pieces make fragments over the " + SegmentMessage.MAX_PAYLOAD_BYTES
                        + " bytes one message carries: use smaller segments or a larger k");
            }
            if (playBytesPerSecond < 0) {
                throw new IllegalArgumentException("play rate must be >= 0, got " + playBytesPerSecond);
            }
            if (segmentsAhead < 1) {
                throw new IllegalArgumentException("segments ahead must be at least 1, got " + segmentsAhead);
            }
        }

        /** 256 KiB segments, k = half the holders (at least 1), play rate unknown, 4 segments ahead. */
        public static Options forHolders(int holders) {
            return new Options(256 * 1024, Math.max(1, holders / 2), 0, 4);
        }

        public Options withSegmentBytes(int bytes) {
            return new Options(bytes, dataFragments, playBytesPerSecond, segmentsAhead);
        }

        public Options withDataFragments(int k) {
            return new Options(segmentBytes, k, playBytesPerSecond, segmentsAhead);
        }

        public Options withPlayBytesPerSecond(long rate) {
            return new Options(segmentBytes, dataFragments, rate, segmentsAhead);
        }
    }

    /** Hears how far a publication got. */
    @FunctionalInterface
    public interface Progress {
        void stored(int segmentsDone, int segments, long bytesDone, long bytes);
    }

    private Publisher() {
    }

    /**
     * Publishes {@code movie} as {@code title} onto {@code holders} (slot i of {@code slots} describes holder i).
     *
     * @param provider the buyer whose leases the holders are
     * @throws StreamException when a fragment could not be stored (which, where, why) or the arguments do not fit
     */
    public static TitleManifest publish(Path movie, String title, String provider, List<TitleManifest.Holder> slots,
            List<? extends SegmentHolder> holders, Options options, Progress progress) throws IOException {
        SegmentMessage.checkTitle(Objects.requireNonNull(title, "title"));
        Objects.requireNonNull(options, "options");
        Progress report = progress == null ? (a, b, c, d) -> {
        } : progress;
        if (slots.size() != holders.size()) {
            throw new IllegalArgumentException(slots.size() + " holder slots but " + holders.size() + " holders");
        }
        int n = holders.size();
        int k = options.dataFragments();
        if (n <= k) {
            throw new StreamException("a " + k + "-of-n code needs more than " + k + " holders, have " + n
                    + " (lease more hosts or lower k)");
        }
        if (!Files.isRegularFile(movie)) {
            throw new StreamException("no such movie file: " + movie);
        }
        long size = Files.size(movie);
        if (size == 0) {
            throw new StreamException(movie + " is empty: nothing to publish");
        }
        long segmentCount = (size + options.segmentBytes() - 1) / options.segmentBytes();
        if (segmentCount > Integer.MAX_VALUE) {
            throw new StreamException(movie + " needs " + segmentCount + " segments: use larger ones");
        }
        int segments = (int) segmentCount;
        SegmentCoder coder = new SegmentCoder(k, n);
        MessageDigest whole = SegmentCoder.sha256();
        List<TitleManifest.Segment> done = new ArrayList<>();
        List<ExecutorService> feeders = new ArrayList<>();
        for (SegmentHolder h : holders) {
            feeders.add(Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "isos-publish-" + h.hostId());
                t.setDaemon(true);
                return t;
            }));
        }
        Semaphore ahead = new Semaphore(options.segmentsAhead());
        List<List<Future<?>>> stores = new ArrayList<>();
        AtomicLong bytesStored = new AtomicLong();
        int[] segmentsStored = { 0 };
        try (InputStream in = Files.newInputStream(movie)) {
            byte[] buffer = new byte[options.segmentBytes()];
            for (int s = 0; s < segments; s++) {
                int length = in.readNBytes(buffer, 0, buffer.length);
                if (length <= 0) {
                    throw new StreamException(movie + " changed while being published (ended before segment " + s + ")");
                }
                whole.update(buffer, 0, length);
                byte[][] fragments = coder.encode(buffer, length);
                List<TitleManifest.Fragment> listed = new ArrayList<>();
                acquire(ahead);
                List<Future<?>> segmentStores = new ArrayList<>();
                int[] left = { n };
                for (int i = 0; i < n; i++) {
                    int slot = (i + s) % n;
                    byte[] fragment = fragments[i];
                    String id = SegmentCoder.sha256(fragment, 0, fragment.length);
                    listed.add(new TitleManifest.Fragment(i, id, slot));
                    int segment = s;
                    int index = i;
                    int segmentLength = length;
                    segmentStores.add(feeders.get(slot).submit(() -> {
                        try {
                            storeWithRetry(holders.get(slot), title, segment, index, id, fragment);
                        } catch (IOException | RuntimeException e) {
                            ahead.release(); // the publication fails: never leave the reader waiting for a permit
                            throw e;
                        }
                        synchronized (left) {
                            if (--left[0] == 0) {
                                ahead.release();
                                long b = bytesStored.addAndGet(segmentLength);
                                synchronized (segmentsStored) {
                                    report.stored(++segmentsStored[0], segments, b, size);
                                }
                            }
                        }
                        return null;
                    }));
                }
                stores.add(segmentStores);
                done.add(new TitleManifest.Segment(s, length, SegmentCoder.sha256(buffer, 0, length),
                        fragments[0].length, listed));
                failFast(stores);
            }
            for (List<Future<?>> segmentStores : stores) {
                for (Future<?> f : segmentStores) {
                    await(f);
                }
            }
        } finally {
            feeders.forEach(ExecutorService::shutdownNow);
        }
        return new TitleManifest(title, provider, Instant.now().toString(), size,
                HexFormat.of().formatHex(whole.digest()), options.segmentBytes(), k, n, options.playBytesPerSecond(),
                slots, done);
    }

    /** One more try after an I/O failure (a session that broke reopens); a host's refusal is final. */
    private static void storeWithRetry(SegmentHolder holder, String title, int segment, int index, String id,
            byte[] fragment) throws IOException {
        try {
            holder.store(title, segment, index, id, fragment);
        } catch (IOException first) {
            if (String.valueOf(first.getMessage()).contains("refused")) {
                throw first;
            }
            holder.store(title, segment, index, id, fragment);
        }
    }

    private static void failFast(List<List<Future<?>>> stores) throws IOException {
        for (List<Future<?>> segmentStores : stores) {
            for (Future<?> f : segmentStores) {
                if (f.isDone()) {
                    await(f);
                }
            }
        }
    }

    private static void await(Future<?> f) throws IOException {
        try {
            f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            throw new StreamException("storing a fragment failed: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamException("interrupted while publishing");
        }
    }

    private static void acquire(Semaphore ahead) throws StreamException {
        try {
            ahead.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamException("interrupted while publishing");
        }
    }
}
