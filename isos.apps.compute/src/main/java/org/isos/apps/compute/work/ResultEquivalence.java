package org.isos.apps.compute.work;

import java.util.Arrays;

/**
 * The buyer's equivalence test for replicated results, which the server's quorum uses. For these
 * deterministic workloads two results are equivalent exactly when both are well-formed results that
 * fit the unit and their canonical bytes are equal; a malformed result is equivalent to nothing.
 */
@FunctionalInterface
public interface ResultEquivalence {

    /** Exact equality of canonical result bytes, after validation against the unit. */
    ResultEquivalence EXACT = (unit, a, b) -> {
        Workload w = Workloads.forUnit(unit);
        if (!valid(w, unit, a) || !valid(w, unit, b)) {
            return false;
        }
        return Arrays.equals(a, b);
    };

    /** Whether results {@code a} and {@code b} of {@code unit} agree. */
    boolean equivalent(byte[] unit, byte[] a, byte[] b);

    /** The test for a kind of workload: {@link #EXACT} for all of this app's. */
    static ResultEquivalence forKind(String kind) {
        Workloads.forKind(kind);
        return EXACT;
    }

    private static boolean valid(Workload w, byte[] unit, byte[] result) {
        try {
            w.validateResult(unit, result);
            return true;
        } catch (WorkFormatException e) {
            return false;
        }
    }
}
