package org.isos.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The world the demo plays in: {@code ./isos dev} as a child process — a server and the agents of the
 * hosts, each a real process — observed the way an owner would: agents through their status files,
 * the server through the {@code isos} verbs.
 */
final class LocalWorld implements AutoCloseable {

    private final Path dir;
    private final Process dev;
    final Map<String, String> env = new LinkedHashMap<>();

    private LocalWorld(Path dir, Process dev) {
        this.dir = dir;
        this.dev = dev;
    }

    /** Starts {@code isos dev} with {@code hosts} agents in {@code dir}; returns once it says ready. */
    static LocalWorld start(Path root, Path dir, int hosts, List<String> agentProperties, Progress progress)
            throws Exception {
        Files.createDirectories(dir);
        List<String> command = new ArrayList<>(List.of(root.resolve("isos").toString(), "dev", "--hosts",
                Integer.toString(hosts), "--data", dir.resolve("world").toString(), "--heartbeat-seconds", "1",
                "--usage-period-seconds", "5"));
        for (String property : agentProperties) {
            command.add("--agent-property");
            command.add(property);
        }
        Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("dev.log").toFile()).start();
        LocalWorld world = new LocalWorld(dir, process);
        Runtime.getRuntime().addShutdownHook(new Thread(world::close));
        int[] shown = { 0 };
        world.await("the server and " + hosts + " hosts up", Duration.ofSeconds(240), () -> {
            List<String> lines = world.devLog().lines().toList();
            for (; shown[0] < lines.size(); shown[0]++) {
                progress.detail(lines.get(shown[0]).replaceFirst("^isos dev: ", ""));
            }
            if (!process.isAlive()) {
                throw new DemoFailure("isos dev exited (" + process.exitValue() + "): " + tail(world.devLog(), 15));
            }
            return lines.stream().anyMatch(l -> l.contains("ready")) && Files.exists(dir.resolve("world/dev.env"));
        });
        for (String line : Files.readAllLines(dir.resolve("world/dev.env"))) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.startsWith("#")) {
                world.env.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        return world;
    }

    String devLog() {
        try {
            return Files.readString(dir.resolve("dev.log"));
        } catch (IOException e) {
            return "";
        }
    }

    /** The agents' data directories, {@code agent-1} … in start order. */
    List<Path> agents() throws IOException {
        try (var list = Files.list(dir.resolve("world"))) {
            return list.filter(p -> p.getFileName().toString().matches("agent-\\d+"))
                    .sorted((a, b) -> Integer.compare(number(a), number(b))).toList();
        }
    }

    private static int number(Path agent) {
        return Integer.parseInt(agent.getFileName().toString().substring("agent-".length()));
    }

    /** An agent's status file now (empty while it is being replaced). */
    static Properties status(Path agent) {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(agent.resolve("agent/status.properties"))) {
            properties.load(in);
        } catch (IOException e) {
            // not there yet, or replaced while read: the next look sees it
        }
        return properties;
    }

    /** The data directory of the agent whose status names {@code hostId}. */
    Path agentOf(String hostId) throws IOException {
        for (Path agent : agents()) {
            if (hostId.equals(status(agent).getProperty("hostId"))) {
                return agent;
            }
        }
        throw new DemoFailure("no agent of this world is host " + hostId);
    }

    /**
     * Puts a host to sleep (SIGSTOP to its agent process), as a laptop whose lid is closed: it stops answering
     * anyone, the server included, without ending anything it holds.
     */
    void sleep(Path agent) throws IOException, InterruptedException {
        signal(agent, "STOP");
    }

    /** Wakes a host {@link #sleep} put to sleep (SIGCONT): it carries on where it stopped. */
    void wake(Path agent) throws IOException, InterruptedException {
        signal(agent, "CONT");
    }

    private void signal(Path agent, String signal) throws IOException, InterruptedException {
        String data = "-Disos.agent.data=" + agent.toAbsolutePath().normalize();
        ProcessHandle process = dev.descendants()
                .filter(p -> p.info().arguments().map(a -> java.util.Arrays.asList(a).contains(data)).orElse(false))
                .findFirst().orElseThrow(() -> new DemoFailure("no agent process runs " + agent.getFileName()));
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).redirectErrorStream(true).start();
        String said = new String(kill.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (kill.waitFor() != 0) {
            throw new DemoFailure("kill -" + signal + " " + process.pid() + ": " + said);
        }
    }

    void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        Instant until = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(until)) {
                throw new DemoFailure("not within " + limit.toSeconds() + " s: " + what);
            }
            Thread.sleep(100);
        }
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** SIGTERM to {@code isos dev}, which stops the agents and the server; forcibly after 40 s. */
    @Override
    public void close() {
        if (!dev.isAlive()) {
            return;
        }
        List<ProcessHandle> children = dev.descendants().toList();
        dev.destroy();
        try {
            if (!dev.waitFor(40, TimeUnit.SECONDS)) {
                dev.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
