package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.isos.apps.compute.work.Mersenne;
import org.isos.apps.compute.work.MersenneUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 4's "work units checkpoint and resume across agent restart", end to end on {@code ./isos dev --hosts 1}: a job
 * of one long Mersenne unit runs on the host (heartbeats every 40 s: the agent must be back before the server calls
 * the host lost, after 3 missed ones, and ends its leases); once its checkpoint in the lease's store is {@value #KILL_AT}
 * squarings or more on, the agent process is killed (SIGKILL) and started again. The kernel hosts the lease again
 * with the same store; the job runner reconnects at the agent's new transport address and asks the server to send
 * the host's outstanding replica again ({@code dispatch {"resend": true}}); the app runs it as the same kernel task,
 * which resumes from the checkpoint. Proof of the resume: the checkpoint, watched every 20 ms, never goes back below
 * where the killed process left it (a unit run again from the start would first checkpoint at
 * {@value Mersenne#DEFAULT_CHECKPOINT_EVERY} squarings, and pass through ten checkpoints below that mark), and it goes
 * further; the replica issued before the kill is the one that completes (one replica issued in all, no reissue at the
 * deadline), and the result equals a run here.
 */
class JobRestartE2ETest {

    static final int FROM = 8_000;
    static final int TO = 8_080;
    static final long KILL_AT = 10L * Mersenne.DEFAULT_CHECKPOINT_EVERY;

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
    void aUnitCheckpointedBeforeAnAgentRestartGoesOnFromItsCheckpointOnTheSameHost() throws Exception {
        // the server calls a host lost after 3 missed heartbeats and ends its leases (their stores deleted): periods of
        // 40 s give the killed agent two minutes to come back on this loaded machine
        world = World.startWithHeartbeat(root.resolve("dev"), 1, 40);
        World.Run keys = world.isos("keys", "new", "jobs");
        assertEquals(0, keys.exit(), keys::toString);
        World.Run submitted = world.isos("job", "submit", "--app", "mersenne", "--range", FROM + ".." + TO,
                "--unit-size", Integer.toString(TO - FROM + 1), "--replicas", "1", "--spot-checks", "0", "--hosts", "1",
                "--deadline", "15m");
        assertEquals(0, submitted.exit(), submitted::toString);
        String id = submitted.out().strip();
        CompletableFuture<World.Run> runner = CompletableFuture.supplyAsync(() -> {
            try {
                return world.isosWithin(Duration.ofMinutes(8), world.env("ISOS_TOKEN"), "job", "status", id,
                        "--follow", "--json");
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });

        byte[] unit = new MersenneUnit(FROM, TO).encode();
        Path agent = world.agentDir("agent-1");
        UnitCheckpoint checkpoint = new UnitCheckpoint(agent, unit);
        world.await("the unit's checkpoint at " + KILL_AT + " squarings", Duration.ofSeconds(240),
                () -> checkpoint.squarings() >= KILL_AT);

        world.restartAgent("agent-1"); // SIGKILL, then the same command line again
        long killedAt = checkpoint.squarings();
        assertTrue(killedAt >= KILL_AT, "the killed process left its checkpoint at " + killedAt + " squarings");

        // watched closely: a run from the start would show checkpoints below the mark for many seconds
        List<Long> seen = new ArrayList<>();
        Instant until = Instant.now().plus(Duration.ofMinutes(4));
        long last = killedAt;
        while (!runner.isDone() && last != -1 && Instant.now().isBefore(until)) {
            long now = checkpoint.squarings();
            if (now == -1) {
                Thread.sleep(300);
                now = checkpoint.squarings(); // gone for good, not a directory listed mid-change
            }
            if (now != last) {
                seen.add(now);
                last = now;
            }
            Thread.sleep(20);
        }
        assertTrue(!seen.isEmpty() && seen.get(0) > killedAt, () -> "after the restart the unit's first checkpoint is"
                + " past " + killedAt + " squarings (a fresh start would write " + Mersenne.DEFAULT_CHECKPOINT_EVERY
                + "): " + seen + "\n--- agent-1 log:\n" + agentLog());
        for (long s : seen) {
            assertTrue(s == -1 || s > killedAt, "never back below the killed process's checkpoint: " + seen);
        }

        World.Run followed = runner.get(5, TimeUnit.MINUTES);
        assertEquals(0, followed.exit(), followed::toString);
        JsonNode job = followed.json().get("job");
        assertEquals("DONE", job.get("state").asText(), followed::toString);
        assertEquals(1, job.get("replicasIssued").asInt(), "the replica out before the kill completed it: " + job);
        JsonNode hosts = world.get("/v1/jobs/" + id + "/hosts", world.env("ISOS_TOKEN")).get("hosts");
        assertEquals(1, hosts.size(), hosts::toString);
        assertEquals(1, hosts.get(0).get("validTotal").asInt(), "credited once, on the same host: " + hosts);
        assertEquals(0, hosts.get(0).get("timedOut").asInt(), hosts::toString);
        JsonNode units = world.get("/v1/jobs/" + id + "/results", world.env("ISOS_TOKEN")).get("units");
        assertEquals(1, units.size());
        assertArrayEquals(new Mersenne().run(unit), Base64.getDecoder().decode(units.get(0).get("result").asText()),
                "the resumed unit's result equals a run here");
    }

    /** What the agent said about leases and failures (for a failure's message). */
    private static String agentLog() {
        try {
            return String.join("\n", Files.readAllLines(world.agentDir("agent-1").resolveSibling("agent-1.log")).stream()
                    .filter(l -> l.contains("lease") || l.contains("SEVERE") || l.contains("WARNING") || l.contains("Exception"))
                    .toList());
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
