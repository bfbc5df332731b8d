package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.isos.apps.streaming.client.SegmentHolder;
import org.isos.apps.streaming.client.SessionSegmentHolder;
import org.isos.apps.streaming.client.TitleManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 6 on a real world: {@code ./isos dev --hosts 8}; the dev buyer (the provider) publishes a movie (a real MPEG-TS
 * made with ffmpeg when it is installed, else pseudo-random bytes) 4-of-8 onto all eight hosts, each lease capped at
 * 32,000 bytes/s (256 kbit/s), and registers it on the server at 0.5 credits a view; a second buyer (the viewer) buys
 * a view and plays it back byte-identical, charged once, the provider credited the price less the ISOS fee; the
 * viewer plays it again under the same view id (not charged again) while two hosts are killed mid-stream and still
 * gets every byte right, the longest stall reported; an unknown title and a viewer without funds are clear errors.
 * Before any view is sold, a direct fetch from a host with no view ticket, or with a forged one, is refused.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class StreamWorldE2ETest {

    static final int HOSTS = 8;
    static final long CAP = 32_000;
    static final String TITLE = "world-movie.ts";
    static final long PRICE = 500_000;
    static final String VIEW_ID = "world-view-1";

    @TempDir
    static Path root;
    static World world;
    static Path movie;
    static boolean realVideo;
    static long playRate;
    static String viewer;
    static String viewerId;
    static String provider;

    /** A failed test leaves the world's logs in target/world-logs/ (the world itself is a temporary directory). */
    @RegisterExtension
    static final TestWatcher KEEP_LOGS = World.logsKeptOnFailure(() -> world);

    @BeforeAll
    static void publish() throws Exception {
        world = World.start(root.resolve("dev"), HOSTS);
        try {
            publishOnTheWorld();
        } catch (Exception | AssertionError e) {
            // e.g. a lease left PENDING until publish gave up (seen once): the agents' logs say why
            world.keepAllLogs("StreamWorldE2ETest-publish");
            throw e;
        }
    }

    private static void publishOnTheWorld() throws Exception {
        World.Run keys = world.isos("keys", "new", "dev");
        assertEquals(0, keys.exit(), keys::toString);
        movie = root.resolve("movie.ts");
        realVideo = makeVideo(movie);
        if (!realVideo) {
            byte[] bytes = new byte[1_000_003];
            new Random(6).nextBytes(bytes);
            Files.write(movie, bytes);
            playRate = bytes.length / 30;
        }
        System.out.printf("StreamWorldE2ETest: movie of %d bytes (%s), play rate %d bytes/s%n", Files.size(movie),
                realVideo ? "MPEG-TS made by ffmpeg" : "pseudo-random: no ffmpeg here", playRate);
        long start = System.nanoTime();
        World.Run publish = stream("publish", movie.toString(), "--hosts", Integer.toString(HOSTS), "--k", "4",
                "--rate-cap", Long.toString(CAP), "--name", TITLE, "--lease", "15m", "--segment", "128KiB",
                "--play-rate", Long.toString(playRate), "--price", "0.5");
        System.out.printf("StreamWorldE2ETest: publish took %.1f s:%n%s%s", (System.nanoTime() - start) / 1e9,
                publish.out(), publish.err());
        assertEquals(0, publish.exit(), publish::toString);
        assertTrue(publish.out().contains("published " + TITLE + ": " + Files.size(movie) + " bytes"), publish::toString);
        assertTrue(publish.out().contains("registered on the server at 0.5 credits per view"), publish::toString);
        provider = world.get("/v1/me", world.env("ISOS_TOKEN")).path("id").asText();

        World.Run created = world.isos("accounts", "create", "--token", world.operatorToken(), "--kind", "buyer", "--name", "Viewer", "--json");
        assertEquals(0, created.exit(), created::toString);
        viewer = created.json().path("token").asText();
        viewerId = created.json().path("id").asText();
        World.Run deposit = world.isosAs(viewer, "deposit", "2");
        assertEquals(0, deposit.exit(), deposit::toString);
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(40), world::allStopped);
        }
    }

    @Test
    @Order(0)
    void theHostsServeNoFragmentWithoutAValidViewTicket() throws Exception {
        // someone who knows the holders and the fragment ids (here: the provider's own manifest) but bought no view
        TitleManifest manifest = TitleManifest.fromJson(world.get("/v1/titles/" + TITLE, world.env("ISOS_TOKEN"))
                .path("manifest").toString());
        TitleManifest.Fragment fragment = manifest.segments().get(0).fragments().get(0);
        TitleManifest.Holder slot = manifest.holders().get(fragment.holder());
        String noTicket = refusal(SessionSegmentHolder.of(slot, provider, List.of(world.ca()), Duration.ofSeconds(20)),
                fragment);
        assertTrue(noTicket.contains("NO_TICKET: a fetch of " + TITLE + " needs the view ticket"), noTicket);
        // a ticket that says the right things, signed by a key that is not the ISOS CA's
        String forged = refusal(SessionSegmentHolder.of(slot, provider, List.of(world.ca()), Duration.ofSeconds(20),
                TITLE, forgedTicket(TITLE)), fragment);
        assertTrue(forged.contains("BAD_TICKET: its signature is not the ISOS CA's"), forged);
        System.out.printf("StreamWorldE2ETest: without a ticket host %s says: %s%n", slot.hostId(), noTicket);
    }

    /** The FAILED reason a holder answers to a fetch of {@code fragment} of segment 0. */
    private static String refusal(SessionSegmentHolder holder, TitleManifest.Fragment fragment) throws Exception {
        java.util.concurrent.CompletableFuture<String> outcome = new java.util.concurrent.CompletableFuture<>();
        try (holder) {
            holder.fetch(TITLE, 0, fragment.index(), fragment.id(), new SegmentHolder.Receiver() {
                @Override
                public void bytes(byte[] chunk, int offset, int length) {
                    outcome.complete("served " + length + " bytes");
                }

                @Override
                public void ended() {
                    outcome.complete("served the fragment");
                }

                @Override
                public void failed(String reason) {
                    outcome.complete(reason);
                }
            });
            return outcome.get(30, TimeUnit.SECONDS);
        }
    }

    private static String forgedTicket(String title) throws Exception {
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        long now = System.currentTimeMillis() / 1000;
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String body = b64.encodeToString(("{\"v\":1,\"title\":\"" + title + "\",\"viewer\":\"" + viewerId
                + "\",\"viewId\":\"free\",\"manifest\":\"" + "0".repeat(64) + "\",\"iat\":" + now + ",\"exp\":"
                + (now + 3600) + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign(generator.generateKeyPair().getPrivate());
        signer.update(("ISOS view-ticket\n" + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return body + "." + b64.encodeToString(signer.sign());
    }

    @Test
    @Order(1)
    void theTitleIsListedAndPlaysByteIdentical() throws Exception {
        World.Run titles = stream("titles", "--json");
        assertEquals(0, titles.exit(), titles::toString);
        JsonNode listed = titles.json().path("titles").get(0);
        assertEquals(TITLE, listed.path("name").asText(), titles::toString);
        assertEquals(PRICE, listed.path("pricePerViewMicros").asLong());
        assertEquals(provider, listed.path("provider").asText());
        assertEquals(HOSTS, listed.path("leases").asInt());
        assertEquals(4, listed.path("neededLeases").asInt());
        assertTrue(listed.path("available").asBoolean(), titles::toString);

        // the viewer, not the publisher, buys a view and plays it
        Path out = root.resolve("played.ts");
        World.Run play = streamAs(viewer, "play", TITLE, "-o", out.toString(), "--view-id", VIEW_ID);
        System.out.println("StreamWorldE2ETest: the viewer plays, all hosts up:\n" + play.err());
        assertEquals(0, play.exit(), play::toString);
        assertArrayEquals(Files.readAllBytes(movie), Files.readAllBytes(out), "the played movie is the published one");
        assertTrue(play.err().contains("charged 0.5 credits for view " + VIEW_ID + " (to " + provider + ": 0.45, ISOS"
                + " fee 0.05)"), play::toString);
        assertEquals(2_000_000 - PRICE, world.get("/v1/balance", viewer).path("availableMicros").asLong(),
                "the viewer paid one view");
        JsonNode credit = null;
        for (JsonNode entry : world.get("/v1/ledger?limit=1000", world.env("ISOS_TOKEN")).path("entries")) {
            if (entry.path("transferId").asText().equals("view:" + viewerId + ":" + VIEW_ID)) {
                credit = entry;
            }
        }
        assertTrue(credit != null, "the provider's ledger has the view");
        assertEquals(PRICE - PRICE / 10, credit.path("amountMicros").asLong(), "the price less the 10 % fee");
        assertTrue(world.get("/v1/ledger/totals", viewer).path("balanced").asBoolean());
        assertTrue(play.err().contains("hosts 0 in use/8 live") || play.err().contains("live"), play::toString);
        assertTrue(play.err().contains("goodput"), play::toString);
        if (realVideo && onPath("ffprobe")) {
            Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "format=format_name,duration",
                    "-of", "default=noprint_wrappers=1", out.toString()).redirectErrorStream(true).start();
            String text = new String(probe.getInputStream().readAllBytes());
            assertTrue(probe.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, probe.exitValue(), text);
            assertTrue(text.contains("format_name=mpegts"), text);
            System.out.println("StreamWorldE2ETest: ffprobe of the played file: " + text.strip().replace('\n', ' '));
        }
    }

    @Test
    @Order(2)
    void twoHostsKilledMidStreamAndThePlaybackStillCompletesByteIdentical() throws Exception {
        Path out = root.resolve("played-with-losses.ts");
        // the same view again (its id): not charged a second time
        Process play = startAs(viewer, "play", TITLE, "-o", out.toString(), "--json", "--view-id", VIEW_ID);
        // mid-stream: as soon as the first segment is out, two of the eight hosts die
        long deadline = System.nanoTime() + 60_000_000_000L;
        while ((!Files.exists(out) || Files.size(out) == 0) && play.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long atKill = Files.exists(out) ? Files.size(out) : 0;
        List<String> agents = new ArrayList<>(world.agentsByHost().values());
        world.killAgent(agents.get(1));
        world.killAgent(agents.get(4));
        assertTrue(play.waitFor(180, TimeUnit.SECONDS), "play did not end");
        String err = Files.readString(root.resolve("stream-play.err"));
        System.out.printf("StreamWorldE2ETest: killed %s and %s with %d bytes played:%n%s", agents.get(1),
                agents.get(4), atKill, err);
        assertEquals(0, play.exitValue(), err);
        assertTrue(err.contains("view " + VIEW_ID + " was bought before: not charged again"), err);
        assertEquals(2_000_000 - PRICE, world.get("/v1/balance", viewer).path("availableMicros").asLong(),
                "charged once per view");
        assertTrue(atKill < Files.size(movie), "the hosts died mid-stream, not after it");
        assertArrayEquals(Files.readAllBytes(movie), Files.readAllBytes(out), "every byte right after losing two hosts");
        JsonNode report = World.JSON.readTree(err.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no JSON report: " + err)));
        assertTrue(report.has("longestStallMillis"), report::toString);
        System.out.printf("StreamWorldE2ETest: longest stall %d ms, %d stalls, start-up %d ms, goodput %.0f bytes/s"
                + " of %d bytes/s live caps, dropped %s%n", report.path("longestStallMillis").asLong(),
                report.path("stalls").asInt(), report.path("startupMillis").asLong(),
                report.path("goodputBytesPerSecond").asDouble(), report.path("liveCapBytesPerSecond").asLong(),
                report.path("dropped"));
    }

    @Test
    @Order(3)
    void anUnknownTitleAndAViewerWithoutFundsAreClearErrors() throws Exception {
        World.Run play = streamAs(viewer, "play", "no-such-title", "-o", root.resolve("none.ts").toString());
        assertEquals(1, play.exit(), play::toString);
        assertEquals("isos stream play: unknown title 'no-such-title': the server has no such title (titles: " + TITLE
                + ")", play.err().strip(), play::toString);
        assertFalse(Files.exists(root.resolve("none.ts")));

        World.Run created = world.isos("accounts", "create", "--token", world.operatorToken(), "--kind", "buyer", "--name", "Poor", "--json");
        String poor = created.json().path("token").asText();
        Path none = root.resolve("poor.ts");
        World.Run refused = streamAs(poor, "play", TITLE, "-o", none.toString());
        assertEquals(1, refused.exit(), refused::toString);
        assertTrue(refused.err().startsWith("isos stream play: cannot buy a view of " + TITLE + ": a view of " + TITLE
                + " costs 500000 micros; " + created.json().path("id").asText() + " has only 0 available"),
                refused::toString);
        assertFalse(Files.exists(none), "nothing written for a view not bought");
    }


    /**
     * A 30 s MPEG-TS test pattern with a tone, about 1 MB (MPEG-2 video at 200 kbit/s, MP2 audio at 64 kbit/s), if
     * ffmpeg is on the path.
     */
    private static boolean makeVideo(Path file) throws Exception {
        if (!onPath("ffmpeg")) {
            return false;
        }
        Process ffmpeg = new ProcessBuilder("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "30",
                "-c:v", "mpeg2video", "-b:v", "200k", "-maxrate", "200k", "-bufsize", "400k", "-c:a", "mp2", "-b:a",
                "64k", "-f", "mpegts", file.toString()).redirectErrorStream(true)
                .redirectOutput(root.resolve("ffmpeg.log").toFile()).start();
        if (!ffmpeg.waitFor(120, TimeUnit.SECONDS) || ffmpeg.exitValue() != 0) {
            throw new AssertionError("ffmpeg failed: " + Files.readString(root.resolve("ffmpeg.log")));
        }
        playRate = Files.size(file) / 30;
        return true;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Starts {@code isos stream args…} as the dev buyer: the CLI's own class path, as the {@code isos} launcher
     * runs it (stdout to stream-VERB.out, stderr to stream-VERB.err under the test's root).
     */
    private static Process start(String... args) throws IOException {
        return startAs(world.env("ISOS_TOKEN"), args);
    }

    /** {@link #start(String...)} with {@code token} as ISOS_TOKEN. */
    private static Process startAs(String token, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Disos.root=" + World.ROOT, "-cp",
                World.ROOT.resolve("isos.cli/target/cli/lib").toString() + "/*", "org.isos.cli.Isos", "stream"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(World.ROOT.toFile());
        for (String name : List.of("ISOS_SERVER", "ISOS_HOME")) {
            builder.environment().put(name, world.env(name));
        }
        builder.environment().put("ISOS_TOKEN", token);
        return builder.redirectOutput(root.resolve("stream-" + args[0] + ".out").toFile())
                .redirectError(root.resolve("stream-" + args[0] + ".err").toFile()).start();
    }

    private static World.Run stream(String... args) throws Exception {
        return streamAs(world.env("ISOS_TOKEN"), args);
    }

    private static World.Run streamAs(String token, String... args) throws Exception {
        Process process = startAs(token, args);
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("isos stream " + String.join(" ", args) + " did not end in 300 s");
        }
        return new World.Run(process.exitValue(), Files.readString(root.resolve("stream-" + args[0] + ".out")),
                Files.readString(root.resolve("stream-" + args[0] + ".err")));
    }
}
