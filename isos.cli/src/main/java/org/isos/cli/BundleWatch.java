package org.isos.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code isos deploy --watch}: hot-swaps a bundle file into running leases whenever it changes. The file is polled
 * (its content hash, so a touch alone changes nothing); a change counts once the content has stayed the same for
 * one more poll (an editor or build still writing it is waited for) and reads as a bundle jar. Each version is
 * signed with the developer's key, uploaded, and asked of every lease ({@code POST /v1/leases/{id}/bundle}); then
 * each lease is polled until its host runs the new digest ({@code runningBundle}) or says why it refused
 * ({@code updateReason}, the old version running on), and one line per host is printed.
 */
final class BundleWatch {

    /** How a version's outcome on one lease is shown. */
    enum Outcome {
        UPDATED, REFUSED, ENDED, NO_ANSWER
    }

    /** One lease's outcome for one version, as printed. */
    record HostOutcome(String leaseId, String hostId, Outcome outcome, String detail) {
    }

    private final ServerConnection server;
    private final Path file;
    private final Publisher publisher;
    private final PrintWriter out;
    private final PrintWriter err;
    private final String name;
    private final long pollMillis;
    private final long answerMillis;
    private final AtomicBoolean stop = new AtomicBoolean();
    /** Lease id → its last known JSON, in the order given; leases that ended are dropped. */
    private final Map<String, JsonNode> leases = new LinkedHashMap<>();

    /** Makes an uploadable jar of the file's bytes (signed with the developer's key) and uploads it. */
    interface Publisher {
        /** The uploaded bundle's answer ({@code sha256, symbolicName, version}). */
        JsonNode publish(byte[] jar) throws ServerConnection.Refused;
    }

    BundleWatch(ServerConnection server, Path file, Publisher publisher, List<JsonNode> leases, PrintWriter out,
            PrintWriter err, String name, long pollMillis, long answerMillis) {
        this.server = server;
        this.file = file;
        this.publisher = publisher;
        this.out = out;
        this.err = err;
        this.name = name;
        this.pollMillis = pollMillis;
        this.answerMillis = answerMillis;
        for (JsonNode l : leases) {
            this.leases.put(l.path("id").asText(), l);
        }
    }

    void stop() {
        stop.set(true);
    }

    boolean stopped() {
        return stop.get();
    }

    /**
     * Watches until {@link #stop()} or until no lease is left running. {@code deployedHash} is the content hash of
     * the version deployed already (not pushed again), or null.
     */
    void run(String deployedHash) throws InterruptedException {
        String handled = deployedHash;
        String seen = null;
        String reported = null;
        while (!stop.get() && !leases.isEmpty()) {
            Thread.sleep(pollMillis);
            byte[] content;
            try {
                content = Files.readAllBytes(file);
            } catch (IOException e) {
                if (reported == null || !reported.equals("missing")) {
                    note(file + " cannot be read (" + e.getMessage() + "); watching on");
                    reported = "missing";
                }
                seen = null;
                continue;
            }
            String hash = contentHash(content);
            if (hash.equals(handled)) {
                seen = hash;
                continue;
            }
            if (!hash.equals(seen)) {
                seen = hash; // changed since the last poll: maybe still being written; look again
                continue;
            }
            String problem = problemOf(content);
            if (problem != null) {
                if (!hash.equals(reported)) {
                    line(file.getFileName() + ": not a bundle jar yet (" + problem + "); watching on");
                    reported = hash;
                }
                continue;
            }
            handled = hash;
            reported = null;
            push(content);
        }
    }

