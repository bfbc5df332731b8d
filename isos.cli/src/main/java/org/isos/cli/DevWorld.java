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

    private final ServerPlan serverPlan;
    /** The servers by name ("server", "server-2", ...), in start order; the first is the agents' and the CLI's. */
    private final Map<String, Process> servers = new LinkedHashMap<>();
    private final Map<String, Integer> serverPorts = new LinkedHashMap<>();
    /** When each dead server is due to start again (System.nanoTime), with a restart period set. */
    private final Map<String, Long> restarts = new LinkedHashMap<>();
    private final Map<String, Process> agents = new LinkedHashMap<>();
    /** Extra framework properties for every agent ({@code isos.agent.policy.*}, {@code isos.kernel.*}), last wins. */
    private List<String> agentProperties = List.of();
    private boolean stopped;

    /**
     * How the servers run: {@code count} instances over one store ({@code db}, a JDBC URL, null for each
     * one's own H2 — so more than one needs {@code db}); {@code restartSeconds}: a server that exits is
     * started again after that many seconds (same data directory and port) instead of ending the world,
     * null to end the world once no server is left.
     */
    record ServerPlan(int count, String db, String dbUser, String dbPassword, Integer restartSeconds,
            Integer usagePeriodSeconds) {
        static final ServerPlan ONE_H2 = new ServerPlan(1, null, null, null, null, null);

        ServerPlan {
            if (count < 1 || count > 4) {
                throw new IllegalArgumentException("1 to 4 servers, not " + count);
            }
            if (count > 1 && db == null) {
                throw new IllegalArgumentException("several servers share one store: give a JDBC URL (--db)");
            }
            if (restartSeconds != null && (restartSeconds < 0 || restartSeconds > 86_400)) {
                throw new IllegalArgumentException("a restart period of 0 to 86400 s, not " + restartSeconds);
            }
        }
    }

    DevWorld(Path dir, Path serverDist, Path agentDist, int hosts, int heartbeatSeconds, long depositMicros,
            int waitSeconds, PrintWriter out, PrintWriter err) {
        this(dir, serverDist, agentDist, hosts, heartbeatSeconds, depositMicros, waitSeconds, ServerPlan.ONE_H2, out, err);
    }

    DevWorld(Path dir, Path serverDist, Path agentDist, int hosts, int heartbeatSeconds, long depositMicros,
            int waitSeconds, ServerPlan serverPlan, PrintWriter out, PrintWriter err) {
        this.serverPlan = serverPlan;
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

    /** Framework properties ({@code key=value}) every agent also gets, after dev's own. */
    DevWorld agentProperties(List<String> properties) {
        this.agentProperties = List.copyOf(properties);
        return this;
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
                if (!watchServers()) {
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

    /**
     * Notices servers that exited: each is started again when its restart period is over (with one
     * set), else the world goes on while another server runs. Whether the world goes on.
     */
    private boolean watchServers() throws IOException {
        boolean anyAlive = false;
        for (Map.Entry<String, Process> entry : servers.entrySet()) {
            String name = entry.getKey();
            Process process = entry.getValue();
            if (process.isAlive()) {
                anyAlive = true;
                continue;
            }
            Integer period = serverPlan.restartSeconds();
            Long due = restarts.get(name);
            if (due == null) {
                err.println("isos dev: " + name + " exited (" + process.exitValue() + "); see " + log(name)
                        + (period == null ? "" : "; it starts again in " + period + " s"));
                err.flush();
                if (period == null) {
                    restarts.put(name, Long.MAX_VALUE); // said once; never restarted
                    continue;
                }
                due = System.nanoTime() + TimeUnit.SECONDS.toNanos(period);
                restarts.put(name, due);
            }
            if (period != null && System.nanoTime() - due >= 0) {
                restarts.remove(name);
                entry.setValue(launchServer(name));
                out.println("isos dev: " + name + " started again on port " + serverPorts.get(name));
                out.flush();
                anyAlive = true;
            } else if (period != null) {
                anyAlive = true; // about to come back: the world waits for it
            }
        }
        return anyAlive;
    }

    private Process launchServer(String name) throws IOException {
        Path data = dir.resolve(name);
        List<String> properties = new ArrayList<>(List.of("isos.server.data=" + data,
                "isos.server.port=" + serverPorts.get(name)));
        if (serverPlan.db() != null) {
            properties.add("isos.server.db=" + serverPlan.db());
            if (serverPlan.dbUser() != null) {
                properties.add("isos.server.dbUser=" + serverPlan.dbUser());
            }
            if (serverPlan.dbPassword() != null) {
                properties.add("isos.server.dbPassword=" + serverPlan.dbPassword());
            }
        }
        return launch(name, serverDist, List.of("-Xmx384m"), data, properties);
    }

    /** A port free now, kept for the server's life so that a restarted server answers where its agents look. */
    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
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
        out.println("isos dev: starting the server in " + serverData + " (log " + log("server") + ")"
                + (serverPlan.db() == null ? "" : " over " + serverPlan.db()));
        out.flush();
        Process server;
        synchronized (this) {
            serverPorts.put("server", freePort());
            server = launchServer("server");
            servers.put("server", server);
        }
        Path urlFile = serverData.resolve("server.url");
        Path rootPem = serverData.resolve("ca").resolve("root.pem");
        await("the server's URL", server, "server", () -> Files.exists(rootPem) && Files.exists(urlFile)
                && !Files.readString(urlFile).isBlank());
        URI url = URI.create(Files.readString(urlFile).strip());
        // further servers over the same store: the same CA (its key is a file of the first server's), so
        // every host certificate and the server TLS chain verify at each of them
        List<String> urls = new ArrayList<>(List.of(url.toString()));
        for (int i = 2; i <= serverPlan.count(); i++) {
            String name = "server-" + i;
            Path data = dir.resolve(name);
            copyTree(serverData.resolve("ca"), data.resolve("ca"));
            copyTree(serverData.resolve("config"), data.resolve("config"));
            Process another;
            synchronized (this) {
                serverPorts.put(name, freePort());
                another = launchServer(name);
                servers.put(name, another);
            }
            Path anotherUrl = data.resolve("server.url");
            await(name + "'s URL", another, name, () -> Files.exists(anotherUrl) && !Files.readString(anotherUrl).isBlank());
            urls.add(Files.readString(anotherUrl).strip());
            out.println("isos dev: " + name + " " + urls.get(urls.size() - 1) + " (log " + log(name) + ")");
        }

        Path home = dir.resolve("home");
        Files.createDirectories(home);
        Path ca = home.resolve("ca.pem");
        Files.copy(rootPem, ca, StandardCopyOption.REPLACE_EXISTING);

        // the server opens accounts by invitation (signup = invite); dev holds its operator token, which may open any
        Path operatorToken = serverData.resolve("operator.token");
        ServerConnection anyone = new ServerConnection(url, Files.exists(operatorToken)
                ? Files.readString(operatorToken).strip() : null, ca);
        List<String> ownerTokens = new ArrayList<>();
        for (String name : OWNER_NAMES) {
            ownerTokens.add(create(anyone, "owner", name));
        }
        String buyerToken = create(anyone, "buyer", BUYER_NAME);
        deposit(new ServerConnection(url, buyerToken, ca));

        Path env = dir.resolve("dev.env");
        Files.writeString(env, "ISOS_SERVER=" + url + "\nISOS_TOKEN=" + buyerToken + "\nISOS_HOME=" + home
                + "\nISOS_OWNER_TOKENS=" + String.join(",", ownerTokens) + "\n"
                + (urls.size() > 1 ? "ISOS_SERVERS=" + String.join(",", urls) + "\n" : ""), StandardCharsets.UTF_8);

        for (int i = 1; i <= hosts; i++) {
            String name = "agent-" + i;
            Path agentData = dir.resolve(name);
            Files.createDirectories(agentData);
            String owner = ownerTokens.get((i - 1) % ownerTokens.size());
            List<String> jvm = List.of("-Xmx256m", "-Djava.security.manager=allow",
                    "-Djava.security.policy==" + agentDist.resolve("security.policy"), "-Disos.agent.lib=" + agentDist.resolve("lib"),
                    "-Disos.agent.data=" + agentData);
            // every server instance: an agent whose server stops carries on with the next one
            List<String> properties = List.of("isos.data=" + agentData, "isos.server.url=" + String.join(",", urls),
                    "isos.owner.token=" + owner,
                    "isos.server.ca=" + rootPem, "isos.heartbeat.seconds=" + heartbeatSeconds,
                    "isos.kernel.transportHost=127.0.0.1",
                    // the kernels' usage periods (default 60 s): shorter ones put many records in flight
                    "isos.kernel.usagePeriodSeconds=" + (serverPlan.usagePeriodSeconds() == null ? 60
                            : serverPlan.usagePeriodSeconds()),
                    // this machine runs a whole world: its load is no owner at the keyboard
                    "isos.agent.policy.activityThreshold=1.0");
            properties = java.util.stream.Stream.concat(properties.stream(), agentProperties.stream()).toList();
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
        out.println("isos dev: waiting for " + hosts + " host" + (hosts == 1 ? "" : "s") + " to be ONLINE with a policy ...");
        out.flush();

        int[] last = { -1 };
        await(hosts + " hosts ONLINE", null, null, () -> {
            int online = 0;
            for (String token : ownerTokens) {
                for (JsonNode h : new ServerConnection(url, token, ca).get("/v1/hosts").path("hosts")) {
                    // and matchable: a host's first heartbeat may go before its usage policy is up, and a lease
                    // asked for then finds "no policy reported" until the next one (a period later)
                    online += "ONLINE".equals(Verb.text(h, "status")) && h.path("policy").isObject() ? 1 : 0;
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
        out.println("isos dev: web console " + url.resolve("/console/") + " (log in with ISOS_TOKEN,"
                + " or an owner's token from ISOS_OWNER_TOKENS; the browser must trust " + ca + ")");
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
        if (!agents.isEmpty() || !servers.isEmpty()) {
            out.println("isos dev: " + why + ": " + (agents.isEmpty() ? "" : agents.size() + " agent"
                    + (agents.size() == 1 ? "" : "s") + ", then ") + (servers.size() > 1 ? "the servers" : "the server"));
            out.flush();
        }
        List<Process> first = new ArrayList<>(agents.values());
        end(first);
        end(new ArrayList<>(servers.values()));
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

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(from)) {
            for (Path source : tree.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** A fresh world: the previous run's server, agents, home, logs and environment go (nothing else in DIR). */
    private void clean() throws IOException {
        List<Path> old = new ArrayList<>(List.of(dir.resolve("server"), dir.resolve("home"), dir.resolve("dev.env")));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String n = p.getFileName().toString();
                if (n.matches("(agent|server)-\\d+") || n.matches("(server|(agent|server)-\\d+)\\.log")) {
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
