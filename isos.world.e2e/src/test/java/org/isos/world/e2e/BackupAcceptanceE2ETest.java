package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 5's acceptance run, as a user types it. With {@code -Disos.acceptance=true} it is the issue's own size: on
 * {@code ./isos dev --hosts 12}, a 50 MB file stored 4-of-12; by default the same scenario smaller (8 hosts, 10 MB,
 * 4-of-8), so that the default suite stays within a few minutes on a 2-core machine.
 *
 * <ol>
 * <li>{@code put} leases every host and stores the file; the hosts' stores hold only ciphertext.</li>
 * <li>n − k holders are killed (SIGKILL): {@code get} returns the file byte for byte from the k left.</li>
 * <li>A wrong secret gets a clear error and no output file.</li>
 * <li>n − k new agents join the running world; {@code repair} leases them and regenerates every lost fragment;
 * {@code verify} then reports every file fully redundant; one round of {@code watch} agrees and repairs nothing.</li>
 * <li>One host deletes its fragments: {@code verify}'s audits name it. A byte is flipped in another host's
 * fragments (the one holding fragment 0 of segment 0): {@code get} excludes the bad copy and still restores the
 * file.</li>
 * </ol>
 */
class BackupAcceptanceE2ETest {

    static final boolean FULL = Boolean.getBoolean("isos.acceptance");
    static final int HOSTS = FULL ? 12 : 8;
    static final int SIZE = FULL ? 50_000_000 : 10_000_000;
    static final int K = 4;
    static final int N = HOSTS;
    static final int KILL = N - K;
    /** Two dev owners, n fragments per segment on n hosts: each owner holds half of them. */
    static final String PER_OWNER = Integer.toString((N + 1) / 2);
    static final Duration LONG = Duration.ofMinutes(8);