    /** Uploads one version and updates every lease to it; the outcomes, as printed. */
    List<HostOutcome> push(byte[] content) throws InterruptedException {
        JsonNode uploaded;
        try {
            uploaded = publisher.publish(content);
        } catch (ServerConnection.Refused | CliFailure e) {
            line(file.getFileName() + ": upload refused: " + e.getMessage() + "; the running version stays; watching on");
            return List.of();
        }
        String sha = uploaded.path("sha256").asText();
        String version = uploaded.path("version").asText();
        line(file.getFileName() + " changed: " + uploaded.path("symbolicName").asText() + " " + version
                + " uploaded (sha256 " + sha + "); updating " + leases.size() + " lease(s)");
        List<HostOutcome> outcomes = new ArrayList<>();
        Map<String, String> asked = new LinkedHashMap<>();
        for (String id : new ArrayList<>(leases.keySet())) {
            try {
                leases.put(id, server.post("/v1/leases/" + ServerConnection.encode(id) + "/bundle",
                        ServerConnection.object().put("bundle", sha)));
                asked.put(id, sha);
            } catch (ServerConnection.Refused e) {
                HostOutcome o = new HostOutcome(id, Verb.text(leases.get(id), "hostId"),
                        e.status() == 409 ? Outcome.ENDED : Outcome.REFUSED, e.getMessage());
                outcomes.add(o);
                print(o, version);
                if (e.status() == 409 || e.status() == 404) {
                    leases.remove(id);
                }
            }
        }
        long deadline = System.nanoTime() + answerMillis * 1_000_000L;
        while (!asked.isEmpty()) {
            for (String id : new ArrayList<>(asked.keySet())) {
                JsonNode l = server.get("/v1/leases/" + ServerConnection.encode(id));
                leases.put(id, l);
                HostOutcome o = outcomeOf(l, sha);
                if (o == null && System.nanoTime() > deadline) {
                    o = new HostOutcome(id, Verb.text(l, "hostId"), Outcome.NO_ANSWER, "no answer from the host within "
                            + answerMillis / 1000 + " s (it runs " + shortSha(Verb.text(l, "runningBundle")) + ")");
                }
                if (o != null) {
                    asked.remove(id);
                    outcomes.add(o);
                    print(o, version);
                    if (o.outcome() == Outcome.ENDED) {
                        leases.remove(id);
                    }
                }
            }
            if (!asked.isEmpty()) {
                Thread.sleep(250);
            }
        }
        long updated = outcomes.stream().filter(o -> o.outcome() == Outcome.UPDATED).count();
        line(file.getFileName() + " " + version + ": " + updated + " of " + outcomes.size() + " host(s) updated; watching on");
        return outcomes;
    }

    /** What became of the update to {@code sha} on this lease, or null while its host has not said. */
    static HostOutcome outcomeOf(JsonNode lease, String sha) {
        String id = Verb.text(lease, "id");
        String host = Verb.text(lease, "hostId");
        String state = Verb.text(lease, "state");
        if (!"ACTIVE".equals(state) && !"PENDING".equals(state)) {
            String reason = Verb.text(lease, "reason");
            return new HostOutcome(id, host, Outcome.ENDED, "the lease is " + state + (reason == null ? "" : " (" + reason + ")"));
        }
        if (sha.equals(Verb.text(lease, "runningBundle"))) {
            return new HostOutcome(id, host, Outcome.UPDATED, "runs " + shortSha(sha));
        }
        String why = Verb.text(lease, "updateReason");
        if (why != null && sha.equals(Verb.text(lease, "bundle"))) {
            return new HostOutcome(id, host, Outcome.REFUSED, why);
        }
        return null;
    }

    private void print(HostOutcome o, String version) {
        switch (o.outcome()) {
            case UPDATED -> line("  host " + o.hostId() + " (lease " + o.leaseId() + "): updated to " + version + ", "
                    + o.detail());
            case REFUSED -> line("  host " + o.hostId() + " (lease " + o.leaseId() + "): refused: " + o.detail()
                    + " -- the old version keeps running");
            case ENDED -> line("  host " + o.hostId() + " (lease " + o.leaseId() + "): not updated, " + o.detail()
                    + "; no longer watched");
            case NO_ANSWER -> line("  host " + o.hostId() + " (lease " + o.leaseId() + "): " + o.detail());
        }
    }

    /** Why these bytes are not a bundle jar (yet), or null. */
    static String problemOf(byte[] content) {
        if (content.length == 0) {
            return "the file is empty";
        }
        if (content.length > DeployCommand.MAX_BUNDLE_BYTES) {
            return content.length + " bytes; the server takes at most 64 MiB";
        }
        try (JarInputStream jar = new JarInputStream(new ByteArrayInputStream(content), false)) {
            int entries = 0;
            for (JarEntry e = jar.getNextJarEntry(); e != null; e = jar.getNextJarEntry()) {
                jar.transferTo(java.io.OutputStream.nullOutputStream());
                entries++;
            }
            Manifest manifest = jar.getManifest();
            if (manifest == null) {
                return "no META-INF/MANIFEST.MF at its start";
            }
            if (manifest.getMainAttributes().getValue("Bundle-SymbolicName") == null) {
                return "its manifest has no Bundle-SymbolicName";
            }
            if (entries == 0) {
                return "no entries besides the manifest";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "not a readable jar: " + e.getMessage();
        }
    }

    static String contentHash(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String shortSha(String sha) {
        return sha == null ? "an unknown bundle" : "sha256 " + sha.substring(0, Math.min(12, sha.length())) + "...";
    }

    private void line(String text) {
        synchronized (out) {
            out.println(text);
            out.flush();
        }
    }

    private void note(String text) {
        synchronized (err) {
            err.println(name + ": " + text);
            err.flush();
        }
    }
}
