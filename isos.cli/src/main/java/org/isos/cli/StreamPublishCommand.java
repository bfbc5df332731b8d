package org.isos.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.isos.apps.streaming.client.Publisher;
import org.isos.apps.streaming.client.SessionSegmentHolder;
import org.isos.apps.streaming.client.StreamException;
import org.isos.apps.streaming.client.TitleManifest;
import org.isos.apps.streaming.client.ViewTicketAnchor;
import org.isos.apps.streaming.protocol.SegmentMessage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code isos stream publish MOVIE --hosts N}: signs the streaming app (shipped unsigned inside the streaming client)
 * with the provider's key, uploads it, leases N hosts for it with the upload cap as each lease's bandwidth (category
 * streaming), waits until they run it, then cuts, codes and stores the movie and registers the title on the server
 * ({@code POST /v1/titles}) with its manifest and price per view, so that any account can buy a view and play it.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = { "Publishes a movie: leases N hosts for the streaming app (signed with --key; POST /v1/bundles,"
                + " POST /v1/leases with bandwidthBytesPerSecond = --rate-cap, category streaming), cuts the movie into"
                + " segments, erasure-codes each K-of-N (fragment i of segment s on host (i+s) mod N), stores them"
                + " with their SHA-256 and registers the title on the server (POST /v1/titles) at --price per view;"
                + " a copy of the manifest goes to HOME/titles/TITLE.json." })
final class StreamPublishCommand extends Verb {

