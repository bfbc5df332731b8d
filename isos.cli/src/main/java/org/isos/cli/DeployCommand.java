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
 * for it, and wait until each lease runs (ACTIVE) or was refused by its host (FAILED).
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = { "Uploads a signed bundle (POST /v1/bundles), leases N hosts for it (POST /v1/leases) and waits"
                + " until every lease is ACTIVE or FAILED (GET /v1/leases/{id}). Exit 1 if any lease FAILED or the wait"
                + " ran out." })
final class DeployCommand extends Verb {

    static final int MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

    enum Category {
        compute, storage, streaming
    }

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "BUNDLE.jar", description = "the bundle, signed with `isos sign`")
    Path bundle;

    @Option(names = "--hosts", required = true, paramLabel = "N", description = "how many hosts (each runs one copy)")
    int hosts;

    @Option(names = "--lease", required = true, paramLabel = "DURATION", converter = Converters.Seconds.class,
            description = "how long: e.g. 90s, 10m, 2h, 1h30m")
    long seconds;

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
        if (hosts < 1 || hosts > 1000) {
            throw new ParameterException(spec.commandLine(), "--hosts must be 1 to 1000, not " + hosts);
        }
        if (waitSeconds < 0 || waitSeconds > 86_400) {
            throw new ParameterException(spec.commandLine(), "--wait-seconds must be 0 to 86400, not " + waitSeconds);
        }
        byte[] jar = read(bundle);
        ServerConnection connection = server.withToken();

        JsonNode uploaded;
        try {
            uploaded = connection.post("/v1/bundles", jar, "application/java-archive");
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
        return 0;
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
