package org.isos.apps.streaming.client;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.isos.apps.streaming.client.internal.SegmentCoder;

/**
 * Plays a title from many slow holders at once, in order, to an output stream, with a deadline-aware scheduler:
 *
 * <ul>
 * <li><b>Rate estimates.</b> Per holder, bytes over busy time once it has been measured (its lease cap before),
 * bounded by its silence: a holder that has sent nothing for longer than its next chunk should take counts at most
 * the rate that would have delivered it by now, so a line far slower than its cap drops behind the others in every
 * pick and projection within about a chunk's time at the cap.</li>
 * <li><b>Look-ahead.</b> The segments from the play position on, in a window of segments still short of holders, are
 * fetched in play order: the earliest segment picks its holders first. For each, k fragments are asked of the
 * holders expected to deliver soonest (queued bytes over estimated rate), at most
 * {@link Options#fetchesPerHolder()} at once per holder; a segment not yet due waits for a fast holder rather than
 * take one {@link #PATIENCE} times slower. Holders too slow for the window get fragments only beyond it, of segments
 * whose deadline (the player's need, or the fast holders' arrival at them) is more than {@link #SLACK} times their
 * estimate away: their capacity is used off the critical path.</li>
 * <li><b>Deadlines and hedging.</b> Inside the window a segment does not count on a fetch from a holder under half
 * the median rate, nor, once playing at a known rate, on a fetch its holder would deliver after the segment's
 * deadline less a replacement's time (when a replacement would be at least twice as soon); before that (start-up,
 * no play rate), a due segment (the next two while the buffered play time is below
 * {@link Options#lowWaterSeconds()}; the next one when the title has no play rate) does not count on fetches that
 * lag (their holder silent for two chunks' time since the request, or well over their expected time). Other holders
 * are asked instead. The first segment (start-up), and the next one while the buffer is below half the low water,
 * get {@link Options#hedge()} extra fetches beyond k up front. A segment is decoded as soon as any k fragments
 * arrived and the fetches still running are cancelled (long-tail cancellation).</li>
 * <li><b>Dropping holders.</b> A holder that sends nothing for {@link Options#stallTimeout()} (or twice the time a
 * 16 KiB chunk takes at its measured rate, if longer; {@link #UNHEARD_STALL_FACTOR} time-outs if it has sent nothing
 * yet at all) while it has fetches in flight, answers {@code FAILED}, breaks its connection, ends a stream short, or
 * sends a fragment that does not hash to the manifest's id, is dropped for the rest of the playback and its
 * fragments are fetched elsewhere. Nothing that does not hash to the manifest's ids is ever written: each fragment
 * is checked, and each decoded segment again.</li>
 * <li><b>Stalls.</b> With a play rate in the manifest, a virtual player starts at the first byte written and plays
 * at that rate; it stalls when it reaches the end of what was written, until more comes. Without one, a stall is
 * the gap between two writes.</li>
 * </ul>
 */
public final class Viewer {

    /** The chunk a host's streaming app writes at once: a holder with fetches in flight sends at least this often. */
    static final int HOST_CHUNK_BYTES = 16 * 1024;

    /**
     * @param hedge              extra fetches for a segment that is due
     * @param fetchesPerHolder   fetches in flight per holder at most (one more for a due segment)
     * @param lookaheadSegments  segments ahead of the play position fetched at once; 0 for enough to keep every
     *                           holder busy
     * @param stallTimeout       how long a holder with fetches in flight may send nothing before it is dropped
     * @param lowWaterSeconds    below this much buffered play time the next two segments are hedged
     * @param statusInterval     how often the status callback hears
     */
    public record Options(int hedge, int fetchesPerHolder, int lookaheadSegments, Duration stallTimeout,
            double lowWaterSeconds, Duration statusInterval) {
        public Options {
            if (hedge < 0 || hedge > 64) {
                throw new IllegalArgumentException("hedge must be 0 to 64, got " + hedge);
            }
            if (fetchesPerHolder < 1 || fetchesPerHolder > 16) {
                throw new IllegalArgumentException("fetches per holder must be 1 to 16, got " + fetchesPerHolder);
            }
            if (lookaheadSegments < 0 || lookaheadSegments > 1024) {
                throw new IllegalArgumentException("look-ahead must be 0 to 1024 segments, got " + lookaheadSegments);
            }
            Objects.requireNonNull(stallTimeout, "stallTimeout");
            Objects.requireNonNull(statusInterval, "statusInterval");
            if (stallTimeout.toMillis() < 1 || statusInterval.toMillis() < 1) {
                throw new IllegalArgumentException("stall timeout and status interval must be positive");
            }
            if (!(lowWaterSeconds >= 0)) {
                throw new IllegalArgumentException("low water must be >= 0 seconds, got " + lowWaterSeconds);
            }
        }

        /** Two hedges, two fetches per holder, automatic look-ahead, 3 s stall time-out, 4 s low water, 0.5 s status. */
        public static Options defaults() {
            return new Options(2, 2, 0, Duration.ofSeconds(3), 4.0, Duration.ofMillis(500));
        }

        public Options withHedge(int h) {
            return new Options(h, fetchesPerHolder, lookaheadSegments, stallTimeout, lowWaterSeconds, statusInterval);
        }

        public Options withStallTimeout(Duration d) {
            return new Options(hedge, fetchesPerHolder, lookaheadSegments, d, lowWaterSeconds, statusInterval);
        }

        public Options withStatusInterval(Duration d) {
            return new Options(hedge, fetchesPerHolder, lookaheadSegments, stallTimeout, lowWaterSeconds, d);
        }

        public Options withFetchesPerHolder(int f) {
            return new Options(hedge, f, lookaheadSegments, stallTimeout, lowWaterSeconds, statusInterval);
        }

        public Options withLowWaterSeconds(double s) {
            return new Options(hedge, fetchesPerHolder, lookaheadSegments, stallTimeout, s, statusInterval);
        }

        public Options withLookahead(int segments) {
            return new Options(hedge, fetchesPerHolder, segments, stallTimeout, lowWaterSeconds, statusInterval);
        }
    }

