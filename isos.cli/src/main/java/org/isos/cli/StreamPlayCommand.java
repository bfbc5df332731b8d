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

import org.isos.apps.streaming.client.PlaybackReport;
import org.isos.apps.streaming.client.PlaybackStatus;
import org.isos.apps.streaming.client.SessionSegmentHolder;
import org.isos.apps.streaming.client.StreamException;
import org.isos.apps.streaming.client.TitleManifest;
import org.isos.apps.streaming.client.Viewer;

import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code isos stream play TITLE [-o FILE | -]}: plays a title from its holders with the deadline-aware viewer, in
 * order, into FILE or stdout (for a player: {@code isos stream play T - | ffplay -}); one status line on stderr
 * (progress, buffer, rate, hosts in use, stalls), then a summary.
 */
@Command(name = "play", mixinStandardHelpOptions = true,
        description = { "Plays a title from many hosts at once into FILE or stdout (-), every fragment checked"
                + " against the manifest's SHA-256; a status line on stderr. Exit 1 when a segment cannot be had"
                + " (FILE then holds the segments before it, all verified)." })
final class StreamPlayCommand extends Verb {

    @Parameters(index = "0", paramLabel = "TITLE", description = "a published title (isos stream titles)")
    String title;

    @Parameters(index = "1", arity = "0..1", paramLabel = "-", description = "- writes to stdout (the default)")
    String dash;

    @Option(names = { "-o", "--output" }, paramLabel = "FILE", description = "write the movie here (- for stdout)")
    String output;

    @Option(names = "--home", paramLabel = "DIR", description = "titles and the CA (default: $ISOS_HOME, else ~/.isos)")
    Path home;

    @Option(names = "--ca", paramLabel = "FILE", description = "the ISOS CA root, PEM (default: HOME/ca.pem)")
    Path ca;

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
        Path dir = home != null ? home.toAbsolutePath() : Isos.of(spec).env("ISOS_HOME") != null
                ? Path.of(Isos.of(spec).env("ISOS_HOME")).toAbsolutePath()
                : Path.of(System.getProperty("user.home"), ".isos");
        TitleManifest manifest = StreamCommand.manifest(dir, title);
        X509Certificate caCert = ca(ca != null ? ca.toAbsolutePath() : dir.resolve("ca.pem"));
        boolean toStdout = output == null || output.equals("-");
        List<SessionSegmentHolder> holders = new ArrayList<>();
        for (TitleManifest.Holder h : manifest.holders()) {
            holders.add(SessionSegmentHolder.of(h, manifest.provider(), List.of(caCert), Duration.ofSeconds(10)));
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
                    + (file == null ? "" : " (" + file + " holds the segments before it, all verified)"), e);
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
                    .put("liveCapBytesPerSecond", report.liveCapBytesPerSecond())
                    .put("fragmentBytes", report.fragmentBytes()).put("usefulBytes", report.usefulBytes())
                    .put("fetches", report.fetches()).put("hedges", report.hedges())
                    .put("cancelled", report.cancelled()).put("corruptFragments", report.corruptFragments());
            ObjectNode dropped = r.putObject("dropped");
            report.dropped().forEach(dropped::put);
            status.println(ServerConnection.JSON.writeValueAsString(r));
        } else {
            status.print(report.summary().lines().map(l -> name() + ": " + l + "\n").reduce("", String::concat));
        }
        status.flush();
        return 0;
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
