package org.isos.server.bench;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.ProcessBuilder.Redirect;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.isos.testkit.TestJars;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Load on a real server process from simulated agents and a buyer, speaking the real protocol (no Felix on this
 * side): N hosts enroll by CSR with an owner's token, each opens its own mutual-TLS connection with its host
 * certificate, and they heartbeat — reporting a policy, so they are ONLINE and can be matched — as fast as the
 * server answers with a bounded number in flight. Then a buyer asks for one-host leases (matching over the N
 * hosts, escrow, signing) and releases each. A baseline in the same run: {@code GET /v1/ca.pem} (TLS, HTTP,
 * routing, no store). Prints rates, latency percentiles and each side's CPU time per request (the server's from
 * the OS, the simulated agents' from this JVM): on a shared machine the CPU figures move less than the rates, and
 * the server's tells what it would sustain on its cores alone.
 *
 * <pre>
 * java -cp 'isos.server.bench/target/bench/lib/*:isos.server.bench/target/classes' org.isos.server.bench.ServerBench \
 *     [--hosts 10000] [--seconds 20] [--warmup S] [--in-flight 64] [--leases 500] \
 *     [--server-dist isos.server/target/server] [--db JDBC_URL --db-user U] [--flush-millis MS]
 * </pre>
 */
public final class ServerBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ServerBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>(Map.of("--hosts", "10000", "--seconds", "20", "--in-flight",
                "64", "--leases", "500", "--server-dist", "isos.server/target/server", "--threads", "2", "--rounds", "4"));
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: ServerBench [--hosts N] [--seconds S] [--in-flight C] "
                        + "[--leases L] [--server-dist DIR] [--threads T] [--db JDBC_URL] [--db-user U] "
                        + "[--flush-millis MS] [--warmup S] [--compare-dist DIR --rounds R]; not " + args[i]);
            }
            options.put(args[i], args[++i]);
        }
        int hosts = positive(options, "--hosts");
        int seconds = positive(options, "--seconds");
        // the server's JIT needs minutes on two cores: its CPU per heartbeat fell three- to fourfold over the first minutes
        int warmup = options.containsKey("--warmup") ? positive(options, "--warmup") : Math.max(1, seconds / 5);
        int inFlight = positive(options, "--in-flight");
        int leases = Integer.parseInt(options.get("--leases")); // 0: no allocation phase
        Path dist = Path.of(options.get("--server-dist")).toAbsolutePath();
        if (!Files.isDirectory(dist.resolve("bundles"))) {
            throw new IllegalArgumentException("no server distribution at " + dist + " (mvn -pl isos.server package)");
        }
        System.out.printf("server bench: %d hosts, %d s per phase, %d in flight, %d cores, store %s, heartbeatFlushMillis %s%n",
                hosts, seconds, inFlight, Runtime.getRuntime().availableProcessors(), options.getOrDefault("--db", "H2 (file)"),
                options.getOrDefault("--flush-millis", "server default"));
        System.out.printf("simulated agents' TLS: %s, sockets: %s%n", io.netty.handler.ssl.OpenSsl.isAvailable()
                ? "BoringSSL" : "JDK", Wire.EPOLL ? "epoll" : "NIO");

        if (options.containsKey("--compare-dist")) {
            Path other = Path.of(options.get("--compare-dist")).toAbsolutePath();
            if (!Files.isDirectory(other.resolve("bundles"))) {
                throw new IllegalArgumentException("no server distribution at " + other);
            }
            compare(dist, other, options, hosts, warmup, seconds, inFlight, positive(options, "--rounds"));
            return;
        }
        Path data = Files.createTempDirectory("isos-server-bench-");
        Process server = startServer(dist, data, options);
        try (Wire wire = new Wire(awaitUrl(server, data), rootOf(data), positive(options, "--threads"))) {
            run(wire, server.toHandle(), hosts, warmup, seconds, inFlight, leases);
        } finally {
            server.destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            System.out.println("server log: " + data.resolve("server.log"));
        }
    }

    /**
     * Two server builds side by side on the same fleet, alternated: the hosts enroll once (with {@code dist}), the
     * stopped server's data directory is copied, both builds start (each on its own copy: the same CA, accounts and
     * hosts), every host opens a mutual-TLS connection to each, and heartbeat phases alternate A B B A ... so that
     * both see the same machine load. Prints each phase and the medians.
     */
    private static void compare(Path dist, Path other, Map<String, String> options, int hostCount, int warmup, int seconds,
            int inFlight, int rounds) throws Exception {
        Path data = Files.createTempDirectory("isos-server-bench-a-");
        Process first = startServer(dist, data, options);
        List<SimulatedHost> enrolled;
        try (Wire wire = new Wire(awaitUrl(first, data), rootOf(data), positive(options, "--threads"))) {
            Wire.Connection anyone = wire.connect(null);
            String owner = JSON.readTree(expect(anyone.call("POST", "/v1/accounts", null,
                    "{\"kind\": \"owner\", \"name\": \"bench-owner\"}"), 201)).path("token").asText();
            List<Wire.Connection> plain = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                plain.add(wire.connect(null));
            }
            long start = System.nanoTime();
            enrolled = enroll(wire, owner, hostCount, plain);
            System.out.printf("enrolled %d hosts in %.1f s with A%n", enrolled.size(), (System.nanoTime() - start) / 1e9);
            plain.forEach(Wire.Connection::close);
            anyone.close();
        } finally {
            stop(first);
        }
        Path copy = Files.createTempDirectory("isos-server-bench-b-");
        try (var walk = Files.walk(data)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = copy.resolve(data.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.deleteIfExists(data.resolve("server.url"));
        Files.deleteIfExists(copy.resolve("server.url"));
        // Felix's bundle cache names the first build's jars: B must install its own
        deleteTree(copy.resolve("felix-cache"));
        Process a = startServer(dist, data, options);
        Process b = startServer(other, copy, options);
        try (Wire wireA = new Wire(awaitUrl(a, data), rootOf(data), positive(options, "--threads"));
                Wire wireB = new Wire(awaitUrl(b, copy), rootOf(copy), positive(options, "--threads"))) {
            Map<String, Map<Wire.Connection, SimulatedHost>> fleets = new LinkedHashMap<>();
            fleets.put("A " + dist, connectAll(wireA, enrolled));
            fleets.put("B " + other, connectAll(wireB, enrolled));
            Map<String, ProcessHandle> serverOf = new LinkedHashMap<>();
            serverOf.put("A " + dist, a.toHandle());
            serverOf.put("B " + other, b.toHandle());
            Map<String, List<Double>> rates = new LinkedHashMap<>();
            Map<String, List<Double>> p99s = new LinkedHashMap<>();
            Map<String, List<Double>> cpus = new LinkedHashMap<>();
            List<String> order = new ArrayList<>(fleets.keySet());
            for (int round = 0; round < rounds; round++) {
                List<String> thisRound = new ArrayList<>(order);
                if (round % 2 == 1) {
                    java.util.Collections.reverse(thisRound); // A B, B A, A B ...
                }
                for (String which : thisRound) {
                    Map<Wire.Connection, SimulatedHost> hostOf = fleets.get(which);
                    Result r = closedLoop(serverOf.get(which), hostOf.keySet(),
                            inFlight, warmup, seconds, c -> c.send("POST", "/v1/hosts/"
                            + hostOf.get(c).id + "/heartbeat", null, SimulatedHost.BEAT));
                    report("round " + (round + 1) + " heartbeats " + which, r);
                    long[] sorted = r.nanos().stream().mapToLong(Long::longValue).sorted().toArray();
                    rates.computeIfAbsent(which, k -> new ArrayList<>()).add(r.perSecond());
                    cpus.computeIfAbsent(which, k -> new ArrayList<>()).add(r.serverCpuMicros());
                    p99s.computeIfAbsent(which, k -> new ArrayList<>()).add(sorted.length == 0 ? Double.NaN
                            : percentile(sorted, 99));
                }
            }
            for (String which : order) {
                System.out.printf("median over %d rounds, %s: %.0f heartbeats/s, p99 %.1f ms, server CPU %.0f µs "
                        + "per heartbeat (rates %s, CPU %s)%n", rounds, which, median(rates.get(which)),
                        median(p99s.get(which)), median(cpus.get(which)), rates.get(which), cpus.get(which));
            }
            System.out.printf("ratio A / B (median server CPU per heartbeat): %.2f%n", median(cpus.get(order.get(0)))
                    / median(cpus.get(order.get(1))));
            System.out.printf("ratio B / A (median rates): %.2f%n", median(rates.get(order.get(1)))
                    / median(rates.get(order.get(0))));
            for (Map<Wire.Connection, SimulatedHost> fleet : fleets.values()) {
                fleet.keySet().forEach(Wire.Connection::close);
            }
        } finally {
            stop(a);
            stop(b);
            System.out.println("server logs: " + data.resolve("server.log") + ", " + copy.resolve("server.log"));
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void stop(Process server) throws InterruptedException {
        server.destroy();
        if (!server.waitFor(60, TimeUnit.SECONDS)) {
            server.destroyForcibly();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** One mutual-TLS connection per host (8 handshakes at a time), then one heartbeat each, so all are ONLINE. */
    private static Map<Wire.Connection, SimulatedHost> connectAll(Wire wire, List<SimulatedHost> enrolled)
            throws Exception {
        long start = System.nanoTime();
        Map<Wire.Connection, SimulatedHost> hostOf = new LinkedHashMap<>();
        AtomicInteger nextHost = new AtomicInteger();
        List<CompletableFuture<Void>> connecting = new ArrayList<>();
        java.util.concurrent.ExecutorService lanes = java.util.concurrent.Executors.newFixedThreadPool(8);
        for (int lane = 0; lane < 8; lane++) {
            connecting.add(CompletableFuture.runAsync(() -> {
                for (int i = nextHost.getAndIncrement(); i < enrolled.size(); i = nextHost.getAndIncrement()) {
                    SimulatedHost host = enrolled.get(i);
                    try {
                        Wire.Connection c = wire.connect(host.keys.getPrivate(), host.chain);
                        synchronized (hostOf) {
                            hostOf.put(c, host);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException("connecting " + host.id + " failed: " + e, e);
                    }
                }
            }, lanes));
        }
        try {
            CompletableFuture.allOf(connecting.toArray(CompletableFuture[]::new)).get(60, TimeUnit.MINUTES);
        } finally {
            lanes.shutdown(); // its threads would keep this JVM alive after a failure in main
        }
        double connectSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("opened %d mutual-TLS connections in %.1f s (%.0f handshakes/s, 8 at a time)%n",
                hostOf.size(), connectSeconds, hostOf.size() / connectSeconds);
        for (Map.Entry<Wire.Connection, SimulatedHost> e : hostOf.entrySet()) {
            expect(e.getKey().call("POST", "/v1/hosts/" + e.getValue().id + "/heartbeat", null, SimulatedHost.BEAT), 200);
        }
        return hostOf;
    }

    private static void run(Wire wire, ProcessHandle server, int hostCount, int warmup, int seconds, int inFlight,
            int leaseCount) throws Exception {
        // accounts: an owner for the hosts, a funded buyer
        Wire.Connection anyone = wire.connect(null);
        String owner = JSON.readTree(expect(anyone.call("POST", "/v1/accounts", null,
                "{\"kind\": \"owner\", \"name\": \"bench-owner\"}"), 201)).path("token").asText();
        JsonNode buyerAccount = JSON.readTree(expect(anyone.call("POST", "/v1/accounts", null,
                "{\"kind\": \"buyer\", \"name\": \"bench-buyer\"}"), 201));
        String buyer = buyerAccount.path("token").asText();
        expect(anyone.call("POST", "/v1/deposits", buyer, "{\"amountMicros\": 1000000000000000}"), 201);

        // baseline: the CA root, over a few connections
        List<Wire.Connection> plain = new ArrayList<>();
        for (int i = 0; i < Math.min(inFlight, 16); i++) {
            plain.add(wire.connect(null));
        }
        report("baseline GET /v1/ca.pem", closedLoop(server, plain, Math.min(inFlight, 16), warmup, seconds, c -> c.send("GET",
                "/v1/ca.pem", null, null)));

        // enrollment: keys and CSRs made here, certificates issued by the server's CA
        long start = System.nanoTime();
        List<SimulatedHost> enrolled = enroll(wire, owner, hostCount, plain);
        double enrollSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("enrolled %d hosts in %.1f s (%.0f/s, key pair + CSR here, certificate + row there)%n",
                enrolled.size(), enrollSeconds, enrolled.size() / enrollSeconds);

        // one mutual-TLS connection per host: the handshakes; every host ONLINE with a policy before the measurement
        Map<Wire.Connection, SimulatedHost> hostOf = connectAll(wire, enrolled);
        List<Wire.Connection> hostConnections = new ArrayList<>(hostOf.keySet());
        report("heartbeats (" + hostConnections.size() + " hosts, each on its own connection)",
                closedLoop(server, hostConnections, inFlight, warmup, seconds, c -> c.send("POST", "/v1/hosts/" + hostOf.get(c).id
                        + "/heartbeat", null, SimulatedHost.BEAT)));

        if (leaseCount <= 0) {
            hostConnections.forEach(Wire.Connection::close);
            plain.forEach(Wire.Connection::close);
            return;
        }
        // allocation: a buyer's one-host leases matched over the hosts, each released at once (on a fresh
        // connection: the first one idled past the server's idle timeout while the hosts enrolled)
        anyone.close();
        anyone = wire.connect(null);
        String sha256 = uploadBundle(wire, anyone, buyer, buyerAccount.path("id").asText());
        String leaseBody = "{\"bundle\": \"" + sha256 + "\", \"hosts\": 1, \"seconds\": 3600, \"cpuShare\": 0.25, "
                + "\"memoryBytes\": 67108864, \"storageBytes\": 0, \"bandwidthBytesPerSecond\": 0}";
        List<Long> grant = new ArrayList<>();
        for (int i = 0; i < leaseCount; i++) {
            Wire.Answer answer = anyone.call("POST", "/v1/leases", buyer, leaseBody);
            grant.add(answer.nanos());
            String id = JSON.readTree(expect(answer, 201)).path("leases").get(0).path("id").asText();
            expect(anyone.call("DELETE", "/v1/leases/" + id, buyer, null), 200);
        }
        report("lease grants of 1 host matched over " + hostCount + " (sequential, each released after)",
                new Result(grant, 0, Double.NaN, Double.NaN));
        JsonNode totals = JSON.readTree(expect(anyone.call("GET", "/v1/ledger/totals", buyer, null), 200));
        System.out.println("ledger totals at the end: " + totals);
        if (!totals.path("balanced").asBoolean()) {
            throw new IllegalStateException("the ledger does not balance: " + totals);
        }
        hostConnections.forEach(Wire.Connection::close);
        plain.forEach(Wire.Connection::close);
        anyone.close();
    }

    /**
     * Latencies of answered requests, the rate they came at, and the CPU time per answered request (warm-up
     * included) of the server process and of the simulated agents (this process): what a phase costs each side,
     * a figure that noise on a shared machine moves less than the rate.
     */
    record Result(List<Long> nanos, double perSecond, double serverCpuMicros, double agentsCpuMicros) {
    }

    /** CPU time of a process so far (user + system), from the OS. */
    private static long cpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(java.time.Duration::toNanos)
                .orElseThrow(() -> new IllegalStateException("the OS does not tell the CPU time of process " + process.pid()));
    }

    private static long ownCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Keeps {@code inFlight} requests going over idle connections (each connection one at a time) for the given time,
     * after a warm-up of a fifth of it. Every answer must be a 2xx.
     */
    private static Result closedLoop(ProcessHandle server, Collection<Wire.Connection> connections, int inFlight, int warmup, int seconds,
            Function<Wire.Connection, CompletableFuture<Wire.Answer>> request) throws Exception {
        ConcurrentLinkedQueue<Wire.Connection> idle = new ConcurrentLinkedQueue<>(connections);
        long warmUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
        long until = warmUntil + TimeUnit.SECONDS.toNanos(seconds);
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger unmeasured = new AtomicInteger(); // answered in the warm-up or after the end
        long serverCpuBefore = cpuNanos(server);
        long ownCpuBefore = ownCpuNanos();
        AtomicInteger running = new AtomicInteger();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            Wire.Connection c = idle.poll();
            if (c == null || System.nanoTime() > until) {
                if (c != null) {
                    idle.add(c);
                }
                if (running.decrementAndGet() == 0) {
                    finished.complete(null);
                }
                return;
            }
            request.apply(c).whenComplete((answer, error) -> {
                if (error != null || answer.status() / 100 != 2) {
                    if (failures.incrementAndGet() <= 5) {
                        System.err.println("failed: " + (error != null ? error : answer.status() + " " + answer.body()));
                    }
                } else if (answer.sentNanos() >= warmUntil && answer.answeredNanos() <= until) {
                    latencies.add(answer.nanos());
                } else {
                    unmeasured.incrementAndGet();
                }
                idle.add(c);
                // not on the event loop's stack: the next request goes out from a task of this connection's loop.
                // (CompletableFuture.runAsync would start a thread per request: with 2 cores the common pool has
                // a parallelism of 1, and CompletableFuture then makes a new thread for each task.)
                c.loop().execute(next[0]);
            });
        };
        int lanes = Math.min(inFlight, connections.size());
        running.set(lanes);
        Iterator<Wire.Connection> starters = connections.iterator();
        for (int i = 0; i < lanes; i++) {
            starters.next().loop().execute(next[0]);
        }
        finished.get(seconds * 3L + 60, TimeUnit.SECONDS);
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " requests failed");
        }
        List<Long> copy;
        synchronized (latencies) {
            copy = new ArrayList<>(latencies);
        }
        long answered = latencies.size() + unmeasured.get();
        return new Result(copy, copy.size() / (double) seconds,
                (cpuNanos(server) - serverCpuBefore) / 1e3 / Math.max(1, answered),
                (ownCpuNanos() - ownCpuBefore) / 1e3 / Math.max(1, answered));
    }

    private static void report(String what, Result result) {
        long[] sorted = result.nanos().stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            System.out.println(what + ": no answers");
            return;
        }
        System.out.printf("%s: %s%d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms%s%n", what,
                result.perSecond() > 0 ? String.format("%.0f/s, ", result.perSecond()) : "", sorted.length,
                percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1] / 1e6,
                Double.isNaN(result.serverCpuMicros()) ? "" : String.format("; CPU per request: server %.0f µs "
                        + "(%.0f/s on %d cores alone), simulated agents %.0f µs", result.serverCpuMicros(),
                        Runtime.getRuntime().availableProcessors() * 1e6 / result.serverCpuMicros(),
                        Runtime.getRuntime().availableProcessors(), result.agentsCpuMicros()));
    }

    private static double percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    /** A simulated agent: its key pair, its host id (derived from the key as the server does) and its chain. */
    static final class SimulatedHost {
        static final String BEAT = "{\"description\": {\"os\": \"bench\", \"cores\": 8, \"memoryBytes\": 17179869184}, "
                + "\"status\": {\"suspended\": false, \"apps\": 0, \"transport\": \"127.0.0.1:40000\", \"policy\": "
                + "{\"maxCpuShare\": 1, \"storageQuotaBytes\": 1000000000, \"bandwidthCapBytesPerSecond\": 1000000, "
                + "\"acceptedCategories\": [\"compute\"], \"minimumPricePerHourMicros\": 0}, \"leases\": []}}";
        final KeyPair keys;
        final String id;
        X509Certificate[] chain;

        SimulatedHost(KeyPair keys) throws Exception {
            this.keys = keys;
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(keys.getPublic().getEncoded());
            this.id = "host-" + HexFormat.of().formatHex(digest, 0, 16);
        }

        String csrJson() throws Exception {
            var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + id), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
            StringWriter pem = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                writer.writeObject(csr);
            }
            return JSON.writeValueAsString(Map.of("csr", pem.toString()));
        }
    }

    /** Enrolls hosts over the given connections, each keeping one request in flight. */
    private static List<SimulatedHost> enroll(Wire wire, String owner, int count, List<Wire.Connection> connections)
            throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        List<SimulatedHost> hosts = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            SimulatedHost host = new SimulatedHost(generator.generateKeyPair());
            hosts.add(host);
            bodies.add(host.csrJson());
        }
        AtomicInteger next = new AtomicInteger(); // the next host to enroll, shared by the connections
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        List<CompletableFuture<Void>> lanes = new ArrayList<>();
        for (Wire.Connection c : connections) {
            CompletableFuture<Void> lane = CompletableFuture.runAsync(() -> {
                while (true) {
                    int i = next.getAndIncrement();
                    if (i >= count) {
                        return;
                    }
                    try {
                        JsonNode enrolled = JSON.readTree(expect(c.call("POST", "/v1/hosts", owner, bodies.get(i)), 201));
                        hosts.get(i).chain = x509.generateCertificates(new ByteArrayInputStream(
                                enrolled.path("chain").asText().getBytes(StandardCharsets.US_ASCII)))
                                .toArray(X509Certificate[]::new);
                    } catch (Exception e) {
                        throw new IllegalStateException("enrollment failed: " + e.getMessage(), e);
                    }
                }
            });
            lanes.add(lane);
        }
        CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.MINUTES);
        return hosts;
    }

    /** A buyer's code-signing certificate from the server's CA, and a small bundle signed with it, uploaded. */
    private static String uploadBundle(Wire wire, Wire.Connection anyone, String buyer, String buyerId) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair signing = generator.generateKeyPair();
        var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + buyerId), signing.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signing.getPrivate()));
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(csr);
        }
        JsonNode certificate = JSON.readTree(expect(anyone.call("POST", "/v1/certificates", buyer,
                JSON.writeValueAsString(Map.of("csr", pem.toString()))), 201));
        List<java.security.cert.Certificate> chain = new ArrayList<>(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(certificate.path("chain").asText()
                        .getBytes(StandardCharsets.US_ASCII))));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-ManifestVersion", "2");
        headers.put("Bundle-SymbolicName", "org.isos.bench.app");
        headers.put("Bundle-Version", "1.0.0");
        byte[] jar = TestJars.sign(TestJars.jar(headers, Map.of("bench.txt", "bench".getBytes(StandardCharsets.UTF_8))),
                signing.getPrivate(), chain);
        // the repository route takes the jar as the body: through the JDK client, the simplest for bytes
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(tlsTrusting(wire))
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        java.net.http.HttpResponse<String> uploaded = client.send(java.net.http.HttpRequest.newBuilder(
                wire.server().resolve("/v1/bundles")).header("Authorization", "Bearer " + buyer)
                .header("Content-Type", "application/java-archive")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(jar)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (uploaded.statusCode() / 100 != 2) {
            throw new IllegalStateException("upload refused: " + uploaded.statusCode() + " " + uploaded.body());
        }
        return JSON.readTree(uploaded.body()).path("sha256").asText();
    }

    private static javax.net.ssl.SSLContext tlsTrusting(Wire wire) throws Exception {
        java.security.KeyStore anchors = java.security.KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("isos-root", wire.root());
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory
                .getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private static String expect(Wire.Answer answer, int status) {
        if (answer.status() != status) {
            throw new IllegalStateException("expected HTTP " + status + ", got " + answer.status() + ": " + answer.body());
        }
        return answer.body();
    }

    private static int positive(Map<String, String> options, String name) {
        int value = Integer.parseInt(options.get(name));
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, not " + value);
        }
        return value;
    }

    /** The server as {@code ./isos server} runs it, on a port of its own, with liveness set far out for the run. */
    private static Process startServer(Path dist, Path data, Map<String, String> options) throws IOException {
        Files.createDirectories(data.resolve("config"));
        // hosts must stay ONLINE while the bench walks through ten thousand of them
        // and keep their connections open across the set-up phases, as agents heartbeating every 30 s keep theirs
        // --flush-millis: how often the server writes batched heartbeats (0: each heartbeat commits its row)
        Files.writeString(data.resolve("config/org.isos.server.http.cfg"), "heartbeatSeconds=3600\nidleTimeoutSeconds=900\n"
                + (options.containsKey("--flush-millis") ? "heartbeatFlushMillis=" + options.get("--flush-millis") + "\n" : ""));
        // the bench opens its owner and buyer accounts anonymously
        Files.writeString(data.resolve("config/org.isos.server.signup.cfg"), "signup=open\n");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-cp", dist.resolve("lib") + "/*", "org.isos.launcher.FrameworkLauncher", "--bundles",
                dist.resolve("bundles").toString(), "--data", data.toString(), "--property", "isos.server.data=" + data,
                "--property", "isos.server.port=" + port));
        if (options.containsKey("--db")) {
            command.addAll(List.of("--property", "isos.server.db=" + options.get("--db")));
            if (options.containsKey("--db-user")) {
                command.addAll(List.of("--property", "isos.server.dbUser=" + options.get("--db-user")));
            }
        }
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile())
                .redirectInput(Redirect.from(new java.io.File("/dev/null"))).start();
    }

    private static URI awaitUrl(Process server, Path data) throws Exception {
        Path url = data.resolve("server.url");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(600); // two servers starting on a loaded machine
        while (System.nanoTime() < until) {
            if (!server.isAlive()) {
                throw new IllegalStateException("the server exited: " + Files.readString(data.resolve("server.log")));
            }
            if (Files.exists(url) && !Files.readString(url).isBlank()) {
                return URI.create(Files.readString(url).strip());
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no server.url within 600 s; see " + data.resolve("server.log"));
    }

    private static X509Certificate rootOf(Path data) throws Exception {
        try (var in = Files.newInputStream(data.resolve("ca/root.pem"))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

}
