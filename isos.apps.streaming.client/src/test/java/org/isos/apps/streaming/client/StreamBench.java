package org.isos.apps.streaming.client;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The viewer's scheduler against simulated modem-like holders (not a test: run with
 * {@code mvn -B -o -f isos.apps.streaming.client/pom.xml test -Dtest=StreamBench -Disos.bench=true}). Each holder is
 * an in-memory {@link MemoryHolder} paced like the kernel's lease cap (a token bucket shared by its fetches, 16 KiB
 * chunks as the host app writes them) at 32,000 bytes/s (256 kbit/s); a "slow" one delivers ten times below its cap.
 * A title of 256 KiB segments, k = n/2, play rate half the sum of the caps, is played to a null output; printed:
 * goodput against the sum of the live holders' caps (and against what they actually deliver), start-up time, the
 * longest stall. Network latency and the kernel's own costs are not simulated: the world test measures those.
 */
@EnabledIfSystemProperty(named = "isos.bench", matches = "true")
class StreamBench {

    static final long CAP = 32_000;

    @TempDir
    Path dir;

    @Test
    void goodputStartUpAndStalls() throws Exception {
        System.out.println("bench: streaming (simulated holders at " + CAP + " bytes/s each, 256 KiB segments,"
                + " k = n/2, hedge 2, 2 fetches per holder)");
        System.out.println("bench: (of caps: of the lease caps of the holders not dropped; of all caps: of every"
                + " holder's lease cap; of delivered: of what the holders can deliver, the slow ones a tenth of their cap)");
        System.out.println("bench:  hosts  slow  movie      seconds  goodput B/s  of caps  of all caps  of delivered"
                + "  after start-up B/s  of all caps  of delivered  start-up ms  longest stall ms  stalls  hedges"
                + "  cancelled  wasted bytes");
        for (String h : System.getProperty("isos.bench.hosts", "8,20,60").split(",")) {
            int hosts = Integer.parseInt(h.strip());
            run(hosts, 0);
            run(hosts, hosts / 4);
        }
    }

    private void run(int hosts, int slow) throws Exception {
        long capSum = hosts * CAP;
        long delivered = (hosts - slow) * CAP + slow * CAP / 10;
        int seconds = Integer.getInteger("isos.bench.seconds", 12);
        int bytes = (int) Math.min(64L << 20, delivered * seconds);
        byte[] movie = new byte[bytes];
        new Random(hosts * 31L + slow).nextBytes(movie);
        Path file = dir.resolve("bench-" + hosts + "-" + slow + ".ts");
        Files.write(file, movie);
        List<MemoryHolder> holders = new ArrayList<>();
        List<TitleManifest.Holder> slots = new ArrayList<>();
        for (int i = 0; i < hosts; i++) {
            MemoryHolder h = new MemoryHolder("host-" + i, 1_000_000_000L);
            h.chunkBytes = 16 * 1024;
            holders.add(h);
            slots.add(new TitleManifest.Holder("host-" + i, "owner-" + i, "lease-" + i, "127.0.0.1:1", CAP));
        }
        TitleManifest manifest = Publisher.publish(file, "bench", "acme", slots, holders,
                Publisher.Options.forHolders(hosts).withPlayBytesPerSecond(capSum / 2), null);
        for (int i = 0; i < hosts; i++) {
            // spread the slow ones over the slots
            holders.get(i).bytesPerSecond = slow > 0 && i % 4 == 0 && i / 4 < slow ? CAP / 10 : CAP;
        }
        // how busy the holders at their cap are: the share of them serving something, sampled every 50 ms
        long[] busy = new long[2];
        java.util.concurrent.atomic.AtomicBoolean playing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (playing.get()) {
                for (MemoryHolder h : holders) {
                    if (h.bytesPerSecond == CAP) {
                        busy[0] += h.serving.get() > 0 ? 1 : 0;
                        busy[1]++;
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        PlaybackReport r = new Viewer(manifest, holders, Viewer.Options.defaults().withStallTimeout(
                Duration.ofSeconds(3))).play(OutputStream.nullOutputStream(), null);
        playing.set(false);
        sampler.join();
        System.out.printf("bench: %6d %5d %8.1f MB %8.1f %12.0f %7.0f%% %11.0f%% %12.0f%% %19.0f %11.0f%% %12.0f%%"
                + " %12d %17d %7d %7d %10d %13d%n", hosts, slow, bytes / 1e6, r.seconds(), r.goodputBytesPerSecond(),
                100 * r.goodputShareOfCaps(), 100 * r.goodputBytesPerSecond() / capSum,
                100 * r.goodputBytesPerSecond() / delivered, r.goodputAfterStartupBytesPerSecond(),
                100 * r.goodputAfterStartupBytesPerSecond() / capSum,
                100 * r.goodputAfterStartupBytesPerSecond() / delivered, r.startupMillis(), r.longestStallMillis(),
                r.stalls(), r.hedges(), r.cancelled(), r.fragmentBytes() - r.usefulBytes());
        System.out.printf("bench:   holders at their cap busy %.0f%% of the time%n", 100.0 * busy[0] / Math.max(1, busy[1]));
        if (!r.dropped().isEmpty()) {
            System.out.println("bench:   dropped " + r.dropped());
        }
    }
}
