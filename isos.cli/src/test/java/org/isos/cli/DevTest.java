package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code isos dev --hosts 2} as a process: a real server and two secure agents come up, the
 * environment it writes works for the other verbs, and SIGTERM stops every child and exits 0.
 */
class DevTest {

    private static final Path SERVER_DIST = Path.of(System.getProperty("isos.server.dist", "../isos.server/target/server"));
    private static final Path AGENT_DIST = Path.of(System.getProperty("isos.agent.dist", "../isos.agent.host/target/agent"));
    private static final Path ECHO = Path.of(System.getProperty("isos.test.apps", "target/test-apps")).resolve("echo.jar");

    @TempDir
    Path temp;
    private Process dev;
    private final List<ProcessHandle> children = new ArrayList<>();

    @AfterEach
    void noneLeft() throws InterruptedException {
        if (dev != null && dev.isAlive()) {
            children.addAll(dev.descendants().toList());
            dev.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void aWorldOfTwoHostsComesUpServesTheVerbsAndStopsOnSigterm() throws Exception {
        Path dir = temp.resolve("dev");
        Path output = temp.resolve("dev.out");
        dev = isosDev(dir, output);
        awaitLine(output, "ready", Duration.ofSeconds(150));

        Map<String, String> env = readEnv(dir.resolve("dev.env"));
        assertTrue(env.get("ISOS_SERVER").startsWith("https://127.0.0.1:"), env.toString());
        assertTrue(env.get("ISOS_TOKEN").startsWith("isos_"), env.toString());
        assertEquals(dir.resolve("home").toString(), env.get("ISOS_HOME"));
        assertEquals(Files.readString(dir.resolve("server/ca/root.pem")), Files.readString(dir.resolve("home/ca.pem")));
        String[] owners = env.get("ISOS_OWNER_TOKENS").split(",");
        assertEquals(2, owners.length, env.toString());
        assertTrue(Files.size(dir.resolve("server.log")) > 0 && Files.size(dir.resolve("agent-1.log")) > 0
                && Files.size(dir.resolve("agent-2.log")) > 0, "children's logs in DIR");

        // hosts alternate between the two owners, each ONLINE
        Set<String> hostIds = new HashSet<>();
        for (String owner : owners) {
            CliRun hosts = CliRun.run(with(env, "ISOS_TOKEN", owner), "hosts", "--json");
            assertEquals(0, hosts.exit(), hosts::toString);
            JsonNode list = ServerConnection.JSON.readTree(hosts.out()).get("hosts");
            assertEquals(1, list.size(), hosts::toString);
            assertEquals("ONLINE", list.get(0).get("status").asText(), hosts::toString);
            hostIds.add(list.get(0).get("hostId").asText());
        }
        assertEquals(2, hostIds.size());

        CliRun me = CliRun.run(env, "accounts", "show", "--json");
        assertEquals(0, me.exit(), me::toString);
        assertEquals("buyer", ServerConnection.JSON.readTree(me.out()).get("kind").asText());

        // one world per directory
        Path secondOutput = temp.resolve("second.out");
        Process second = isosDev(dir, secondOutput);
        assertTrue(second.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, second.exitValue(), Files.readString(secondOutput));
        assertTrue(Files.readString(secondOutput).contains("isos dev: another isos dev (pid " + dev.pid() + ") runs in "),
                Files.readString(secondOutput));

        ServerConnection asBuyer = new ServerConnection(java.net.URI.create(env.get("ISOS_SERVER")), env.get("ISOS_TOKEN"),
                dir.resolve("home/ca.pem"));
        if (serves(asBuyer, "/v1/balance")) {
            assertEquals(1_000_000_000L, asBuyer.get("/v1/balance").get("availableMicros").asLong(), "dev's deposit");
        }
        if (serves(asBuyer, "/v1/leases")) {
            deployToBothHosts(env, hostIds);
        }

        children.addAll(dev.descendants().toList());
        assertEquals(3, children.size(), "a server and two agents: " + children);
        dev.destroy(); // SIGTERM
        assertTrue(dev.waitFor(90, TimeUnit.SECONDS), "dev stopped");
        assertEquals(0, dev.exitValue(), Files.readString(output));
        for (ProcessHandle child : children) {
            assertFalse(child.isAlive(), "child " + child.pid() + " stopped with dev");
        }
        String said = Files.readString(output);
        assertTrue(said.contains("isos dev: stopping: 2 agents, then the server") && said.contains("isos dev: stopped"), said);
        assertFalse(Files.exists(dir.resolve("dev.pid")), "the claim on DIR is released");
    }

    private void deployToBothHosts(Map<String, String> env, Set<String> hostIds) throws IOException {
        CliRun keys = CliRun.run(env, "keys", "new", "dev");
        assertEquals(0, keys.exit(), keys::toString);
        Path signed = temp.resolve("echo.jar");
        CliRun sign = CliRun.run(env, "sign", ECHO.toString(), "--key", "dev", "-o", signed.toString(), "--replace-signatures");
        assertEquals(0, sign.exit(), sign::toString);
        CliRun deploy = CliRun.run(env, "deploy", signed.toString(), "--hosts", "2", "--lease", "2m", "--cpu", "25%",
                "--json", "--wait-seconds", "90");
        assertEquals(0, deploy.exit(), deploy::toString);
        JsonNode leases = ServerConnection.JSON.readTree(deploy.out()).get("leases");
        assertEquals(2, leases.size(), deploy::toString);
        Set<String> on = new HashSet<>();
        for (JsonNode lease : leases) {
            assertEquals("ACTIVE", lease.get("state").asText(), deploy::toString);
            on.add(lease.get("hostId").asText());
        }
        assertEquals(hostIds, on, "one lease on each host");
        assertTrue(deploy.err().contains("isos deploy: uploaded isos.testapp.echo"), deploy::toString);

        String id = leases.get(0).get("id").asText();
        CliRun release = CliRun.run(env, "release", id, "--json");
        assertEquals(0, release.exit(), release::toString);
        assertEquals("RELEASED", ServerConnection.JSON.readTree(release.out()).get("state").asText());
        CliRun active = CliRun.run(env, "leases", "--state", "ACTIVE", "--json");
        assertEquals(0, active.exit(), active::toString);
        JsonNode still = ServerConnection.JSON.readTree(active.out()).get("leases");
        assertEquals(1, still.size(), active::toString);
        assertNotEquals(id, still.get(0).get("id").asText());

        String other = still.get(0).get("id").asText();
        java.time.Instant before = java.time.Instant.parse(still.get(0).get("expiry").asText());
        CliRun renew = CliRun.run(env, "renew", other, "--lease", "10m", "--json");
        assertEquals(0, renew.exit(), renew::toString);
        JsonNode renewed = ServerConnection.JSON.readTree(renew.out());
        assertEquals(other, renewed.get("id").asText());
        assertTrue(java.time.Instant.parse(renewed.get("expiry").asText()).isAfter(before), renew::toString);
        CliRun renewReleased = CliRun.run(env, "renew", id, "--lease", "10m");
        assertEquals(1, renewReleased.exit(), renewReleased::toString);
        assertTrue(renewReleased.err().startsWith("isos renew: "), renewReleased::toString);
    }

    // ------------------------------------------------------------------ helpers

    private static boolean serves(ServerConnection c, String path) {
        try {
            c.get(path);
            return true;
        } catch (ServerConnection.Refused e) {
            return e.status() != 404;
        }
    }

    private static Process isosDev(Path dir, Path output) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Disos.server.dist=" + SERVER_DIST.toAbsolutePath(), "-Disos.agent.dist=" + AGENT_DIST.toAbsolutePath(),
                "-cp", System.getProperty("java.class.path"), Isos.class.getName(), "dev", "--hosts", "2", "--data",
                dir.toString(), "--wait-seconds", "140");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(Redirect.appendTo(output.toFile())).start();
    }

    private void awaitLine(Path output, String line, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            String said = Files.exists(output) ? Files.readString(output) : "";
            if (said.lines().anyMatch(line::equals)) {
                return;
            }
            if (!dev.isAlive()) {
                throw new AssertionError("isos dev exited " + dev.exitValue() + ":\n" + said);
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no '" + line + "' within " + limit + ":\n" + Files.readString(output));
    }

    private static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String l : Files.readAllLines(file)) {
            int eq = l.indexOf('=');
            if (eq > 0) {
                env.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return env;
    }

    private static Map<String, String> with(Map<String, String> env, String key, String value) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put(key, value);
        return copy;
    }
}
