package org.isos.apps.compute.work;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.isos.kernel.api.TaskCancelledException;
import org.isos.kernel.api.TaskContext;
import org.junit.jupiter.api.Test;

class WorkUnitTaskTest {

    /** A kernel stand-in: keeps the last checkpoint, cancels at the {@code cancelAt}-th one. */
    static final class FakeContext implements TaskContext {
        byte[] saved;
        int checkpoints;
        int cancelAt;

        @Override
        public String name() {
            return "unit-1";
        }

        @Override
        public Optional<byte[]> restore() {
            return Optional.ofNullable(saved);
        }

        @Override
        public void checkpoint(byte[] state) throws TaskCancelledException {
            saved = state.clone();
            if (++checkpoints == cancelAt) {
                throw new TaskCancelledException("lease ending");
            }
        }

        @Override
        public void yieldPoint() {
        }
    }

    @Test
    void cancelledThenResumedGivesTheUninterruptedResult() throws Exception {
        byte[] unit = new MersenneUnit(300, 500).encode();
        byte[] expected = new Mersenne().run(unit);
        byte[][] result = new byte[1][];
        Mersenne often = new Mersenne(100);
        FakeContext ctx = new FakeContext();
        ctx.cancelAt = 5;
        assertThrows(TaskCancelledException.class, () -> new WorkUnitTask(often, unit, r -> result[0] = r).run(ctx));
        assertNull(result[0]);
        ctx.cancelAt = -1;
        new WorkUnitTask(often, unit, r -> result[0] = r).run(ctx);
        assertArrayEquals(expected, result[0]);
        assertTrue(ctx.checkpoints > 10);
    }

    @Test
    void aStaleCheckpointIsDroppedAndTheUnitRunsFromTheStart() throws Exception {
        byte[] unit = new MersenneUnit(2, 300).encode();
        FakeContext ctx = new FakeContext();
        ctx.saved = "not a checkpoint".getBytes();
        byte[][] result = new byte[1][];
        new WorkUnitTask(unit, r -> result[0] = r).run(ctx);
        assertArrayEquals(new Mersenne().run(unit), result[0]);
    }

    @Test
    void anInvalidUnitIsRefusedUpFront() {
        assertThrows(WorkFormatException.class, () -> new WorkUnitTask(new byte[] {1, 2, 3}, r -> {
        }));
    }
}