    @TempDir
    static Path root;
    static World world;

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(60), world::allStopped);
        }
    }

    @Test
    void killNMinusKGetRepairOntoNewAgentsAuditsCatchDeletionAndRot() throws Exception {
        long start = System.nanoTime();
        world = World.start(root.resolve("dev"), HOSTS);
        phase("dev with " + HOSTS + " agents ready", start);
        World.Run keys = world.isos("keys", "new", "backup");
        assertEquals(0, keys.exit(), keys::toString);

        byte[] data = new byte[SIZE];
        new Random(12).nextBytes(data);
        Path file = root.resolve("archive.bin");
        Files.write(file, data);
        Path secret = root.resolve("secret.txt");
        Files.writeString(secret, "acceptance: any 4 of them\n");
        String s = secret.toString();
        String token = world.env("ISOS_TOKEN");

        // 1. put, k-of-n over every host
        long t = System.nanoTime();
        World.Run put = world.isosWithin(LONG, token, "backup", "put", file.toString(), "--k", Integer.toString(K),
                "--n", Integer.toString(N), "--hosts", Integer.toString(HOSTS), "--max-per-owner", PER_OWNER,
                "--lease", "30m", "--secret-file", s, "--json");
        assertEquals(0, put.exit(), put::toString);
        long putMillis = phase("put " + SIZE + " bytes " + K + "-of-" + N + " (leasing " + HOSTS + " hosts)", t);
        System.out.printf("BackupAcceptanceE2ETest: put %.2f MB/s (incl. signing, leasing, PBKDF2, manifest)%n",
                SIZE / 1e3 / putMillis);
        JsonNode stored = put.json().get(0);
        String id = stored.get("id").asText();
        assertEquals(K, stored.get("k").asInt(), put::toString);
        assertEquals(N, stored.get("n").asInt(), put::toString);
        int segments = stored.get("segments").asInt();
        JsonNode leases = world.get("/v1/leases?state=ACTIVE", token).get("leases");
        List<String> holders = new ArrayList<>();
        for (JsonNode l : leases) {
            holders.add(l.get("hostId").asText());
        }
        assertEquals(HOSTS, Set.copyOf(holders).size(), leases::toString);
        assertNoPlaintextInStores(data, "archive.bin");

        // 2. n - k holders vanish (SIGKILL); the k left restore the file. They are taken from the owners in turn:
        // the new agents of step 4 are too, so that repair finds room under the per-owner cap
        Map<String, String> agentOf = world.agentsByHost();
        Map<String, List<String>> byOwner = new java.util.TreeMap<>();
        for (JsonNode l : leases) {
            byOwner.computeIfAbsent(l.get("ownerId").asText(), o -> new ArrayList<>()).add(l.get("hostId").asText());
        }
        List<String> dead = new ArrayList<>();
        for (int round = 0; dead.size() < KILL; round++) {
            for (List<String> owned : byOwner.values()) {
                if (round < owned.size() && dead.size() < KILL) {
                    dead.add(owned.get(round));
                }
            }
        }
        List<String> survivors = new ArrayList<>(holders);
        survivors.removeAll(dead);
        for (String host : dead) {
            world.killAgent(agentOf.get(host));
        }
        t = System.nanoTime();
        Path restored = root.resolve("restored.bin");
        World.Run get = world.isosWithin(LONG, token, "backup", "get", id, "-o", restored.toString(), "--secret-file", s);
        assertEquals(0, get.exit(), get::toString);
        long getMillis = phase("get with " + KILL + " of " + N + " holders dead", t);
        System.out.printf("BackupAcceptanceE2ETest: get %.2f MB/s from %d holders (incl. PBKDF2, manifest)%n",
                SIZE / 1e3 / getMillis, K);
        assertArrayEquals(data, Files.readAllBytes(restored), "restored byte for byte");
        Files.delete(restored);

        // 3. a wrong secret: a clear error, exit 1, no output file
        Path wrongSecret = root.resolve("wrong.txt");
        Files.writeString(wrongSecret, "any 3 of them");
        Path wrongOut = root.resolve("wrong.bin");
        World.Run wrong = world.isos("backup", "get", id, "-o", wrongOut.toString(), "--secret-file",
                wrongSecret.toString());
        assertEquals(1, wrong.exit(), wrong::toString);
        assertTrue(wrong.err().contains("wrong secret"), wrong::toString);
        assertFalse(Files.exists(wrongOut), "no output file for a wrong secret");

        // 4. new agents join; repair leases them and restores full redundancy
        t = System.nanoTime();
        List<String> fresh = world.startAgents(KILL);
        phase(KILL + " new agents ONLINE", t);
        t = System.nanoTime();
        World.Run repair = world.isosWithin(LONG, token, "backup", "repair", "--lease", "30m", "--max-per-owner",
                PER_OWNER, "--secret-file", s, "--json");
        assertEquals(0, repair.exit(), repair::toString);
        phase("repair onto " + KILL + " new hosts", t);
        JsonNode report = repair.json();
        assertTrue(report.get("complete").asBoolean(), repair::toString);
        assertEquals(KILL * segments, report.get("regenerated").asInt(), repair::toString);
        assertEquals(KILL, report.get("newHosts").size(), repair::toString);
        Map<String, String> agentsNow = world.agentsByHost();
        Set<String> newHosts = new HashSet<>();
        report.get("newHosts").forEach(h -> newHosts.add(h.asText()));
        for (String host : newHosts) {
            assertTrue(fresh.contains(agentsNow.get(host)), "repair leased a new agent: " + host + " " + fresh);
        }
        World.Run verify = world.isos("backup", "verify", "--secret-file", s, "--json");
        assertEquals(0, verify.exit(), verify::toString);
        for (JsonNode h : verify.json()) {
            assertTrue(h.get("intact").asBoolean(), "fully redundant after repair: " + h);
        }
        JsonNode health = verify.json().get(0);
        assertEquals(N * segments, health.get("healthy").asInt(), verify::toString);
        World.Run watch = world.isos("backup", "watch", "--every", "1s", "--rounds", "1", "--secret-file", s, "--json");
        assertEquals(0, watch.exit(), watch::toString);
        List<String> rounds = watch.out().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, rounds.size(), watch::toString);
        JsonNode round = World.JSON.readTree(rounds.get(0));
        assertTrue(round.get("healthy").asBoolean(), watch::toString);
        assertFalse(round.get("repaired").asBoolean(), watch::toString);
        assertEquals(N - K, round.get("files").get(0).get("spare").asInt(), watch::toString);

        // 5a. a host deletes its fragments: the audits name it
        List<String> live = new ArrayList<>(survivors);
        live.addAll(newHosts);
        String deleter = live.get(0);
        List<Path> deleted = fragmentFiles(agentsNow.get(deleter));
        assertTrue(deleted.size() >= segments, "the deleter holds a fragment of every segment: " + deleted);
        for (Path f : deleted) {
            Files.delete(f);
        }
        verify = world.isos("backup", "verify", id, "--secret-file", s, "--json");
        assertEquals(0, verify.exit(), verify::toString);
        health = verify.json().get(0);
        Set<String> caught = new HashSet<>();
        health.get("missingHolders").forEach(h -> caught.add(h.asText()));
        health.get("failingHolders").forEach(h -> caught.add(h.asText()));
        assertEquals(Set.of(deleter), caught, verify::toString);
        assertTrue(health.get("recoverable").asBoolean(), verify::toString);
        assertFalse(health.get("intact").asBoolean(), verify::toString);

        // 5b. one byte flipped in each fragment of the holder of segment 0's fragment 0 (read first on get)
        String flipper = null;
        for (JsonNode f : health.get("segments").get(0).get("healthy")) {
            if (f.get("fragment").asInt() == 0) {
                flipper = f.get("holder").asText();
            }
        }
        if (flipper == null || flipper.equals(deleter)) {
            flipper = live.get(1);
        }
        List<Path> flipped = fragmentFiles(agentsNow.get(flipper));
        assertFalse(flipped.isEmpty(), "fragments on " + flipper);
        for (Path f : flipped) {
            byte[] bytes = Files.readAllBytes(f);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(f, bytes);
        }
        t = System.nanoTime();
        Path again = root.resolve("restored-again.bin");
        get = world.isosWithin(LONG, token, "backup", "get", id, "-o", again.toString(), "--secret-file", s);
        assertEquals(0, get.exit(), get::toString);
        phase("get with one holder's fragments deleted and another's flipped", t);
        assertArrayEquals(data, Files.readAllBytes(again), "restored byte for byte, the flipped copies excluded");
        System.out.println("BackupAcceptanceE2ETest: deleted on " + deleter + ", flipped on " + flipper);
        phase("the whole test", start);
    }


    /** A host's stored file fragments ({@code frag%2F<id>}; the locator's beacons are tiny). */
    private static List<Path> fragmentFiles(String agent) throws IOException {
        try (Stream<Path> all = Files.walk(world.agentDir(agent).resolve("kernel/stores"))) {
            return all.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().startsWith("frag%2F"))
                    .filter(f -> f.toFile().length() > 64 * 1024).toList();
        }
    }

    /** No 32-byte window of the file (at a few places) nor its name in any store file of any host. */
    private static void assertNoPlaintextInStores(byte[] data, String name) throws IOException {
        List<byte[]> windows = new ArrayList<>();
        for (int at : new int[] { 0, data.length / 3, data.length / 2, data.length - 32 }) {
            windows.add(java.util.Arrays.copyOfRange(data, at, at + 32));
        }
        windows.add(name.getBytes(StandardCharsets.UTF_8));
        long scanned = 0;
        for (String agent : world.agentStatus().keySet()) {
            Path stores = world.agentDir(agent).resolve("kernel/stores");
            if (!Files.isDirectory(stores)) {
                continue;
            }
            try (Stream<Path> all = Files.walk(stores)) {
                for (Path f : all.filter(Files::isRegularFile).toList()) {
                    byte[] bytes = Files.readAllBytes(f);
                    scanned += bytes.length;
                    for (byte[] w : windows) {
                        assertFalse(contains(bytes, w), "plaintext in " + f);
                    }
                }
            }
        }
        assertTrue(scanned > (long) data.length * N / K, "the stores hold the coded file: " + scanned + " bytes");
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (haystack[i] != needle[0]) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static long phase(String what, long since) {
        long millis = (System.nanoTime() - since) / 1_000_000;
        System.out.printf("BackupAcceptanceE2ETest: %s: %d ms%n", what, millis);
        return millis;
    }
}
