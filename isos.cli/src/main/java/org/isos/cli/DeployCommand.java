package org.isos.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code isos deploy BUNDLE.jar --hosts N --lease DURATION}: upload the signed bundle, lease N hosts
 * for it, and wait until each lease runs (ACTIVE) or was refused by its host (FAILED). With {@code --watch}
 * it then hot-swaps every change of the file into those leases ({@link BundleWatch}); with
 * {@code --attach-leases} it watches leases made before instead of making new ones.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = { "Uploads a signed bundle (POST /v1/bundles), leases N hosts for it (POST /v1/leases) and waits"
                + " until every lease is ACTIVE or FAILED (GET /v1/leases/{id}). Exit 1 if any lease FAILED or the wait"
                + " ran out.",
                "--watch: then watches the file and, whenever it changes, signs it (--key), uploads it and updates the"
                + " bundle in place on every host of the leases (POST /v1/leases/{id}/bundle), printing one line per host:"
                + " updated, or refused with the kernel's reason (the old version keeps running). A file being written or"
                + " not a jar is reported and the watch goes on. Ctrl-C stops watching; the leases stay." })
final class DeployCommand extends Verb {

    static final int MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

    enum Category {
        compute, storage, streaming
    }

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "BUNDLE.jar", description = "the bundle, signed with `isos sign`")
    Path bundle;

    @Option(names = "--hosts", paramLabel = "N", description = "how many hosts (each runs one copy)")
    Integer hosts;

    @Option(names = "--lease", paramLabel = "DURATION", converter = Converters.Seconds.class,
            description = "how long: e.g. 90s, 10m, 2h, 1h30m")
    Long seconds;

    @Option(names = "--watch", description = "after deploying, hot-swap every change of BUNDLE.jar into the leases"
            + " until Ctrl-C (the leases stay)")
    boolean watch;

    @Option(names = "--key", paramLabel = "NAME|FILE.p12", description = "sign BUNDLE.jar (each version, with --watch)"
            + " with this key (`isos keys new NAME`) before uploading it; without it the file must be signed already")
    String key;

    @Option(names = "--password", paramLabel = "PASSWORD",
            description = "the key store password (default: $ISOS_KEY_PASSWORD, else " + KeysCommand.DEFAULT_PASSWORD + ")")
    String password;

    @Option(names = "--attach-leases", split = ",", paramLabel = "LEASE",
            description = "with --watch: update and watch these running leases of yours instead of leasing hosts")
    List<String> attachLeases;

    @Option(names = "--poll-millis", paramLabel = "MS", defaultValue = "500", hidden = true,
            description = "with --watch: how often the file is looked at (default ${DEFAULT-VALUE})")
    long pollMillis;

    @Option(names = "--cpu", paramLabel = "SHARE", defaultValue = "0.25", converter = Converters.CpuShare.class,
            description = "share of each host's cores, e.g. 0.25 or 25%% (default ${DEFAULT-VALUE})")
    double cpuShare;

    @Option(names = "--memory", paramLabel = "SIZE", defaultValue = "64MiB", converter = Converters.Bytes.class,
            description = "memory per host, e.g. 64MiB (default ${DEFAULT-VALUE})")
    long memoryBytes;

    @Option(names = "--storage", paramLabel = "SIZE", defaultValue = "1MiB", converter = Converters.Bytes.class,
            description = "storage per host, e.g. 64MiB, 1GiB (default ${DEFAULT-VALUE})")
    long storageBytes;

    @Option(names = "--bandwidth", paramLabel = "RATE", defaultValue = "1MiB/s", converter = Converters.BytesPerSecond.class,
            description = "network per host: bytes/s, or e.g. 256kbit, 10Mbit, 1MiB/s (default ${DEFAULT-VALUE})")
    long bandwidth;

    @Option(names = "--max-price", paramLabel = "CREDITS", converter = Converters.Micros.class,
            description = "the most to pay per host and hour, in credits (e.g. 0.5)")
    Long maxPricePerHourMicros;

    @Option(names = "--min-availability", paramLabel = "F", converter = Converters.Availability.class,
            description = "only hosts online (and not paused by their owner) at least this share of the time, "
                    + "weighted toward the last day: e.g. 0.9 or 90%%")
    Double minAvailability;

    @Option(names = "--window", paramLabel = "HH:MM-HH:MM", converter = Converters.Window.class,
            description = "daily UTC hours the app must be able to run (e.g. 22:00-06:00): hosts whose owners allow "
                    + "them, or take work then for their higher reserve (within --max-price)")
    String window;

    @Option(names = "--category", paramLabel = "CATEGORY",
            description = "what the app is, for hosts' policies: ${COMPLETION-CANDIDATES}")
    Category category;

    @Option(names = "--wait-seconds", paramLabel = "S", defaultValue = "60",
            description = "how long to wait for the leases to settle (default ${DEFAULT-VALUE})")
    int waitSeconds;

    @Option(names = "--json", description = "print {bundle, leases} as JSON (the server's objects)")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        if (attachLeases != null) {
            if (!watch) {
                throw new ParameterException(spec.commandLine(), "--attach-leases goes with --watch");
            }
            if (hosts != null || seconds != null) {
                throw new ParameterException(spec.commandLine(), "--attach-leases watches leases made before: it takes"
                        + " no --hosts or --lease");
            }
            for (String id : attachLeases) {
                if (!id.matches("[A-Za-z0-9._-]{1,100}")) {
                    throw new ParameterException(spec.commandLine(), "--attach-leases takes lease ids, not '" + id + "'");
                }
            }
        } else if (hosts == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--hosts=N'");
        } else if (seconds == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--lease=DURATION'");
        } else if (hosts < 1 || hosts > 1000) {
            throw new ParameterException(spec.commandLine(), "--hosts must be 1 to 1000, not " + hosts);
        }
        if (waitSeconds < 0 || waitSeconds > 86_400) {
            throw new ParameterException(spec.commandLine(), "--wait-seconds must be 0 to 86400, not " + waitSeconds);
        }
        if (pollMillis < 50 || pollMillis > 60_000) {
            throw new ParameterException(spec.commandLine(), "--poll-millis must be 50 to 60000, not " + pollMillis);
        }
        byte[] jar = read(bundle);
        if (watch && BundleWatch.problemOf(jar) != null) {
            throw new CliFailure(bundle + " is not a bundle jar: " + BundleWatch.problemOf(jar));
        }
        ServerConnection connection = server.withToken();
        BundleWatch.Publisher publisher = publisher(connection);
        if (attachLeases != null) {
            return watch(connection, publisher, attached(connection), null, jar);
        }

        JsonNode uploaded;
        try {
            uploaded = publisher.publish(jar);
        } catch (ServerConnection.Refused e) {
            throw new CliFailure("upload refused: " + e.getMessage(), e);
        }
        String sha256 = text(uploaded, "sha256");
        progress("uploaded " + text(uploaded, "symbolicName") + " " + text(uploaded, "version") + " (sha256 " + sha256 + ")");

        ObjectNode request = ServerConnection.object().put("bundle", sha256).put("hosts", hosts).put("seconds", seconds)
                .put("cpuShare", cpuShare).put("memoryBytes", memoryBytes).put("storageBytes", storageBytes)
                .put("bandwidthBytesPerSecond", bandwidth);
        if (maxPricePerHourMicros != null) {
            request.put("maxPricePerHourMicros", maxPricePerHourMicros);
        }
        if (category != null) {
            request.put("category", category.name());
        }
        if (minAvailability != null) {
            request.put("minAvailability", minAvailability);
        }
        if (window != null) {
            request.put("window", window);
        }
        JsonNode granted;
        try {
            granted = connection.post("/v1/leases", request);
        } catch (ServerConnection.Refused e) {
            throw new CliFailure("lease refused: " + e.getMessage(), e);
        }
        Map<String, JsonNode> leases = new LinkedHashMap<>();
        for (JsonNode lease : granted.path("leases")) {
            leases.put(text(lease, "id"), lease);
        }
        if (leases.isEmpty()) {
            throw new CliFailure("the server granted no lease: " + granted);
        }
        progress("leased " + leases.size() + " host" + (leases.size() == 1 ? "" : "s") + ": " + summary(leases.values()));

        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        String last = summary(leases.values());
        while (!allSettled(leases.values()) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            for (String id : new ArrayList<>(leases.keySet())) {
                if (!Leases.SETTLED.contains(text(leases.get(id), "state"))) {
                    leases.put(id, connection.get("/v1/leases/" + ServerConnection.encode(id)));
                }
            }
            String now = summary(leases.values());
            if (!now.equals(last)) {
                progress(now);
                last = now;
            }
        }

        if (json) {
            ObjectNode result = ServerConnection.object();
            result.set("bundle", uploaded);
            result.putArray("leases").addAll(new ArrayList<>(leases.values()));
            printJson(result);
        } else {
            Leases.print(new ArrayList<>(leases.values()), out());
        }
        List<String> notRunning = new ArrayList<>();
        for (JsonNode l : leases.values()) {
            if (!"ACTIVE".equals(text(l, "state"))) {
                notRunning.add(text(l, "id") + " " + text(l, "state")
                        + (text(l, "reason") == null ? "" : " (" + text(l, "reason") + ")"));
            }
        }
        if (!notRunning.isEmpty()) {
            throw new CliFailure((allSettled(leases.values()) ? "" : "not every lease settled within " + waitSeconds
                    + " s: ") + String.join("; ", notRunning));
        }
        if (watch) {
            return watch(connection, publisher, new ArrayList<>(leases.values()), BundleWatch.contentHash(jar), null);
        }
        return 0;
    }

    /** Signs (with --key) and uploads a version of the bundle. */
    private BundleWatch.Publisher publisher(ServerConnection connection) {
        SigningKey signing = key == null ? null : signingKey();
        return bytes -> {
            byte[] upload = bytes;
            if (signing != null) {
                Path dir = server.home().resolve("deploy");
                Path in = null;
                Path out = null;
                try {
                    Files.createDirectories(dir);
                    in = Files.createTempFile(dir, ".unsigned", ".jar");
                    out = Files.createTempFile(dir, ".signed", ".jar");
                    Files.write(in, bytes);
                    BundleSigner.sign(in, out, signing, true);
                    upload = Files.readAllBytes(out);
                } catch (IOException e) {
                    throw new CliFailure("cannot sign " + bundle + " in " + dir + ": " + e.getMessage(), e);
                } finally {
                    deleteQuietly(in);
                    deleteQuietly(out);
                }
            }
            return connection.post("/v1/bundles", upload, "application/java-archive");
        };
    }

    private SigningKey signingKey() {
        Path file;
        String alias;
        if (key.endsWith(".p12") || key.endsWith(".pfx") || key.contains("/")) {
            file = Path.of(key);
            alias = null;
        } else {
            if (!SigningKey.NAME.matcher(key).matches()) {
                throw new ParameterException(spec.commandLine(), "--key is a key name (letters, digits, . _ -) or a .p12"
                        + " file, not '" + key + "'");
            }
            file = server.home().resolve(key + ".p12");
            alias = key;
        }
        if (!Files.isRegularFile(file)) {
            throw new CliFailure("no key store " + file + (alias == null ? "" : " (make one with `isos keys new " + key + "`)"));
        }
        return SigningKey.load(file, alias, KeysCommand.password(password, Isos.of(spec)));
    }

    private static void deleteQuietly(Path file) {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // a temporary file left in HOME/deploy: harmless
        }
    }

    /** The leases of --attach-leases, each the buyer's and running. */
    private List<JsonNode> attached(ServerConnection connection) {
        List<JsonNode> found = new ArrayList<>();
        for (String id : attachLeases) {
            JsonNode lease;
            try {
                lease = connection.get("/v1/leases/" + ServerConnection.encode(id));
            } catch (ServerConnection.Refused e) {
                throw new CliFailure("lease " + id + ": " + e.getMessage(), e);
            }
            String state = text(lease, "state");
            if (!"ACTIVE".equals(state) && !"PENDING".equals(state)) {
                throw new CliFailure("lease " + id + " is " + state + (text(lease, "reason") == null ? ""
                        : " (" + text(lease, "reason") + ")") + ": only running leases can be watched");
            }
            found.add(lease);
        }
        return found;
    }

    /**
     * Watches until Ctrl-C / SIGTERM. {@code deployedHash}: the content deployed already; else {@code first} is pushed
     * to the leases first.
     */
    private int watch(ServerConnection connection, BundleWatch.Publisher publisher, List<JsonNode> leases,
            String deployedHash, byte[] first) throws InterruptedException {
        long answerMillis = Math.max(10, waitSeconds) * 1000L;
        BundleWatch watcher = new BundleWatch(connection, bundle, publisher, leases, out(), err(), name(), pollMillis,
                answerMillis);
        List<String> ids = leases.stream().map(l -> text(l, "id")).toList();
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            watcher.stop();
            main.interrupt();
            err().println(name() + ": stopped watching " + bundle + "; the lease(s) stay: " + String.join(", ", ids)
                    + " (`isos release LEASE` ends one)");
            err().flush();
            try {
                main.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "isos-deploy-watch-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            String handled = deployedHash;
            if (first != null) {
                watcher.push(first);
                handled = BundleWatch.contentHash(first);
            }
            progress("watching " + bundle + " for changes on " + ids.size() + " lease(s): " + String.join(", ", ids)
                    + " (Ctrl-C stops watching; the leases stay)");
            watcher.run(handled);
        } catch (InterruptedException e) {
            if (watcher.stopped()) {
                return 0;
            }
            throw e;
        }
        if (watcher.stopped()) {
            return 0;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        throw new CliFailure("no lease left to update: every watched lease has ended");
    }

    private static boolean allSettled(Iterable<JsonNode> leases) {
        for (JsonNode l : leases) {
            if (!Leases.SETTLED.contains(text(l, "state"))) {
                return false;
            }
        }
        return true;
    }

    /** e.g. {@code 1 ACTIVE, 1 PENDING}. */
    private static String summary(Iterable<JsonNode> leases) {
        Map<String, Integer> counts = new TreeMap<>();
        for (JsonNode l : leases) {
            counts.merge(String.valueOf(text(l, "state")), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((state, n) -> parts.add(n + " " + state));
        return String.join(", ", parts);
    }

    private static byte[] read(Path jar) {
        try {
            if (!Files.isRegularFile(jar)) {
                throw new CliFailure("no such bundle: " + jar);
            }
            if (Files.size(jar) > MAX_BUNDLE_BYTES) {
                throw new CliFailure(jar + " has " + Files.size(jar) + " bytes; the server takes at most 64 MiB");
            }
            return Files.readAllBytes(jar);
        } catch (IOException e) {
            throw new CliFailure("cannot read " + jar + ": " + e.getMessage(), e);
        }
    }
}
