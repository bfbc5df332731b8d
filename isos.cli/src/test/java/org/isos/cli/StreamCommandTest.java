package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.isos.apps.streaming.client.TitleManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code isos stream}: usage errors, titles, unknown titles, and a title whose hosts are all gone. */
class StreamCommandTest {

    static final String HEX = "ab".repeat(32);

    @TempDir
    Path home;

    Map<String, String> env() {
        return Map.of("ISOS_HOME", home.toString(), "ISOS_SERVER", "https://127.0.0.1:1/", "ISOS_TOKEN", "t");
    }

    @Test
    void usageErrorsSayWhatIsWrong() throws Exception {
        CliRun none = CliRun.run(env(), "stream");
        assertEquals(2, none.exit(), none::toString);
        assertTrue(none.err().startsWith("isos stream: say which: publish, play, titles"), none::toString);
        Path movie = Files.write(home.resolve("m.ts"), new byte[100]);
        CliRun one = CliRun.run(env(), "stream", "publish", movie.toString(), "--hosts", "1");
        assertEquals(2, one.exit(), one::toString);
        assertTrue(one.err().startsWith("isos stream publish: --hosts must be 2 to 256, not 1"), one::toString);
        CliRun k = CliRun.run(env(), "stream", "publish", movie.toString(), "--hosts", "4", "--k", "4");
        assertEquals(2, k.exit(), k::toString);
        assertTrue(k.err().contains("--k must be 1 to 3 (fewer than --hosts), not 4"), k::toString);
        CliRun title = CliRun.run(env(), "stream", "publish", movie.toString(), "--hosts", "4", "--title", "../x");
        assertEquals(2, title.exit(), title::toString);
        CliRun missing = CliRun.run(env(), "stream", "publish", home.resolve("none.ts").toString(), "--hosts", "4");
        assertEquals(1, missing.exit(), missing::toString);
        assertTrue(missing.err().startsWith("isos stream publish: no such movie file: "), missing::toString);
        CliRun extra = CliRun.run(env(), "stream", "play", "t", "x");
        assertEquals(2, extra.exit(), extra::toString);
        assertTrue(CliRun.run(env(), "stream", "play", "--help").exit() == 0);
    }

    @Test
    void anUnknownTitleIsAClearErrorNamingTheTitlesThereAre() throws Exception {
        CliRun empty = CliRun.run(env(), "stream", "play", "nope", "-o", home.resolve("o.ts").toString());
        assertEquals(1, empty.exit(), empty::toString);
        assertTrue(empty.err().startsWith("isos stream play: unknown title 'nope': no " + home.resolve("titles/nope.json")
                + " (no title is published here"), empty::toString);
        assertTrue(CliRun.run(env(), "stream", "titles").out().startsWith("no titles in "));

        manifest("first.ts").write(home.resolve("titles/first.ts.json"));
        CliRun other = CliRun.run(env(), "stream", "play", "nope");
        assertEquals(1, other.exit(), other::toString);
        assertTrue(other.err().contains("(titles: first.ts)"), other::toString);
        CliRun bad = CliRun.run(env(), "stream", "play", "../etc");
        assertEquals(1, bad.exit(), bad::toString);
        assertTrue(bad.err().startsWith("isos stream play: unknown title '../etc': "), bad::toString);
    }

    @Test
    void titlesAreListed() throws Exception {
        manifest("b.ts").write(home.resolve("titles/b.ts.json"));
        manifest("a.ts").write(home.resolve("titles/a.ts.json"));
        CliRun table = CliRun.run(env(), "stream", "titles");
        assertEquals(0, table.exit(), table::toString);
        List<String> lines = table.out().lines().toList();
        assertTrue(lines.get(0).startsWith("TITLE"), table::toString);
        assertTrue(lines.get(1).startsWith("a.ts") && lines.get(1).contains(" 2/4 "), table::toString);
        assertTrue(lines.get(2).startsWith("b.ts"), table::toString);
        CliRun json = CliRun.run(env(), "stream", "titles", "--json");
        assertTrue(json.out().contains("\"title\" : \"a.ts\"") && json.out().contains("\"k\" : 2"), json::toString);
    }

    @Test
    void aTitleWhoseHostsAreAllGoneFailsClearlyAndWritesNothing() throws Exception {
        Files.copy(Path.of(System.getProperty("isos.root", ".."), "cnf/test-pki/ca.pem"), home.resolve("ca.pem"));
        manifest("gone.ts").write(home.resolve("titles/gone.ts.json"));
        Path out = home.resolve("gone-out.ts");
        CliRun play = CliRun.run(env(), "stream", "play", "gone.ts", "-o", out.toString(), "--quiet");
        assertEquals(1, play.exit(), play::toString);
        assertTrue(play.err().startsWith("isos stream play: playing gone.ts failed: segment 0 of gone.ts cannot be "
                + "played: it needs 2 of its 4 fragments and only 0 are left on holders not dropped (4 dropped"),
                play::toString);
        assertTrue(play.err().contains("unreachable"), play::toString);
        assertEquals(0, Files.size(out), "no byte written");
    }

    @Test
    void titlesComeFromFileNames() {
        assertEquals("My-Movie-2024-.mp4", StreamCommand.titleOf(Path.of("/x/My Movie (2024).mp4")));
        assertEquals("hidden.ts", StreamCommand.titleOf(Path.of(".hidden.ts")));
        assertFalse(StreamCommand.titleOf(Path.of("a..b")).contains(".."));
    }

    /** A 2-of-4 title of one 10-byte segment on four holders at a port nobody listens on. */
    static TitleManifest manifest(String title) {
        List<TitleManifest.Holder> holders = new ArrayList<>();
        List<TitleManifest.Fragment> fragments = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            holders.add(new TitleManifest.Holder("host-" + i, "owner", "lease-" + i, "127.0.0.1:1", 32_000));
            fragments.add(new TitleManifest.Fragment(i, HEX, i));
        }
        return new TitleManifest(title, "acme", "2026-11-28T18:00:00Z", 10, HEX, 1024, 2, 4, 0, holders,
                List.of(new TitleManifest.Segment(0, 10, HEX, 5, fragments)));
    }
}
