package org.isos.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Set;
import java.util.TreeSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import org.isos.apps.backup.client.BackupClient;
import org.isos.apps.backup.client.FileHealth;
import org.isos.apps.backup.client.RepairReport;
import org.isos.apps.backup.client.SessionHolder;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The backup verbs that lease hosts ({@code put}, {@code repair}). The backup app runs on hosts under the buyer's
 * own signature: the CLI ships the unsigned app ({@code apps/isos.apps.backup.jar} next to its {@code lib/}), signs
 * it with the buyer's key once (kept as {@code HOME/backup/isos.apps.backup-KEY.jar}, so its hash and thus the
 * server's bundle stay the same across runs), uploads it, and leases hosts for it in category {@code storage}.
 */
abstract class BackupLeasingVerb extends BackupVerb {

    static final String APP_JAR = "isos.apps.backup.jar";
    static final ShippedApp APP = new ShippedApp("backup", APP_JAR, "backup");
    private static final Pattern ONLY = Pattern.compile("only (\\d+) of \\d+ host");
    static final double CPU_SHARE = 0.1;
    static final long MEMORY_BYTES = 64L << 20;
    static final long BANDWIDTH = 1L << 20;

    @Option(names = "--key", paramLabel = "NAME|FILE.p12",
            description = "the key the backup app is signed with (default: the only key in HOME; make one with `isos keys new NAME`)")
    String key;

    @Option(names = "--password", paramLabel = "PASSWORD",
            description = "the key store password (default: $ISOS_KEY_PASSWORD, else " + KeysCommand.DEFAULT_PASSWORD + ")")
    String password;

    @Option(names = "--lease", paramLabel = "DURATION", defaultValue = "7d", converter = Converters.Seconds.class,
            description = "how long new host leases last, e.g. 10m, 7d, 30d (default ${DEFAULT-VALUE})")
    long leaseSeconds;

    @Option(names = "--wait-seconds", paramLabel = "S", defaultValue = "90",
            description = "how long to wait for new leases to run (default ${DEFAULT-VALUE})")
    int waitSeconds;

    @Option(names = "--app", paramLabel = "FILE.jar", hidden = true,
            description = "the unsigned backup app (default: apps/" + APP_JAR + " of the CLI distribution)")
    Path app;

    void checkLeasing() {
        checkCommon();
        if (leaseSeconds < 60 || leaseSeconds > 30L * 86_400) {
            throw new ParameterException(spec.commandLine(), "--lease must be 1m to 30d, not " + leaseSeconds + " s");
        }
        if (waitSeconds < 0 || waitSeconds > 3600) {
            throw new ParameterException(spec.commandLine(), "--wait-seconds must be 0 to 3600, not " + waitSeconds);
        }
    }

