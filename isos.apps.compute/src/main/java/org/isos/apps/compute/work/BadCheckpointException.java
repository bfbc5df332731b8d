package org.isos.apps.compute.work;

/**
 * A checkpoint that cannot be resumed: malformed, of another workload, or saved for another work unit.
 * The unit itself may be fine: running it from the start is always correct.
 */
public class BadCheckpointException extends WorkFormatException {
    private static final long serialVersionUID = 1L;

    public BadCheckpointException(String message) {
        super(message);
    }
}
