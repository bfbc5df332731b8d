package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.isos.kernel.wire.ClientSession;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An owner revokes a host's certificate ({@code ./isos dev --hosts 2}, the echo test app on both hosts): before,
 * the app on host A reaches the app on host B over the kernels' transport (the peer directory filled from the
 * heartbeat answers' {@code peers}); after, A's kernel refuses B ({@code REVOKED_PEER}, learnt from A's heartbeat
 * answer and kept in A's agent data), and the server refuses B's heartbeats.
 */
class HostRevocationWorldE2ETest {

    private static final String APP = "isos.testapp.echo";
    private static final Path APPS = Path.of(System.getProperty("isos.test.apps", "target/apps"));

    @TempDir
    static Path root;
    static World world;
    static Path signedEcho;

    @BeforeAll
    static void startTheWorld() throws Exception {
        world = World.start(root.resolve("dev"), 2);
        Path unsigned = root.resolve("echo-unsigned.jar");
        Files.write(unsigned, TestJars.unsigned(Files.readAllBytes(APPS.resolve(APP + ".jar"))));
        World.Run keys = world.isos("keys", "new", "dev");
        assertEquals(0, keys.exit(), keys::toString);
        signedEcho = root.resolve("echo-signed.jar");
        World.Run sign = world.isos("sign", unsigned.toString(), "--key", "dev", "-o", signedEcho.toString());
        assertEquals(0, sign.exit(), sign::toString);
    }

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(40), world::allStopped);
        }
    }

    @Test
    void aRevokedHostIsRefusedByItsPeersKernelsAndByTheServer() throws Exception {
        World.Run deploy = world.isos("deploy", signedEcho.toString(), "--hosts", "2", "--lease", "3m", "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        JsonNode leases = deploy.json().path("leases");
        assertEquals(2, leases.size(), deploy::toString);
        JsonNode a = leases.get(0);
        JsonNode b = leases.get(1);
        String hostA = a.path("hostId").asText();
        String hostB = b.path("hostId").asText();
        world.await("both agents run the app", Duration.ofSeconds(60),
                () -> "ACTIVE".equals(status(hostA).getProperty("app." + a.path("id").asText() + ".state"))
                        && "ACTIVE".equals(status(hostB).getProperty("app." + b.path("id").asText() + ".state")));
        String buyer = world.get("/v1/me", world.env("ISOS_TOKEN")).path("id").asText();

        try (ClientSession onA = session(a, buyer); ClientSession onB = session(b, buyer)) {
            // before: A's app reaches B's app host to host (A learns B's address with a heartbeat answer)
            world.await("A's app reaches B's app", Duration.ofSeconds(60),
                    () -> ask(onA, "send-to " + hostB + " ping").equals("sent to " + hostB));
            world.await("B's app was pinged by A", Duration.ofSeconds(60),
                    () -> ask(onB, "get event.pinged-by").equals(hostA));

            // the owner of B revokes B's certificate
            String ownerB = null;
            String serialB = null;
            for (String token : world.ownerTokens()) {
                for (JsonNode host : world.get("/v1/hosts", token).path("hosts")) {
                    if (host.path("hostId").asText().equals(hostB)) {
                        ownerB = token;
                        serialB = host.path("serial").asText();
                    }
                }
            }
            assertNotNull(ownerB, "an owner of ./isos dev lists " + hostB);
            JsonNode revoked = world.post("/v1/certificates/" + serialB + "/revoke", ownerB,
                    "{\"reason\": \"machine stolen\"}");
            assertEquals("host", revoked.path("kind").asText(), revoked::toString);

            // A's kernel refuses B from A's next heartbeat on, saying why
            String refusal = "REVOKED_PEER: host certificate serial " + serialB + " (host " + hostB + ") is revoked";
            String[] last = new String[1];
            world.await("A's kernel refuses B", Duration.ofSeconds(60), () -> {
                last[0] = ask(onA, "send-to " + hostB + " ping");
                return last[0].startsWith("send failed: ") && last[0].contains(refusal);
            });
            // kept across restarts of A's agent
            Path kept = root.resolve("dev").resolve(world.agentsByHost().get(hostA)).resolve("agent/revoked-serials");
            assertTrue(Files.readAllLines(kept).contains(serialB), kept + " lists " + serialB);
        }

        // the server refuses B's heartbeats: B's agent says so
        world.await("the server refuses B's heartbeats", Duration.ofSeconds(60), () -> {
            String server = status(hostB).getProperty("server", "");
            return server.startsWith("REFUSED") && server.contains("is revoked (machine stolen)");
        });
    }

    private static ClientSession session(JsonNode lease, String buyer) throws Exception {
        InetSocketAddress listed = ClientSession.transportAddress(lease.path("transportAddress").asText());
        return ClientSession.open(new InetSocketAddress(listed.getHostString(), listed.getPort()), List.of(world.ca()),
                buyer, APP, lease.path("id").asText());
    }

    private static String ask(ClientSession session, String text) {
        try {
            session.send(text.getBytes(StandardCharsets.UTF_8));
            return new String(session.receive(Duration.ofSeconds(60)), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The status file of the agent running as {@code hostId}. */
    private static Properties status(String hostId) {
        try {
            for (Map.Entry<String, Properties> e : world.agentStatus().entrySet()) {
                if (hostId.equals(e.getValue().getProperty("hostId"))) {
                    return e.getValue();
                }
            }
            return new Properties();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
