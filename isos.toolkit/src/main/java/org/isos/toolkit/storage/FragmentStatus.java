package org.isos.toolkit.storage;

import java.util.Objects;

/** Fragment {@code index} of a segment, its holder ({@code null} when it has none) and the holder's state. */
public record FragmentStatus(int index, HostCandidate holder, HolderState state) {
    public FragmentStatus {
        Objects.requireNonNull(state, "state of fragment " + index);
        if (index < 0 || index > 255) {
            throw new IllegalArgumentException("fragment index " + index + " outside 0..255");
        }
        if (holder == null && state.alive()) {
            throw new IllegalArgumentException("fragment " + index + " is " + state + " but has no holder");
        }
    }
}
