package org.isos.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.ProcessBuilder.Redirect;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The processes of {@code isos dev}: one server and N host agents, each its own JVM started the way
 * {@code ./isos server} and {@code ./isos agent} start them, with the accounts that make the world
 * usable. Stopping (a signal, or a failure while starting) ends the agents first — so they can still
 * report to the server — then the server.
 */
final class DevWorld {

    static final List<String> OWNER_NAMES = List.of("mary", "acme-hosting");
    static final String BUYER_NAME = "dev-buyer";
    private static final long STOP_WAIT_SECONDS = 30;

    private final Path dir;
    private final Path serverDist;
    private final Path agentDist;
    private final int hosts;
    private final int heartbeatSeconds;
    private final long depositMicros;
    private final int waitSeconds;
    private final PrintWriter out;
    private final PrintWriter err;

    private Process server;
    private final Map<String, Process> agents = new LinkedHashMap<>();
    private boolean stopped;

    DevWorld(Path dir, Path serverDist, Path agentDist, int hosts, int heartbeatSeconds, long depositMicros,
            int waitSeconds, PrintWriter out, PrintWriter err) {
        this.dir = dir;
        this.serverDist = serverDist;
        this.agentDist = agentDist;
        this.hosts = hosts;
        this.heartbeatSeconds = heartbeatSeconds;
        this.depositMicros = depositMicros;
        this.waitSeconds = waitSeconds;
        this.out = out;
        this.err = err;
    }

    /** Starts everything, says "ready", and returns only when stopped by a signal (then the JVM exits 0). */
    void runUntilStopped() throws Exception {
        for (Path dist : List.of(serverDist, agentDist)) {
            if (!Files.isDirectory(dist.resolve("bundles")) || !Files.isDirectory(dist.resolve("lib"))) {
                throw new CliFailure("no distribution at " + dist + ": build first (./isos build)");
            }
        }
        Files.createDirectories(dir);
        claim();
        Thread hook = new Thread(() -> {
            stop("stopping");
            out.println("isos dev: stopped");
            out.flush();
            err.flush();
            // a signal asked for this: the world ended cleanly, so the exit status says success
            Runtime.getRuntime().halt(0);
        }, "isos-dev-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            start();
        } catch (Exception | Error e) {
            synchronized (this) {
                if (stopped) {
                    // a signal stopped the start: the shutdown hook finishes and sets the exit status
                    while (true) {
                        wait();
                    }
                }
            }
            stop("start failed, stopping");
            unhook(hook);
            throw e;
        }
        while (true) {
            Thread.sleep(1000);
            synchronized (this) {
                if (stopped) {
                    continue;
                }
                if (!server.isAlive()) {
                    err.println("isos dev: the server exited (" + server.exitValue() + "); see " + log("server"));
                    stop("stopping");
                    unhook(hook);
                    throw new CliFailure("the server exited");
                }
                for (var i = agents.entrySet().iterator(); i.hasNext();) {
                    Map.Entry<String, Process> agent = i.next();
                    if (!agent.getValue().isAlive()) {
                        err.println("isos dev: " + agent.getKey() + " exited (" + agent.getValue().exitValue() + "); see "
                                + log(agent.getKey()));
                        i.remove();
                    }
                }
                err.flush();
            }
        }
    }

