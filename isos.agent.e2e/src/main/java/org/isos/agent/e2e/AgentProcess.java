package org.isos.agent.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real host agent, as an owner runs it: a separate JVM started from the distribution
 * ({@code isos.agent.host/target/agent}) with its own data directory, configured as host
 * {@value #HOST} of the test PKI ({@code cnf/test-pki}). It is driven only from outside: files in its
 * inbox, its status file, its transport, and signals.
 *
 * <p>
 * Locations come from system properties: {@code isos.agent.dist} (the distribution) and
 * {@code isos.test.pki} (the test PKI), both set by this module's Surefire configuration.
 */
public final class AgentProcess implements AutoCloseable {

    public static final String HOST = "host-1";
    public static final String PASSWORD = "isos-test";

    private final Path data;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Path log;
    private Process process;
    private int starts;

    /**
     * @param data  the agent's data directory ({@code --data}); kept across {@link #start()}s
     * @param extra framework properties beyond the test configuration (they win)
     */
    public AgentProcess(Path data, Map<String, String> extra) {
        this.data = data.toAbsolutePath();
        Path pki = pki();
        properties.put("isos.data", this.data.toString());
        properties.put("isos.kernel.trustAnchors", pki.resolve("ca.pem").toString());
        properties.put("isos.kernel.identityKeyStore", pki.resolve(HOST + ".p12").toString());
        properties.put("isos.kernel.identityPassword", PASSWORD);
        properties.put("isos.kernel.checkpointGraceMillis", "500");
        properties.put("isos.kernel.workers", "2");
        // the tests' own JVM and the build share this machine: other processes' CPU is no owner
        properties.put("isos.agent.policy.activityThreshold", "1.0");
        properties.put("isos.agent.policy.idlePeriodSeconds", "2");
        properties.put("isos.agent.policy.sampleMillis", "250");
        properties.putAll(extra);
        this.log = this.data.resolveSibling(this.data.getFileName() + ".log");
    }

    public static Path dist() {
        return location("isos.agent.dist", "the agent distribution (isos.agent.host/target/agent)");
    }

    public static Path pki() {
        return location("isos.test.pki", "the test PKI (cnf/test-pki)");
    }

    static Path location(String property, String what) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " (" + what + ") is not set");
        }
        Path path = Path.of(value).toAbsolutePath().normalize();
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException(what + " is not at " + path + "; build it first");
        }
        return path;
    }

    private boolean secure;

    /**
     * Runs the agent with OSGi security (the launcher's {@code --secure}): Felix installs a
     * SecurityManager and the kernel's run-time permission table applies to apps.
     */
    public AgentProcess secure() {
        this.secure = true;
        return this;
    }

    /** Starts the agent process; the data directory is kept from any earlier run. */
    public synchronized AgentProcess start() throws IOException {
        if (alive()) {
            throw new IllegalStateException("agent already running as pid " + process.pid());
        }
        Path dist = dist();
        Files.createDirectories(data);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // quick to start and small on a shared 2-core machine
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        if (secure) {
            command.add("-Djava.security.manager=allow");
            command.add("-Djava.security.policy==" + dist.resolve("security.policy"));
            command.add("-Disos.agent.lib=" + dist.resolve("lib"));
            command.add("-Disos.agent.data=" + data);
        }
        command.add("-cp");
        command.add(dist.resolve("lib") + "/*");
        command.add("org.isos.launcher.FrameworkLauncher");
        command.add("--bundles");
        command.add(dist.resolve("bundles").toString());
        command.add("--data");
        command.add(data.toString());
        if (secure) {
            command.add("--secure");
        }
        properties.forEach((k, v) -> {
            command.add("--property");
            command.add(k + "=" + v);
        });
        starts++;
        Files.writeString(log, "=== start " + starts + ": " + String.join(" ", command) + System.lineSeparator(),
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        Process started = new ProcessBuilder(command).directory(data.toFile()).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(log.toFile())).start();
        process = started;
        // should the test JVM die without its @After methods, the agent must not outlive it
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "isos-e2e-agent-reaper"));
        return this;
    }

    /** Waits until this process (not an earlier one) runs with the kernel configured as {@value #HOST}. */
    public Properties awaitReady(Duration within) throws InterruptedException {
        long pid = process.pid();
        return awaitStatus("agent pid " + pid + " ready as " + HOST, within,
                s -> String.valueOf(pid).equals(s.getProperty("agent.pid")) && "true".equals(s.getProperty("running"))
                        && HOST.equals(s.getProperty("hostId")) && !s.getProperty("transport", "").isEmpty());
    }

    /** Waits for the status file of this process to satisfy {@code condition}; fails with the status and log. */
    public Properties awaitStatus(String what, Duration within, Predicate<Properties> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        Properties last = null;
        while (System.nanoTime() < deadline) {
            if (!alive()) {
                throw new AssertionError("agent died (exit " + process.exitValue() + ") while waiting for: " + what
                        + "\n" + logTail());
            }
            last = status();
            if (last != null && String.valueOf(process.pid()).equals(last.getProperty("agent.pid"))
                    && condition.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not within " + within.toMillis() + " ms: " + what + "\nlast status: " + last
                + "\n" + logTail());
    }

    /** The status file as last written, or null before the first. */
    public Properties status() {
        Path file = data.resolve("agent").resolve("status.properties");
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
            return p;
        } catch (IOException e) {
            return null;
        }
    }

    /** The transport address from the status file. */
    public java.net.InetSocketAddress transport() {
        Properties s = status();
        String address = s == null ? null : s.getProperty("transport");
        if (address == null || address.isEmpty()) {
            throw new IllegalStateException("no transport address in the status file yet");
        }
        int colon = address.lastIndexOf(':');
        return new java.net.InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    }

    public Path data() {
        return data;
    }

    public Path inbox() {
        return data.resolve("inbox");
    }

    public Path kernelData() {
        return data.resolve("kernel");
    }

    /** Puts a file into the inbox the way a writer should: whole, by an atomic rename. */
    public Path drop(String name, byte[] content) throws IOException {
        Files.createDirectories(inbox());
        Path tmp = inbox().resolve("." + name + ".part");
        Files.write(tmp, content);
        return Files.move(tmp, inbox().resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Drops a {@code <name>.lease} file with these fields. */
    public Path dropLease(String name, Map<String, String> fields) throws IOException {
        StringBuilder sb = new StringBuilder();
        fields.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return drop(name + ".lease", sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Fields of a host request for an app whose jar is {@code bundle} in the inbox. */
    public static Map<String, String> hostLease(String id, String buyer, String app, long seconds, String bundle) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("id", id);
        f.put("buyer", buyer);
        f.put("app", app);
        f.put("seconds", Long.toString(seconds));
        f.put("cpuShare", "0.5");
        f.put("memoryBytes", Long.toString(64L << 20));
        f.put("storageQuotaBytes", Long.toString(1L << 20));
        f.put("bandwidthBytesPerSecond", Long.toString(1L << 20));
        f.put("bundle", bundle);
        return f;
    }

    /** Waits for {@code inbox/done/<file>} or {@code inbox/refused/<file>}; returns which, and the reason. */
    public Outcome awaitProcessed(String file, Duration within) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + within.toNanos();
        String base = file.substring(0, file.lastIndexOf('.'));
        while (System.nanoTime() < deadline) {
            if (Files.exists(inbox().resolve("done").resolve(file))) {
                return new Outcome(true, "");
            }
            Path reason = inbox().resolve("refused").resolve(base + ".reason");
            if (Files.exists(inbox().resolve("refused").resolve(file)) && Files.exists(reason)) {
                return new Outcome(false, Files.readString(reason).strip());
            }
            if (!alive()) {
                throw new AssertionError("agent died while processing " + file + "\n" + logTail());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("inbox file " + file + " not processed within " + within.toMillis() + " ms\n" + logTail());
    }

    /** How the agent dealt with an inbox file. */
    public record Outcome(boolean done, String reason) {
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook, no clean stop, whatever was in flight is lost. */
    public synchronized void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("agent pid " + process.pid() + " did not die");
            }
        }
    }

    /** A clean stop (SIGTERM: the launcher's shutdown hook stops the framework); kill -9 after {@code grace}. */
    public synchronized void stop(Duration grace) throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        }
    }

    /** The end of the agent's output, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "--- agent log " + log + " (last 40 lines) ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no agent log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
