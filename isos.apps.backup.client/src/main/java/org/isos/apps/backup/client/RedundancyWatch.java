package org.isos.apps.backup.client;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keeps a backup's redundancy on a schedule: each round audits every fragment of every file
 * ({@link BackupClient#verifyAll()}, fresh Merkle challenges, nothing downloaded) and, when some file's redundancy
 * has fallen below the threshold, repairs. Redundancy is counted per file as its worst segment's healthy fragments
 * beyond k ({@link FileHealth#spare()}); the threshold is {@code minSpare} of them, capped at what the file was
 * stored with (n − k), so by default ({@link #FULL}) any lost or failing fragment is repaired at the next round,
 * while e.g. {@code minSpare = 2} lets a 4-of-12 file lose six fragments before repair costs any traffic.
 *
 * <p>Hosts that are away for a while (sporadically connected, cheaper lease classes) count as missing while away;
 * a threshold below n − k is how such absences are tolerated without regenerating their fragments every time.
 */
public final class RedundancyWatch {

    /** Threshold meaning "every file back to all n fragments". */
    public static final int FULL = -1;

    /** Restores redundancy; is given the round's health (e.g. to lease new holders for the failing ones first). */
    @FunctionalInterface
    public interface Repairer {
        RepairReport repair(List<FileHealth> health) throws IOException;
    }

    /**
     * What one round found and did.
     *
     * @param number         1, 2, ...
     * @param files          every file's health as audited this round (empty when the audit itself failed)
     * @param belowThreshold ids of the files whose redundancy was below the threshold
     * @param repair         the repair's report, null when none was needed or it failed
     * @param problem        why the audit or the repair failed, null when they did not
     */
    public record Round(int number, Instant at, List<FileHealth> files, List<String> belowThreshold,
            RepairReport repair, String problem) {
        public Round {
            files = List.copyOf(files);
            belowThreshold = List.copyOf(belowThreshold);
        }

        public boolean repaired() {
            return repair != null;
        }

        /** Every file audited intact and nothing went wrong. */
        public boolean healthy() {
            return problem == null && files.stream().allMatch(FileHealth::intact);
        }
    }

    private final BackupClient client;
    private final int minSpare;

    /**
     * @param minSpare repair a file whose worst segment has fewer than this many healthy fragments beyond k (capped
     *                 at the file's own n − k); {@link #FULL} for n − k
     * @throws IllegalArgumentException for a negative threshold other than {@link #FULL}
     */
    public RedundancyWatch(BackupClient client, int minSpare) {
        this.client = Objects.requireNonNull(client, "client");
        if (minSpare < 0 && minSpare != FULL) {
            throw new IllegalArgumentException("the redundancy threshold is 0 or more spare fragments, not " + minSpare);
        }
        this.minSpare = minSpare;
    }

    /** Whether this file's redundancy is below the threshold. */
    public boolean needsRepair(FileHealth health) {
        int wanted = minSpare == FULL ? health.designedSpare() : Math.min(minSpare, health.designedSpare());
        return health.spare() < wanted;
    }

    /** One round: audit everything, repair with {@code repairer} when a file is below the threshold. */
    public Round round(int number, Repairer repairer) {
        Objects.requireNonNull(repairer, "repairer");
        Instant at = Instant.now();
        List<FileHealth> files;
        try {
            files = client.verifyAll();
        } catch (IOException | RuntimeException e) {
            return new Round(number, at, List.of(), List.of(), null, "audit failed: " + message(e));
        }
        List<String> below = files.stream().filter(this::needsRepair).map(FileHealth::fileId).toList();
        if (below.isEmpty()) {
            return new Round(number, at, files, below, null, null);
        }
        try {
            return new Round(number, at, files, below, repairer.repair(files), null);
        } catch (IOException | RuntimeException e) {
            return new Round(number, at, files, below, null, "repair failed: " + message(e));
        }
    }

    /**
     * Runs rounds every {@code every} (measured start to start; a round that takes longer is followed at once),
     * {@code rounds} of them or, with 0, until the thread is interrupted. Each round goes to {@code report}.
     */
    public void run(Duration every, int rounds, Repairer repairer, Consumer<Round> report) throws InterruptedException {
        Objects.requireNonNull(every, "period");
        Objects.requireNonNull(report, "report");
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("the period between rounds must be positive, not " + every);
        }
        if (rounds < 0) {
            throw new IllegalArgumentException("rounds must be 0 (no end) or more, not " + rounds);
        }
        for (int i = 1; rounds == 0 || i <= rounds; i++) {
            long start = System.nanoTime();
            report.accept(round(i, repairer));
            if (i == rounds) {
                return;
            }
            long left = every.toNanos() - (System.nanoTime() - start);
            if (left > 0) {
                TimeUnit.NANOSECONDS.sleep(left);
            } else if (Thread.interrupted()) {
                throw new InterruptedException("watch interrupted");
            }
        }
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
