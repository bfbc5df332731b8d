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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 5's acceptance with the {@code isos backup} verbs as a user types them, on {@code ./isos dev --hosts 8}: a
 * buyer makes a key; {@code put} signs the backup app with it, leases six hosts (4-of-6, one fragment per segment on
 * each) and stores a 6 MB file; {@code get} returns it byte for byte; two holders are killed; {@code get} still
 * returns it, {@code verify} names the two dead holders; a wrong secret gets a clear error and no output file; the
 * hosts' stores hold no plaintext; {@code repair} leases the two spare hosts and restores full redundancy. Then one
 * host deletes its fragments and another's rot: {@code verify} names the first missing and the second failing, and
 * {@code get} still restores the file, excluding the rotten copies.
 */
class BackupWorldE2ETest {

    static final int SIZE = 6_000_017;

    @TempDir
    static Path root;
    static World world;

    /** A failed test leaves the world's logs in target/world-logs/ (a lease left PENDING was seen once). */
    @RegisterExtension
    static final TestWatcher KEEP_LOGS = World.logsKeptOnFailure(() -> world);

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(40), world::allStopped);
        }
    }

    @Test
    void putGetAfterTwoHostsDieVerifyWrongSecretCiphertextOnlyAndRepair() throws Exception {
        long start = System.nanoTime();
        world = World.start(root.resolve("dev"), 8);
        phase("dev with 8 agents ready", start);
        World.Run keys = world.isos("keys", "new", "backup");
        assertEquals(0, keys.exit(), keys::toString);

        byte[] data = new byte[SIZE];
        new Random(5).nextBytes(data);
        Path file = root.resolve("photos.tar");
        Files.write(file, data);
        Path secret = root.resolve("secret.txt");
        Files.writeString(secret, "correct horse battery staple\n");
        String s = secret.toString();

        long t = System.nanoTime();
        World.Run put = world.isos("backup", "put", file.toString(), "--k", "4", "--n", "6", "--hosts", "6",
                "--lease", "10m", "--secret-file", s, "--json");
        assertEquals(0, put.exit(), put::toString);
        phase("put (leasing six hosts)", t);
        JsonNode stored = put.json().get(0);
        String id = stored.get("id").asText();
        assertEquals(4, stored.get("k").asInt(), put::toString);
        assertEquals(6, stored.get("n").asInt(), put::toString);
        assertEquals(SIZE, stored.get("size").asLong());
        assertTrue(put.err().contains("100%"), "progress lines on a non-terminal stderr: " + put.err());

        JsonNode leases = world.get("/v1/leases?state=ACTIVE", world.env("ISOS_TOKEN")).get("leases");
        Set<String> holders = new HashSet<>();
        for (JsonNode l : leases) {
            assertEquals("isos.apps.backup", l.get("app").asText());
            holders.add(l.get("hostId").asText());
        }
        assertEquals(6, holders.size(), leases::toString);

        World.Run ls = world.isos("backup", "ls", "--secret-file", s, "--json");
        assertEquals(0, ls.exit(), ls::toString);
        assertEquals(id, ls.json().get(0).get("id").asText());
        assertEquals("photos.tar", ls.json().get(0).get("name").asText());

        Path out = root.resolve("restored.tar");
        World.Run get = world.isos("backup", "get", id, "-o", out.toString(), "--secret-file", s);
        assertEquals(0, get.exit(), get::toString);
        assertArrayEquals(data, Files.readAllBytes(out));

        // the hosts' stores: only ciphertext (no 32-byte window of the file anywhere, nor its name)
        assertNoPlaintextInStores(data);

        // two holders of different owners vanish
        Map<String, String> agentOf = world.agentsByHost();
        List<String> dead = new ArrayList<>();
        Set<String> deadOwners = new HashSet<>();
        for (JsonNode l : leases) {
            if (dead.size() < 2 && deadOwners.add(l.get("ownerId").asText())) {
                dead.add(l.get("hostId").asText());
            }
        }
        assertEquals(2, dead.size(), "holders of two owners: " + leases);
        for (String host : dead) {
            world.killAgent(agentOf.get(host));
        }
        t = System.nanoTime();
        Path again = root.resolve("restored-again.tar");
        get = world.isos("backup", "get", "photos.tar", "-o", again.toString(), "--secret-file", s);
        assertEquals(0, get.exit(), get::toString);
        assertArrayEquals(data, Files.readAllBytes(again));
        phase("get with two holders dead", t);

        World.Run verify = world.isos("backup", "verify", id, "--secret-file", s, "--json");
        assertEquals(0, verify.exit(), verify::toString);
        JsonNode health = verify.json().get(0);
        assertTrue(health.get("recoverable").asBoolean(), verify::toString);
        assertFalse(health.get("intact").asBoolean(), verify::toString);
        Set<String> missing = new HashSet<>();
        health.get("missingHolders").forEach(h -> missing.add(h.asText()));
        assertEquals(Set.copyOf(dead), missing, verify::toString);
        World.Run verifyText = world.isos("backup", "verify", id, "--secret-file", s);
        assertEquals(0, verifyText.exit(), verifyText::toString);
        for (String host : dead) {
            assertTrue(verifyText.out().contains(host), verifyText::toString);
        }

        // a wrong secret: a clear error, exit 1, no output file
        Path wrongSecret = root.resolve("wrong.txt");
        Files.writeString(wrongSecret, "Tr0ub4dor&3");
        Path wrongOut = root.resolve("wrong.tar");
        World.Run wrong = world.isos("backup", "get", id, "-o", wrongOut.toString(), "--secret-file",
                wrongSecret.toString());
        assertEquals(1, wrong.exit(), wrong::toString);
        assertTrue(wrong.err().contains("wrong secret"), wrong::toString);
        assertFalse(Files.exists(wrongOut), "no output file for a wrong secret");

        // repair: the two spare hosts are leased in place of the dead ones, every fragment is back
        t = System.nanoTime();
        World.Run repair = world.isos("backup", "repair", "--lease", "10m", "--secret-file", s, "--json");
        assertEquals(0, repair.exit(), repair::toString);
        phase("repair onto two spare hosts", t);
        JsonNode report = repair.json();
        assertTrue(report.get("complete").asBoolean(), repair::toString);
        assertEquals(2 * stored.get("segments").asInt(), report.get("regenerated").asInt(), repair::toString);
        assertEquals(2, report.get("newHosts").size(), repair::toString);
        verify = world.isos("backup", "verify", id, "--secret-file", s, "--json");
        assertEquals(0, verify.exit(), verify::toString);
        assertTrue(verify.json().get(0).get("intact").asBoolean(), verify::toString);

        // one surviving host deletes its fragments, another's disk rots (a byte flipped in every 4 KiB block):
        // the audit names the first as missing and the second as failing, and get excludes the rotten copies
        List<String> survivors = new ArrayList<>();
        for (JsonNode l : leases) {
            if (!dead.contains(l.get("hostId").asText())) {
                survivors.add(l.get("hostId").asText());
            }
        }
        String deleter = survivors.get(0);
        String rotter = survivors.get(1);
        assertTrue(fragmentFiles(agentOf.get(deleter)).size() >= stored.get("segments").asInt());
        for (Path f : fragmentFiles(agentOf.get(deleter))) {
            Files.delete(f);
        }
        for (Path f : fragmentFiles(agentOf.get(rotter))) {
            byte[] bytes = Files.readAllBytes(f);
            for (int i = 100; i < bytes.length; i += 4096) {
                bytes[i] ^= 0x40;
            }
            Files.write(f, bytes);
        }
        verify = world.isos("backup", "verify", id, "--secret-file", s, "--json");
        assertEquals(0, verify.exit(), verify::toString);
        health = verify.json().get(0);
        Set<String> missingNow = new HashSet<>();
        health.get("missingHolders").forEach(h -> missingNow.add(h.asText()));
        Set<String> failingNow = new HashSet<>();
        health.get("failingHolders").forEach(h -> failingNow.add(h.asText()));
        System.out.println("BackupWorldE2ETest: after deleting on " + deleter + " and rotting on " + rotter
                + ": missing " + missingNow + ", failing " + failingNow);
        // the deleter answers "no fragment" (missing); only the rotten host fails its audits
        assertTrue(missingNow.contains(deleter) || failingNow.contains(deleter), verify::toString);
        assertTrue(Set.of(deleter).containsAll(missingNow), verify::toString);
        Set<String> failingOthers = new HashSet<>(failingNow);
        failingOthers.remove(deleter);
        assertEquals(Set.of(rotter), failingOthers, verify::toString);
        assertTrue(health.get("recoverable").asBoolean(), verify::toString);
        Path third = root.resolve("restored-third.tar");
        get = world.isos("backup", "get", id, "-o", third.toString(), "--secret-file", s);
        assertEquals(0, get.exit(), get::toString);
        assertArrayEquals(data, Files.readAllBytes(third));
        phase("the whole test", start);
    }


    /** A host's stored file fragments (the store keeps {@code frag/<id>} as {@code frag%2F<id>}; beacons are tiny). */
    private static List<Path> fragmentFiles(String agent) throws IOException {
        try (Stream<Path> all = Files.walk(world.agentDir(agent).resolve("kernel/stores"))) {
            return all.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().startsWith("frag%2F"))
                    .filter(f -> f.toFile().length() > 64 * 1024).toList();
        }
    }

    private static void assertNoPlaintextInStores(byte[] data) throws IOException {
        List<byte[]> windows = new ArrayList<>();
        for (int at : new int[] { 0, SIZE / 3, SIZE / 2, SIZE - 32 }) {
            windows.add(java.util.Arrays.copyOfRange(data, at, at + 32));
        }
        windows.add("photos.tar".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long scanned = 0;
        int files = 0;
        for (String agent : world.agentStatus().keySet()) {
            Path stores = world.agentDir(agent).resolve("kernel/stores");
            if (!Files.isDirectory(stores)) {
                continue;
            }
            try (Stream<Path> all = Files.walk(stores)) {
                for (Path f : all.filter(Files::isRegularFile).toList()) {
                    byte[] bytes = Files.readAllBytes(f);
                    scanned += bytes.length;
                    files++;
                    for (byte[] w : windows) {
                        assertFalse(contains(bytes, w), "plaintext in " + f);
                    }
                }
            }
        }
        assertTrue(scanned > SIZE, "the stores hold the coded file (" + scanned + " bytes in " + files + " files)");
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void phase(String what, long since) {
        System.out.printf("BackupWorldE2ETest: %s: %d ms%n", what, (System.nanoTime() - since) / 1_000_000);
    }
}
