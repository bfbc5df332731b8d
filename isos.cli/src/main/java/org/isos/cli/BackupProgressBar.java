package org.isos.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.isos.apps.backup.client.Progress;

/**
 * Progress of a put or get on stderr: a bar redrawn in place when stderr is a terminal, otherwise a line at every
 * tenth of the way (and at most every 2 s), so that logs stay readable. Called from transfer threads.
 */
final class BackupProgressBar implements Progress {

    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final boolean terminal;
    private final long started = System.nanoTime();
    private long lastLine;
    private int lastTenth = -1;
    private boolean drawn;

    BackupProgressBar(PrintWriter err, String label, boolean terminal) {
        this.err = err;
        this.label = label;
        this.terminal = terminal;
    }

    /** Whether this process's stderr is a terminal (Linux: fd 2 links to a tty; else: whether there is a console). */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    @Override
    public synchronized void advanced(long done, long total) {
        long now = System.nanoTime();
        double seconds = Math.max(1e-3, (now - started) / 1e9);
        String rate = size((long) (done / seconds)) + "/s";
        if (terminal) {
            if (now - lastLine < 100_000_000L && done != total) {
                return; // ten redraws a second are enough
            }
            lastLine = now;
            StringBuilder bar = new StringBuilder("\r").append(label).append(" [");
            int filled = total > 0 ? (int) Math.min(WIDTH, done * WIDTH / total) : 0;
            bar.append("#".repeat(filled)).append("-".repeat(WIDTH - filled)).append("] ");
            bar.append(total > 0 ? String.format(Locale.ROOT, "%3d%% ", done * 100 / Math.max(1, total)) : "");
            bar.append(size(done)).append(total >= 0 ? " of " + size(total) : "").append(", ").append(rate).append("  ");
            err.print(bar);
            err.flush();
            drawn = true;
            return;
        }
        int tenth = total > 0 ? (int) (done * 10 / total) : -1;
        if ((tenth != lastTenth && now - lastLine >= 2_000_000_000L) || (done == total && lastTenth != 10)) {
            lastTenth = done == total ? 10 : tenth;
            lastLine = now;
            err.println(label + ": " + (total > 0 ? done * 100 / total + "%, " : "") + size(done)
                    + (total >= 0 ? " of " + size(total) : "") + ", " + rate);
            err.flush();
        }
    }

    /** Ends the bar's line (a terminal's cursor is still on it). */
    synchronized void finish() {
        if (drawn) {
            err.println();
            err.flush();
            drawn = false;
        }
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = { "KiB", "MiB", "GiB", "TiB" };
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
