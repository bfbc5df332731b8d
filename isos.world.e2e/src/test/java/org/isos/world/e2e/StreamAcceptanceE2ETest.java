package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 6's acceptance run, opt-in (too heavy for CI and for a 2-core machine shared with builds):
 * {@code -Disos.stream.acceptance=true [-Disos.stream.hosts=20] [-Disos.stream.slow=N/4] [-Disos.stream.kill=3]
 * [-Disos.stream.seconds=40] [-Disos.stream.videoKbit=1500]}. {@code ./isos dev --hosts N}, every lease capped at
 * 32,000 B/s (256 kbit/s); the provider publishes an ffmpeg MPEG-TS (N/2-of-N, 256 KiB segments) at a price; a second
 * buyer buys views and plays it three times: (1) all hosts at their cap; (2) with {@code slow} hosts serving at a
 * tenth of their cap (their agents restarted with the kernel's {@code uplinkBytesPerSecond} at 3,200 B/s, the host's
 * own line being slower than the cap it sold); (3) with those still slow and {@code kill} hosts at their cap killed
 * once a third of the movie is out. Each time the output must be byte-identical and ffprobe must read it; in (3) no
 * stall may last over a second. The figures (goodput against the live hosts' caps, overall and after
 * start-up, start-up time, the longest stall) are printed for docs/benchmarks.md; nothing about speed is asserted but
 * the stall bound.
 */
@EnabledIfSystemProperty(named = "isos.stream.acceptance", matches = "true")
@Timeout(value = 1800, unit = TimeUnit.SECONDS)
class StreamAcceptanceE2ETest {

    static final long CAP = 32_000;

    @TempDir
    static Path root;
    static World world;

