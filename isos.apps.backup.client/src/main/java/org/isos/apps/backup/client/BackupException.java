package org.isos.apps.backup.client;

import java.io.IOException;

/** A backup operation that could not be done; the message says why (and what to do, where there is something). */
public class BackupException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The message of every failure to open the manifest with the secret given. */
    public static final String WRONG_SECRET = "wrong secret or corrupted manifest";

    public BackupException(String message) {
        super(message);
    }

    public BackupException(String message, Throwable cause) {
        super(message, cause);
    }
}
