package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real server distribution ({@code isos.server/target/server}) in a JVM of its own, started as
 * {@code ./isos server} starts it, with its data in a temporary directory.
 */
final class TestServer implements AutoCloseable {

    static final Path DIST = Path.of(System.getProperty("isos.server.dist", "../isos.server/target/server"))
            .toAbsolutePath().normalize();

    final Path data;
    final Process process;
    final URI url;
    final Path rootPem;

    private TestServer(Path data, Process process, URI url) {
        this.data = data;
        this.process = process;
        this.url = url;
        this.rootPem = data.resolve("ca").resolve("root.pem");
    }

    static TestServer start(Path data) throws Exception {
        assertTrue(Files.isDirectory(DIST.resolve("bundles")), "the server distribution at " + DIST);
        Files.createDirectories(data);
        // the tests open accounts anonymously: signup open (a real server's default is invite)
        Files.createDirectories(data.resolve("config"));
        Files.writeString(data.resolve("config").resolve("org.isos.server.signup.cfg"), "signup=open\n");
        Path log = data.resolve("server.log");
        Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", DIST.resolve("lib") + "/*",
                "org.isos.launcher.FrameworkLauncher", "--bundles", DIST.resolve("bundles").toString(), "--data",
                data.toString(), "--property", "isos.server.data=" + data)).directory(data.toFile()).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(log.toFile())).start();
        Path urlFile = data.resolve("server.url");
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the server exited " + process.exitValue() + ":\n" + Files.readString(log));
            }
            if (Files.exists(urlFile) && !Files.readString(urlFile).isBlank() && Files.exists(data.resolve("ca/root.pem"))) {
                return new TestServer(data, process, URI.create(Files.readString(urlFile).strip()));
            }
            Thread.sleep(200);
        }
        process.destroyForcibly();
        throw new AssertionError("no server.url within 90 s:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }

    /** The environment a user of this server has: ISOS_SERVER, ISOS_HOME (with ca.pem) and the token, if any. */
    Map<String, String> env(Path home, String token) throws IOException {
        Files.createDirectories(home);
        if (!Files.exists(home.resolve("ca.pem"))) {
            Files.copy(rootPem, home.resolve("ca.pem"));
        }
        return token == null ? Map.of("ISOS_SERVER", url.toString(), "ISOS_HOME", home.toString())
                : Map.of("ISOS_SERVER", url.toString(), "ISOS_HOME", home.toString(), "ISOS_TOKEN", token);
    }

    /** Whether this server build serves {@code method path} at all (404 is its answer to an unknown route). */
    boolean serves(String method, String path, String token) {
        ServerConnection c = new ServerConnection(url, token, rootPem);
        try {
            switch (method) {
                case "GET" -> c.get(path);
                case "POST" -> c.post(path, ServerConnection.object());
                case "DELETE" -> c.delete(path);
                default -> throw new IllegalArgumentException(method);
            }
            return true;
        } catch (ServerConnection.Refused e) {
            return e.status() != 404 || !e.getMessage().startsWith("no route");
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