    /** A failed run leaves the world's logs in target/world-logs/ (the world itself is a temporary directory). */
    @RegisterExtension
    static final TestWatcher KEEP_LOGS = World.logsKeptOnFailure(() -> world);

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(60), world::allStopped);
        }
    }

    @Test
    void aMoviePlaysByteIdenticalFromAllHostsFromASlowQuarterAndWithHostsKilledMidStreamWithNoStallOverOneSecond() throws Exception {
        int hosts = Integer.getInteger("isos.stream.hosts", 20);
        int kill = Integer.getInteger("isos.stream.kill", 3);
        int seconds = Integer.getInteger("isos.stream.seconds", 40);
        int videoKbit = Integer.getInteger("isos.stream.videoKbit", 1500);
        int slow = Integer.getInteger("isos.stream.slow", hosts / 4);
        long started = System.nanoTime();
        // a host is lost (its leases FAILED, their fragments deleted) after 3 missed heartbeats: the slow agents'
        // restart below must fit in that, so the period is long (1 s periods lose them and measure absent hosts)
        int heartbeat = Integer.getInteger("isos.stream.heartbeatSeconds", 30);
        world = World.startWithHeartbeat(root.resolve("dev"), hosts, heartbeat, "--wait-seconds", "600");
        System.out.printf("StreamAcceptance: ./isos dev --hosts %d ready in %.1f s%n", hosts,
                (System.nanoTime() - started) / 1e9);
        assertEquals(0, world.isos("keys", "new", "dev").exit());
        Path movie = root.resolve("movie.ts");
        Process ffmpeg = new ProcessBuilder("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                "testsrc=size=640x360:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t",
                Integer.toString(seconds), "-c:v", "mpeg2video", "-b:v", videoKbit + "k", "-maxrate", videoKbit + "k",
                "-bufsize", (2 * videoKbit) + "k", "-c:a", "mp2", "-b:a", "64k", "-f", "mpegts", movie.toString())
                .redirectErrorStream(true).redirectOutput(root.resolve("ffmpeg.log").toFile()).start();
        assertTrue(ffmpeg.waitFor(300, TimeUnit.SECONDS) && ffmpeg.exitValue() == 0, () -> "ffmpeg failed");
        long size = Files.size(movie);
        long playRate = size / seconds;
        System.out.printf("StreamAcceptance: %d s MPEG-TS of %d bytes (%d B/s = %.0f kbit/s); caps %d x %d = %d B/s%n",
                seconds, size, playRate, playRate * 8 / 1000.0, hosts, CAP, hosts * CAP);

        started = System.nanoTime();
        // many hosts on a small machine: publishing (20 leases, their app, the fragments) outlasts World's 180 s
        Process publish = cli(world.env("ISOS_TOKEN"), "publish", "stream", "publish", movie.toString(), "--hosts",
                Integer.toString(hosts), "--k", Integer.toString(hosts / 2), "--rate-cap", Long.toString(CAP), "--name",
                "acceptance.ts", "--lease", "30m", "--play-rate", Long.toString(playRate), "--price", "1",
                "--wait-seconds", "600");
        assertTrue(publish.waitFor(1200, TimeUnit.SECONDS), "publish did not end in 1200 s");
        String published = Files.readString(root.resolve("publish.out")) + Files.readString(root.resolve("publish.err"));
        System.out.printf("StreamAcceptance: publish took %.1f s: %s%n", (System.nanoTime() - started) / 1e9,
                published.lines().filter(l -> l.startsWith("published")).findFirst().orElse(published));
        assertEquals(0, publish.exitValue(), published);

        World.Run created = world.isos("accounts", "create", "--token", world.operatorToken(), "--kind", "buyer", "--name", "Viewer", "--json");
        String viewer = created.json().path("token").asText();
        assertEquals(0, world.isosAs(viewer, "deposit", "10").exit());

        // 1. every host at its cap
        Map<String, String> agentByHost = world.agentsByHost();
        List<String> agents = new ArrayList<>(agentByHost.values());
        play(viewer, "normal", movie, hosts + " hosts, all at their cap", Map.of(), List.of());

        // 2. a quarter of the hosts slow: their agents restarted with a host uplink of a tenth of the lease's cap
        // (kernel uplinkBytesPerSecond, shared by the host's leases), on the same transport port, so the title's
        // manifest still reaches them; the leases, their app and its fragments come back from the kernel's disk
        Map<String, String> slowHosts = new java.util.LinkedHashMap<>();
        for (int i = 0; i < slow; i++) {
            String agent = agents.get((i * 4) % agents.size());
            Properties status = world.agentStatus().get(agent);
            String transport = status.getProperty("transport");
            String port = transport.substring(transport.lastIndexOf(':') + 1);
            world.restartAgent(agent, "isos.kernel.uplinkBytesPerSecond=" + CAP / 10, "isos.kernel.transportPort=" + port);
            slowHosts.put(status.getProperty("hostId"), agent);
        }
        if (slow > 0) {
            long restarted = System.nanoTime();
            world.await(slow + " slow agents back with their transport and lease", Duration.ofSeconds(600), () -> {
                try {
                    Map<String, Properties> status = world.agentStatus();
                    for (String agent : slowHosts.values()) {
                        Properties p = status.get(agent);
                        // and hosting the streaming app again (its lease back from the kernel's disk): before, the
                        // viewer finds "no app … under lease" and drops the host, which measures an absent host, not
                        // a slow one
                        if (p == null || !"true".equals(p.getProperty("running")) || p.getProperty("lastHeartbeat") == null
                                || p.getProperty("apps", "").isBlank()
                                || world.processOf(agent) == null
                                || !Long.toString(world.processOf(agent)).equals(p.getProperty("agent.pid"))) {
                            return false;
                        }
                    }
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
            System.out.printf("StreamAcceptance: %d agents restarted slow (%d B/s uplink) in %.1f s: %s%n", slow,
                    CAP / 10, (System.nanoTime() - restarted) / 1e9, slowHosts.values());
            play(viewer, "slow", movie, hosts + " hosts, " + slow + " of them at a tenth of their cap", slowHosts,
                    List.of());
        }

        // 3. the acceptance: hosts at their cap killed mid-stream (the slow ones stay slow)
        if (kill > 0) {
            List<String> victims = new ArrayList<>();
            for (String agent : agents) {
                if (!slowHosts.containsValue(agent) && victims.size() < kill) {
                    victims.add(agent);
                }
            }
            JsonNode report = play(viewer, "kill", movie, hosts + " hosts, " + slow + " slow, " + kill
                    + " at their cap killed after a third of the movie", slowHosts, victims);
            assertTrue(report.path("longestStallMillis").asLong() <= 1000, "no stall over a second: " + report);
        }
    }

    /**
     * Plays the title as {@code viewer} (a new view) to a file, killing {@code victims} once a third is out; checks
     * the bytes and ffprobe, prints the three figures: goodput (overall and after start-up) against the live
     * hosts' caps and against what they can deliver, start-up time, the longest stall.
     */
    private static JsonNode play(String viewer, String name, Path movie, String what, Map<String, String> slowHosts,
            List<String> victims) throws Exception {
        long size = Files.size(movie);
        Path out = root.resolve("played-" + name + ".ts");
        Process play = cli(viewer, "play-" + name, "stream", "play", "acceptance.ts", "-o", out.toString(), "--json",
                "--quiet");
        if (victims.isEmpty() && play.waitFor(900, TimeUnit.SECONDS) && play.exitValue() != 0 && !Files.exists(out)
                && Files.readString(root.resolve("play-" + name + ".err")).contains("did not answer in time")) {
            // a 2-core machine at load 80 can keep the server from answering the view's purchase: once more
            play = cli(viewer, "play-" + name, "stream", "play", "acceptance.ts", "-o", out.toString(), "--json",
                    "--quiet");
        }
        long atKill = 0;
        if (!victims.isEmpty()) {
            long deadline = System.nanoTime() + 300_000_000_000L;
            while ((!Files.exists(out) || Files.size(out) < size / 3) && play.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            atKill = Files.exists(out) ? Files.size(out) : 0;
            for (String agent : victims) {
                world.killAgent(agent);
            }
        }
        assertTrue(play.waitFor(900, TimeUnit.SECONDS), "play did not end");
        String text = Files.readString(root.resolve("play-" + name + ".err"));
        System.out.printf("StreamAcceptance [%s]: %s%s:%n%s", name, what, victims.isEmpty() ? ""
                : " (killed " + victims + " with " + atKill + " of " + size + " bytes played)", text);
        assertEquals(0, play.exitValue(), text);
        assertTrue(victims.isEmpty() || atKill < size, "the hosts died mid-stream, not after it");
        assertArrayEquals(Files.readAllBytes(movie), Files.readAllBytes(out), "every byte right");
        Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "format=format_name,duration",
                "-of", "default=noprint_wrappers=1", out.toString()).redirectErrorStream(true).start();
        String probed = new String(probe.getInputStream().readAllBytes());
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, probe.exitValue(), probed);
        assertTrue(probed.contains("format_name=mpegts"), probed);
        JsonNode report = World.JSON.readTree(text.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no JSON report: " + text)));
        long live = report.path("liveCapBytesPerSecond").asLong();
        int hosts = report.path("bytesByHost").size();
        // what the live hosts can deliver: a slow one a tenth of its cap
        long deliverable = live;
        for (String host : slowHosts.keySet()) {
            if (!report.path("dropped").has(host)) {
                deliverable -= CAP - CAP / 10;
            }
        }
        double goodput = report.path("goodputBytesPerSecond").asDouble();
        double after = report.path("goodputAfterStartupBytesPerSecond").asDouble();
        StringBuilder slowBytes = new StringBuilder();
        slowHosts.keySet().forEach(h -> slowBytes.append(' ').append(report.path("bytesByHost").path(h).asLong()));
        System.out.printf("StreamAcceptance [%s]: %.1f s; goodput %.0f B/s = %.0f %% of the %d B/s live caps (%.0f %%"
                + " of the %d B/s they can deliver); after start-up %.0f B/s = %.0f %% (%.0f %%); start-up %d ms; %d"
                + " stalls, longest %d ms; fetches %d, hedged %d, cancelled %d; %d dropped; bytes from the slow hosts:%s;"
                + " of all %d hosts' nominal caps (%d B/s): %.0f %%, after start-up %.0f %%;"
                + " ffprobe: %s%n", name, report.path("seconds").asDouble(), goodput, 100 * goodput / live, live,
                100 * goodput / deliverable, deliverable, after, 100 * after / live, 100 * after / deliverable,
                report.path("startupMillis").asLong(), report.path("stalls").asInt(),
                report.path("longestStallMillis").asLong(), report.path("fetches").asInt(),
                report.path("hedges").asInt(), report.path("cancelled").asInt(), report.path("dropped").size(),
                // (the nominal figures: every host of the title at its lease's cap, slow, dropped or killed alike)
                slowBytes, hosts, hosts * CAP, 100 * goodput / (hosts * CAP), 100 * after / (hosts * CAP),
                probed.strip().replace('\n', ' '));
        return report;
    }

    /** Starts {@code isos args…} with {@code token}: stdout and stderr to {@code name}.out / .err under the root. */
    private static Process cli(String token, String name, String... args) throws java.io.IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Disos.root=" + World.ROOT, "-cp", World.ROOT.resolve("isos.cli/target/cli/lib") + "/*",
                "org.isos.cli.Isos"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(World.ROOT.toFile());
        builder.environment().put("ISOS_SERVER", world.env("ISOS_SERVER"));
        builder.environment().put("ISOS_HOME", world.env("ISOS_HOME"));
        builder.environment().put("ISOS_TOKEN", token);
        return builder.redirectOutput(root.resolve(name + ".out").toFile())
                .redirectError(root.resolve(name + ".err").toFile()).start();
    }
}
