package org.isos.cli;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.isos.apps.streaming.client.PlaybackReport;
import org.isos.apps.streaming.client.PlaybackStatus;
import org.isos.apps.streaming.client.SessionSegmentHolder;
import org.isos.apps.streaming.client.StreamException;
import org.isos.apps.streaming.client.TitleManifest;
import org.isos.apps.streaming.client.Viewer;
import org.isos.apps.streaming.protocol.SegmentMessage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code isos stream play TITLE [-o FILE | -]}: buys a view of a title from the server (the provider's price, paid
 * once per view id; the answer carries the manifest and a view ticket, which it presents to every host before
 * fetching), then plays it from its holders with the deadline-aware viewer,
 * in order, into FILE or stdout (for a player: {@code isos stream play T - | ffplay -}); the charge, then one status
 * line on stderr (progress, buffer, rate, hosts in use, stalls), then a summary. Nothing is written when the view
 * cannot be bought.
 */
@Command(name = "play", mixinStandardHelpOptions = true,
        description = { "Buys a view of a title (POST /v1/titles/TITLE/views: the provider's price, charged once per"
                + " view id) and plays it from many hosts at once into FILE or stdout (-), every fragment checked"
                + " against the manifest's SHA-256; the charge and a status line on stderr. Exit 1 when the view"
                + " cannot be bought (nothing written) or a segment cannot be had (FILE then holds the segments"
                + " before it, all verified)." })
final class StreamPlayCommand extends Verb {

    @Parameters(index = "0", paramLabel = "TITLE", description = "a published title (isos stream titles)")
    String title;

    @Parameters(index = "1", arity = "0..1", paramLabel = "-", description = "- writes to stdout (the default)")
    String dash;

    @Option(names = { "-o", "--output" }, paramLabel = "FILE", description = "write the movie here (- for stdout)")
    String output;

    @Mixin
    ServerOptions server;

    @Option(names = "--view-id", paramLabel = "ID",
            description = "the view's id, 1-100 of A-Z a-z 0-9 . _ : - (default: a new one); the same id is charged once")
    String viewId;

    @Option(names = "--hedge", paramLabel = "H", defaultValue = "2",
            description = "extra fetches for a segment that is due (default ${DEFAULT-VALUE})")
    int hedge;

    @Option(names = "--stall-ms", paramLabel = "MS", defaultValue = "3000",
            description = "drop a host that sends nothing this long while it has fetches (default ${DEFAULT-VALUE})")
    long stallMillis;

    @Option(names = "--quiet", description = "no status line")
    boolean quiet;