    /**
     * Leases up to {@code count} more hosts (none of {@code exclude}) with {@code storageBytes} each, fewer when
     * fewer qualify, and waits until each runs the app; returns the ACTIVE ones (possibly none).
     */
    List<JsonNode> leaseMore(ServerConnection connection, int count, long storageBytes, List<String> exclude)
            throws InterruptedException {
        if (count < 1) {
            return List.of();
        }
        String bundle = uploadApp(connection);
        JsonNode granted = null;
        int asked = count;
        while (granted == null) {
            ObjectNode request = ServerConnection.object().put("bundle", bundle).put("hosts", asked)
                    .put("seconds", leaseSeconds).put("cpuShare", CPU_SHARE).put("memoryBytes", MEMORY_BYTES)
                    .put("storageBytes", storageBytes).put("bandwidthBytesPerSecond", BANDWIDTH).put("category", "storage");
            ArrayNode excluded = request.putArray("excludeHosts");
            exclude.forEach(excluded::add);
            try {
                granted = connection.post("/v1/leases", request);
            } catch (ServerConnection.Refused e) {
                Matcher only = ONLY.matcher(String.valueOf(e.getMessage()));
                int qualify = e.status() == 409 && only.find() ? Integer.parseInt(only.group(1)) : -1;
                if (qualify > 0 && qualify < asked) {
                    progress("asked for " + asked + " more host(s), " + qualify + " qualify: leasing those");
                    asked = qualify;
                } else if (e.status() == 409) {
                    progress("no more hosts to lease: " + e.getMessage());
                    return List.of();
                } else {
                    throw new CliFailure("lease refused: " + e.getMessage()
                            + (e.status() == 402 ? " (a shorter --lease costs less escrow)" : ""), e);
                }
            }
        }
        Map<String, JsonNode> leases = new LinkedHashMap<>();
        for (JsonNode l : granted.path("leases")) {
            leases.put(text(l, "id"), l);
        }
        progress("leased " + leases.size() + " host(s) for the backup app; waiting for it to run on them");
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (leases.values().stream().anyMatch(l -> !Leases.SETTLED.contains(text(l, "state")))
                && System.nanoTime() < deadline) {
            Thread.sleep(500);
            for (String id : new ArrayList<>(leases.keySet())) {
                if (!Leases.SETTLED.contains(text(leases.get(id), "state"))) {
                    leases.put(id, connection.get("/v1/leases/" + ServerConnection.encode(id)));
                }
            }
        }
        List<JsonNode> active = new ArrayList<>();
        for (JsonNode l : leases.values()) {
            if ("ACTIVE".equals(text(l, "state"))) {
                active.add(l);
            } else {
                progress("lease " + text(l, "id") + " on " + text(l, "hostId") + " is " + text(l, "state")
                        + (text(l, "reason") == null ? "" : " (" + text(l, "reason") + ")") + ": not used");
            }
        }
        return active;
    }

    /** Signs the shipped app with the buyer's key (once) and uploads it; its sha256. */
    String uploadApp(ServerConnection connection) {
        return APP.signAndUpload(connection, APP.unsigned(app), APP.keyFile(key, server.home(), spec), server.home(),
                KeysCommand.password(password, Isos.of(spec)), this::progress);
    }

    /** What {@link #leaseAndRepair} did: the repair, the holders it replaced, the leases it took for them. */
    record Repaired(RepairReport report, Set<String> failing, List<JsonNode> fresh) {
    }

    /**
     * Leases as many new hosts as {@code health} names missing or failing holders (none of the current leases'
     * hosts), adds them to the client (and to {@code added}, for closing) and repairs onto them.
     */
    Repaired leaseAndRepair(ServerConnection connection, BackupClient client, List<JsonNode> leases,
            List<FileHealth> health, List<SessionHolder> added) throws IOException, InterruptedException {
        Set<String> failing = new TreeSet<>();
        for (FileHealth h : health) {
            failing.addAll(BackupCommand.holdersOf(h, true));
            failing.addAll(BackupCommand.holdersOf(h, false));
        }
        List<JsonNode> fresh = List.of();
        List<SessionHolder> newHolders = new ArrayList<>();
        if (!failing.isEmpty()) {
            progress(failing.size() + " holder(s) missing or failing: " + String.join(", ", failing)
                    + "; leasing as many new hosts");
            List<String> exclude = new ArrayList<>(hostsOf(leases));
            exclude.addAll(failing.stream().filter(f -> !exclude.contains(f)).toList());
            fresh = leaseMore(connection, failing.size(), Math.max(leaseStorage(leases), 16L << 20), exclude);
            newHolders.addAll(holders(fresh));
            added.addAll(newHolders);
        }
        return new Repaired(client.repair(newHolders), failing, fresh);
    }

    /** New hosts get what the existing leases have (the fragments they take over are of that size). */
    static long leaseStorage(List<JsonNode> leases) {
        return leases.stream().mapToLong(l -> l.path("storageBytes").asLong(0)).max().orElse(0);
    }

    /** Host ids of leases. */
    static List<String> hostsOf(List<JsonNode> leases) {
        return leases.stream().map(l -> text(l, "hostId")).toList();
    }
}
