package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.isos.agent.host.HostDescription.Uptime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UptimeRecordTest {

    @TempDir
    Path tmp;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-10T00:00:00Z"));

    @Test
    void theGapBeforeARestartCountsAsDown() throws Exception {
        Path file = tmp.resolve("uptime");
        UptimeRecord first = new UptimeRecord(file, clock, Duration.ofDays(30));
        assertEquals(1.0, first.statistics().fraction(), "nothing observed yet");
        for (int i = 0; i < 60; i++) {
            clock.advance(Duration.ofMinutes(1));
            first.mark();
        }
        // killed 30 s after the last mark, restarted an hour later: 60 min up, then 60.5 min down
        clock.advance(Duration.ofMinutes(60).plusSeconds(30));
        UptimeRecord second = new UptimeRecord(file, clock, Duration.ofDays(30));
        clock.advance(Duration.ofMinutes(59).plusSeconds(30));
        Uptime u = second.statistics();
        assertEquals(Duration.ofHours(3), u.observed());
        assertEquals(Duration.ofMinutes(119).plusSeconds(30), u.up(), "the current run counts as up until now");
        assertEquals(119.5 / 180, u.fraction(), 1e-9);
    }

    @Test
    void onlyTheHorizonIsKept() throws Exception {
        Path file = tmp.resolve("uptime");
        UptimeRecord r = new UptimeRecord(file, clock, Duration.ofDays(1));
        clock.advance(Duration.ofHours(12));
        r.mark();
        clock.advance(Duration.ofHours(36)); // down a day and a half
        r = new UptimeRecord(file, clock, Duration.ofDays(1));
        clock.advance(Duration.ofHours(6));
        r.mark();
        Uptime u = r.statistics();
        assertEquals(Duration.ofDays(1), u.observed());
        assertEquals(Duration.ofHours(6), u.up());
        assertEquals(2, Files.readAllLines(file).size(), "the old interval fell off the horizon");
    }

    @Test
    void aDamagedFileIsNotFatal() throws Exception {
        Path file = tmp.resolve("uptime");
        long t = clock.instant().getEpochSecond();
        Files.writeString(file, (t - 3600) + " " + (t - 1800) + "\ngarbage\n" + (t - 100) + "\n");
        UptimeRecord r = new UptimeRecord(file, clock, Duration.ofDays(30));
        Uptime u = r.statistics();
        assertEquals(Duration.ofHours(1), u.observed());
        assertEquals(Duration.ofMinutes(30), u.up());
    }
}
