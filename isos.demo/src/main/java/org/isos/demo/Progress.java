package org.isos.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/** The demo's running commentary: one line per step as it starts, indented details, a check per outcome. */
final class Progress {

    private final PrintStream out;
    private final Instant start = Instant.now();

    Progress(PrintStream out) {
        this.out = out;
    }

    void step(String title) {
        out.printf("%n[%5.1fs] %s%n", seconds(), title);
    }

    void detail(String text) {
        out.println("          " + text);
    }

    void check(String what) {
        out.println("          ✔ " + what);
    }

    double seconds() {
        return Duration.between(start, Instant.now()).toMillis() / 1000.0;
    }
}