    static final ShippedApp APP = new ShippedApp("streaming", "isos.apps.streaming.jar", "stream");
    static final double CPU_SHARE = 0.1;
    static final long MEMORY_BYTES = 64L << 20;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "MOVIE", description = "the movie file (e.g. MPEG-TS or MP4)")
    Path movie;

    @Option(names = "--hosts", required = true, paramLabel = "N", description = "hosts to lease: N fragments per segment")
    int hosts;

    @Option(names = "--k", paramLabel = "K", description = "fragments that suffice for a segment (default: N/2)")
    Integer k;

    @Option(names = "--rate-cap", paramLabel = "RATE", defaultValue = "256kbit", converter = Converters.BytesPerSecond.class,
            description = "each host's upload cap (its lease's bandwidth), e.g. 256kbit, 56kbit, 32000 (default ${DEFAULT-VALUE})")
    long rateCap;

    @Option(names = { "--name", "--title" }, paramLabel = "NAME",
            description = "the title's name (default: from the file name)")
    String title;

    @Option(names = "--price", paramLabel = "CREDITS", defaultValue = "0",
            description = "what a view costs the viewer, paid to you less the ISOS fee, e.g. 0.25 (default ${DEFAULT-VALUE}:"
                    + " free)")
    String price;

    @Option(names = "--lease", paramLabel = "DURATION", defaultValue = "1h", converter = Converters.Seconds.class,
            description = "how long the hosts keep the title (default ${DEFAULT-VALUE})")
    long leaseSeconds;

    @Option(names = "--segment", paramLabel = "SIZE", defaultValue = "256KiB", converter = Converters.Bytes.class,
            description = "bytes per segment (default ${DEFAULT-VALUE})")
    long segmentBytes;

    @Option(names = "--play-rate", paramLabel = "RATE", converter = Converters.BytesPerSecond.class,
            description = "the movie's bitrate, e.g. 400kbit: viewers then measure their buffer in seconds of play")
    Long playRate;

    @Option(names = "--key", paramLabel = "NAME|FILE.p12", defaultValue = "dev",
            description = "the provider's signing key, HOME/NAME.p12 (default ${DEFAULT-VALUE})")
    String key;

    @Option(names = "--password", paramLabel = "PASSWORD",
            description = "the key store password (default: $ISOS_KEY_PASSWORD, else " + KeysCommand.DEFAULT_PASSWORD + ")")
    String password;

    @Option(names = "--wait-seconds", paramLabel = "S", defaultValue = "90",
            description = "how long to wait for the leases to run the app (default ${DEFAULT-VALUE})")
    int waitSeconds;

    @Option(names = "--json", description = "print the title's manifest as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (hosts < 2 || hosts > 256) {
            throw new ParameterException(spec.commandLine(), "--hosts must be 2 to 256, not " + hosts);
        }
        int dataFragments = k == null ? Math.max(1, hosts / 2) : k;
        if (dataFragments < 1 || dataFragments >= hosts) {
            throw new ParameterException(spec.commandLine(), "--k must be 1 to " + (hosts - 1) + " (fewer than"
                    + " --hosts), not " + dataFragments);
        }
        if (rateCap < 1) {
            throw new ParameterException(spec.commandLine(), "--rate-cap must be positive");
        }
        if (leaseSeconds < 60 || leaseSeconds > 30L * 86_400) {
            throw new ParameterException(spec.commandLine(), "--lease must be 1m to 30d, not " + leaseSeconds + " s");
        }
        if (waitSeconds < 0 || waitSeconds > 3600) {
            throw new ParameterException(spec.commandLine(), "--wait-seconds must be 0 to 3600, not " + waitSeconds);
        }
        if (segmentBytes < 1 || segmentBytes > 64L << 20) {
            throw new ParameterException(spec.commandLine(), "--segment must be 1 byte to 64MiB, not " + segmentBytes);
        }
        long priceMicros;
        try {
            priceMicros = price.strip().matches("0+(\\.0*)?") ? 0 : Quantities.micros(price);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--price: " + e.getMessage());
        }
        String name = title != null ? title : StreamCommand.titleOf(movie);
        try {
            SegmentMessage.checkTitle(name);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--title: " + e.getMessage());
        }
        Publisher.Options options;
        try {
            options = Publisher.Options.forHolders(hosts).withSegmentBytes((int) segmentBytes)
                    .withDataFragments(dataFragments).withPlayBytesPerSecond(playRate == null ? 0 : playRate);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!Files.isRegularFile(movie)) {
            throw new CliFailure("no such movie file: " + movie);
        }
        long size = Files.size(movie);
        if (size == 0) {
            throw new CliFailure(movie + " is empty: nothing to publish");
        }
        Path home = server.home();
        ServerConnection connection = server.withToken();
        List<X509Certificate> trusted = List.of(caCertificate());
        String provider = text(connection.get("/v1/me"), "id");

        String bundle = uploadApp(connection, home, trusted.get(0));
        long segments = (size + segmentBytes - 1) / segmentBytes;
        // one fragment of every segment per host, each kept with its 32-byte hash, and room for the store's books
        long perHost = (size + dataFragments - 1) / dataFragments + segments * (dataFragments + 64);
        long storage = perHost + perHost / 4 + (1L << 20);
        List<JsonNode> leases = lease(connection, bundle, storage);
        {
            List<TitleManifest.Holder> slots = new ArrayList<>();
            List<SessionSegmentHolder> holders = new ArrayList<>();
            for (JsonNode l : leases) {
                TitleManifest.Holder slot = new TitleManifest.Holder(text(l, "hostId"), text(l, "ownerId"),
                        text(l, "id"), text(l, "transportAddress"), l.path("bandwidthBytesPerSecond").asLong());
                slots.add(slot);
                holders.add(SessionSegmentHolder.of(slot, provider, trusted, Duration.ofSeconds(120)));
            }
            progress("storing " + name + " (" + size + " bytes, " + segments + " segment" + (segments == 1 ? "" : "s")
                    + ", " + dataFragments + "-of-" + hosts + ") on " + hosts + " hosts");
            long started = System.nanoTime();
            TitleManifest manifest;
            try {
                manifest = Publisher.publish(movie, name, provider, slots, holders, options,
                        (done, all, bytes, total) -> {
                            if (done == all || done % Math.max(1, all / 10) == 0) {
                                progress("stored " + done + "/" + all + " segments");
                            }
                        });
            } catch (StreamException e) {
                throw new CliFailure("publishing " + name + " failed: " + e.getMessage()
                        + " (the leases stay: `isos leases`, `isos release LEASE`)", e);
            } finally {
                holders.forEach(SessionSegmentHolder::close);
            }
            Path file = StreamCommand.manifestFile(home, name);
            manifest.write(file);
            double seconds = (System.nanoTime() - started) / 1e9;
            JsonNode registered;
            try {
                registered = connection.post("/v1/titles", ServerConnection.object().put("name", name)
                        .put("pricePerViewMicros", priceMicros)
                        .set("manifest", ServerConnection.JSON.readTree(manifest.toJson())));
            } catch (ServerConnection.Refused e) {
                throw new CliFailure("the fragments of " + name + " are stored, but the server refused the title: "
                        + e.getMessage() + " (manifest kept in " + file + "; the leases stay: `isos leases`)", e);
            }
            if (json) {
                printJson(registered);
            } else {
                out().printf("published %s: %d bytes, %d segments of %d bytes, %d-of-%d on %d hosts capped at %d"
                        + " bytes/s each (%d bytes/s together), in %.1f s%n", name, size, manifest.segments().size(),
                        segmentBytes, dataFragments, hosts, hosts, rateCap, rateCap * hosts, seconds);
                out().println("registered on the server at " + Quantities.credits(priceMicros) + " credits per view"
                        + " (provider " + provider + "); manifest copy: " + file);
                out().println("play it (any account): isos stream play " + name + " -o FILE   (or - for stdout)");
            }
            return 0;
        }
    }

    private X509Certificate caCertificate() {
        Path file = server.ca != null ? server.ca.toAbsolutePath() : server.home().resolve("ca.pem");
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (Exception e) {
            throw new CliFailure("cannot read the ISOS CA certificate " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Signs the shipped app, with the ISOS CA certificate in it (the anchor of its view-ticket check), with the
     * provider's key (again only when it changed) and uploads it; its sha256.
     */
    private String uploadApp(ServerConnection connection, Path home, X509Certificate ca) throws IOException {
        Path keyFile = APP.keyFile(key, home, spec);
        // the app travels inside the streaming client's jar: copied out only when it changed, so that the
        // signed copy (and with it the bundle's hash on the server) stays the same between runs
        byte[] app;
        try (InputStream in = StreamCommand.appBundle()) {
            app = ViewTicketAnchor.bundleInto(in.readAllBytes(), ca);
        }
        Path unsigned = home.resolve(APP.dir()).resolve(APP.jar());
        Files.createDirectories(unsigned.getParent());
        if (!Files.isRegularFile(unsigned) || !Arrays.equals(Files.readAllBytes(unsigned), app)) {
            Files.write(unsigned, app);
        }
        return APP.signAndUpload(connection, unsigned, keyFile, home, KeysCommand.password(password, Isos.of(spec)),
                this::progress);
    }

    /** Leases the hosts (category streaming) and waits until they run. */
    private List<JsonNode> lease(ServerConnection connection, String bundle, long storage) throws InterruptedException {
        ObjectNode request = ServerConnection.object().put("bundle", bundle).put("hosts", hosts)
                .put("seconds", leaseSeconds).put("cpuShare", CPU_SHARE).put("memoryBytes", MEMORY_BYTES)
                .put("storageBytes", storage).put("bandwidthBytesPerSecond", rateCap).put("category", "streaming");
        JsonNode granted;
        try {
            granted = connection.post("/v1/leases", request);
        } catch (ServerConnection.Refused e) {
            throw new CliFailure("lease refused: " + e.getMessage()
                    + (e.status() == 402 ? " (a shorter --lease costs less escrow)" : ""), e);
        }
        Map<String, JsonNode> leases = new LinkedHashMap<>();
        for (JsonNode l : granted.path("leases")) {
            leases.put(text(l, "id"), l);
        }
        progress("leased " + leases.size() + " hosts at " + rateCap + " bytes/s each; waiting for the app to run");
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (leases.values().stream().anyMatch(l -> !Leases.SETTLED.contains(text(l, "state"))
                || ("ACTIVE".equals(text(l, "state")) && text(l, "transportAddress") == null))
                && System.nanoTime() < deadline) {
            Thread.sleep(500);
            for (String id : new ArrayList<>(leases.keySet())) {
                JsonNode l = leases.get(id);
                if (!Leases.SETTLED.contains(text(l, "state")) || text(l, "transportAddress") == null) {
                    leases.put(id, connection.get("/v1/leases/" + ServerConnection.encode(id)));
                }
            }
        }
        List<String> notRunning = new ArrayList<>();
        for (JsonNode l : leases.values()) {
            if (!"ACTIVE".equals(text(l, "state")) || text(l, "transportAddress") == null) {
                notRunning.add(text(l, "id") + " on " + text(l, "hostId") + " " + text(l, "state")
                        + (text(l, "reason") == null ? "" : " (" + text(l, "reason") + ")"));
            }
        }
        if (!notRunning.isEmpty()) {
            for (String id : leases.keySet()) {
                try {
                    connection.delete("/v1/leases/" + ServerConnection.encode(id));
                } catch (ServerConnection.Refused e) {
                    // ended already
                }
            }
            throw new CliFailure("not every host runs the streaming app within " + waitSeconds + " s: "
                    + String.join("; ", notRunning) + " (all " + leases.size() + " leases released)");
        }
        return new ArrayList<>(leases.values());
    }
}
