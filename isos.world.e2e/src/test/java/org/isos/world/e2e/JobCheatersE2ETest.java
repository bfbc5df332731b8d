package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.isos.apps.compute.work.Mersenne;
import org.isos.apps.compute.work.MersenneUnit;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Issue 4's cheating acceptance on {@code ./isos dev --hosts 4} with one cheating host in four. The cheater is a host
 * whose owner runs a patched compute app under the job's lease ({@code isos.testapps/cheater}: for some units it
 * skips the work and makes up residues, for others it reports a made-up discovery, now and then it is honest). The
 * owner restarts the agent with the test harness {@code isos.agent.test.cheatingApp}, which hosts that jar in place
 * of the leased bundle; the server and the buyer's runner are told nothing. The job must complete with every
 * validated result equal to a local run of its unit (so no made-up result was accepted), the known exponents found,
 * and the cheating host, and only it, caught: invalid results, banned from the app.
 */
class JobCheatersE2ETest {

    private static final Path APPS = Path.of(System.getProperty("isos.test.apps", "target/apps"));

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
    void aQuarterOfTheHostsCheatAndNoWrongResultIsAcceptedAndTheCheaterIsBanned() throws Exception {
        world = World.start(root.resolve("dev"), 4);
        World.Run keys = world.isos("keys", "new", "jobs");
        assertEquals(0, keys.exit(), keys::toString);

        // the patched app, signed with the buyer's key as the kernel requires of what runs under the buyer's lease
        Path unsigned = Files.write(root.resolve("cheater-unsigned.jar"),
                TestJars.unsigned(Files.readAllBytes(APPS.resolve("isos.testapp.cheater.jar"))));
        Path cheaterJar = root.resolve("cheater.jar");
        World.Run sign = world.isos("sign", unsigned.toString(), "--key", "jobs", "-o", cheaterJar.toString());
        assertEquals(0, sign.exit(), sign::toString);

        String cheater = "agent-4";
        String cheaterHost = world.agentStatus().get(cheater).getProperty("hostId");
        assertNotNull(cheaterHost, "agent-4 is enrolled");
        world.restartAgent(cheater, "isos.agent.test.cheatingApp=isos.apps.compute=" + cheaterJar);
        awaitHost(cheaterHost, "OFFLINE"); // the server saw the old process go ...
        awaitHost(cheaterHost, "ONLINE"); // ... and the restarted one come back

        World.Run run = world.isos("job", "submit", "--app", "mersenne", "--range", "2..1300", "--hosts", "4",
                "--lease", "30m", "--wait", "--json");
        assertEquals(0, run.exit(), run::toString);
        assertTrue(Files.readString(world.dir().resolve(cheater + ".log")).contains("TEST HARNESS: hosting"),
                "the cheating app ran under the job's lease on " + cheater);
        List<Integer> primes = new ArrayList<>();
        run.json().get("primes").forEach(p -> primes.add(p.asInt()));
        assertEquals(JobWorldE2ETest.KNOWN, primes, run::toString);
        assertEquals(0, run.json().get("errors").size(), run::toString);

        String id = run.json().get("job").asText();
        String token = world.env("ISOS_TOKEN");
        JsonNode job = world.get("/v1/jobs/" + id, token);
        assertEquals("DONE", job.get("state").asText());
        assertEquals(job.get("units").asInt(), job.get("validated").asInt(), job::toString);

        // no made-up result accepted: each validated result is byte for byte what running its unit here gives
        Pattern name = Pattern.compile("p(\\d+)\\.\\.(\\d+)");
        Mersenne mersenne = new Mersenne();
        JsonNode units = world.get("/v1/jobs/" + id + "/results", token).get("units");
        assertEquals(job.get("units").asInt(), units.size());
        for (JsonNode u : units) {
            Matcher m = name.matcher(u.get("name").asText());
            assertTrue(m.matches(), u::toString);
            byte[] input = new MersenneUnit(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))).encode();
            assertEquals("VALIDATED", u.get("state").asText(), u::toString);
            assertEquals(Base64.getEncoder().encodeToString(mersenne.run(input)), u.get("result").asText(),
                    "unit " + u.get("name").asText() + " accepted a wrong result");
        }

        // the cheater, and no one else, caught
        JsonNode hosts = world.get("/v1/jobs/" + id + "/hosts", token).get("hosts");
        boolean seen = false;
        for (JsonNode h : hosts) {
            if (h.get("hostId").asText().equals(cheaterHost)) {
                seen = true;
                assertTrue(h.get("invalidTotal").asInt() >= 3, "the cheater's invalid results counted: " + h);
                assertTrue(h.get("banned").asBoolean(), "the cheater is banned from the app: " + h);
                assertEquals(0, h.get("streak").asInt(), h::toString);
            } else {
                assertEquals(0, h.get("invalidTotal").asInt(), "an honest host caught: " + hosts);
                assertFalse(h.get("banned").asBoolean(), hosts::toString);
                assertTrue(h.get("credit").asLong() > 0, "honest hosts are credited: " + hosts);
            }
        }
        assertTrue(seen, "the cheating host worked on the job: " + hosts);
        World.Run status = world.isos("job", "status", id);
        assertEquals(0, status.exit(), status::toString);
        assertTrue(status.out().contains("host " + cheaterHost + ": ") && status.out().contains("BANNED"), status::toString);
    }

    private void awaitHost(String hostId, String status) throws InterruptedException {
        world.await("host " + hostId + " " + status, Duration.ofSeconds(90), () -> {
            for (String token : world.ownerTokens()) {
                try {
                    for (JsonNode h : world.get("/v1/hosts", token).get("hosts")) {
                        if (hostId.equals(h.path("hostId").asText()) && status.equals(h.path("status").asText())) {
                            return true;
                        }
                    }
                } catch (Exception e) {
                    return false;
                }
            }
            return false;
        });
    }
}
