package org.isos.apps.compute.work;

/** Input that is not a valid work unit, result, checkpoint or FASTA text; the message says what and where. */
public class WorkFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public WorkFormatException(String message) {
        super(message);
    }
}
