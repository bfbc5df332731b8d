package org.isos.world.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A local ISOS world as a developer gets it from {@code ./isos dev --hosts N}: a server and N agent
 * processes on loopback, driven with the {@code isos} command as processes, the way a user types it.
 */
final class World implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Path ROOT = Path.of(System.getProperty("isos.root", "..")).toAbsolutePath().normalize();

    /** What one run of the {@code isos} command did. */
    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (IOException e) {
                throw new AssertionError("not JSON on stdout (exit " + exit + "): " + out + "\nstderr: " + err, e);
            }
        }

        @Override
        public String toString() {
            return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    private final Path dir;
    private final Process dev;
    private final Map<String, String> env = new LinkedHashMap<>();
    private HttpClient http;

    private World(Path dir, Process dev) {
        this.dir = dir;
        this.dev = dev;
    }

    /** Starts {@code ./isos dev --hosts n} in {@code dir} and waits until it says it is ready. */
    static World start(Path dir, int hosts) throws Exception {
        return start(dir, hosts, new String[0]);
    }

    /** Starts {@code ./isos dev --hosts n} with more of dev's options ({@code --db URL}, {@code --servers 2} ...). */
    static World start(Path dir, int hosts, String... devOptions) throws Exception {
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("isos").toString(), "dev", "--hosts",
                Integer.toString(hosts), "--data", dir.toString(), "--heartbeat-seconds", "1"));
        command.addAll(List.of(devOptions));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("dev.out").toFile());
        World world = new World(dir, builder.start());
        Runtime.getRuntime().addShutdownHook(new Thread(world::stop));
        world.await("./isos dev ready", Duration.ofSeconds(150), () -> {
            if (!world.dev.isAlive()) {
                throw new AssertionError("./isos dev exited " + world.dev.exitValue() + ":\n" + world.devOutput());
            }
            return world.devOutput().lines().anyMatch(line -> line.contains("ready"))
                    && Files.exists(dir.resolve("dev.env"));
        });
        for (String line : Files.readAllLines(dir.resolve("dev.env"))) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.startsWith("#")) {
                world.env.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        return world;
    }

    String devOutput() {
        try {
            return Files.readString(dir.resolve("dev.out"));
        } catch (IOException e) {
            return "";
        }
    }

    String env(String name) {
        String value = env.get(name);
        if (value == null) {
            throw new AssertionError("dev.env has no " + name + ": " + env.keySet());
        }
        return value;
    }

    Path home() {
        return Path.of(env("ISOS_HOME"));
    }

    /** The owners' tokens dev.env lists ({@code ISOS_OWNER_TOKENS}, comma-separated). */
    List<String> ownerTokens() {
        return List.of(env("ISOS_OWNER_TOKENS").split(","));
    }

    /** Runs {@code ./isos args…} as the dev buyer. */
    Run isos(String... args) throws Exception {
        return isosAs(env("ISOS_TOKEN"), args);
    }

    /** Runs {@code ./isos args…} with {@code token}. */
    Run isosAs(String token, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("isos").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
        builder.environment().putAll(env);
        builder.environment().put("ISOS_TOKEN", token);
        Path out = Files.createTempFile(dir, "run", ".out");
        Path err = Files.createTempFile(dir, "run", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("isos " + String.join(" ", args) + " did not end in 180 s");
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** The status files of the dev agents, by data directory name. */
    Map<String, Properties> agentStatus() throws IOException {
        Map<String, Properties> status = new LinkedHashMap<>();
        try (Stream<Path> agents = Files.list(dir)) {
            for (Path agent : agents.filter(p -> Files.exists(p.resolve("agent/status.properties"))).sorted().toList()) {
                Properties properties = new Properties();
                try (InputStream in = Files.newInputStream(agent.resolve("agent/status.properties"))) {
                    properties.load(in);
                } catch (IOException e) {
                    continue; // replaced while we read it: the next look sees the new one
                }
                status.put(agent.getFileName().toString(), properties);
            }
        }
        return status;
    }

    Path agentDir(String name) {
        return dir.resolve(name);
    }

    /**
     * Kills (SIGKILL) the agent process of {@code DIR/name}: a host that vanishes without a word. The agent is found
     * among dev's descendants by its {@code -Disos.agent.data=} argument.
     */
    void killAgent(String name) throws InterruptedException {
        String data = "-Disos.agent.data=" + agentDir(name);
        List<ProcessHandle> found = dev.descendants()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(data)).orElse(false)).toList();
        if (found.isEmpty()) {
            throw new AssertionError("no running agent process with " + data);
        }
        for (ProcessHandle p : found) {
            p.destroyForcibly();
        }
        for (ProcessHandle p : found) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new AssertionError("agent " + name + " did not die: " + e, e);
            }
        }
    }

    X509Certificate ca() throws Exception {
        try (InputStream in = Files.newInputStream(home().resolve("ca.pem"))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** POST of a JSON body on the server's API with {@code token}; the JSON answer (status 200 expected). */
    JsonNode post(String path, String token, String json) throws Exception {
        String base = env("ISOS_SERVER");
        URI uri = URI.create((base.endsWith("/") ? base : base + "/") + path.replaceFirst("^/", ""));
        HttpResponse<String> response = http().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            throw new AssertionError("POST " + path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** GET on the server's API with {@code token}; the JSON answer (status 200 expected). */
    JsonNode get(String path, String token) throws Exception {
        String base = env("ISOS_SERVER");
        URI uri = URI.create((base.endsWith("/") ? base : base + "/") + path.replaceFirst("^/", ""));
        HttpResponse<String> response = http().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** The client that trusts the world's CA, made once. */
    private HttpClient http() throws Exception {
        if (http == null) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("isos-ca", ca());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
        }
        return http;
    }

    /** Polls {@code condition} every 200 ms until it holds; fails with {@code what} after {@code limit}. */
    void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        Instant until = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(until)) {
                throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + "\n--- dev output:\n"
                        + tail(devOutput(), 40));
            }
            Thread.sleep(200);
        }
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Sets (or replaces) a variable of the environment the {@code isos} verbs run with, e.g. another ISOS_SERVER. */
    void setEnv(String name, String value) {
        env.put(name, value);
        http = null;
    }

    /** The live server process dev started in {@code DIR/name} ("server", "server-2" ...), found by its command line. */
    java.util.Optional<ProcessHandle> serverProcess(String name) {
        String data = "isos.server.data=" + dir.resolve(name);
        return dev.descendants().filter(ProcessHandle::isAlive).filter(p -> {
            try {
                String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                        StandardCharsets.UTF_8);
                return List.of(cmdline.split("\0")).contains(data);
            } catch (IOException gone) {
                return false;
            }
        }).findFirst();
    }

    /** SIGKILL to the server in {@code DIR/name}: no shutdown, no hooks, whatever it was doing cut off. Its pid. */
    long killServer(String name) throws InterruptedException {
        ProcessHandle server = serverProcess(name).orElseThrow(() -> new AssertionError("no live " + name + " process"));
        server.destroyForcibly();
        await(name + " (pid " + server.pid() + ") gone", Duration.ofSeconds(20), () -> !server.isAlive());
        return server.pid();
    }

    /** Whether the first server answers its API now (GET /v1/ca.pem). */
    boolean serverAnswers() {
        try {
            get("/v1/me", env("ISOS_TOKEN"));
            return true;
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    Path dir() {
        return dir;
    }

    /** SIGTERM to dev, which stops its agents and server; forcibly after 30 s. */
    void stop() {
        if (!dev.isAlive()) {
            return;
        }
        dev.destroy();
        try {
            if (!dev.waitFor(30, TimeUnit.SECONDS)) {
                dev.descendants().forEach(ProcessHandle::destroyForcibly);
                dev.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dev.descendants().forEach(ProcessHandle::destroyForcibly);
            dev.destroyForcibly();
        }
    }

    /** Whether every process dev started is gone. */
    boolean allStopped() {
        return !dev.isAlive() && dev.descendants().noneMatch(ProcessHandle::isAlive);
    }

    @Override
    public void close() {
        List<ProcessHandle> children = dev.descendants().toList();
        stop();
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