    /** Below this share of the low water the next segment is hedged up front, not just where its fetches lag. */
    static final double URGENT_SHARE = 0.5;

    /** How much slower than the quickest holder a holder may be to get a fragment of a segment not yet due. */
    static final double PATIENCE = 3;

    private final TitleManifest manifest;
    private final Options options;
    private final SegmentCoder coder;
    private final int k;
    private final int n;
    private final Slot[] slots;
    private final Object lock = new Object();

    // ---- state, guarded by lock ----
    private final SegmentState[] segments;
    private int next; // the next segment to write
    private StreamException failure;
    private long fragmentBytes;
    private long usefulBytes;
    private int fetches;
    private int hedges;
    private int cancelled;
    private int corrupt;
    private final Map<String, String> dropped = new LinkedHashMap<>();
    private final Deque<long[]> recent = new ArrayDeque<>(); // {nanos, bytes} of arrivals, for the rate
    private long firstWrite = -1; // when the first byte was written: start-up ends there
    private long usefulAfterStartup; // useful fragment bytes that arrived after it

    /**
     * @param holders one per slot of the manifest's holders, in the same order
     */
    public Viewer(TitleManifest manifest, List<? extends SegmentHolder> holders, Options options) {
        this.manifest = Objects.requireNonNull(manifest, "manifest");
        this.options = Objects.requireNonNull(options, "options");
        if (holders.size() != manifest.holders().size()) {
            throw new IllegalArgumentException("the title has " + manifest.holders().size() + " holder slots, got "
                    + holders.size() + " holders");
        }
        this.k = manifest.dataFragments();
        this.n = manifest.totalFragments();
        this.coder = new SegmentCoder(k, n);
        this.slots = new Slot[holders.size()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i, Objects.requireNonNull(holders.get(i), "holder " + i),
                    manifest.holders().get(i).bandwidthBytesPerSecond());
        }
        this.segments = new SegmentState[manifest.segments().size()];
        for (int s = 0; s < segments.length; s++) {
            segments[s] = new SegmentState(manifest.segments().get(s));
        }
    }

    /** A holder slot and what the viewer learnt of it. */
    private final class Slot {
        final int number;
        final SegmentHolder holder;
        final long cap;
        int inFlight;
        long queuedBytes; // fragment bytes still to come on the fetches in flight
        long bytes;
        long busyNanos;
        long busySince = -1;
        long lastByte;
        int completed; // fetches that delivered a whole fragment
        boolean reached; // a request has gone out to it (its session is open): only then can it stall
        String droppedFor;
        final List<FetchState> active = new ArrayList<>(); // its fetches in flight, in the order they were asked

        Slot(int number, SegmentHolder holder, long cap) {
            this.number = number;
            this.holder = holder;
            this.cap = cap;
        }

        /** Bytes per second while busy: measured once a chunk came, else the lease's cap (else 1 MB/s). */
        double baseRate(long now) {
            long busy = busyNanos + (busySince >= 0 ? now - busySince : 0);
            if ((completed > 0 || bytes >= HOST_CHUNK_BYTES) && busy > 0) {
                return bytes / (busy / 1e9);
            }
            return cap > 0 ? cap : 1_000_000;
        }

        /**
         * The rate to expect from it now: {@link #baseRate} unless it has been silent for longer than its next chunk
         * should take, in which case at most what would have delivered that chunk by now. A holder whose line is far
         * slower than its lease's cap says (or that stalled) is thus found out within about a chunk's time at its cap
         * and drops behind the fast ones for every pick and every projection, long before the stall detector's
         * verdict; a slow one's estimate recovers to its measured rate once its chunks come.
         */
        double rate(long now) {
            double rate = baseRate(now);
            // a holder never heard from stays suspect between its fetches: its silence runs from its first request
            if (reached && (inFlight > 0 && queuedBytes > 0 || bytes == 0)) {
                double silent = (now - lastByte - SILENCE_SLACK_NANOS) / 1e9;
                double chunk = queuedBytes > 0 ? Math.min(HOST_CHUNK_BYTES, queuedBytes) : HOST_CHUNK_BYTES;
                if (silent > chunk / rate) {
                    rate = chunk / silent;
                }
            }
            return Math.max(1, rate);
        }

        void started(long now) {
            if (inFlight++ == 0) {
                busySince = now;
                if (bytes > 0 || !reached) {
                    lastByte = now;
                }
            }
        }

        void ended(long now) {
            if (--inFlight == 0 && busySince >= 0) {
                busyNanos += now - busySince;
                busySince = -1;
            }
        }
    }

    private final class SegmentState {
        final TitleManifest.Segment segment;
        final byte[][] shards = new byte[n][];
        final boolean[] present = new boolean[n];
        final boolean[] tried = new boolean[n]; // fetched, being fetched, or failed
        final List<FetchState> active = new ArrayList<>();
        int received;
        long early; // bytes of the fragments received that came during start-up
        byte[] decoded;

        SegmentState(TitleManifest.Segment segment) {
            this.segment = segment;
        }
    }

    /** One fetch of one fragment from one holder. */
    private final class FetchState implements SegmentHolder.Receiver {
        final SegmentState segment;
        final int index;
        final Slot slot;
        final byte[] buffer;
        final long started = System.nanoTime();
        int got;
        int early; // bytes that came before the first byte was written (start-up's share)
        long sent = -1; // when its request went out
        boolean startsBusy; // its holder had nothing else in flight when it was picked
        boolean finished;
        boolean cancelledByUs;
        SegmentHolder.Fetch handle;

        FetchState(SegmentState segment, int index, Slot slot) {
            this.segment = segment;
            this.index = index;
            this.slot = slot;
            this.buffer = new byte[segment.segment.fragmentBytes()];
        }

        @Override
        public void bytes(byte[] chunk, int offset, int length) {
            List<FetchState> toCancel = new ArrayList<>();
            synchronized (lock) {
                if (finished) {
                    return;
                }
                long now = System.nanoTime();
                slot.lastByte = now;
                slot.bytes += length;
                fragmentBytes += length;
                recent.addLast(new long[] { now, length });
                if (got + length > buffer.length) {
                    drop(slot, "sent more than the " + buffer.length + " bytes of fragment " + place(), toCancel);
                } else {
                    System.arraycopy(chunk, offset, buffer, got, length);
                    got += length;
                    if (firstWrite < 0) {
                        early += length;
                    }
                    slot.queuedBytes -= length;
                }
                lock.notifyAll();
            }
            cancelAll(toCancel);
        }

        @Override
        public void ended() {
            List<FetchState> toCancel = new ArrayList<>();
            synchronized (lock) {
                if (finished) {
                    return;
                }
                if (got < buffer.length) {
                    drop(slot, "its stream of fragment " + place() + " ended after " + got + " of " + buffer.length
                            + " bytes", toCancel);
                } else {
                    String id = SegmentCoder.sha256(buffer, 0, buffer.length);
                    String expected = segment.segment.fragments().get(index).id();
                    if (!id.equals(expected)) {
                        corrupt++;
                        drop(slot, "served a corrupt fragment " + place() + " (SHA-256 " + id.substring(0, 12)
                                + "…, the manifest says " + expected.substring(0, 12) + "…)", toCancel);
                    } else {
                        finish(this);
                        slot.completed++;
                        arrived(this, toCancel);
                    }
                }
                lock.notifyAll();
            }
            cancelAll(toCancel);
        }

        @Override
        public void failed(String reason) {
            List<FetchState> toCancel = new ArrayList<>();
            synchronized (lock) {
                if (finished) {
                    return;
                }
                drop(slot, "fetch of " + place() + " failed: " + reason, toCancel);
                lock.notifyAll();
            }
            cancelAll(toCancel);
        }

        String place() {
            return manifest.title() + "/" + segment.segment.number() + "/" + index;
        }
    }

    /**
     * Plays the whole title into {@code out} (not closed), in order.
     *
     * @param status hears {@link PlaybackStatus} every {@link Options#statusInterval()} and once at the end; may be
     *               null
     * @throws StreamException when a segment can no longer be had (fewer than k of its fragments left on holders not
     *                         dropped; the message names them and why they were dropped); nothing after the last
     *                         good segment is written
     * @throws IOException     when writing to {@code out} fails
     */
    public PlaybackReport play(OutputStream out, Consumer<PlaybackStatus> status) throws IOException {
        Objects.requireNonNull(out, "out");
        Consumer<PlaybackStatus> listener = status == null ? s -> {
        } : status;
        long start = System.nanoTime();
        Player player = new Player(start, manifest.playBytesPerSecond());
        long nextStatus = start;
        ExecutorService requests = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "isos-stream-request");
            t.setDaemon(true);
            return t;
        });
        try {
            while (true) {
                List<byte[]> ready = new ArrayList<>();
                List<FetchState> toStart = new ArrayList<>();
                List<FetchState> toCancel = new ArrayList<>();
                synchronized (lock) {
                    long now = System.nanoTime();
                    checkStalls(now, toCancel);
                    for (int s = next + player.pendingWrites; s < segments.length && segments[s].decoded != null; s++) {
                        ready.add(segments[s].decoded);
                        player.pendingWrites++;
                    }
                    if (failure == null) {
                        schedule(now, player.bufferSeconds(now), toStart);
                    }
                    if (failure != null && ready.isEmpty()) {
                        throw failure;
                    }
                    if (ready.isEmpty() && toStart.isEmpty() && toCancel.isEmpty() && next < segments.length) {
                        long wait = Math.max(1, Math.min(50, (nextStatus - now) / 1_000_000));
                        lock.wait(wait);
                    }
                }
                cancelAll(toCancel);
                for (FetchState f : toStart) {
                    // a holder's first request opens its session (a TLS handshake, seconds on a loaded machine):
                    // on the play thread, one after another, that would hold up every other holder and every write
                    requests.execute(() -> request(f));
                }
                for (byte[] segment : ready) {
                    out.write(segment);
                    out.flush();
                    long now = System.nanoTime();
                    player.wrote(now, segment.length);
                    synchronized (lock) {
                        if (firstWrite < 0) {
                            firstWrite = now;
                        }
                        segments[next].decoded = null; // written: the memory can go
                        next++;
                        player.pendingWrites--;
                    }
                }
                long now = System.nanoTime();
                boolean done;
                synchronized (lock) {
                    done = next >= segments.length;
                }
                if (done || now >= nextStatus) {
                    listener.accept(status(now, player));
                    nextStatus = now + options.statusInterval().toNanos();
                }
                if (done) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamException("interrupted while playing " + manifest.title());
        } finally {
            List<FetchState> toCancel = new ArrayList<>();
            synchronized (lock) {
                for (SegmentState s : segments) {
                    for (FetchState f : new ArrayList<>(s.active)) {
                        cancel(f, toCancel);
                    }
                }
            }
            cancelAll(toCancel);
            requests.shutdown();
        }
        long end = System.nanoTime();
        synchronized (lock) {
            long liveCaps = 0;
            Map<String, Long> byHost = new LinkedHashMap<>();
            for (Slot slot : slots) {
                if (slot.droppedFor == null) {
                    liveCaps += slot.cap;
                }
                byHost.merge(slot.holder.hostId(), slot.bytes, Long::sum);
            }
            return new PlaybackReport(manifest.sizeBytes(), (end - start) / 1e9, player.startupMillis(),
                    player.stalls, player.longestStallNanos / 1_000_000, player.stalledNanos / 1_000_000,
                    fragmentBytes, usefulBytes, fetches, hedges, cancelled, corrupt, Map.copyOf(dropped), liveCaps,
                    byHost, usefulAfterStartup);
        }
    }

    /** Sends one fetch's request to its holder (off the play thread). */
    private void request(FetchState f) {
        SegmentHolder.Fetch handle = f.slot.holder.fetch(manifest.title(), f.segment.segment.number(), f.index,
                f.segment.segment.fragments().get(f.index).id(), f);
        boolean cancelNow;
        synchronized (lock) {
            f.handle = handle;
            f.sent = System.nanoTime();
            cancelNow = f.cancelledByUs;
            if (!f.slot.reached || (f.startsBusy && f.slot.bytes > 0)) {
                // the stall clock of an idle holder runs from when the request went out, not from when it was
                // picked: the session's opening and a loaded machine's thread hand-over are not the holder's silence
                f.slot.reached = true;
                f.slot.lastByte = Math.max(f.slot.lastByte, f.sent);
            }
        }
        if (cancelNow) {
            handle.cancel();
        }
    }

    /** Starts the fetches the segments in the look-ahead window need now, earliest segment first. */
    private void schedule(long now, double bufferSeconds, List<FetchState> toStart) {
        int window = options.lookaheadSegments() > 0 ? options.lookaheadSegments()
                : Math.max(2, (n * options.fetchesPerHolder() + k - 1) / k + 1);
        // the window is `window` segments still short of holders: segments whose fragments are all asked for do not
        // count (a free holder looks further for one it has not served yet), up to twice as many in all
        int limit = Math.min(segments.length, next + 2 * window);
        int waiting = 0;
        // hedge only what is due: the next segment when the buffer's depth is unknown, the next two while it is
        // below low water (as at start-up); with a deep buffer extra fetches would only waste the hosts' caps
        int dueEnd = Double.isNaN(bufferSeconds) ? next + 1
                : bufferSeconds < options.lowWaterSeconds() ? next + 2 : next;
        // extra fetches up front, whose long tail is cancelled and wasted, only where a late fragment would be seen
        // at once: the first segment (start-up), or the next when the player is about to run dry; other due
        // segments replace a fetch only once it lags (no first chunk in time, or well over its expected time)
        int hedgeEnd = firstWrite < 0 || Double.isNaN(bufferSeconds)
                || bufferSeconds < options.lowWaterSeconds() * URGENT_SHARE ? next + 1 : next;
        double median = medianRate(now);
        double slowRate = median / 2;
        // once playing at a known rate every segment has a deadline (when the player reaches it): a fetch is judged
        // by whether its holder, at the rate it shows now, delivers it in time to be replaced if it does not
        boolean deadlines = firstWrite >= 0 && !Double.isNaN(bufferSeconds) && manifest.playBytesPerSecond() > 0;
        double dueIn = deadlines ? bufferSeconds : 0; // seconds until the player reaches segment s
        // holders working for a due segment get nothing else meanwhile (only the next segment may still share one
        // when no other is left): the earliest segment's fragments then have their holders' whole cap
        boolean[] servingDue = new boolean[slots.length];
        int s = next;
        for (; s < limit && waiting < window; s++) {
            SegmentState state = segments[s];
            long deadline = deadlines ? now + (long) (dueIn * 1e9) : -1;
            if (deadlines) {
                dueIn += (double) state.segment.bytes() / manifest.playBytesPerSecond();
            }
            if (state.decoded != null) {
                continue;
            }
            boolean due = s < dueEnd;
            int target = k + (s < hedgeEnd ? options.hedge() : 0);
            int have = state.received;
            for (FetchState f : state.active) {
                // a segment does not count on its long tail: with deadlines, fetches whose holder would not deliver
                // them in time to ask another; before (start-up, no play rate), fetches from holders at under half
                // the median rate and, for a due segment, also fetches running more than twice as long as they
                // should; and in the window never a fetch from a holder at under half the median rate: the fast
                // holders come to this segment now, and a slow holder's fragment would hold it (and the window's
                // advance) up for many of their fragments' time
                have += f.slot.rate(now) < slowRate || (deadlines ? late(f, now, deadline, median)
                        : due && lagging(f, now, slowRate)) ? 0 : 1;
            }
            int perHolder = options.fetchesPerHolder() + (due ? 1 : 0);
            while (have < target) {
                FetchState f = pick(state, perHolder, now, servingDue, !due, -1, median, false);
                if (f == null && s == next) { // the next segment may share a holder rather than wait
                    f = pick(state, perHolder, now, null, false, -1, median, false);
                }
                if (f == null) {
                    break;
                }
                if (state.received + state.active.size() > k) {
                    hedges++;
                }
                if (due) {
                    servingDue[f.slot.number] = true;
                }
                have++;
                toStart.add(f);
            }
            if (have < target) {
                waiting++;
            }
            if (due) {
                for (FetchState f : state.active) {
                    servingDue[f.slot.number] = true;
                }
            }
            if (state.received + state.active.size() + candidates(state) < k) {
                failure = unreachable(state);
                return;
            }
        }
        if (!deadlines) {
            return;
        }
        // beyond the window: work for the holders too slow for the window (their capacity counts too), each on a
        // segment far enough ahead that its fragment is off the critical path: SLACK times the holder's estimate
        // ends before the player needs the segment and before the fast holders reach it (at the pace their rates
        // together advance the window: a segment's bytes in fragments per segment); the fast holders never come
        // here, so the window keeps their whole cap
        double quickRates = 0;
        for (Slot slot : slots) {
            double rate = slot.rate(now);
            quickRates += slot.droppedFor == null && rate >= slowRate ? rate : 0;
        }
        int windowEnd = s;
        int farEnd = Math.min(segments.length, windowEnd + FAR_SEGMENTS);
        double reachIn = 0; // seconds until the fast holders reach segment s
        for (; s < farEnd && quickRates > 0; s++) {
            SegmentState state = segments[s];
            long deadline = now + (long) (Math.min(dueIn, reachIn) * 1e9);
            dueIn += (double) state.segment.bytes() / manifest.playBytesPerSecond();
            reachIn += (double) state.segment.bytes() / quickRates;
            if (state.decoded != null || state.received + state.active.size() >= k) {
                continue;
            }
            FetchState f;
            int have = state.received + state.active.size();
            while (have < k && (f = pick(state, options.fetchesPerHolder(), now, servingDue, true, deadline, median,
                    true)) != null) {
                have++;
                toStart.add(f);
            }
        }
    }

    /** How many segments beyond the window the holders too slow for it may be given fragments (memory: 256 KiB each). */
    static final int FAR_SEGMENTS = 64;

    /** How much sooner than a late fetch a replacement must be expected before it is asked for. */
    static final double REPLACE_GAIN = 2;

    /** How much longer than its holder's estimate a fetch off the critical path is allowed to take. */
    static final double SLACK = 2;

    /**
     * Whether {@code f} would arrive too late for its segment's {@code deadline} (too late to ask another after it, a
     * fragment's time at the median rate) and asking another holder would do much better: its holder, at the rate it
     * shows now, still has to send what was asked of it before and f's rest. A fetch that is merely not early is
     * left alone (its replacement would come no sooner, and the cancelled long tail would only waste the caps).
     */
    private static boolean late(FetchState f, long now, long deadline, double median) {
        double rate = f.slot.rate(now);
        long ahead = 0;
        for (FetchState g : f.slot.active) {
            ahead += g.buffer.length - g.got;
            if (g == f) {
                break;
            }
        }
        long projected = now + (long) (1e9 * ahead / rate);
        long replacement = replacementNanos(f.buffer.length, median);
        return projected + replacement > deadline && projected > now + REPLACE_GAIN * replacement;
    }

    /** The time a fragment takes from a typical holder, with a request's latency: the margin to ask another. */
    private static long replacementNanos(int fragmentBytes, double median) {
        return (long) (1e9 * fragmentBytes / Math.max(1, median)) + SILENCE_SLACK_NANOS;
    }

    private static boolean lagging(FetchState f, long now, double slowRate) {
        double rate = f.slot.rate(now);
        double expectedNanos = 1e9 * f.buffer.length * Math.max(1, f.slot.inFlight) / rate;
        if (rate < slowRate || now - f.started > 2 * expectedNanos) {
            return true;
        }
        // its holder silent for two chunks' time (at its rate so far) since the request went out: a holder whose line
        // is far slower than its cap says shows it here, well before the stall detector drops it
        long silentSince = Math.max(f.sent, f.slot.lastByte);
        return f.sent >= 0 && now - silentSince > 2e9 * HOST_CHUNK_BYTES / rate + SILENCE_SLACK_NANOS;
    }

    /** Latency allowed on top of two chunks' time (a request's round trip, a loaded host's delay). */
    static final long SILENCE_SLACK_NANOS = 250_000_000L;

    /** The median rate of the holders not dropped. */
    private double medianRate(long now) {
        double[] rates = new double[slots.length];
        int live = 0;
        for (Slot slot : slots) {
            if (slot.droppedFor == null) {
                rates[live++] = slot.rate(now);
            }
        }
        if (live == 0) {
            return 0;
        }
        double[] sorted = java.util.Arrays.copyOf(rates, live);
        java.util.Arrays.sort(sorted);
        return sorted[live / 2];
    }

    /**
     * The untried fragment of {@code state} whose holder is expected to deliver it first, as a started fetch;
     * holders marked in {@code skip} are not asked. With {@code patient}, a holder that would take more than
     * {@link #PATIENCE} times as long as the quickest holder (were it free) is not asked either — for a segment not
     * yet due it is better to wait for a fast holder than to tie the segment to a slow one — unless the segment's
     * {@code deadline} (nanos, -1 for none) is far enough off that even {@link #SLACK} times its estimate leaves time
     * to ask another. With {@code slowOnly}, only such holders are asked (work beyond the window).
     */
    private FetchState pick(SegmentState state, int perHolder, long now, boolean[] skip, boolean patient,
            long deadline, double median, boolean slowOnly) {
        int best = -1;
        double bestEta = Double.MAX_VALUE;
        double quickest = Double.MAX_VALUE;
        if (patient) {
            for (Slot slot : slots) {
                if (slot.droppedFor == null) {
                    quickest = Math.min(quickest, (slot.queuedBytes + state.segment.fragmentBytes()) / slot.rate(now));
                }
            }
        }
        long margin = replacementNanos(state.segment.fragmentBytes(), median);
        for (int i = 0; i < n; i++) {
            if (state.tried[i]) {
                continue;
            }
            Slot slot = slots[state.segment.fragments().get(i).holder()];
            if (slot.droppedFor != null || slot.inFlight >= perHolder || (skip != null && skip[slot.number])) {
                continue;
            }
            double eta = (slot.queuedBytes + state.segment.fragmentBytes()) / slot.rate(now);
            if (patient) {
                boolean quick = eta <= PATIENCE * quickest;
                boolean offCriticalPath = deadline >= 0 && now + (long) (SLACK * eta * 1e9) + margin < deadline;
                if (slowOnly ? quick || !offCriticalPath : !quick && !offCriticalPath) {
                    continue;
                }
            }
            if (eta < bestEta || (eta == bestEta && i < k && best >= k)) {
                best = i;
                bestEta = eta;
            }
        }
        if (best < 0) {
            return null;
        }
        Slot slot = slots[state.segment.fragments().get(best).holder()];
        FetchState f = new FetchState(state, best, slot);
        f.startsBusy = slot.inFlight == 0;
        state.tried[best] = true;
        state.active.add(f);
        slot.active.add(f);
        slot.started(now);
        slot.queuedBytes += f.buffer.length;
        fetches++;
        return f;
    }

    /** Untried fragments of {@code state} on holders not dropped. */
    private int candidates(SegmentState state) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (!state.tried[i] && slots[state.segment.fragments().get(i).holder()].droppedFor == null) {
                count++;
            }
        }
        return count;
    }

    private StreamException unreachable(SegmentState state) {
        StringBuilder why = new StringBuilder();
        dropped.forEach((host, reason) -> why.append("; ").append(host).append(": ").append(reason));
        return new StreamException("segment " + state.segment.number() + " of " + manifest.title() + " cannot be "
                + "played: it needs " + k + " of its " + n + " fragments and only " + (state.received
                        + state.active.size() + candidates(state)) + " are left on holders not dropped ("
                + dropped.size() + " dropped" + why + ")");
    }

    /** A fetch arrived whole and checked: keep it; decode the segment once k are in, and cancel the rest. */
    private void arrived(FetchState f, List<FetchState> toCancel) {
        SegmentState state = f.segment;
        if (state.decoded != null || state.segment.number() < next) {
            return; // arrived after the segment was complete: its bytes were wasted
        }
        state.shards[f.index] = f.buffer;
        state.present[f.index] = true;
        state.received++;
        state.early += f.early;
        if (state.received < k) {
            return;
        }
        byte[] segment = coder.decode(state.shards, state.present, state.segment.bytes());
        String sha = SegmentCoder.sha256(segment, 0, segment.length);
        if (!sha.equals(state.segment.sha256())) {
            // every fragment hashed right, so the manifest itself is inconsistent: stop rather than write it
            failure = new StreamException("segment " + state.segment.number() + " of " + manifest.title()
                    + " decodes to SHA-256 " + sha + ", the manifest says " + state.segment.sha256()
                    + ": the manifest is inconsistent");
            return;
        }
        state.decoded = segment;
        usefulBytes += (long) k * state.segment.fragmentBytes();
        usefulAfterStartup += (long) k * state.segment.fragmentBytes() - state.early;
        for (int i = 0; i < n; i++) {
            state.shards[i] = null;
        }
        for (FetchState other : new ArrayList<>(state.active)) {
            cancel(other, toCancel);
        }
    }

    /** Drops a holder for the rest of the playback and cancels whatever it still has in flight. */
    private void drop(Slot slot, String reason, List<FetchState> toCancel) {
        if (slot.droppedFor == null) {
            slot.droppedFor = reason;
            dropped.put(slot.holder.hostId(), reason);
        }
        for (SegmentState s : segments) {
            for (FetchState f : new ArrayList<>(s.active)) {
                if (f.slot == slot) {
                    finish(f);
                    if (f.handle != null) {
                        toCancel.add(f);
                    } else {
                        f.cancelledByUs = true;
                    }
                }
            }
        }
    }

    private void cancel(FetchState f, List<FetchState> toCancel) {
        if (f.finished) {
            return;
        }
        finish(f);
        cancelled++;
        f.cancelledByUs = true;
        if (f.handle != null) {
            toCancel.add(f);
        }
    }

    /** Takes a fetch off its segment and its holder's books (once). */
    private void finish(FetchState f) {
        if (f.finished) {
            return;
        }
        f.finished = true;
        f.segment.active.remove(f);
        f.slot.active.remove(f);
        f.slot.ended(System.nanoTime());
        f.slot.queuedBytes -= f.buffer.length - f.got;
    }

    private void checkStalls(long now, List<FetchState> toCancel) {
        for (Slot slot : slots) {
            if (slot.droppedFor != null || slot.inFlight == 0 || !slot.reached) {
                continue; // not reached: its session is still being opened (seconds for 20 at once on a busy machine)
            }
            // a holder that has sent something is held to its own pace (at least the time-out); one not heard from
            // yet may be a line ten times slower than its cap, whose first chunk takes seconds: it is given
            // UNHEARD_STALL_FACTOR time-outs — meanwhile its silence already counts against it (see Slot.rate), so
            // its fragments are asked of others where they are needed and only off-path work waits on it
            long limit = slot.bytes > 0
                    ? Math.max(options.stallTimeout().toNanos(), (long) (2e9 * HOST_CHUNK_BYTES / slot.baseRate(now)))
                    : UNHEARD_STALL_FACTOR * options.stallTimeout().toNanos();
            long since = slot.lastByte;
            if (slot.bytes == 0) {
                // its silence since its first request is what its estimate goes by; it is stalled only when the
                // fetches it has now got nothing (a slow line's earlier fetches may have been cancelled unfinished)
                long oldest = Long.MAX_VALUE;
                for (FetchState f : slot.active) {
                    oldest = Math.min(oldest, f.sent >= 0 ? f.sent : f.started);
                }
                since = oldest == Long.MAX_VALUE ? since : Math.max(since, oldest);
            }
            if (now - since > limit) {
                drop(slot, "stalled: nothing for " + (now - since) / 1_000_000 + " ms with "
                        + slot.inFlight + " fetch(es) in flight", toCancel);
            }
        }
    }

    /** How many stall time-outs a holder not heard from yet gets before it is dropped. */
    static final int UNHEARD_STALL_FACTOR = 3;

    private static void cancelAll(List<FetchState> fetches) {
        for (FetchState f : fetches) {
            if (f.handle != null) {
                f.handle.cancel();
            }
        }
    }

    private PlaybackStatus status(long now, Player player) {
        synchronized (lock) {
            while (!recent.isEmpty() && now - recent.peekFirst()[0] > 3_000_000_000L) {
                recent.removeFirst();
            }
            long sum = 0;
            for (long[] r : recent) {
                sum += r[1];
            }
            double window = Math.min(3.0, (now - player.start) / 1e9);
            int inUse = 0;
            int live = 0;
            for (Slot slot : slots) {
                inUse += slot.inFlight > 0 ? 1 : 0;
                live += slot.droppedFor == null ? 1 : 0;
            }
            int ahead = 0;
            for (int s = next; s < segments.length; s++) {
                ahead += segments[s].decoded != null || !segments[s].active.isEmpty() ? 1 : 0;
            }
            long longest = Math.max(player.longestStallNanos, player.currentStallNanos(now)) / 1_000_000;
            return new PlaybackStatus(player.written, manifest.sizeBytes(), next, segments.length,
                    player.bufferSeconds(now), ahead, window > 0 ? sum / window : 0, inUse, live, slots.length - live,
                    player.startupMillis(), player.stalls + (player.currentStallNanos(now) > 0 ? 1 : 0), longest);
        }
    }

    /** The virtual player that measures start-up time, buffer and stalls. */
    private static final class Player {
        final long start;
        final long rate;
        int pendingWrites;
        long written;
        long firstWrite = -1;
        long lastWrite;
        long anchorTime; // the play position was anchorPosition at anchorTime, and has run at rate since
        long anchorPosition;
        int stalls;
        long longestStallNanos;
        long stalledNanos;

        Player(long start, long rate) {
            this.start = start;
            this.rate = rate;
        }

        void wrote(long now, int bytes) {
            if (firstWrite < 0) {
                firstWrite = now;
                anchorTime = now;
            } else if (rate > 0) {
                long dry = dryAt();
                if (dry < now) {
                    stall(now - dry);
                    anchorTime = now;
                    anchorPosition = written;
                }
            } else {
                long gap = now - lastWrite;
                if (gap > 0) {
                    longestStallNanos = Math.max(longestStallNanos, gap);
                }
            }
            lastWrite = now;
            written += bytes;
        }

        private void stall(long nanos) {
            stalls++;
            stalledNanos += nanos;
            longestStallNanos = Math.max(longestStallNanos, nanos);
        }

        /** When the player reaches the end of what was written (with a play rate). */
        long dryAt() {
            return anchorTime + (long) ((written - anchorPosition) * 1e9 / rate);
        }

        long currentStallNanos(long now) {
            if (rate <= 0 || firstWrite < 0) {
                return 0;
            }
            long dry = dryAt();
            return dry < now ? now - dry : 0;
        }

        double bufferSeconds(long now) {
            if (rate <= 0) {
                return Double.NaN;
            }
            if (firstWrite < 0) {
                return 0;
            }
            long dry = dryAt();
            return dry > now ? (dry - now) / 1e9 : 0;
        }

        long startupMillis() {
            return firstWrite < 0 ? -1 : (firstWrite - start) / 1_000_000;
        }
    }
}
