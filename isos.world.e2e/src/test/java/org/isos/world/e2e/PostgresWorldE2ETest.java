package org.isos.world.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.isos.kernel.wire.ClientSession;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The world over PostgreSQL, as {@code ./isos dev --db jdbc:postgresql://…} runs it against a throwaway cluster
 * (initdb and pg_ctl from the installed PostgreSQL, as the {@code postgres} user when run as root): the lease
 * scenario — deploy, ACTIVE on two hosts, expiry, the ledger balanced — and two server instances over one
 * database: a lease granted through the second runs on hosts that report to the first, and with the first
 * stopped the command line and the agents carry on with the second.
 */
class PostgresWorldE2ETest {

    private static final String APP = "isos.testapp.echo";
    private static final Path APPS = Path.of(System.getProperty("isos.test.apps", "target/apps"));

    @TempDir
    static Path root;
    static Cluster cluster;
    World world;

    @BeforeAll
    static void startPostgres() throws Exception {
        Optional<Path> bin = Cluster.binaries();
        Assumptions.assumeTrue(bin.isPresent(), "PostgreSQL is not installed (initdb, pg_ctl): apt-get install postgresql");
        cluster = Cluster.start(bin.get());
    }

    @AfterAll
    static void stopPostgres() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void stopTheWorld() throws Exception {
        if (world != null) {
            world.close();
            world.await("every process of ./isos dev stopped", Duration.ofSeconds(40), world::allStopped);
        }
    }

    @Test
    void aLeaseRunsAndExpiresAndTheLedgerBalancesOverPostgres() throws Exception {
        String db = cluster.newDatabase("isos_lease");
        world = World.start(root.resolve("lease"), 2, "--db", cluster.url(db), "--db-user", "isos");
        Path signed = signedEcho(root.resolve("lease-apps"));
        long before = world.get("/v1/balance", world.env("ISOS_TOKEN")).path("availableMicros").asLong();

        World.Run deploy = world.isos("deploy", signed.toString(), "--hosts", "2", "--lease", "30s", "--cpu", "0.5",
                "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        List<String> ids = new ArrayList<>();
        for (JsonNode lease : deploy.json().path("leases")) {
            assertEquals("ACTIVE", lease.path("state").asText(), lease::toString);
            ids.add(lease.path("id").asText());
        }
        assertEquals(2, ids.size());
        world.await("both agents run the app", Duration.ofSeconds(30), () -> active(ids) == 2);
        // the leases are rows of the PostgreSQL database, not of some H2 file
        assertEquals(List.of("2"), cluster.query(db, "SELECT COUNT(*) FROM leases WHERE state = 'ACTIVE'"));
        assertTrue(Files.notExists(world.dir().resolve("server/store")), "no H2 store beside PostgreSQL");
        // some CPU to pay for: the echo app works ~200 ms on each host
        String buyer = world.get("/v1/me", world.env("ISOS_TOKEN")).path("id").asText();
        for (JsonNode lease : deploy.json().path("leases")) {
            String[] address = lease.path("transportAddress").asText().split(":");
            try (ClientSession session = ClientSession.open(new InetSocketAddress(address[0],
                    Integer.parseInt(address[1])), List.of(world.ca()), buyer, APP, lease.path("id").asText())) {
                session.send("work w 100".getBytes(StandardCharsets.UTF_8));
                assertEquals("submitted w", new String(session.receive(Duration.ofSeconds(20)), StandardCharsets.UTF_8));
            }
        }

        world.await("the app gone from both hosts at expiry", Duration.ofSeconds(60), () -> active(ids) == 0);
        world.await("both leases EXPIRED and usage paid", Duration.ofSeconds(90), () -> {
            try {
                int expired = 0;
                for (JsonNode lease : world.isos("leases", "--json").json().path("leases")) {
                    expired += ids.contains(lease.path("id").asText()) && "EXPIRED".equals(lease.path("state").asText())
                            ? 1 : 0;
                }
                return expired == 2 && world.get("/v1/ledger/totals", world.env("ISOS_TOKEN")).path("feesMicros").asLong() > 0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        JsonNode balance = world.get("/v1/balance", world.env("ISOS_TOKEN"));
        assertEquals(0, balance.path("heldMicros").asLong(), "escrow returned: " + balance);
        long spent = before - balance.path("availableMicros").asLong();
        long owned = 0;
        for (String owner : world.ownerTokens()) {
            owned += world.get("/v1/balance", owner).path("availableMicros").asLong();
        }
        JsonNode totals = world.get("/v1/ledger/totals", world.env("ISOS_TOKEN"));
        assertTrue(spent > 0, "the buyer paid: " + balance);
        assertEquals(spent, owned + totals.path("feesMicros").asLong(), "the buyer's money went to owners and the fee");
        assertTrue(totals.path("balanced").asBoolean(), "sum over all accounts == deposits - withdrawals: " + totals);
        assertEquals(List.of("0"), cluster.query(db,
                "SELECT COUNT(*) FROM (SELECT lease_id, sequence FROM usage_records GROUP BY lease_id, sequence "
                        + "HAVING COUNT(*) > 1) twice"));
    }

    @Test
    void twoServersShareOneDatabaseAndTheCommandLineAndTheAgentsCarryOnWithTheSecond() throws Exception {
        String db = cluster.newDatabase("isos_pair");
        world = World.start(root.resolve("pair"), 2, "--db", cluster.url(db), "--db-user", "isos", "--servers", "2");
        List<String> urls = List.of(world.env("ISOS_SERVERS").split(","));
        assertEquals(2, urls.size(), "dev.env lists both servers: " + urls);
        assertEquals(world.env("ISOS_SERVER"), urls.get(0));
        Path signed = signedEcho(root.resolve("pair-apps"));

        // through the second server: the hosts, which report to the first, get the lease and run it
        world.setEnv("ISOS_SERVER", urls.get(1));
        World.Run deploy = world.isos("deploy", signed.toString(), "--hosts", "2", "--lease", "5m", "--json");
        assertEquals(0, deploy.exit(), deploy::toString);
        List<String> ids = new ArrayList<>();
        deploy.json().path("leases").forEach(lease -> ids.add(lease.path("id").asText()));
        world.await("both agents run the app leased through the second server", Duration.ofSeconds(30),
                () -> active(ids) == 2);
        world.setEnv("ISOS_SERVER", urls.get(0));
        assertEquals(states(), statesVia(urls.get(1)), "both servers tell the same leases");

        // the first server stops; the command line, pointed at the second, carries on over the same data
        long first = world.serverProcess("server").orElseThrow().pid();
        ProcessHandle.of(first).orElseThrow().destroy();
        world.await("the first server stopped", Duration.ofSeconds(40), () -> world.serverProcess("server").isEmpty());
        world.setEnv("ISOS_SERVER", urls.get(1));
        assertTrue(world.serverProcess("server-2").isPresent(), "dev keeps the world while a server runs:\n"
                + world.devOutput());
        Set<String> listed = new HashSet<>(states().keySet());
        assertTrue(listed.containsAll(ids), "the leases through the second server: " + listed);
        World.Run release = world.isos("release", ids.get(0), "--json");
        assertEquals(0, release.exit(), release::toString);
        assertEquals("RELEASED", release.json().path("state").asText(), release::toString);
        World.Run balance = world.isos("balance", "--json");
        assertEquals(0, balance.exit(), balance::toString);
        World.Run ledger = world.isos("ledger", "--json");
        assertEquals(0, ledger.exit(), ledger::toString);
        assertTrue(world.get("/v1/ledger/totals", world.env("ISOS_TOKEN")).path("balanced").asBoolean());
        // the agents carry on with the second server too: their heartbeats reach it, so the release ends the
        // app on its host, and the other lease runs on
        world.await("the released lease ended on its host through the second server", Duration.ofSeconds(30),
                () -> active(ids.subList(0, 1)) == 0);
        assertEquals(1, active(ids.subList(1, 2)), "the unreleased lease still runs: " + world.agentStatus());
        for (java.util.Properties status : world.agentStatus().values()) {
            assertEquals("ONLINE", status.getProperty("server"), "every agent reaches a server: " + status);
        }
    }

    /** Lease id → state as `isos leases` tells it through the world's current ISOS_SERVER. */
    private java.util.Map<String, String> states() throws Exception {
        World.Run leases = world.isos("leases", "--json");
        assertEquals(0, leases.exit(), leases::toString);
        java.util.Map<String, String> states = new java.util.TreeMap<>();
        leases.json().path("leases").forEach(l -> states.put(l.path("id").asText(), l.path("state").asText()));
        return states;
    }

    private java.util.Map<String, String> statesVia(String url) throws Exception {
        String was = world.env("ISOS_SERVER");
        world.setEnv("ISOS_SERVER", url);
        try {
            return states();
        } finally {
            world.setEnv("ISOS_SERVER", was);
        }
    }

    private Path signedEcho(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path unsigned = dir.resolve("echo-unsigned.jar");
        Files.write(unsigned, TestJars.unsigned(Files.readAllBytes(APPS.resolve(APP + ".jar"))));
        World.Run keys = world.isos("keys", "new", "dev");
        assertEquals(0, keys.exit(), keys::toString);
        Path signed = dir.resolve("echo-signed.jar");
        World.Run sign = world.isos("sign", unsigned.toString(), "--key", "dev", "-o", signed.toString());
        assertEquals(0, sign.exit(), sign::toString);
        return signed;
    }

    private int active(List<String> ids) {
        try {
            int active = 0;
            for (Properties status : world.agentStatus().values()) {
                for (String id : ids) {
                    active += "ACTIVE".equals(status.getProperty("app." + id + ".state")) ? 1 : 0;
                }
            }
            return active;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A throwaway PostgreSQL cluster: initdb into a temporary directory (trust authentication for the user
     * {@code isos}), pg_ctl on a free loopback port; run as {@code postgres} through runuser when we are root,
     * since PostgreSQL refuses to run as root. Databases are made and read with psql over TCP.
     */
    static final class Cluster implements AutoCloseable {
        private final Path bin;
        private final Path dir;
        private final int port;
        private final List<String> asUser;

        private Cluster(Path bin, Path dir, int port, List<String> asUser) {
            this.bin = bin;
            this.dir = dir;
            this.port = port;
            this.asUser = asUser;
        }

        static Optional<Path> binaries() {
            List<Path> candidates = new ArrayList<>();
            String env = System.getenv("PG_BIN");
            if (env != null && !env.isBlank()) {
                candidates.add(Path.of(env));
            }
            Path lib = Path.of("/usr/lib/postgresql");
            if (Files.isDirectory(lib)) {
                try (Stream<Path> versions = Files.list(lib)) {
                    versions.map(v -> v.resolve("bin")).sorted(Comparator.reverseOrder()).forEach(candidates::add);
                } catch (IOException ignored) {
                    // none there
                }
            }
            return candidates.stream().filter(b -> Files.isExecutable(b.resolve("initdb"))
                    && Files.isExecutable(b.resolve("pg_ctl")) && Files.isExecutable(b.resolve("psql"))).findFirst();
        }

        static Cluster start(Path bin) throws Exception {
            Path dir = Files.createTempDirectory("isos-world-pg-");
            List<String> asUser = new ArrayList<>();
            if ("root".equals(System.getProperty("user.name"))) {
                Files.setOwner(dir, dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres"));
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                asUser.addAll(List.of(Files.isExecutable(Path.of("/usr/sbin/runuser")) ? "/usr/sbin/runuser" : "/sbin/runuser",
                        "-u", "postgres", "--"));
            }
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Cluster cluster = new Cluster(bin, dir, port, asUser);
            try {
                cluster.run(true, "initdb", "-D", dir.resolve("data").toString(), "-U", "isos", "-A", "trust", "-E", "UTF8",
                        "--no-sync");
                cluster.run(true, "pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(),
                        "-w", "-t", "45", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories="
                                + dir + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start");
            } catch (Exception e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }

        String newDatabase(String name) throws Exception {
            run(false, "psql", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "isos", "-d", "postgres", "-v",
                    "ON_ERROR_STOP=1", "-c", "CREATE DATABASE " + name);
            return name;
        }

        String url(String database) {
            return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
        }

        /** The rows of a query, each as psql's unaligned output gives it ("a|b"). */
        List<String> query(String database, String sql) throws Exception {
            return run(false, "psql", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "isos", "-d", database, "-At",
                    "-v", "ON_ERROR_STOP=1", "-c", sql).lines().toList();
        }

        private String run(boolean asPostgres, String tool, String... args) throws Exception {
            List<String> command = new ArrayList<>(asPostgres ? asUser : List.of());
            command.add(bin.resolve(tool).toString());
            command.addAll(List.of(args));
            Path out = Files.createTempFile("isos-world-pg-" + tool, ".out");
            try {
                Process p = new ProcessBuilder(command).directory(asPostgres ? dir.toFile() : null)
                        .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(tool + " did not finish in 60 s: " + Files.readString(out));
                }
                String text = Files.readString(out);
                if (p.exitValue() != 0) {
                    throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + text);
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        }

        @Override
        public void close() {
            try {
                if (Files.exists(dir.resolve("data/postmaster.pid"))) {
                    run(true, "pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
                }
            } catch (Exception e) {
                System.err.println("could not stop the test PostgreSQL cluster: " + e.getMessage());
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // a temporary directory left behind
                }
            }
        }
    }
}
