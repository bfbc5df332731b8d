package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The server dies and comes back: {@code ./isos dev --hosts 2} with short usage periods (2 s) and a server that dev
 * starts again 15 s after it exits. An app runs on both hosts; while usage records are being delivered and settled,
 * the server is killed with SIGKILL. For the 15 s it is away the hosts keep running the app (their status files say
 * ACTIVE) and keep their usage records; once it is back (same data directory, same port) they deliver them. At the
 * end every record the agents count as delivered is in the server's store exactly once, each lease's sequence has
 * no gap and ends with its last record, no transfer is posted twice, and the ledger balances.
 */
class ServerRestartE2ETest {

    private static final String APP = "isos.testapp.echo";
    private static final Path APPS = Path.of(System.getProperty("isos.test.apps", "target/apps"));

    /** Kept after the run (target/), so the logs and stores can be read when it fails. */
    static Path root = Path.of("target", "server-restart-world").toAbsolutePath();
    static World world;

    @AfterAll
    static void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
        }
    }

    @Test
    void aServerKilledDuringSettlementLosesNoUsageAndPaysNothingTwice() throws Exception {
        Files.createDirectories(root);
        world = World.start(root.resolve("dev"), 2, "--restart-server-seconds", "15", "--usage-period-seconds", "2");
        Path unsigned = root.resolve("echo-unsigned.jar");
        Files.write(unsigned, TestJars.unsigned(Files.readAllBytes(APPS.resolve(APP + ".jar"))));
        assertEquals(0, world.isos("keys", "new", "dev").exit());
        Path signed = root.resolve("echo-signed.jar");
        World.Run sign = world.isos("sign", unsigned.toString(), "--key", "dev", "-o", signed.toString());
        assertEquals(0, sign.exit(), sign::toString);

        World.Run deploy = world.isos("deploy", signed.toString(), "--hosts", "2", "--lease", "60s", "--cpu", "0.5",
                "--storage", "1MiB", "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        List<String> ids = new ArrayList<>();
        deploy.json().path("leases").forEach(lease -> ids.add(lease.path("id").asText()));
        assertEquals(2, ids.size(), deploy::toString);
        Instant expiry = Instant.parse(deploy.json().path("leases").get(0).path("expiry").asText());
        world.await("both agents run the app", Duration.ofSeconds(30), () -> active(ids) == 2);

        // usage flows: records are delivered every heartbeat; kill the server in the middle of it
        world.await("usage being delivered", Duration.ofSeconds(30), () -> sum("usage.delivered") >= 4);
        world.await("a delivery in flight", Duration.ofSeconds(10), () -> sum("usage.pending") > 0
                || sum("usage.delivered") >= 6);
        long killed = world.killServer("server");
        Instant down = Instant.now();
        long deliveredBefore = sum("usage.delivered");

        // away for 15 s: the hosts run on and keep what they meter
        boolean sawUnreachable = false;
        while (Duration.between(down, Instant.now()).toSeconds() < 12) {
            assertFalse(world.serverAnswers(), "the server is down");
            assertEquals(2, active(ids), "the app runs on both hosts while the server is away: " + world.agentStatus());
            sawUnreachable |= world.agentStatus().values().stream()
                    .allMatch(s -> s.getProperty("server", "").startsWith("UNREACHABLE"));
            Thread.sleep(1000);
        }
        assertTrue(sawUnreachable, "the agents noticed: " + world.agentStatus());
        assertEquals(deliveredBefore, sum("usage.delivered"), "nothing delivered while the server is away");

        // back on the same port and data: the waiting usage arrives
        world.await("the server started again", Duration.ofSeconds(90), world::serverAnswers);
        long restarted = world.serverProcess("server").orElseThrow().pid();
        assertTrue(restarted != killed, "a new server process");
        // the kernels closed a record every 2 s per lease while it was away: they all come now
        world.await("the waiting usage delivered", Duration.ofSeconds(30),
                () -> sum("usage.delivered") >= deliveredBefore + 10 && sum("usage.pending") == 0);

        // the leases run to their end; the last records arrive
        Duration toExpiry = Duration.between(Instant.now(), expiry);
        world.await("both leases ended on the hosts and every record delivered",
                toExpiry.plusSeconds(60).compareTo(Duration.ofSeconds(30)) > 0 ? toExpiry.plusSeconds(60) : Duration.ofSeconds(60),
                () -> active(ids) == 0 && sum("usage.pending") == 0 && lastDelivered(ids));

        // no transfer twice in the buyer's ledger, and the ledger balances
        String buyer = world.env("ISOS_TOKEN");
        JsonNode entries = world.get("/v1/ledger?limit=1000", buyer).path("entries");
        Set<String> seen = new HashSet<>();
        int usageTransfers = 0;
        for (JsonNode entry : entries) {
            String key = entry.path("transferId").asText() + " " + entry.path("ledgerAccount").asText();
            assertTrue(seen.add(key), "posted twice: " + key);
            usageTransfers += entry.path("transferId").asText().startsWith("usage:") ? 1 : 0;
        }
        assertTrue(usageTransfers > 0, "usage was paid: " + entries);
        JsonNode totals = world.get("/v1/ledger/totals", buyer);
        assertTrue(totals.path("balanced").asBoolean(), "sum over all accounts == deposits - withdrawals: " + totals);
        assertEquals(0, world.get("/v1/balance", buyer).path("heldMicros").asLong(), "escrow returned");

        // the server's own record of each usage record: every delivered one, once, no gaps
        world.close();
        world.await("the world stopped", Duration.ofSeconds(40), world::allStopped);
        // the agents' counts as their status files say at their clean stop (the files are written every few
        // seconds while running, so a count read earlier may lag the last delivery)
        assertEquals(0, sum("usage.refused"), "no record refused: " + world.agentStatus());
        long delivered = sum("usage.delivered");
        List<String[]> rows = h2(world.dir().resolve("server"), "SELECT lease_id, COUNT(*), MIN(sequence), MAX(sequence), "
                + "SUM(CASE WHEN last_record THEN 1 ELSE 0 END) FROM usage_records GROUP BY lease_id ORDER BY lease_id");
        assertEquals(2, rows.size(), "records of both leases: " + rows.stream().map(List::of).toList());
        long stored = 0;
        for (String[] row : rows) {
            stored += Long.parseLong(row[1]);
        }
        assertEquals(delivered, stored, "every record the agents delivered is stored exactly once; missing: "
                + missing(rows));
        stored = 0;
        for (String[] row : rows) {
            assertTrue(ids.contains(row[0]), "a lease of this test: " + row[0]);
            long count = Long.parseLong(row[1]);
            assertEquals("1", row[2], "sequences start at 1: " + List.of(row));
            assertEquals(count, Long.parseLong(row[3]), "no gap in the sequence: " + List.of(row));
            assertEquals("1", row[4], "one last record: " + List.of(row));
            stored += count;
        }
        assertEquals(delivered, stored, "every record the agents delivered is stored exactly once");
        // records that waited out the outage: settled well after their period closed
        List<String[]> late = h2(world.dir().resolve("server"),
                "SELECT COUNT(*), 'late' FROM usage_records WHERE settled > period_to + INTERVAL '8' SECOND");
        assertTrue(Long.parseLong(late.get(0)[0]) >= 4, "records metered while the server was down, paid after: "
                + late.get(0)[0]);
    }

    /** The sequence numbers absent from each lease's stored records, for the failure message. */
    private static String missing(List<String[]> rows) throws Exception {
        StringBuilder gaps = new StringBuilder();
        for (String[] row : rows) {
            Set<Long> present = new HashSet<>();
            for (String[] r : h2(world.dir().resolve("server"), "SELECT sequence, settled FROM usage_records WHERE "
                    + "lease_id = '" + row[0] + "'")) {
                present.add(Long.parseLong(r[0]));
            }
            for (long q = 1; q <= Long.parseLong(row[3]); q++) {
                if (!present.contains(q)) {
                    gaps.append(row[0]).append('#').append(q).append(' ');
                }
            }
        }
        return gaps.toString();
    }

    /** How many of the leases the agents' status files show ACTIVE. */
    private static int active(List<String> ids) {
        int active = 0;
        for (Properties status : statuses()) {
            for (String id : ids) {
                active += "ACTIVE".equals(status.getProperty("app." + id + ".state")) ? 1 : 0;
            }
        }
        return active;
    }

    /** Whether each lease is ENDED on its host as the agent reports it to the server (its final record then goes). */
    private static boolean lastDelivered(List<String> ids) {
        int ended = 0;
        for (Properties status : statuses()) {
            for (String id : ids) {
                String state = status.getProperty("serverLease." + id, "");
                ended += state.startsWith("ENDED") ? 1 : 0;
            }
        }
        return ended == ids.size();
    }

    private static long sum(String key) {
        long total = 0;
        for (Properties status : statuses()) {
            total += Long.parseLong(status.getProperty(key, "0").strip());
        }
        return total;
    }

    private static List<Properties> statuses() {
        try {
            return new ArrayList<>(world.agentStatus().values());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Rows of a query on a stopped server's H2 store, through H2's own shell (the server's bundled driver). */
    static List<String[]> h2(Path serverData, String sql) throws Exception {
        Path h2;
        try (Stream<Path> bundles = Files.list(World.ROOT.resolve("isos.server/target/server/bundles"))) {
            h2 = bundles.filter(p -> p.getFileName().toString().matches("(com\\.)?h2.*\\.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no H2 jar in the server's distribution"));
        }
        String url = "jdbc:h2:file:" + serverData.resolve("store").resolve("isos").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
        Path out = Files.createTempFile(root, "h2", ".out");
        Process shell = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                h2.toString(), "org.h2.tools.Shell", "-url", url, "-user", "isos", "-password", "", "-sql", sql)
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(shell.waitFor(60, TimeUnit.SECONDS), "H2 shell ended");
        String text = Files.readString(out);
        assertEquals(0, shell.exitValue(), text);
        // a header line, rows "a | b | c", then "(n rows, m ms)"
        List<String[]> rows = new ArrayList<>();
        List<String> lines = text.lines().filter(l -> l.contains("|")).toList();
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            rows.add(Stream.of(line.split("\\|")).map(String::strip).toArray(String[]::new));
        }
        return rows;
    }

}
