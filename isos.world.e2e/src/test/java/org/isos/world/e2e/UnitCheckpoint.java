package org.isos.world.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

import org.isos.apps.compute.work.Mersenne;

/**
 * A Mersenne unit's checkpoint as the compute app keeps it in its lease's store on one agent
 * ({@code kernel/stores/LEASE/.checkpoint/unit-*}), read from outside while the unit runs.
 */
final class UnitCheckpoint {

    private final Path agent;
    private final byte[] unit;
    private boolean seen;

    UnitCheckpoint(Path agent, byte[] unit) {
        this.agent = agent;
        this.unit = unit;
    }

    /** The squarings done at the checkpoint: 0 before there is one, -1 once it is gone again (the unit finished). */
    long squarings() {
        Optional<Path> file = file();
        if (file.isEmpty()) {
            return seen ? -1 : 0;
        }
        seen = true;
        for (int attempt = 0;; attempt++) {
            try {
                return Mersenne.squaringsDone(unit, Files.readAllBytes(file.get()));
            } catch (NoSuchFileException finished) {
                return -1;
            } catch (Exception e) {
                if (attempt == 5) {
                    throw new AssertionError("cannot read the checkpoint " + file.get() + ": " + e, e);
                }
                try {
                    Thread.sleep(10); // replaced while read: read the new one
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(interrupted);
                }
            }
        }
    }

    private Optional<Path> file() {
        Path stores = agent.resolve("kernel/stores");
        if (!Files.isDirectory(stores)) {
            return Optional.empty();
        }
        try (Stream<Path> leases = Files.list(stores)) {
            for (Path lease : leases.toList()) {
                try (Stream<Path> files = Files.list(lease)) {
                    Optional<Path> found = files.filter(f -> f.getFileName().toString().startsWith(".checkpoint%2Funit-"))
                            .findFirst();
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
        } catch (IOException changing) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
