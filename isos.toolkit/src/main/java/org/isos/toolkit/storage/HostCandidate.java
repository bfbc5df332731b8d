package org.isos.toolkit.storage;

import java.util.Objects;

/**
 * A host that could hold fragments: its id, its owner (hosts of one owner fail, cheat and leave together, so
 * fragments are spread over owners), its measured availability in [0, 1], its free storage in bytes and, where known,
 * its price per stored byte-day in any unit (lower is better; {@code NaN} when unknown).
 */
public record HostCandidate(String id, String owner, double availability, long freeBytes, double price) {

    public HostCandidate {
        Objects.requireNonNull(id, "host id");
        Objects.requireNonNull(owner, "owner of host " + id);
        if (id.isEmpty()) {
            throw new IllegalArgumentException("empty host id");
        }
        if (!(availability >= 0 && availability <= 1)) {
            throw new IllegalArgumentException("host " + id + ": availability " + availability + " is not in [0, 1]");
        }
        if (freeBytes < 0) {
            throw new IllegalArgumentException("host " + id + ": negative free storage " + freeBytes);
        }
        if (price < 0) {
            throw new IllegalArgumentException("host " + id + ": negative price " + price);
        }
    }

    /** A host without a known price. */
    public HostCandidate(String id, String owner, double availability, long freeBytes) {
        this(id, owner, availability, freeBytes, Double.NaN);
    }

    public boolean hasPrice() {
        return !Double.isNaN(price);
    }
}
