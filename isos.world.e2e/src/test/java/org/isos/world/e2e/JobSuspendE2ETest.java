package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.isos.apps.compute.work.Mersenne;
import org.isos.apps.compute.work.MersenneUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 4's "a suspended host resumes from its checkpoint, not from the start", end to end on {@code ./isos dev
 * --hosts 1}: a job of one long Mersenne unit runs on the host; the owner becomes active (an {@code .activity} file
 * in the agent's inbox, as the owner's desktop would report it) and the host suspends its ISOS work mid-unit; while
 * suspended the unit's checkpoint in the lease's store stays where it was; after the policy's idle period the host
 * resumes and the unit's next checkpoint is further on than the one it paused at (a unit run again from the start
 * would first checkpoint after {@value Mersenne#DEFAULT_CHECKPOINT_EVERY} squarings, behind it). The job completes
 * with the same result as a run here.
 */
class JobSuspendE2ETest {

    static final int FROM = 8_000;
    static final int TO = 8_080;

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
    void aHostSuspendedMidUnitResumesItFromItsCheckpoint() throws Exception {
        world = World.start(root.resolve("dev"), 1, "--agent-property", "isos.agent.policy.idlePeriodSeconds=5");
        World.Run keys = world.isos("keys", "new", "jobs");
        assertEquals(0, keys.exit(), keys::toString);
        World.Run submitted = world.isos("job", "submit", "--app", "mersenne", "--range", FROM + ".." + TO,
                "--unit-size", Integer.toString(TO - FROM + 1), "--replicas", "1", "--spot-checks", "0", "--hosts", "1",
                "--deadline", "10m");
        assertEquals(0, submitted.exit(), submitted::toString);
        String id = submitted.out().strip();
        CompletableFuture<World.Run> runner = CompletableFuture.supplyAsync(() -> {
            try {
                return world.isos("job", "status", id, "--follow", "--json");
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });

        byte[] unit = new MersenneUnit(FROM, TO).encode();
        Path agent = world.agentDir("agent-1");
        UnitCheckpoint checkpoint = new UnitCheckpoint(agent, unit);
        AtomicLong first = new AtomicLong();
        world.await("the unit's first checkpoint", Duration.ofSeconds(120), () -> {
            first.set(checkpoint.squarings());
            return first.get() > 0;
        });

        Path inbox = agent.resolve("inbox");
        ownerActive(inbox);
        world.await("the host suspends its ISOS work", Duration.ofSeconds(20),
                () -> "true".equals(status("suspended")));
        // the running unit parks at its next pause point, after saving its state there: on a loaded machine the
        // squarings up to it can take seconds, so wait until the checkpoint stops moving
        AtomicLong parked = new AtomicLong(checkpoint.squarings());
        world.await("the unit parked at a checkpoint", Duration.ofSeconds(60), () -> {
            try {
                ownerActive(inbox); // still at the keyboard: the idle period (5 s) starts again
                Thread.sleep(4_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long now = checkpoint.squarings();
            return now == parked.getAndSet(now);
        });
        long paused = parked.get();
        ownerActive(inbox);
        Thread.sleep(4_000);
        assertEquals(paused, checkpoint.squarings(), "no progress while the owner is active");
        assertTrue(paused >= first.get() && paused > Mersenne.DEFAULT_CHECKPOINT_EVERY,
                "paused at " + paused + " squarings, past its first checkpoint");

        world.await("the host resumes after the idle period", Duration.ofSeconds(40),
                () -> "false".equals(status("suspended")));
        AtomicLong next = new AtomicLong();
        world.await("the unit's next checkpoint", Duration.ofSeconds(60), () -> {
            next.set(checkpoint.squarings());
            return next.get() != paused;
        });
        assertTrue(next.get() > paused || next.get() == -1, "after the resume the unit went on from " + paused
                + " squarings (a fresh start would checkpoint at " + Mersenne.DEFAULT_CHECKPOINT_EVERY + "): " + next);

        World.Run followed = runner.get(5, TimeUnit.MINUTES);
        assertEquals(0, followed.exit(), followed::toString);
        assertEquals("DONE", followed.json().get("job").get("state").asText(), followed::toString);
        JsonNode units = world.get("/v1/jobs/" + id + "/results", world.env("ISOS_TOKEN")).get("units");
        assertEquals(1, units.size());
        assertArrayEquals(new Mersenne().run(unit), Base64.getDecoder().decode(units.get(0).get("result").asText()),
                "the resumed unit's result equals a run here");
    }

    private static int activities;

    /** The owner's desktop reporting activity: an {@code .activity} file in the agent's inbox. */
    private static void ownerActive(Path inbox) {
        try {
            Files.writeString(inbox.resolve(".owner.part"), "the owner is at the keyboard\n");
            Files.move(inbox.resolve(".owner.part"), inbox.resolve("owner-" + ++activities + ".activity"),
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot write the owner's activity into " + inbox + ": " + e, e);
        }
    }

    private static String status(String key) {
        try {
            java.util.Properties p = world.agentStatus().get("agent-1");
            return p == null ? null : p.getProperty(key);
        } catch (java.io.IOException rewritten) {
            return null;
        }
    }
}
