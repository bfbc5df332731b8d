package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 7's hot-swap acceptance, on {@code ./isos dev --hosts 2}: {@code isos deploy --watch} of the compute app
 * (signed with the developer's key at each change) leases both hosts; a Mersenne job runs on those very leases
 * ({@code isos job submit --leases … --wait}, a process of its own) while the watched file is edited three times:
 * three in-place updates, each reported by both hosts with the new digest; a file that is not a jar is reported and
 * the watch goes on; a broken version (its Bundle-Activator does not exist) is refused by both kernels with their
 * reason while the old version keeps serving; the job completes with the exact known exponents; no lease is lost
 * (the same two, ACTIVE all along); SIGTERM stops the watch and the leases stay.
 */
class HotSwapWorldE2ETest {

    /** The exponents p <= {@value #RANGE_END} for which 2^p-1 is prime. */
    static final List<Integer> KNOWN = List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521, 607, 1279, 2203, 2281,
            3217, 4253, 4423);
    static final int RANGE_END = 5000;

    @TempDir
    static Path root;
    static World world;
    static Process deploy;
    static Process job;

    @AfterAll
    static void stopTheWorld() throws Exception {
        for (Process p : new Process[] { deploy, job }) {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(40), world::allStopped);
        }
    }

    @Test
    void aWatchedBundleEditedThreeTimesWhileAJobRunsIsUpdatedInPlaceAndNoLeaseIsLost() throws Exception {
        world = World.start(root.resolve("dev"), 2);
        World.Run keys = world.isos("keys", "new", "dev");
        assertEquals(0, keys.exit(), keys::toString);
        String token = world.env("ISOS_TOKEN");

        byte[] original = Files.readAllBytes(World.ROOT.resolve("isos.cli/target/cli/apps/isos.apps.compute.jar"));
        Path watched = root.resolve("compute.jar");
        Files.write(watched, original);
        Path deployOut = root.resolve("deploy.out");
        Path deployErr = root.resolve("deploy.err");
        deploy = world.isosInBackground(deployOut, deployErr, "deploy", watched.toString(), "--hosts", "2", "--lease",
                "30m", "--memory", "128MiB", "--key", "dev", "--watch", "--wait-seconds", "120");
        world.await("deploy --watch leased both hosts and watches", Duration.ofSeconds(180), () -> {
            assertTrue(deploy.isAlive(), () -> "deploy exited: " + read(deployOut) + read(deployErr));
            return read(deployErr).contains("watching " + watched);
        });
        List<String> leaseIds = new ArrayList<>();
        for (JsonNode l : world.get("/v1/leases", token).get("leases")) {
            assertEquals("ACTIVE", l.get("state").asText(), l::toString);
            leaseIds.add(l.get("id").asText());
        }
        assertEquals(2, leaseIds.size(), () -> read(deployOut));
        String first = world.get("/v1/leases/" + leaseIds.get(0), token).get("bundle").asText();

        // the job, on the watched leases, in a process of its own
        Path jobOut = root.resolve("job.out");
        Path jobErr = root.resolve("job.err");
        job = world.isosInBackground(jobOut, jobErr, "job", "submit", "--app", "mersenne", "--range", "2.." + RANGE_END,
                "--unit-size", "40", "--spot-checks", "4", "--leases", String.join(",", leaseIds), "--deadline", "30s", "--wait", "--json");
        String[] jobId = new String[1];
        world.await("the job under way on the watched leases", Duration.ofSeconds(120), () -> {
            assertTrue(job.isAlive(), () -> "the job ended early: " + read(jobOut) + read(jobErr));
            try {
                JsonNode jobs = world.get("/v1/jobs", token).get("jobs");
                if (jobs.isEmpty()) {
                    return false;
                }
                jobId[0] = jobs.get(0).get("id").asText();
                return jobs.get(0).get("validated").asInt() >= 1;
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(first, world.get("/v1/jobs/" + jobId[0], token).get("bundle").asText(), "the job is for the deployed bundle");

        // three edits: each a new version on both hosts, reported by deploy host by host
        Set<String> digests = new HashSet<>(List.of(first));
        for (int edit = 1; edit <= 3; edit++) {
            String version = "2.0." + edit;
            if (edit == 2) {
                // a file being rewritten, or not a jar at all: reported, and the watch goes on
                Files.writeString(watched, "this is not a jar");
                world.await("deploy reports a file that is not a jar", Duration.ofSeconds(30),
                        () -> read(deployOut).contains("not a bundle jar yet"));
            }
            writeSlowly(watched, edited(original, version, null));
            int n = edit;
            world.await("deploy reports edit " + edit + " on both hosts", Duration.ofSeconds(150),
                    () -> count(read(deployOut), "compute.jar " + version + ": 2 of 2 host(s) updated") == 1
                            || failed(deployOut, version, n));
            assertEquals(2, count(read(deployOut), "): updated to " + version + ","), () -> read(deployOut));
            String wanted = null;
            for (String id : leaseIds) {
                JsonNode lease = world.get("/v1/leases/" + id, token);
                assertEquals("ACTIVE", lease.get("state").asText(), lease::toString);
                assertEquals(lease.get("bundle").asText(), lease.get("runningBundle").asText(), lease::toString);
                assertTrue(lease.get("updateReason").isNull(), lease::toString);
                assertTrue(wanted == null || wanted.equals(lease.get("bundle").asText()), "one bundle on both hosts");
                wanted = lease.get("bundle").asText();
            }
            assertTrue(digests.add(wanted), "edit " + edit + " is a new digest: " + wanted);
        }
        JsonNode during = world.get("/v1/jobs/" + jobId[0], token);
        assertEquals("RUNNING", during.get("state").asText(), () -> "the job overlaps the three updates: " + during);
        assertTrue(job.isAlive(), "the job runner still runs");
        String third = world.get("/v1/leases/" + leaseIds.get(0), token).get("runningBundle").asText();

        // a broken version: admitted by the server, refused by both kernels (its activator cannot start); v3 runs on
        writeSlowly(watched, edited(original, "2.0.4", "org.isos.apps.compute.host.NoSuchActivator"));
        world.await("deploy reports the refusal on both hosts", Duration.ofSeconds(150),
                () -> count(read(deployOut), "compute.jar 2.0.4: 0 of 2 host(s) updated") == 1);
        assertEquals(2, count(read(deployOut), "-- the old version keeps running"), () -> read(deployOut));
        for (String id : leaseIds) {
            JsonNode lease = world.get("/v1/leases/" + id, token);
            assertEquals("ACTIVE", lease.get("state").asText(), lease::toString);
            assertEquals(third, lease.get("runningBundle").asText(), "the old version keeps running: " + lease);
            assertNotEquals(third, lease.get("bundle").asText(), lease::toString);
            String reason = lease.get("updateReason").asText();
            assertTrue(reason.contains("update refused, the previous version runs on"), reason);
            assertTrue(read(deployOut).contains(reason), "deploy prints the kernel's reason: " + read(deployOut));
        }

        // the job completes on the same leases (served by version 3 since the refusal) with the exact answer
        assertTrue(job.waitFor(10, TimeUnit.MINUTES), () -> "the job did not finish: " + read(jobErr));
        assertEquals(0, job.exitValue(), () -> read(jobOut) + read(jobErr));
        JsonNode answer = World.JSON.readTree(read(jobOut));
        List<Integer> primes = new ArrayList<>();
        answer.get("primes").forEach(p -> primes.add(p.asInt()));
        assertEquals(KNOWN, primes, () -> read(jobOut));
        assertEquals(0, answer.get("errors").size(), () -> read(jobOut));

        // no lease lost: the buyer has the same two, ACTIVE
        List<String> after = new ArrayList<>();
        for (JsonNode l : world.get("/v1/leases", token).get("leases")) {
            assertEquals("ACTIVE", l.get("state").asText(), l::toString);
            after.add(l.get("id").asText());
        }
        assertEquals(Set.copyOf(leaseIds), Set.copyOf(after));
        assertEquals(2, after.size());

        // SIGTERM ends the watch, not the leases
        deploy.destroy();
        assertTrue(deploy.waitFor(30, TimeUnit.SECONDS), "deploy --watch stops on SIGTERM");
        assertTrue(read(deployErr).contains("stopped watching " + watched + "; the lease(s) stay"), () -> read(deployErr));
        Thread.sleep(3_000);
        for (String id : leaseIds) {
            assertEquals("ACTIVE", world.get("/v1/leases/" + id, token).get("state").asText());
        }
        assertFalse(deploy.isAlive());
        System.out.println("--- isos deploy --watch printed:\n" + read(deployOut) + read(deployErr));
    }

    /** True (to end a wait early) when deploy already reported something other than two updates for this edit. */
    private static boolean failed(Path deployOut, String version, int edit) {
        String out = read(deployOut);
        if (out.contains("compute.jar " + version + ": ") && !out.contains("compute.jar " + version + ": 2 of 2")) {
            throw new AssertionError("edit " + edit + " was not applied on both hosts:\n" + out);
        }
        return false;
    }

    /**
     * The compute app with another Bundle-Version and a resource of its own (the same classes), and, when
     * {@code activator} is given, a Bundle-Activator naming a class it does not have.
     */
    static byte[] edited(byte[] jar, String version, String activator) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(new java.io.ByteArrayInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            Attributes main = manifest.getMainAttributes();
            main.putValue("Bundle-Version", version);
            if (activator != null) {
                main.putValue("Bundle-Activator", activator);
            }
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                    out.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
                out.putNextEntry(new JarEntry("hotswap/edit.txt"));
                out.write(("version " + version + "\n").getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Writes the file in a few pieces with pauses, as a build tool would: the watcher must wait for the end. */
    static void writeSlowly(Path file, byte[] content) throws Exception {
        try (var out = Files.newOutputStream(file)) {
            int piece = Math.max(1, content.length / 3);
            for (int at = 0; at < content.length; at += piece) {
                out.write(content, at, Math.min(piece, content.length - at));
                out.flush();
                Thread.sleep(150);
            }
        }
    }

    static String read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }
}
