package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code isos backup}'s argument handling: help of every verb, usage errors (exit 2, the verb and what was wrong),
 * failures found before the server is asked (exit 1), the secret file, the storage asked of new hosts, and the
 * progress output.
 */
class BackupUsageTest {

    /** Settings that get the verbs past the server and token checks (the CA file does not exist). */
    private static final Map<String, String> ENV = Map.of("ISOS_SERVER", "https://127.0.0.1:9/", "ISOS_TOKEN", "isos_x",
            "ISOS_HOME", "/nonexistent-isos-home", "ISOS_BACKUP_SECRET", "s3cret");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { "backup", "backup put", "backup ls", "backup get", "backup verify", "backup repair",
        "backup watch" })
    void everyBackupVerbHasHelp(String verb) {
        CliRun run = CliRun.run((verb + " --help").split(" "));
        assertEquals(0, run.exit(), run::toString);
        assertTrue(run.out().startsWith("Usage: isos " + verb), run::toString);
        assertEquals("", run.err());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "backup| isos backup: say which: put, ls, get, verify, repair, watch",
        "backup list| isos backup: Unmatched argument at index 1: 'list'",
        "backup put| isos backup put: Missing required parameter: 'FILE'",
        "backup put a.bin --k 4 --n 4| isos backup put: a k-of-n code needs 1 <= --k < --n <= 256, not 4-of-4",
        "backup put a.bin --k 0 --n 4| isos backup put: a k-of-n code needs 1 <= --k < --n <= 256, not 0-of-4",
        "backup put a.bin --k 16 --n 300| isos backup put: a k-of-n code needs 1 <= --k < --n <= 256, not 16-of-300",
        "backup put a.bin --k four| isos backup put: Invalid value for option '--k': 'four' is not an int",
        "backup put a.bin --hosts 0| isos backup put: --hosts must be 1 to 256, not 0",
        "backup put a.bin --lease 5x| isos backup put: Invalid value for option '--lease': '5x' is not a duration",
        "backup put a.bin --lease 30s| isos backup put: --lease must be 1m to 30d, not 30 s",
        "backup put a.bin --lease 31d| isos backup put: --lease must be 1m to 30d, not 2678400 s",
        "backup put a.bin --wait-seconds -1| isos backup put: --wait-seconds must be 0 to 3600, not -1",
        "backup put a.bin --max-per-owner -1| isos backup put: --max-per-owner must be 0 to 256, not -1",
        "backup get| isos backup get: Missing required parameter: 'ID'",
        "backup get abc| isos backup get: Missing required option: '--output=OUT'",
        "backup get a b -o out| isos backup get: Unmatched argument at index 3: 'b'",
        "backup verify a b| isos backup verify: Unmatched argument at index 3: 'b'",
        "backup repair --lease 0s| isos backup repair: Invalid value for option '--lease': a duration must be longer than 0",
        "backup repair extra| isos backup repair: Unmatched argument at index 2: 'extra'",
        "backup ls --colour blue| isos backup ls: Unknown options: '--colour', 'blue'",
        "backup watch --every 0s| isos backup watch: Invalid value for option '--every': a duration must be longer than 0",
        "backup watch --every 31d| isos backup watch: --every must be 1s to 30d, not 2678400 s",
        "backup watch --rounds -1| isos backup watch: --rounds must be 0 (no end) to 1000000, not -1",
        "backup watch --min-spare -1| isos backup watch: --min-spare must be 0 to 255, not -1",
        "backup watch --min-spare two| isos backup watch: Invalid value for option '--min-spare': 'two' is not an int",
        "backup watch extra| isos backup watch: Unmatched argument at index 2: 'extra'",
    })
    void usageErrorsExit2WithAMessage(String line, String message) {
        CliRun run = CliRun.run(ENV, line.split(" "));
        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().startsWith(message.strip()), run::toString);
        String verb = line.split(" ").length > 1 && !line.startsWith("backup list") ? "isos backup " + line.split(" ")[1]
                : "isos backup";
        assertTrue(run.err().contains("see '" + verb + " --help'"), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = { "put a.bin", "ls", "get abc -o out", "verify", "repair", "watch" })
    void noSecretIsAUsageError(String verb) {
        Map<String, String> env = new HashMap<>(ENV);
        env.remove("ISOS_BACKUP_SECRET");
        CliRun run = CliRun.run(env, ("backup " + verb).split(" "));
        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().contains("no secret: pass --secret-file FILE or set ISOS_BACKUP_SECRET"), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = { "ls", "verify", "repair", "watch" })
    void noServerOrTokenIsAUsageError(String verb) {
        Map<String, String> env = new HashMap<>(ENV);
        env.remove("ISOS_TOKEN");
        CliRun run = CliRun.run(env, "backup", verb);
        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().contains("no API token: set ISOS_TOKEN or pass --token TOKEN"), run::toString);
        env = new HashMap<>(ENV);
        env.remove("ISOS_SERVER");
        run = CliRun.run(env, "backup", verb);
        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().contains("no server: set ISOS_SERVER or pass --server URL"), run::toString);
    }

    @Test
    void aBlankNameIsAUsageError() {
        CliRun run = CliRun.run(ENV, "backup", "ls", "--name", " ");
        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().startsWith("isos backup ls: --name must be 1 to 200 characters"), run::toString);
    }

    @Test
    void failuresBeforeTheServerIsAskedExit1() throws Exception {
        CliRun missing = CliRun.run(ENV, "backup", "put", dir.resolve("nothing.bin").toString());
        assertEquals(1, missing.exit(), missing::toString);
        assertTrue(missing.err().startsWith("isos backup put: no such file: "), missing::toString);

        Path empty = Files.createFile(dir.resolve("empty.txt"));
        CliRun emptySecret = CliRun.run(ENV, "backup", "ls", "--secret-file", empty.toString());
        assertEquals(1, emptySecret.exit(), emptySecret::toString);
        assertTrue(emptySecret.err().startsWith("isos backup ls: the secret file " + empty + " is empty"),
                emptySecret::toString);

        CliRun noSecretFile = CliRun.run(ENV, "backup", "ls", "--secret-file", dir.resolve("absent").toString());
        assertEquals(1, noSecretFile.exit(), noSecretFile::toString);
        assertTrue(noSecretFile.err().startsWith("isos backup ls: cannot read the secret file"), noSecretFile::toString);

        // with a file and a secret the next thing needed is the server's CA file (HOME/ca.pem)
        Path file = Files.writeString(dir.resolve("a.txt"), "a");
        CliRun noCa = CliRun.run(ENV, "backup", "put", file.toString());
        assertEquals(1, noCa.exit(), noCa::toString);
        assertTrue(noCa.err().startsWith("isos backup put: no CA file at /nonexistent-isos-home/ca.pem"), noCa::toString);
    }

    @Test
    void aSecretFileLosesOneTrailingLineBreakOnly() throws Exception {
        Path lf = Files.writeString(dir.resolve("lf"), "correct horse\n");
        Path crlf = Files.writeString(dir.resolve("crlf"), "correct horse\r\n");
        Path two = Files.writeString(dir.resolve("two"), "correct horse\n\n");
        Path utf8 = Files.write(dir.resolve("utf8"), "pässwörd ✓".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("correct horse".toCharArray(), BackupVerb.readSecret(lf));
        assertArrayEquals("correct horse".toCharArray(), BackupVerb.readSecret(crlf));
        assertArrayEquals("correct horse\n".toCharArray(), BackupVerb.readSecret(two));
        assertArrayEquals("pässwörd ✓".toCharArray(), BackupVerb.readSecret(utf8));
        Path newlineOnly = Files.writeString(dir.resolve("nl"), "\n");
        CliFailure e = assertThrows(CliFailure.class, () -> BackupVerb.readSecret(newlineOnly));
        assertTrue(e.getMessage().endsWith("is empty"), e.getMessage());
    }

    @Test
    void newHostsAreAskedForTheirShareOfTheCodedData() {
        long mib = 1L << 20;
        // 16-of-64 on 64 hosts: 64 MiB → 4 MiB a host, + a tenth, + 16 MiB for manifest and beacons, in whole MiB
        assertEquals(21 * mib, BackupCommand.Put.storagePerHost(64 * mib, 16, 64, 64));
        // the same code falling back to 8 hosts is 2-of-8: 32 MiB a host
        assertEquals(52 * mib, BackupCommand.Put.storagePerHost(64 * mib, 16, 64, 8));
        // so few hosts that k' would be 0: at least 1 (a copy a host)
        assertEquals(87 * mib, BackupCommand.Put.storagePerHost(64 * mib, 16, 64, 2));
        // nothing to store still leaves room for the manifest
        assertEquals(16 * mib, BackupCommand.Put.storagePerHost(0, 4, 6, 6));
        assertEquals(17 * mib, BackupCommand.Put.storagePerHost(1, 4, 6, 6));
    }

    @Test
    void progressIsABarOnATerminalAndTenthsOtherwise() {
        StringWriter lines = new StringWriter();
        BackupProgressBar plain = new BackupProgressBar(new PrintWriter(lines, true), "isos backup put", false);
        for (long done = 0; done <= 1000; done += 50) {
            plain.advanced(done, 1000);
        }
        plain.finish();
        String text = lines.toString();
        assertTrue(text.startsWith("isos backup put: 0%, 0 B of 1000 B"), text);
        assertTrue(text.contains("isos backup put: 100%, 1000 B of 1000 B"), text);
        assertTrue(!text.contains("\r"), text);

        StringWriter terminal = new StringWriter();
        BackupProgressBar bar = new BackupProgressBar(new PrintWriter(terminal, true), "get", true);
        bar.advanced(0, 3L << 20);
        bar.advanced(3L << 20, 3L << 20);
        bar.finish();
        String drawn = terminal.toString();
        assertTrue(drawn.startsWith("\rget [------------------------------]   0% 0 B of 3.0 MiB"), drawn);
        assertTrue(drawn.contains("\rget [##############################] 100% 3.0 MiB of 3.0 MiB"), drawn);
        assertTrue(drawn.endsWith(System.lineSeparator()), "the bar's line is ended: " + drawn);
    }
}
