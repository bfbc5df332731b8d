package org.isos.cli;

/**
 * A verb could not do what was asked (the server refused, a file could not be read, a lease failed):
 * {@code isos} prints {@code isos <verb>: <message>} on stderr and exits 1. Usage errors are picocli's
 * {@code ParameterException} instead (exit 2).
 */
public final class CliFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CliFailure(String message) {
        super(message);
    }

    public CliFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
