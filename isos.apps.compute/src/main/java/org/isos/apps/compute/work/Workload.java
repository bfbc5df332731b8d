package org.isos.apps.compute.work;

/**
 * One kind of deterministic work. A work unit and its result are byte strings in this package's
 * canonical encoding ({@code ISWU}/{@code ISWR} envelopes naming the kind): the same unit gives the
 * same result bytes on every host, whether run at once or resumed from any of its checkpoints.
 * Implementations are stateless and thread-safe.
 */
public interface Workload {

    /** The kind named in units, results and checkpoints: {@code mersenne}, {@code genes}, {@code signal}. */
    String kind();

    /** Decodes and checks a unit. @throws WorkFormatException saying what is wrong and where */
    void validateUnit(byte[] unit);

    /**
     * Checks that {@code result} is a canonical result of this kind whose shape fits {@code unit}
     * (the exponents, queries or chunks the unit asked for; counts within its limits). It does not
     * redo the work: equal results from independent hosts, and spot checks, do that.
     *
     * @throws WorkFormatException saying what is wrong
     */
    void validateResult(byte[] unit, byte[] result);

    /**
     * Runs a unit to its result.
     *
     * @param checkpoint   state from an earlier run's checkpoint of this same unit, or {@code null} to start
     * @param checkpointer receives state at step boundaries; what it throws ends the run
     * @throws WorkFormatException     the unit is invalid
     * @throws BadCheckpointException  the checkpoint cannot be resumed (run again without it)
     * @throws Exception               whatever {@code checkpointer} threw
     */
    byte[] run(byte[] unit, byte[] checkpoint, Checkpointer checkpointer) throws Exception;

    /** Runs a unit from the start without keeping checkpoints. */
    default byte[] run(byte[] unit) {
        try {
            return run(unit, null, Checkpointer.NONE);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("checkpointer NONE threw", e);
        }
    }
}
