package org.isos.apps.streaming.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The viewer's scheduler over in-memory holders: slow holders, a stalling one, holders dying mid-stream, a corrupt
 * one, too many lost; every playback that completes is byte-identical to the movie.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ViewerTest {

    static final int SEGMENT = 32 * 1024;

    @TempDir
    Path dir;

    /** A published title on {@code holders} (k = 4 of 8 unless given). */
    record Title(byte[] movie, TitleManifest manifest, List<MemoryHolder> holders) {
    }

    Title publish(int bytes, int holders, int k, long rate, long playRate) throws Exception {
        byte[] movie = new byte[bytes];
        new Random(bytes).nextBytes(movie);
        Path file = dir.resolve("movie-" + bytes + ".ts");
        Files.write(file, movie);
        List<MemoryHolder> hs = new ArrayList<>();
        List<TitleManifest.Holder> slots = new ArrayList<>();
        for (int i = 0; i < holders; i++) {
            hs.add(new MemoryHolder("host-" + i, rate));
            slots.add(new TitleManifest.Holder("host-" + i, "owner-" + (i % 2), "lease-" + i, "127.0.0.1:" + (7000 + i),
                    rate));
        }
        TitleManifest manifest = Publisher.publish(file, "movie", "acme", slots, hs,
                Publisher.Options.forHolders(holders).withSegmentBytes(SEGMENT).withDataFragments(k)
                        .withPlayBytesPerSecond(playRate), null);
        return new Title(movie, manifest, hs);
    }

    static Viewer.Options fast() {
        return Viewer.Options.defaults().withStallTimeout(Duration.ofMillis(400)).withStatusInterval(Duration.ofMillis(50));
    }

    @Test
    void playsTheWholeTitleByteIdenticalWithStatusOnTheWay() throws Exception {
        Title t = publish(300_000, 8, 4, 400_000, 200_000);
        assertEquals(10, t.manifest().segments().size());
        for (MemoryHolder h : t.holders()) {
            assertEquals(10, h.fragments.size(), "every holder keeps one fragment of every segment");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<PlaybackStatus> heard = new CopyOnWriteArrayList<>();
        PlaybackReport report = new Viewer(t.manifest(), t.holders(), fast()).play(out, heard::add);
        assertArrayEquals(t.movie(), out.toByteArray());
        assertFalse(heard.isEmpty());
        PlaybackStatus last = heard.get(heard.size() - 1);
        assertEquals(300_000, last.bytesWritten());
        assertEquals(10, last.segmentsWritten());
        assertEquals(8, last.hostsLive());
        assertTrue(last.line().startsWith("100% 300 KB/300 KB"), last.line());
        assertTrue(report.startupMillis() >= 0);
        assertTrue(report.dropped().isEmpty(), report::summary);
        // the steady state is measured apart from start-up: only bytes that came after the first write count there
        assertTrue(report.usefulBytesAfterStartup() > 0 && report.usefulBytesAfterStartup() < report.usefulBytes(),
                report::toString);
        assertTrue(report.goodputAfterStartupBytesPerSecond() > 0, report::summary);
        assertEquals(0, report.corruptFragments());
        assertTrue(report.usefulBytes() >= 300_000 && report.usefulBytes() <= report.fragmentBytes(), report::summary);
        assertTrue(report.summary().contains("played 300000 bytes"), report::summary);
    }

    @Test
    void slowHoldersGetLessWorkAndThePlaybackStillCompletes() throws Exception {
        Title t = publish(400_000, 8, 4, 400_000, 0);
        t.holders().get(0).bytesPerSecond = 20_000;
        t.holders().get(1).bytesPerSecond = 20_000;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlaybackReport report = new Viewer(t.manifest(), t.holders(), fast().withStallTimeout(Duration.ofSeconds(2)))
                .play(out, null);
        assertArrayEquals(t.movie(), out.toByteArray());
        long slow = report.bytesByHost().get("host-0") + report.bytesByHost().get("host-1");
        long fastest = report.bytesByHost().get("host-5");
        assertTrue(slow < fastest, "the slow holders served " + slow + " bytes, one fast holder " + fastest);
    }

    @Test
    void aStallingHolderIsDroppedAndItsFragmentsComeFromOthers() throws Exception {
        // caps of 200 KB/s in the manifest (so the 400 ms time-out is the limit), 30 KB/s delivered
        Title t = publish(300_000, 8, 4, 200_000, 0);
        t.holders().forEach(h -> h.bytesPerSecond = 30_000);
        MemoryHolder staller = t.holders().get(3);
        staller.stallAfterBytes = 2048;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // no hedges: the stalled fetch is not cancelled by others' arrival, only the stall detector frees its segment
        PlaybackReport report = new Viewer(t.manifest(), t.holders(), fast().withHedge(0)).play(out, null);
        assertArrayEquals(t.movie(), out.toByteArray());
        assertTrue(report.dropped().get("host-3").startsWith("stalled"), report::summary);
        assertEquals(1, report.dropped().size(), report::summary);
    }

    @Test
    void holdersAtATenthOfTheirCapAreKeptAndGiveOnlyWorkOffTheCriticalPath() throws Exception {
        // the manifest says 100 KB/s for every holder; two deliver 3 KB/s (a host's slow line), so an 8 KiB
        // fragment takes them 2.7 s in one go: longer than the stall time-out, before they are heard from at all
        Title t = publish(1_500_000, 8, 4, 100_000, 100_000);
        t.holders().forEach(h -> h.chunkBytes = Viewer.HOST_CHUNK_BYTES);
        t.holders().get(0).bytesPerSecond = 3_000;
        t.holders().get(4).bytesPerSecond = 3_000;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlaybackReport report = new Viewer(t.manifest(), t.holders(), fast().withStallTimeout(Duration.ofSeconds(2)))
                .play(out, null);
        assertArrayEquals(t.movie(), out.toByteArray());
        // slow is not stalled: not dropped, though silent for longer than the time-out at first
        assertTrue(report.dropped().isEmpty(), report::summary);
        long fewest = Long.MAX_VALUE;
        for (int i : new int[] { 1, 2, 3, 5, 6, 7 }) {
            fewest = Math.min(fewest, report.bytesByHost().get("host-" + i));
        }
        long slow = Math.max(report.bytesByHost().get("host-0"), report.bytesByHost().get("host-4"));
        assertTrue(slow < fewest, "a slow holder served " + slow + " bytes, the least busy fast one " + fewest);
    }

    @Test
    void aHolderThatNeverSendsIsNotWaitedForAndServesNothing() throws Exception {
        // enough segments (28) that one fetch per segment stands apart from the few a silent holder gets
        Title t = publish(900_000, 8, 4, 200_000, 0);
        t.holders().forEach(h -> h.bytesPerSecond = 30_000);
        MemoryHolder mute = t.holders().get(5);
        mute.stallAfterBytes = 0; // opens its streams, never sends a byte
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlaybackReport report = new Viewer(t.manifest(), t.holders(), fast()).play(out, null);
        assertArrayEquals(t.movie(), out.toByteArray());
        assertEquals(0L, report.bytesByHost().get("host-5"), report::summary);
        // either dropped as stalled (three time-outs since its first request) or, its silence counting against it
        // from the first request on, no longer asked: not one fresh fetch per segment
        String why = report.dropped().get("host-5");
        assertTrue(why != null ? why.startsWith("stalled") : mute.fetches.get() < t.manifest().segments().size() / 2,
                mute.fetches.get() + " fetches: " + report.summary());
    }

    @Test
    void holdersDyingMidStreamAreDroppedAndThePlaybackCompletes() throws Exception {
        Title t = publish(400_000, 8, 4, 25_000, 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlaybackReport report = new Viewer(t.manifest(), t.holders(), fast()).play(out, status -> {
            if (status.bytesWritten() > 0) { // mid-stream: two of eight hosts go away at once
                t.holders().get(2).dead = true;
                t.holders().get(6).dead = true;
            }
        });
        assertArrayEquals(t.movie(), out.toByteArray());
        assertTrue(report.dropped().keySet().containsAll(List.of("host-2", "host-6")), report::summary);
        assertEquals(6L * 25_000, report.liveCapBytesPerSecond());
    }

    @Test
    void aCorruptFragmentIsRejectedByItsHashAndAnotherIsFetched() throws Exception {
        Title t = publish(200_000, 8, 4, 200_000, 0);
        MemoryHolder liar = t.holders().get(0);
        liar.corrupt = true;
        liar.bytesPerSecond = 2_000_000; // the fastest: the viewer is sure to ask it
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // stalls are not the point here: a machine loaded by other builds must not get honest holders dropped
        PlaybackReport report = new Viewer(t.manifest(), t.holders(), fast().withStallTimeout(Duration.ofSeconds(5)))
                .play(out, null);
        assertArrayEquals(t.movie(), out.toByteArray());
        assertEquals(1, report.corruptFragments(), report::summary);
        assertTrue(report.dropped().get("host-0").startsWith("served a corrupt fragment"), report::summary);
    }

    @Test
    void tooManyHoldersLostIsAClearErrorAndOnlyGoodSegmentsAreWritten() throws Exception {
        Title t = publish(200_000, 8, 4, 400_000, 0);
        for (int i = 0; i < 5; i++) { // n - k + 1 gone
            t.holders().get(i).dead = true;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamException e = assertThrows(StreamException.class,
                () -> new Viewer(t.manifest(), t.holders(), fast()).play(out, null));
        assertTrue(e.getMessage().startsWith("segment 0 of movie cannot be played: it needs 4 of its 8 fragments "
                + "and only 3 are left"), e.getMessage());
        assertTrue(e.getMessage().contains("host-4: fetch of movie/0/"), e.getMessage());
        assertEquals(0, out.size());
    }

    @Test
    void aDueSegmentIsHedgedAndTheLongTailCancelled() throws Exception {
        // a play rate above what the holders deliver keeps the buffer low: every segment is due and hedged
        Title t = publish(200_000, 8, 4, 100_000, 2_000_000);
        t.holders().get(1).bytesPerSecond = 5_000;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlaybackReport report = new Viewer(t.manifest(), t.holders(),
                fast().withStallTimeout(Duration.ofSeconds(5))).play(out, null);
        assertArrayEquals(t.movie(), out.toByteArray());
        assertTrue(report.hedges() > 0, report::summary);
        assertTrue(report.cancelled() > 0, report::summary);
        assertTrue(report.stalls() > 0 && report.longestStallMillis() > 0, "a player at 2 MB/s ran dry: "
                + report.summary());
        int cancels = t.holders().stream().mapToInt(h -> h.cancels.get()).sum();
        assertTrue(cancels >= report.cancelled(), "every cancel reached its holder: " + cancels);
    }

    @Test
    void aHolderWhoseSessionIsSlowToOpenHoldsUpNoOtherHolder() throws Exception {
        Title t = publish(300_000, 8, 4, 400_000, 0);
        List<MemoryHolder> holders = t.holders();
        // every holder's first request blocks its caller until all the others have been asked for something: with
        // requests sent one after another from one thread, each would wait out its 5 s in turn
        for (MemoryHolder h : holders) {
            h.openWhen = () -> holders.stream().filter(o -> o != h).allMatch(o -> o.fetches.get() > 0);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlaybackReport report = new Viewer(t.manifest(), holders, fast()).play(out, null);
        assertArrayEquals(t.movie(), out.toByteArray());
        for (MemoryHolder h : holders) {
            assertTrue(h.openedOnCondition, h.hostId + " was kept waiting by the others' sessions: "
                    + report.summary());
        }
    }

    @Test
    void aViewerNeedsAHolderPerSlot() throws Exception {
        Title t = publish(50_000, 4, 2, 400_000, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Viewer(t.manifest(), t.holders().subList(0, 3), Viewer.Options.defaults()));
        assertEquals("the title has 4 holder slots, got 3 holders", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Viewer.Options.defaults().withHedge(-1));
    }

    static byte[] prefix(byte[] b, int n) {
        return Arrays.copyOf(b, n);
    }
}
