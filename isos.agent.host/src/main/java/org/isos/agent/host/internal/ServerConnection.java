package org.isos.agent.host.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

import javax.net.ssl.SSLContext;

import org.isos.agent.host.internal.HeartbeatMessages.MalformedAnswer;

/**
 * This host's calls to the server under {@code /v1/hosts/<hostId>/} and {@code /v1/bundles/}, over one
 * mutual-TLS {@link HttpClient} (the host certificate is the client certificate; see
 * {@link ServerHeartbeat#tls}). Shared by the heartbeat, the lease reconciler and the usage delivery:
 * a client is thread-safe, and one connection pool serves all three.
 */
final class ServerConnection {

    /** Bundles are at most 64 MiB (docs/protocol.md, "Repository"); anything larger is not one. */
    static final long MAX_BUNDLE_BYTES = 64L << 20;

    private final URI base;
    private final String hostId;
    private final HttpClient client;

    /** One answer: status and body. */
    record Reply(int status, byte[] body) {

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** {@code HTTP <status>: <the server's error message>}, for logs and refusals. */
        String problem() {
            String error = null;
            try {
                var e = HeartbeatMessages.tree(text()).path("error");
                error = e.isTextual() ? e.asText() : null;
            } catch (MalformedAnswer notJson) {
                // no message to quote
            }
            return "HTTP " + status + ": " + (error == null ? "no error message" : error);
        }
    }

    ServerConnection(URI base, String hostId, SSLContext tls) {
        this.base = Objects.requireNonNull(base, "base");
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.client = HttpClient.newBuilder().sslContext(Objects.requireNonNull(tls, "tls"))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    String hostId() {
        return hostId;
    }

    URI base() {
        return base;
    }

    /** {@code POST /v1/hosts/<hostId>/<what>} with a JSON body. */
    Reply postHost(String what, String json) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(base.resolve("v1/hosts/" + hostId + "/" + what))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(response.statusCode(), response.body());
    }

    /** {@code GET /v1/bundles/<sha256>}: the jar, or the server's refusal. */
    Reply bundle(String sha256) throws IOException, InterruptedException {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a bundle digest is 64 lower-case hex digits, not " + sha256);
        }
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(base.resolve("v1/bundles/" + sha256))
                .timeout(Duration.ofMinutes(5)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.body().length > MAX_BUNDLE_BYTES) {
            throw new IOException("the server sent " + response.body().length + " bytes for bundle " + sha256
                    + ", more than a bundle may have (" + MAX_BUNDLE_BYTES + ")");
        }
        return new Reply(response.statusCode(), response.body());
    }
}