    /** Without the hook, a failure exits 1 as usual; during a shutdown (a signal) the hook halts with 0 anyway. */
    private static void unhook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it decides the exit
        }
    }

    private void start() throws Exception {
        clean();
        Path serverData = dir.resolve("server");
        Files.createDirectories(serverData.resolve("config"));
        // the server names the heartbeat period to its agents; OFFLINE after three missed
        Files.writeString(serverData.resolve("config").resolve("org.isos.server.http.cfg"),
                "heartbeatSeconds=" + heartbeatSeconds + "\n");
        out.println("isos dev: starting the server in " + serverData + " (log " + log("server") + ")");
        out.flush();
        synchronized (this) {
            server = launch("server", serverDist, List.of("-Xmx384m"), serverData, List.of("isos.server.data=" + serverData));
        }
        Path urlFile = serverData.resolve("server.url");
        Path rootPem = serverData.resolve("ca").resolve("root.pem");
        await("the server's URL", server, "server", () -> Files.exists(rootPem) && Files.exists(urlFile)
                && !Files.readString(urlFile).isBlank());
        URI url = URI.create(Files.readString(urlFile).strip());

        Path home = dir.resolve("home");
        Files.createDirectories(home);
        Path ca = home.resolve("ca.pem");
        Files.copy(rootPem, ca, StandardCopyOption.REPLACE_EXISTING);

        ServerConnection anyone = new ServerConnection(url, null, ca);
        List<String> ownerTokens = new ArrayList<>();
        for (String name : OWNER_NAMES) {
            ownerTokens.add(create(anyone, "owner", name));
        }
        String buyerToken = create(anyone, "buyer", BUYER_NAME);
        deposit(new ServerConnection(url, buyerToken, ca));

        Path env = dir.resolve("dev.env");
        Files.writeString(env, "ISOS_SERVER=" + url + "\nISOS_TOKEN=" + buyerToken + "\nISOS_HOME=" + home
                + "\nISOS_OWNER_TOKENS=" + String.join(",", ownerTokens) + "\n", StandardCharsets.UTF_8);

        for (int i = 1; i <= hosts; i++) {
            String name = "agent-" + i;
            Path agentData = dir.resolve(name);
            Files.createDirectories(agentData);
            String owner = ownerTokens.get((i - 1) % ownerTokens.size());
            List<String> jvm = List.of("-Xmx256m", "-Djava.security.manager=allow",
                    "-Djava.security.policy==" + agentDist.resolve("security.policy"), "-Disos.agent.lib=" + agentDist.resolve("lib"),
                    "-Disos.agent.data=" + agentData);
            List<String> properties = List.of("isos.data=" + agentData, "isos.server.url=" + url, "isos.owner.token=" + owner,
                    "isos.server.ca=" + rootPem, "isos.heartbeat.seconds=" + heartbeatSeconds,
                    "isos.kernel.transportHost=127.0.0.1",
                    // this machine runs a whole world: its load is no owner at the keyboard
                    "isos.agent.policy.activityThreshold=1.0");
            synchronized (this) {
                if (stopped) {
                    return;
                }
                agents.put(name, launch(name, agentDist, jvm, agentData, properties, "--secure"));
            }
            out.println("isos dev: started " + name + " for " + OWNER_NAMES.get((i - 1) % OWNER_NAMES.size()) + " (log "
                    + log(name) + ")");
        }
        out.println("isos dev: server " + url + " (CA root " + ca + ")");
        out.println("isos dev: waiting for " + hosts + " host" + (hosts == 1 ? "" : "s") + " to be ONLINE ...");
        out.flush();

        int[] last = { -1 };
        await(hosts + " hosts ONLINE", null, null, () -> {
            int online = 0;
            for (String token : ownerTokens) {
                for (JsonNode h : new ServerConnection(url, token, ca).get("/v1/hosts").path("hosts")) {
                    online += "ONLINE".equals(Verb.text(h, "status")) ? 1 : 0;
                }
            }
            if (online != last[0]) {
                out.println("isos dev: " + online + "/" + hosts + " ONLINE");
                out.flush();
                last[0] = online;
            }
            return online >= hosts;
        });
        out.println("isos dev: environment in " + env + "  (set -a; . " + env + "; set +a)");
        out.println("ready");
        out.flush();
    }

    private String create(ServerConnection anyone, String kind, String name) {
        JsonNode account = anyone.post("/v1/accounts", ServerConnection.object().put("kind", kind).put("name", name));
        out.println("isos dev: " + kind + " '" + name + "' is " + Verb.text(account, "id"));
        return Verb.text(account, "token");
    }

    private void deposit(ServerConnection buyer) {
        try {
            buyer.post("/v1/deposits", ServerConnection.object().put("amountMicros", depositMicros)
                    .put("id", "dev-initial-deposit"));
            out.println("isos dev: deposited " + Quantities.credits(depositMicros) + " credits for the buyer");
        } catch (ServerConnection.Refused e) {
            if (e.status() != 404) {
                throw new CliFailure("deposit refused: " + e.getMessage(), e);
            }
            // a server without the bank yet: the world still runs, leases will be refused for want of funds
            err.println("isos dev: WARNING: this server has no bank (POST /v1/deposits: 404); the buyer has no credits");
            err.flush();
        }
    }

    /** Stops the agents (in parallel), then the server; each gets SIGTERM, then SIGKILL after 30 s. */
    synchronized void stop(String why) {
        if (stopped) {
            return;
        }
        stopped = true;
        if (!agents.isEmpty() || server != null) {
            out.println("isos dev: " + why + ": " + (agents.isEmpty() ? "" : agents.size() + " agent"
                    + (agents.size() == 1 ? "" : "s") + ", then ") + "the server");
            out.flush();
        }
        List<Process> first = new ArrayList<>(agents.values());
        end(first);
        if (server != null) {
            end(List.of(server));
        }
        release();
    }

    private void end(List<Process> processes) {
        for (Process p : processes) {
            p.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_WAIT_SECONDS);
        for (Process p : processes) {
            try {
                if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    err.println("isos dev: process " + p.pid() + " did not stop within " + STOP_WAIT_SECONDS + " s: killed");
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private Process launch(String name, Path dist, List<String> jvm, Path data, List<String> properties, String... flags)
            throws IOException {
        List<String> command = new ArrayList<>();
        // a session of its own: Ctrl-C in the terminal reaches only `isos dev`, which then stops the
        // children in order (agents before the server) instead of all at once
        for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(setsid))) {
                command.add(setsid);
                break;
            }
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        command.addAll(jvm);
        command.addAll(List.of("-cp", dist.resolve("lib") + "/*", "org.isos.launcher.FrameworkLauncher", "--bundles",
                dist.resolve("bundles").toString(), "--data", data.toString()));
        for (String p : properties) {
            command.add("--property");
            command.add(p);
        }
        command.addAll(List.of(flags));
        return new ProcessBuilder(command).directory(data.toFile()).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(log(name).toFile())).redirectInput(Redirect.from(nullFile())).start();
    }

    private static java.io.File nullFile() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    private Path log(String name) {
        return dir.resolve(name + ".log");
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private void await(String what, Process process, String logName, Condition condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        Exception lastProblem = null;
        while (System.nanoTime() < deadline) {
            synchronized (this) {
                if (stopped) {
                    throw new CliFailure("stopped while waiting for " + what);
                }
            }
            if (process != null && !process.isAlive()) {
                throw new CliFailure(logName + " exited (" + process.exitValue() + ") before " + what + "; see "
                        + log(logName) + ":\n" + tail(log(logName)));
            }
            for (Map.Entry<String, Process> agent : agentsNow().entrySet()) {
                if (!agent.getValue().isAlive()) {
                    throw new CliFailure(agent.getKey() + " exited (" + agent.getValue().exitValue() + "); see "
                            + log(agent.getKey()) + ":\n" + tail(log(agent.getKey())));
                }
            }
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (IOException | CliFailure | ServerConnection.Refused e) {
                lastProblem = e;
            }
            Thread.sleep(250);
        }
        throw new CliFailure("waited " + waitSeconds + " s for " + what + " in vain"
                + (lastProblem == null ? "" : " (last: " + lastProblem.getMessage() + ")") + "; logs in " + dir);
    }

    private synchronized Map<String, Process> agentsNow() {
        return new LinkedHashMap<>(agents);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** One world per directory: {@code dev.pid} names the {@code isos dev} that owns it. */
    private void claim() throws IOException {
        Path pid = dir.resolve("dev.pid");
        if (Files.exists(pid)) {
            try {
                long other = Long.parseLong(Files.readString(pid).strip());
                if (other != ProcessHandle.current().pid() && ProcessHandle.of(other).map(ProcessHandle::isAlive).orElse(false)) {
                    throw new CliFailure("another isos dev (pid " + other + ") runs in " + dir + "; stop it first");
                }
            } catch (NumberFormatException stale) {
                // an unreadable claim is a stale one
            }
        }
        Files.writeString(pid, ProcessHandle.current().pid() + "\n");
    }

    private void release() {
        try {
            Files.deleteIfExists(dir.resolve("dev.pid"));
        } catch (IOException ignored) {
            // nothing depends on it: the next start checks whether the pid lives
        }
    }

    /** A fresh world: the previous run's server, agents, home, logs and environment go (nothing else in DIR). */
    private void clean() throws IOException {
        List<Path> old = new ArrayList<>(List.of(dir.resolve("server"), dir.resolve("home"), dir.resolve("dev.env")));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String n = p.getFileName().toString();
                if (n.matches("agent-\\d+") || n.matches("(server|agent-\\d+)\\.log")) {
                    old.add(p);
                }
            }
        }
        for (Path p : old) {
            if (Files.exists(p)) {
                try (Stream<Path> tree = Files.walk(p)) {
                    for (Path f : tree.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
        }
    }
}
