package org.isos.server;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temporary directory, started with pg_ctl on
 * a free loopback port (sockets in that directory too), stopped and deleted by {@link #close}. As
 * root it runs the binaries as the {@code postgres} user, since PostgreSQL refuses to run as root.
 */
public final class PostgresCluster implements AutoCloseable {

    private final Path bin;
    private final Path dir;
    private final Path data;
    private final int port;
    private final List<String> asUser;
    private final AtomicInteger databases = new AtomicInteger();

    private PostgresCluster(Path bin, Path dir, int port, List<String> asUser) {
        this.bin = bin;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
        this.asUser = asUser;
    }

    /** Why a cluster cannot be started here (no binaries, no user to run them as), or empty if it can. */
    public static Optional<String> unavailable() {
        if (binaries().isEmpty()) {
            return Optional.of("PostgreSQL binaries (initdb, pg_ctl) not found on PATH, in $PG_BIN or in "
                    + "/usr/lib/postgresql/*/bin; install PostgreSQL to run this test");
        }
        if (isRoot() && !Files.isExecutable(Path.of("/usr/sbin/runuser")) && !Files.isExecutable(Path.of("/sbin/runuser"))) {
            return Optional.of("running as root and runuser is missing: PostgreSQL refuses to run as root");
        }
        if (isRoot() && !userExists("postgres")) {
            return Optional.of("running as root and there is no 'postgres' user to run PostgreSQL as");
        }
        return Optional.empty();
    }

    private static PostgresCluster shared;

    /**
     * The test JVM's one cluster, started on first use and stopped when the JVM exits; skips the
     * calling test (JUnit assumption, with the reason) where PostgreSQL cannot run.
     */
    public static synchronized PostgresCluster shared() throws IOException, InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(unavailable().isEmpty(), () -> unavailable().get());
        if (shared == null) {
            PostgresCluster started = start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "isos-test-postgres-stop"));
            shared = started;
        }
        return shared;
    }

    public static PostgresCluster start() throws IOException, InterruptedException {
        Path bin = binaries().orElseThrow();
        Path dir = Files.createTempDirectory("isos-pg-");
        List<String> asUser = new ArrayList<>();
        if (isRoot()) {
            UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, postgres);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            asUser.addAll(List.of(Files.isExecutable(Path.of("/usr/sbin/runuser")) ? "/usr/sbin/runuser" : "/sbin/runuser",
                    "-u", "postgres", "--"));
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        PostgresCluster cluster = new PostgresCluster(bin, dir, port, asUser);
        try {
            cluster.run(60, "initdb", "-D", cluster.data.toString(), "-U", "isos", "-A", "trust", "-E", "UTF8",
                    "--no-sync");
            cluster.run(60, "pg_ctl", "-D", cluster.data.toString(), "-l", dir.resolve("server.log").toString(), "-w",
                    "-t", "45", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories="
                            + dir + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                    "start");
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** A new, empty database in the cluster; returns its JDBC URL (user {@code isos}, no password). */
    public String newDatabase() throws SQLException {
        String name = "isos_test_" + databases.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres"), "isos", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    @Override
    public void close() {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run(60, "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("could not stop the test PostgreSQL cluster: " + e.getMessage());
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp directory left behind
            }
        }
    }

    private void run(int seconds, String tool, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(asUser);
        command.add(bin.resolve(tool).toString());
        command.addAll(List.of(args));
        Path log = Files.createTempFile("isos-pg-" + tool, ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(tool + " did not finish in " + seconds + " s: " + Files.readString(log));
            }
            if (p.exitValue() != 0) {
                String serverLog = Files.isReadable(dir.resolve("server.log"))
                        ? Files.readString(dir.resolve("server.log"), StandardCharsets.UTF_8) : "";
                throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): "
                        + Files.readString(log) + serverLog);
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static Optional<Path> binaries() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("PG_BIN");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path pgCtl = Path.of(entry).resolve("pg_ctl");
            if (Files.isExecutable(pgCtl)) {
                try {
                    candidates.add(pgCtl.toRealPath().getParent());
                } catch (IOException ignored) {
                    // a dangling link
                }
            }
        }
        Path lib = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> versions = Files.list(lib)) {
                versions.map(v -> v.resolve("bin")).sorted(Comparator.reverseOrder()).forEach(candidates::add);
            } catch (IOException ignored) {
                // nothing there
            }
        }
        return candidates.stream()
                .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                .findFirst();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean userExists(String name) {
        try {
            Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
