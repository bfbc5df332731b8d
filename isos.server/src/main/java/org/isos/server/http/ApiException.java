package org.isos.server.http;

/** A request the API refuses: the status (4xx) and a message that says what was wrong, shown as is. */
final class ApiException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient java.util.Map<String, String> headers;

    ApiException(int status, String message) {
        this(status, message, java.util.Map.of());
    }

    ApiException(int status, String message, java.util.Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = headers;
    }

    int status() {
        return status;
    }

    java.util.Map<String, String> headers() {
        return headers;
    }
}
