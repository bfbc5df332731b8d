package org.isos.apps.compute.work;

import java.util.function.Consumer;

import org.isos.kernel.api.AppTask;
import org.isos.kernel.api.TaskContext;

/**
 * Runs a work unit as a kernel task ({@code Scheduling.submit(name, task)}): resumes from the state the
 * kernel restores for the task's name, checkpoints through {@link TaskContext#checkpoint}, and hands
 * the result bytes to {@code onResult}. A checkpoint that cannot be resumed is dropped and the unit
 * runs from the start, which gives the same result. A cancellation ({@code TaskCancelledException}
 * from a checkpoint) ends the run; a later task of the same name resumes from the last checkpoint.
 */
public final class WorkUnitTask implements AppTask {

    private final Workload workload;
    private final byte[] unit;
    private final Consumer<byte[]> onResult;

    /** @throws WorkFormatException if the unit is invalid or of an unknown kind */
    public WorkUnitTask(byte[] unit, Consumer<byte[]> onResult) {
        this(Workloads.forUnit(unit), unit, onResult);
    }

    public WorkUnitTask(Workload workload, byte[] unit, Consumer<byte[]> onResult) {
        workload.validateUnit(unit);
        this.workload = workload;
        this.unit = unit.clone();
        this.onResult = onResult;
    }

    @Override
    public void run(TaskContext context) throws Exception {
        byte[] saved = context.restore().orElse(null);
        byte[] result;
        try {
            result = workload.run(unit, saved, context::checkpoint);
        } catch (BadCheckpointException e) {
            result = workload.run(unit, null, context::checkpoint);
        }
        onResult.accept(result);
    }
}
