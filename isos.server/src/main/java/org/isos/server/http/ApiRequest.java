package org.isos.server.http;

import java.util.List;
import java.util.Map;

/**
 * An HTTP request as the API sees it, decoded from Netty's message on the event loop and free of its
 * buffers, so a worker thread can handle it after the message is released.
 *
 * @param path the raw path, without the query
 * @param contentType the Content-Type header, or null
 * @param authorization the Authorization header, or null
 * @param failure when the HTTP decoder could not read the request: the answer to give, else null
 * @param clientCertificate the TLS client certificate (chained to the CA root by the TLS layer), or null
 * @param query the query's parameters, decoded (empty when there is none)
 */
record ApiRequest(String method, String path, String contentType, String authorization, byte[] body,
        boolean keepAlive, ApiException failure, java.security.cert.X509Certificate clientCertificate,
        Map<String, List<String>> query) {

    ApiRequest {
        query = query == null ? Map.of() : Map.copyOf(query);
    }

    /** A request without a query. */
    ApiRequest(String method, String path, String contentType, String authorization, byte[] body, boolean keepAlive,
            ApiException failure, java.security.cert.X509Certificate clientCertificate) {
        this(method, path, contentType, authorization, body, keepAlive, failure, clientCertificate, Map.of());
    }

    /** A request over a connection without a client certificate. */
    ApiRequest(String method, String path, String contentType, String authorization, byte[] body, boolean keepAlive,
            ApiException failure) {
        this(method, path, contentType, authorization, body, keepAlive, failure, null);
    }
}
