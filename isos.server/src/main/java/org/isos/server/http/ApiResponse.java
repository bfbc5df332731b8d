package org.isos.server.http;

import java.util.Map;

/**
 * An answer, before Netty encodes it.
 *
 * @param close whether the connection is closed once it is written
 */
record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers, boolean close) {

    static final String JSON = "application/json; charset=utf-8";

    ApiResponse {
        headers = Map.copyOf(headers);
    }

    static ApiResponse noContent() {
        return new ApiResponse(204, null, new byte[0], Map.of(), false);
    }

    ApiResponse closing(boolean close) {
        return close == this.close ? this : new ApiResponse(status, contentType, body, headers, close);
    }
}
