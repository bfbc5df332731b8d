package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 4's acceptance with the {@code isos job} verbs as a user types them, on {@code ./isos dev --hosts 4}: a
 * Mersenne job over 2..3000 run by the CLI's job runner on four hosts returns exactly the known exponents, every
 * host's results validated and none caught; a gene-matching job returns the same hits and scores as a single-process
 * run of the same algorithm ({@code --local}); bad input is refused with a clear message; a host killed mid-job has
 * its units issued to the others after their deadline and the job still completes with the exact answer.
 */
class JobWorldE2ETest {

    static final List<Integer> KNOWN = List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521, 607, 1279);
    /** The Mersenne prime exponents up to 3000 (the range). */
    static final List<Integer> KNOWN_TO_3000 = List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521, 607, 1279,
            2203, 2281);

    @TempDir
    static Path root;
    static World world;

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(40), world::allStopped);
        }
    }

    @Test
    void mersenneAndGeneJobsOnFourHostsGiveTheExactAnswers() throws Exception {
        world = World.start(root.resolve("dev"), 4);
        World.Run keys = world.isos("keys", "new", "jobs");
        assertEquals(0, keys.exit(), keys::toString);

        // bad input first: nothing is leased for it
        World.Run empty = world.isos("job", "submit", "--app", "mersenne", "--range", "10..9");
        assertEquals(2, empty.exit(), empty::toString);
        assertTrue(empty.err().contains("--range 10..9 is empty"), empty::toString);
        World.Run unknown = world.isos("job", "submit", "--app", "lottery", "--range", "2..10");
        assertEquals(2, unknown.exit(), unknown::toString);
        Path bad = Files.writeString(root.resolve("bad.fasta"), ">q1\nACGU\n");
        Path library = root.resolve("L.fasta");
        Path queries = root.resolve("Q.fasta");
        writeFasta(queries, "q", 3, 60, 11);
        writeFasta(library, "t", 48, 300, 12);
        World.Run malformed = world.isos("job", "submit", "--app", "genes", "--queries", bad.toString(), "--library",
                library.toString());
        assertEquals(1, malformed.exit(), malformed::toString);
        assertTrue(malformed.err().contains("bad.fasta: line 2, column 4: 'U' is not in the alphabet ACGTN"),
                malformed::toString);

        long started = System.nanoTime();
        World.Run mersenne = world.isos("job", "submit", "--app", "mersenne", "--range", "2..3000", "--hosts", "4",
                "--lease", "30m", "--wait", "--json");
        assertEquals(0, mersenne.exit(), mersenne::toString);
        System.out.printf("bench: Mersenne p <= 3000 on 4 hosts (quorum 2, adaptive): %.1f s from submit to results%n",
                (System.nanoTime() - started) / 1e9);
        JsonNode answer = mersenne.json();
        List<Integer> primes = new ArrayList<>();
        answer.get("primes").forEach(p -> primes.add(p.asInt()));
        assertEquals(KNOWN_TO_3000, primes, mersenne::toString);
        assertEquals(0, answer.get("errors").size(), mersenne::toString);
        assertTrue(mersenne.err().contains("100%"), "progress on stderr: " + mersenne.err());

        String id = answer.get("job").asText();
        World.Run status = world.isos("job", "status", id, "--json");
        assertEquals(0, status.exit(), status::toString);
        JsonNode job = status.json().get("job");
        assertEquals("DONE", job.get("state").asText());
        assertEquals(job.get("units").asInt(), job.get("validated").asInt());
        assertEquals(0, job.get("spotChecksFailed").asInt(), status::toString);
        JsonNode hosts = status.json().get("hosts");
        assertTrue(hosts.size() >= 2, "the units were replicated over several hosts: " + status);
        for (JsonNode h : hosts) {
            assertEquals(0, h.get("invalidTotal").asInt(), status::toString);
            assertFalse(h.get("banned").asBoolean(), status::toString);
            assertTrue(h.get("credit").asLong() > 0, "credited for validated work: " + status);
        }
        World.Run results = world.isos("job", "results", id);
        assertEquals(0, results.exit(), results::toString);
        assertTrue(results.out().contains("Mersenne primes 2^p-1 for p in: " + KNOWN_TO_3000), results::toString);

        World.Run genes = world.isos("job", "submit", "--app", "genes", "--queries", queries.toString(), "--library",
                library.toString(), "--top", "4", "--hosts", "4", "--wait", "--json");
        assertEquals(0, genes.exit(), genes::toString);
        World.Run local = world.isos("job", "submit", "--app", "genes", "--queries", queries.toString(), "--library",
                library.toString(), "--top", "4", "--local", "--json");
        assertEquals(0, local.exit(), local::toString);
        assertEquals(3, local.json().get("queries").size(), local::toString);
        assertEquals(local.json().get("queries"), genes.json().get("queries"),
                "the job's hits and scores equal a single-process run's");

        // a host killed mid-job: its units go to the others after their deadline and the job completes
        World.Run submitted = world.isos("job", "submit", "--app", "mersenne", "--range", "2..1800", "--unit-size", "30",
                "--deadline", "10s");
        assertEquals(0, submitted.exit(), submitted::toString);
        assertTrue(submitted.err().contains("job progresses only while a runner runs")
                || submitted.err().contains("nothing runs it yet"), submitted::toString);
        String killed = submitted.out().strip();
        CompletableFuture<World.Run> runner = CompletableFuture.supplyAsync(() -> {
            try {
                return world.isos("job", "status", killed, "--follow", "--json");
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
        String token = world.env("ISOS_TOKEN");
        world.await("the job under way", Duration.ofSeconds(120), () -> {
            try {
                return world.get("/v1/jobs/" + killed, token).get("validated").asInt() >= 3;
            } catch (Exception e) {
                return false;
            }
        });
        String agent = world.agentStatus().keySet().iterator().next();
        world.killAgent(agent);
        World.Run followed = runner.get(6, TimeUnit.MINUTES);
        assertEquals(0, followed.exit(), followed::toString);
        JsonNode done = followed.json().get("job");
        assertEquals("DONE", done.get("state").asText(), followed::toString);
        assertEquals(done.get("units").asInt(), done.get("validated").asInt(), followed::toString);
        int timedOut = 0;
        for (JsonNode h : followed.json().get("hosts")) {
            timedOut += h.get("timedOut").asInt();
            assertEquals(0, h.get("invalidTotal").asInt(), followed::toString);
        }
        assertTrue(timedOut >= 1, "the dead host's units timed out and went elsewhere: " + followed);
        World.Run after = world.isos("job", "results", killed, "--json");
        assertEquals(0, after.exit(), after::toString);
        List<Integer> found = new ArrayList<>();
        after.json().get("primes").forEach(p -> found.add(p.asInt()));
        assertEquals(KNOWN, found, after::toString);
    }

    /** {@code n} random DNA sequences of {@code length}, 70 letters a line. */
    static void writeFasta(Path file, String prefix, int n, int length, long seed) throws Exception {
        Random r = new Random(seed);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append('>').append(prefix).append(i).append('\n');
            for (int j = 0; j < length; j++) {
                out.append("ACGT".charAt(r.nextInt(4)));
                if (j % 70 == 69) {
                    out.append('\n');
                }
            }
            out.append('\n');
        }
        Files.writeString(file, out);
    }
}