    @Option(names = "--json", description = "print the playback report as JSON on stderr at the end")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (dash != null && !dash.equals("-")) {
            throw new ParameterException(spec.commandLine(), "unexpected '" + dash + "': the output is -o FILE or -");
        }
        if (hedge < 0 || hedge > 64) {
            throw new ParameterException(spec.commandLine(), "--hedge must be 0 to 64, not " + hedge);
        }
        if (stallMillis < 100 || stallMillis > 600_000) {
            throw new ParameterException(spec.commandLine(), "--stall-ms must be 100 to 600000, not " + stallMillis);
        }
        String id = viewId != null ? viewId : UUID.randomUUID().toString();
        if (!id.matches("[A-Za-z0-9._:-]{1,100}")) {
            throw new ParameterException(spec.commandLine(), "--view-id must be 1 to 100 of A-Z a-z 0-9 . _ : -, not '"
                    + id + "'");
        }
        try {
            SegmentMessage.checkTitle(title);
        } catch (IllegalArgumentException e) {
            throw new CliFailure("unknown title '" + title + "': " + e.getMessage());
        }
        ServerConnection connection = server.withToken();
        X509Certificate caCert = ca(server.ca != null ? server.ca.toAbsolutePath() : server.home().resolve("ca.pem"));
        Bought bought = buyView(connection, id);
        TitleManifest manifest = bought.manifest();
        boolean toStdout = output == null || output.equals("-");
        List<SessionSegmentHolder> holders = new ArrayList<>();
        for (TitleManifest.Holder h : manifest.holders()) {
            holders.add(SessionSegmentHolder.of(h, manifest.provider(), List.of(caCert), Duration.ofSeconds(10), title,
                    bought.ticket()));
        }
        Viewer.Options options = Viewer.Options.defaults().withHedge(hedge)
                .withStallTimeout(Duration.ofMillis(stallMillis));
        // stdout carries the movie: the status goes to stderr, never into the movie's stream
        java.io.PrintWriter status = err();
        long[] lastLength = { 0 };
        PlaybackReport report;
        Path file = toStdout ? null : Path.of(output).toAbsolutePath();
        try (OutputStream out = toStdout ? new NonClosing(System.out)
                : new BufferedOutputStream(new FileOutputStream(file.toFile()), 1 << 16)) {
            report = new Viewer(manifest, holders, options).play(out, s -> {
                if (!quiet) {
                    String line = s.line();
                    String pad = " ".repeat((int) Math.max(0, lastLength[0] - line.length()));
                    status.print("\r" + title + ": " + line + pad);
                    status.flush();
                    lastLength[0] = line.length();
                }
            });
        } catch (StreamException e) {
            if (!quiet) {
                status.println();
            }
            throw new CliFailure("playing " + title + " failed: " + e.getMessage()
                    + (file == null ? "" : " (" + file + " holds the segments before it, all verified)")
                    + "; the view is paid: --view-id " + id + " plays it again without a new charge", e);
        } finally {
            holders.forEach(SessionSegmentHolder::close);
        }
        if (!quiet) {
            status.println();
        }
        if (json) {
            ObjectNode r = ServerConnection.object().put("title", title).put("bytes", report.bytes())
                    .put("seconds", report.seconds()).put("startupMillis", report.startupMillis())
                    .put("stalls", report.stalls()).put("longestStallMillis", report.longestStallMillis())
                    .put("goodputBytesPerSecond", report.goodputBytesPerSecond())
                    .put("goodputAfterStartupBytesPerSecond", report.goodputAfterStartupBytesPerSecond())
                    .put("liveCapBytesPerSecond", report.liveCapBytesPerSecond())
                    .put("fragmentBytes", report.fragmentBytes()).put("usefulBytes", report.usefulBytes())
                    .put("fetches", report.fetches()).put("hedges", report.hedges())
                    .put("cancelled", report.cancelled()).put("corruptFragments", report.corruptFragments());
            ObjectNode dropped = r.putObject("dropped");
            report.dropped().forEach(dropped::put);
            ObjectNode byHost = r.putObject("bytesByHost");
            report.bytesByHost().forEach(byHost::put);
            status.println(ServerConnection.JSON.writeValueAsString(r));
        } else {
            status.print(report.summary().lines().map(l -> name() + ": " + l + "\n").reduce("", String::concat));
        }
        status.flush();
        return 0;
    }

    /** A view bought: the manifest to play and the view ticket the hosts want first. */
    private record Bought(TitleManifest manifest, String ticket) {
    }

    /**
     * Buys the view (or finds it bought, for a repeated id: a fresh ticket, no charge) and says what it cost; the
     * manifest to play and the ticket.
     */
    private Bought buyView(ServerConnection connection, String id) {
        JsonNode view;
        try {
            view = connection.post("/v1/titles/" + ServerConnection.encode(title) + "/views",
                    ServerConnection.object().put("id", id));
        } catch (ServerConnection.Refused e) {
            switch (e.status()) {
            case 404 -> {
                List<String> known = new ArrayList<>();
                try {
                    connection.get("/v1/titles").path("titles").forEach(t -> known.add(t.path("name").asText()));
                } catch (ServerConnection.Refused ignored) {
                    // the refusal says enough
                }
                throw new CliFailure("unknown title '" + title + "': the server has no such title (" + (known.isEmpty()
                        ? "no title is published; `isos stream publish MOVIE --hosts N` makes one"
                        : "titles: " + String.join(", ", known)) + ")", e);
            }
            case 402 -> throw new CliFailure("cannot buy a view of " + title + ": " + e.getMessage()
                    + " (`isos deposit AMOUNT`; nothing was charged or written)", e);
            case 409 -> throw new CliFailure("cannot play " + title + " now: " + e.getMessage(), e);
            default -> throw new CliFailure("buying a view of " + title + " failed: " + e.getMessage(), e);
            }
        }
        String charge = view.path("repeated").asBoolean()
                ? "view " + text(view, "viewId") + " was bought before: not charged again (" + credits(view, "priceMicros")
                        + " credits then)"
                : "charged " + credits(view, "priceMicros") + " credits for view " + text(view, "viewId") + " (to "
                        + text(view, "provider") + ": " + credits(view, "providerMicros") + ", ISOS fee "
                        + credits(view, "feeMicros") + ")";
        progress(title + ": " + charge);
        String ticket = view.path("ticket").asText("");
        if (ticket.isEmpty() || ticket.length() > SegmentMessage.MAX_TICKET_BYTES) {
            throw new CliFailure("the server sold the view of " + title + " without a usable view ticket: the hosts"
                    + " would refuse it (a server older than the hosts' app?)");
        }
        try {
            return new Bought(TitleManifest.fromJson(view.path("manifest").toString()), ticket);
        } catch (IllegalArgumentException e) {
            throw new CliFailure("the server's manifest of " + title + " cannot be played: " + e.getMessage(), e);
        }
    }

    private static X509Certificate ca(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CliFailure("no CA file at " + file + ": copy the server's <data>/ca/root.pem there or pass --ca");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (Exception e) {
            throw new CliFailure("cannot read the ISOS CA certificate " + file + ": " + e.getMessage(), e);
        }
    }

    /** stdout stays open for the CLI's own last words. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws java.io.IOException {
            flush();
        }
    }
}
