package org.isos.cli;

import java.io.PrintWriter;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The progress of a job on stderr: a bar redrawn in place on a terminal, else a line whenever the counts change
 * (so logs stay short).
 */
final class JobProgress {

    static final int WIDTH = 30;

    private final PrintWriter err;
    private final String name;
    private final boolean terminal;
    private String last = "";
    private boolean drawn;

    JobProgress(PrintWriter err, String name, boolean terminal) {
        this.err = err;
        this.name = name;
        this.terminal = terminal;
    }

    static boolean stderrIsTerminal() {
        return System.console() != null && System.getenv("TERM") != null && !"dumb".equals(System.getenv("TERM"));
    }

    /** e.g. {@code 12/26 validated, 3 in progress, 11 ready, 0 errors; spot checks 2/3 passed}. */
    static String summary(JsonNode job) {
        return job.path("validated").asInt() + "/" + job.path("units").asInt() + " validated, "
                + job.path("inProgress").asInt() + " in progress, " + job.path("ready").asInt() + " ready, "
                + job.path("errors").asInt() + " errors; spot checks " + job.path("spotChecksPassed").asInt() + "/"
                + job.path("spotChecks").asInt() + " passed" + (job.path("spotChecksFailed").asInt() > 0
                        ? ", " + job.path("spotChecksFailed").asInt() + " failed" : "");
    }

    static String bar(JsonNode job) {
        int units = Math.max(1, job.path("units").asInt());
        int done = job.path("validated").asInt() + job.path("errors").asInt();
        int filled = (int) ((long) WIDTH * done / units);
        return "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + (100L * done / units) + "%";
    }

    void show(JsonNode job, int hosts) {
        String line = bar(job) + " " + summary(job) + " · " + hosts + " host" + (hosts == 1 ? "" : "s");
        if (line.equals(last)) {
            return;
        }
        last = line;
        if (terminal) {
            err.print("\r" + name + ": " + line + "\033[K");
            drawn = true;
        } else {
            err.println(name + ": " + line);
        }
        err.flush();
    }

    void finish() {
        if (drawn) {
            err.println();
            err.flush();
            drawn = false;
        }
    }
}
