package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

/** Test helpers: runs that keep every checkpoint, and resumes from them. */
final class Runs {
    private Runs() {
    }

    /** Thrown by a checkpointer to stop a run, as the kernel's cancellation does. */
    static final class Stop extends Exception {
        private static final long serialVersionUID = 1L;
    }

    static byte[] run(Workload w, byte[] unit, byte[] checkpoint, List<byte[]> saved) throws Exception {
        return w.run(unit, checkpoint, state -> saved.add(state.clone()));
    }

    /**
     * Runs {@code unit} straight through, then resumes from each of (up to {@code maxResumes} evenly chosen)
     * checkpoints, and from a run stopped after its second checkpoint: every result must equal the straight one.
     * Returns the number of checkpoints.
     */
    static int assertResumable(Workload w, byte[] unit, int maxResumes) throws Exception {
        List<byte[]> saved = new ArrayList<>();
        byte[] straight = run(w, unit, null, saved);
        assertTrue(saved.size() >= 2, "expected at least 2 checkpoints, got " + saved.size());
        int step = Math.max(1, saved.size() / maxResumes);
        for (int i = 0; i < saved.size(); i += step) {
            assertArrayEquals(straight, run(w, unit, saved.get(i), new ArrayList<>()), "resumed from checkpoint " + i);
        }
        // stopped after the second checkpoint, resumed from it, stopped again, resumed again
        byte[][] last = new byte[1][];
        int[] count = {0};
        Checkpointer stopAtSecond = state -> {
            last[0] = state;
            if (++count[0] == 2) {
                throw new Stop();
            }
        };
        try {
            w.run(unit, null, stopAtSecond);
            throw new AssertionError("not stopped");
        } catch (Stop expected) {
            // as a cancelled task
        }
        count[0] = 0;
        byte[] resumedOnce = last[0];
        byte[] result;
        try {
            result = w.run(unit, resumedOnce, stopAtSecond);
        } catch (Stop again) {
            result = w.run(unit, last[0], Checkpointer.NONE);
        }
        assertArrayEquals(straight, result, "stopped and resumed");
        return saved.size();
    }
}
