package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code isos stream}: usage errors, and against a real server process: no titles, an unknown title, a bad name (a
 * title played to the end, a viewer without funds and an unavailable title need leased hosts: StreamWorldE2ETest).
 */
class StreamCommandTest {

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
    void theServersTitlesAnUnknownTitleAndABadNameAreClearAndWriteNothing() throws Exception {
        try (TestServer server = TestServer.start(home.resolve("server"))) {
            Map<String, String> anonymous = server.env(home.resolve("viewer"), null);
            CliRun created = CliRun.run(anonymous, "accounts", "create", "--kind", "buyer", "--name", "Viewer", "--json");
            assertEquals(0, created.exit(), created::toString);
            String token = ServerConnection.JSON.readTree(created.out()).get("token").asText();
            Map<String, String> viewer = server.env(home.resolve("viewer"), token);

            CliRun none = CliRun.run(viewer, "stream", "titles");
            assertEquals(0, none.exit(), none::toString);
            assertTrue(none.out().startsWith("no titles on the server"), none::toString);
            CliRun json = CliRun.run(viewer, "stream", "titles", "--json");
            assertEquals("{\"titles\":[]}", ServerConnection.JSON.readTree(json.out()).toString(), json::toString);

            Path out = home.resolve("o.ts");
            CliRun unknown = CliRun.run(viewer, "stream", "play", "nope", "-o", out.toString());
            assertEquals(1, unknown.exit(), unknown::toString);
            assertEquals("isos stream play: unknown title 'nope': the server has no such title (no title is published;"
                    + " `isos stream publish MOVIE --hosts N` makes one)", unknown.err().strip(), unknown::toString);
            assertFalse(Files.exists(out), "nothing written");
            CliRun bad = CliRun.run(viewer, "stream", "play", "../etc", "-o", out.toString());
            assertEquals(1, bad.exit(), bad::toString);
            assertTrue(bad.err().startsWith("isos stream play: unknown title '../etc': "), bad::toString);
            CliRun badId = CliRun.run(viewer, "stream", "play", "nope", "--view-id", "a b");
            assertEquals(2, badId.exit(), badId::toString);
            assertTrue(badId.err().startsWith("isos stream play: --view-id must be 1 to 100 of"), badId::toString);
        }
    }

    @Test
    void aPriceMustBeAnAmountOfCredits() throws Exception {
        Path movie = Files.write(home.resolve("m.ts"), new byte[100]);
        CliRun price = CliRun.run(env(), "stream", "publish", movie.toString(), "--hosts", "4", "--price", "cheap");
        assertEquals(2, price.exit(), price::toString);
        assertTrue(price.err().startsWith("isos stream publish: --price: 'cheap' is not an amount of credits"),
                price::toString);
        CliRun negative = CliRun.run(env(), "stream", "publish", movie.toString(), "--hosts", "4", "--price", "-1");
        assertEquals(2, negative.exit(), negative::toString);
    }

    @Test
    void titlesComeFromFileNames() {
        assertEquals("My-Movie-2024-.mp4", StreamCommand.titleOf(Path.of("/x/My Movie (2024).mp4")));
        assertEquals("hidden.ts", StreamCommand.titleOf(Path.of(".hidden.ts")));
        assertFalse(StreamCommand.titleOf(Path.of("a..b")).contains(".."));
    }
}
