package org.isos.agent.host.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.isos.agent.host.HostDescription.Uptime;

/**
 * When the agent was up, kept in a small file as up-intervals ({@code startEpochSecond endEpochSecond}
 * per line). The running agent marks every minute that it is still up, stretching its interval; a
 * new start opens a new interval, so the time between the last mark and the restart counts as down.
 * Only the last {@code horizon} is kept: availability is about the recent past. The first line,
 * {@code since epochSecond}, remembers when observation began, so trimmed history still counts as
 * observed time.
 */
final class UptimeRecord {

    private static final Logger LOG = System.getLogger(UptimeRecord.class.getName());

    private final Path file;
    private final Clock clock;
    private final Duration horizon;
    private final List<long[]> intervals = new ArrayList<>();
    private long since = Long.MAX_VALUE;

    /** Loads the record and opens a new up-interval now. */
    UptimeRecord(Path file, Clock clock, Duration horizon) throws IOException {
        this.file = file;
        this.clock = clock;
        this.horizon = horizon;
        load();
        long now = clock.instant().getEpochSecond();
        long lastEnd = intervals.isEmpty() ? Long.MIN_VALUE : intervals.get(intervals.size() - 1)[1];
        // a clock that stepped back must not make intervals overlap and count twice
        long start = Math.max(now, lastEnd);
        intervals.add(new long[] { start, start });
        since = Math.min(since, intervals.get(0)[0]);
        save();
    }

    /** The agent is still up: stretch the current interval to now and persist it. */
    synchronized void mark() throws IOException {
        long[] current = intervals.get(intervals.size() - 1);
        current[1] = Math.max(current[1], clock.instant().getEpochSecond());
        save();
    }

    /** Up time over the kept horizon, counting the current interval as up until now. */
    synchronized Uptime statistics() {
        long now = clock.instant().getEpochSecond();
        long from = Math.max(since, now - horizon.toSeconds());
        long up = 0;
        for (int i = 0; i < intervals.size(); i++) {
            long[] iv = intervals.get(i);
            long end = i == intervals.size() - 1 ? Math.max(iv[1], now) : iv[1];
            long start = Math.max(iv[0], from);
            if (end > start) {
                up += end - start;
            }
        }
        long observed = Math.max(0, now - from);
        return new Uptime(Instant.ofEpochSecond(from), Duration.ofSeconds(observed),
                Duration.ofSeconds(Math.min(up, observed)));
    }

    private void load() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return;
        }
        for (String line : lines) {
            String[] parts = line.trim().split("\\s+");
            try {
                if (parts[0].equals("since")) {
                    since = Long.parseLong(parts[1]);
                    continue;
                }
                long start = Long.parseLong(parts[0]);
                long end = Long.parseLong(parts[1]);
                long lastEnd = intervals.isEmpty() ? Long.MIN_VALUE : intervals.get(intervals.size() - 1)[1];
                if (end >= start && start >= lastEnd) {
                    intervals.add(new long[] { start, end });
                    continue;
                }
            } catch (RuntimeException e) {
                // fall through: a torn or edited line is skipped, not fatal
            }
            if (!line.isBlank()) {
                LOG.log(Level.WARNING, "ignoring bad line in {0}: {1}", file, line);
            }
        }
    }

    private void save() throws IOException {
        long cutoff = clock.instant().getEpochSecond() - horizon.toSeconds();
        intervals.removeIf(iv -> iv[1] < cutoff);
        since = Math.max(since, cutoff);
        StringBuilder sb = new StringBuilder("since ").append(since).append('\n');
        for (long[] iv : intervals) {
            sb.append(iv[0]).append(' ').append(iv[1]).append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, sb, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
