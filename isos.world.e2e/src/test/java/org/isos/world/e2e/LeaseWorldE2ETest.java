package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.isos.kernel.wire.ClientSession;
import org.isos.testkit.TestClasses;
import org.isos.testkit.TestJars;
import org.isos.testkit.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.Opcodes;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The first acceptance scenario with real processes: {@code ./isos dev --hosts 3}; a buyer makes a
 * key, signs a test app with it and deploys it to two hosts; the leases are ACTIVE within seconds and the
 * app answers; at expiry it is gone from both hosts; the ledger shows the buyer debited, the owners
 * credited and the fee, and the sum over all accounts equals deposits minus withdrawals. Bundles that are
 * unsigned, signed under a foreign CA, tampered or that call a forbidden API are refused at upload.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeaseWorldE2ETest {

    private static final String APP = "isos.testapp.echo";
    private static final Path APPS = Path.of(System.getProperty("isos.test.apps", "target/apps"));
    private static final TestPki PKI = TestPki.load(Path.of(System.getProperty("isos.test.pki", "../cnf/test-pki")));

    @TempDir
    static Path root;
    static World world;
    static byte[] unsignedEcho;
    static Path signedEcho;

    @BeforeAll
    static void startTheWorld() throws Exception {
        world = World.start(root.resolve("dev"), 3);
        unsignedEcho = TestJars.unsigned(Files.readAllBytes(APPS.resolve(APP + ".jar")));
        Path unsigned = root.resolve("echo-unsigned.jar");
        Files.write(unsigned, unsignedEcho);
        World.Run keys = world.isos("keys", "new", "dev");
        assertEquals(0, keys.exit(), keys::toString);
        assertTrue(Files.exists(world.home().resolve("dev.p12")), "keys new wrote ISOS_HOME/dev.p12");
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
    @Order(1)
    void badBundlesAreRefusedAtUploadWithTheRuleThatFailed() throws Exception {
        assertRefused(root.resolve("echo-unsigned.jar"), "UNSIGNED");
        Path foreign = root.resolve("echo-foreign.jar");
        Files.write(foreign, PKI.sign(unsignedEcho, "buyer-a")); // the test CA is not this server's CA
        assertRefused(foreign, "UNTRUSTED_SIGNER");
        Path tampered = root.resolve("echo-tampered.jar");
        Files.write(tampered, TestJars.tampered(Files.readAllBytes(signedEcho)));
        assertRefused(tampered, "TAMPERED");
        byte[] withFileAccess = TestJars.unsigned(Files.readAllBytes(APPS.resolve(APP + ".jar")), a -> {
        }, Map.of("org/isos/testapp/echo/Wiper.class", TestClasses.callingClass("org/isos/testapp/echo/Wiper",
                Opcodes.INVOKESTATIC, "java/nio/file/Files", "delete", "(Ljava/nio/file/Path;)V")));
        Path forbidden = root.resolve("echo-forbidden-unsigned.jar");
        Files.write(forbidden, withFileAccess);
        Path forbiddenSigned = root.resolve("echo-forbidden.jar");
        World.Run sign = world.isos("sign", forbidden.toString(), "--key", "dev", "-o", forbiddenSigned.toString());
        assertEquals(0, sign.exit(), sign::toString);
        assertRefused(forbiddenSigned, "FORBIDDEN_FILES");
        JsonNode leases = world.isos("leases", "--json").json();
        assertEquals(0, leases.path("leases").size(), "no lease came of a refused bundle: " + leases);
    }

    private static void assertRefused(Path jar, String rule) throws Exception {
        World.Run deploy = world.isos("deploy", jar.toString(), "--hosts", "1", "--lease", "30s");
        assertEquals(1, deploy.exit(), deploy::toString);
        assertTrue(deploy.err().contains(rule), "stderr names " + rule + ": " + deploy);
    }

    @Test
    @Order(2)
    void aSignedAppDeployedToTwoHostsRunsUntilItsLeaseEndsAndEveryoneIsPaid() throws Exception {
        long depositBefore = world.get("/v1/balance", world.env("ISOS_TOKEN")).path("availableMicros").asLong();
        World.Run deploy = world.isos("deploy", signedEcho.toString(), "--hosts", "2", "--lease", "25s", "--cpu",
                "0.5", "--storage", "1MiB", "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        JsonNode leases = deploy.json().path("leases");
        assertEquals(2, leases.size(), deploy::toString);
        Set<String> hosts = new HashSet<>();
        Set<String> owners = new HashSet<>();
        List<String> ids = new ArrayList<>();
        for (JsonNode lease : leases) {
            assertEquals("ACTIVE", lease.path("state").asText(), lease::toString);
            hosts.add(lease.path("hostId").asText());
            owners.add(lease.path("ownerId").asText());
            ids.add(lease.path("id").asText());
        }
        assertEquals(2, hosts.size(), "two distinct hosts");
        assertEquals(2, owners.size(), "spread over the two owners of ./isos dev");

        // the agents run it: their status files say so, and the app answers a client on each host
        world.await("both agents report the app ACTIVE", Duration.ofSeconds(20), () -> activeOn(ids) == 2);
        String buyer = world.get("/v1/me", world.env("ISOS_TOKEN")).path("id").asText();
        for (JsonNode lease : leases) {
            String[] address = lease.path("transportAddress").asText().split(":");
            try (ClientSession session = ClientSession.open(
                    new java.net.InetSocketAddress(address[0], Integer.parseInt(address[1])), List.of(world.ca()),
                    buyer, APP, lease.path("id").asText())) {
                session.send("lease".getBytes(StandardCharsets.UTF_8));
                String answer = new String(session.receive(Duration.ofSeconds(20)), StandardCharsets.UTF_8);
                assertTrue(answer.startsWith(lease.path("id").asText() + " " + buyer), answer);
                session.send("work w 100".getBytes(StandardCharsets.UTF_8)); // ~200 ms of CPU to pay for
                assertEquals("submitted w", new String(session.receive(Duration.ofSeconds(20)), StandardCharsets.UTF_8));
            }
        }

        // at expiry the app is gone from both hosts, and the server says EXPIRED
        world.await("the app uninstalled from both hosts at expiry", Duration.ofSeconds(60), () -> activeOn(ids) == 0
                && hostedAnywhere(ids) == 0);
        world.await("both leases EXPIRED", Duration.ofSeconds(30), () -> {
            try {
                JsonNode list = world.isos("leases", "--json").json().path("leases");
                int expired = 0;
                for (JsonNode lease : list) {
                    expired += ids.contains(lease.path("id").asText()) && "EXPIRED".equals(lease.path("state").asText()) ? 1 : 0;
                }
                return expired == 2;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        for (String agent : world.agentStatus().keySet()) {
            for (String id : ids) {
                assertFalse(Files.exists(world.agentDir(agent).resolve("kernel/stores/" + id)), "store of " + id + " deleted on " + agent);
            }
        }

        // the usage records reach the server and are paid: buyer debited, owners credited, the fee taken
        world.await("usage paid to both owners", Duration.ofSeconds(40), () -> {
            try {
                long paid = 0;
                for (String owner : world.ownerTokens()) {
                    paid += world.get("/v1/balance", owner).path("availableMicros").asLong() > 0 ? 1 : 0;
                }
                return paid == 2 && world.get("/v1/ledger/totals", world.env("ISOS_TOKEN")).path("feesMicros").asLong() > 0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        JsonNode balance = world.get("/v1/balance", world.env("ISOS_TOKEN"));
        assertEquals(0, balance.path("heldMicros").asLong(), "escrow returned at lease end: " + balance);
        long spent = depositBefore - balance.path("availableMicros").asLong();
        long owned = 0;
        for (String owner : world.ownerTokens()) {
            owned += world.get("/v1/balance", owner).path("availableMicros").asLong();
        }
        JsonNode totals = world.get("/v1/ledger/totals", world.env("ISOS_TOKEN"));
        assertTrue(spent > 0, "the buyer paid: " + balance);
        assertEquals(spent, owned + totals.path("feesMicros").asLong(), "what the buyer paid went to owners and the fee");
        assertTrue(totals.path("balanced").asBoolean(), "sum over all accounts == deposits - withdrawals: " + totals);
        assertEquals(totals.path("depositsMicros").asLong() - totals.path("withdrawalsMicros").asLong(),
                totals.path("sumOfAccountsMicros").asLong());

        World.Run ledger = world.isos("ledger", "--json");
        assertEquals(0, ledger.exit(), ledger::toString);
        Set<String> kinds = new HashSet<>();
        ledger.json().path("entries").forEach(entry -> kinds.add(entry.path("kind").asText()));
        assertTrue(kinds.containsAll(Set.of("deposit", "hold", "usage")), "the buyer's ledger: " + kinds);
        World.Run text = world.isos("balance");
        assertEquals(0, text.exit(), text::toString);
        assertNotEquals("", text.out().strip());
    }

    @Test
    @Order(3)
    void revokingTheBuyersSigningCertificateEndsItsLeaseOnTheHost() throws Exception {
        World.Run keys = world.isos("keys", "new", "revocable");
        assertEquals(0, keys.exit(), keys::toString);
        java.util.regex.Matcher serial = java.util.regex.Pattern.compile("certificate ([0-9a-f]+),").matcher(keys.out());
        assertTrue(serial.find(), keys::toString);
        Path signed = root.resolve("echo-revocable.jar");
        Path unsigned = root.resolve("echo-unsigned.jar");
        World.Run sign = world.isos("sign", unsigned.toString(), "--key", "revocable", "-o", signed.toString());
        assertEquals(0, sign.exit(), sign::toString);
        World.Run deploy = world.isos("deploy", signed.toString(), "--hosts", "1", "--lease", "5m", "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        String id = deploy.json().path("leases").get(0).path("id").asText();
        world.await("the agent reports the app ACTIVE", Duration.ofSeconds(20), () -> activeOn(List.of(id)) == 1);

        JsonNode revoked = world.post("/v1/certificates/" + serial.group(1) + "/revoke", world.env("ISOS_TOKEN"),
                "{\"reason\": \"key leaked\"}");
        assertEquals("buyer", revoked.path("kind").asText(), revoked::toString);
        String[] reason = new String[1];
        world.await("the host ends the lease and the server shows it FAILED, naming the revocation",
                Duration.ofSeconds(60), () -> {
                    try {
                        for (JsonNode lease : world.isos("leases", "--json").json().path("leases")) {
                            if (lease.path("id").asText().equals(id) && lease.path("state").asText().equals("FAILED")) {
                                reason[0] = lease.path("reason").asText();
                                return true;
                            }
                        }
                        return false;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        assertTrue(reason[0].startsWith("REVOKED_SIGNER: the certificate " + serial.group(1) + " that signed bundle "),
                reason[0]);
        world.await("the app is gone from the host", Duration.ofSeconds(20), () -> activeOn(List.of(id)) == 0);
    }

    /** How many of the leases an agent's status file shows ACTIVE. */
    private static int activeOn(List<String> ids) {
        try {
            int active = 0;
            for (Properties status : world.agentStatus().values()) {
                for (String id : ids) {
                    active += "ACTIVE".equals(status.getProperty("app." + id + ".state")) ? 1 : 0;
                }
            }
            return active;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** How many of the leases any agent still lists at all. */
    private static int hostedAnywhere(List<String> ids) {
        try {
            int hosted = 0;
            for (Properties status : world.agentStatus().values()) {
                for (String id : ids) {
                    hosted += status.getProperty("app." + id + ".state") != null ? 1 : 0;
                }
            }
            return hosted;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
