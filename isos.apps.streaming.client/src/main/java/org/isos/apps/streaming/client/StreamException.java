package org.isos.apps.streaming.client;

import java.io.IOException;

/** A title could not be published or played; the message says why (which segment, which holders). */
public class StreamException extends IOException {

    private static final long serialVersionUID = 1L;

    public StreamException(String message) {
        super(message);
    }

    public StreamException(String message, Throwable cause) {
        super(message, cause);
    }
}
