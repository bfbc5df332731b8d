package org.isos.agent.host.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import javax.net.ssl.SSLContext;

import org.isos.agent.host.internal.HeartbeatMessages.MalformedAnswer;

/**
 * This host's calls to the server under {@code /v1/hosts/<hostId>/} and {@code /v1/bundles/}, over one
 * mutual-TLS {@link HttpClient} (the host certificate is the client certificate; see
 * {@link ServerHeartbeat#tls}). Shared by the heartbeat, the lease reconciler and the usage delivery:
 * a client is thread-safe, and one connection pool serves all three.
 *
 * <p>
 * Several server instances over one store may be named ({@code isos.server.url} as a comma-separated list):
 * a call that cannot connect, or that gets a 5xx, is sent to the next one, and the instance that answered is
 * tried first from then on. Sending a call again is safe: heartbeats and lease reports restate the host's
 * state, and usage records are paid once by their ids.
 */
final class ServerConnection {

    /** Bundles are at most 64 MiB (docs/protocol.md, "Repository"); anything larger is not one. */
    static final long MAX_BUNDLE_BYTES = 64L << 20;

    private final List<URI> bases;
    /** The instance that answered last: tried first. */
    private volatile int current;
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
        this(List.of(base), hostId, tls);
    }

    ServerConnection(List<URI> bases, String hostId, SSLContext tls) {
        this.bases = List.copyOf(bases);
        if (this.bases.isEmpty()) {
            throw new IllegalArgumentException("no server URL");
        }
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.client = HttpClient.newBuilder().sslContext(Objects.requireNonNull(tls, "tls"))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    String hostId() {
        return hostId;
    }

    /** The server instance calls go to first now. */
    URI base() {
        return bases.get(current);
    }

    /**
     * The server URLs of {@code isos.server.url}: one, or several separated by commas, each with a trailing
     * slash (so paths resolve below it).
     *
     * @throws IllegalArgumentException when one is not an https URL with a host
     */
    static List<URI> bases(String urls) {
        List<URI> bases = new ArrayList<>();
        for (String url : String.valueOf(urls).split(",")) {
            String u = url.strip();
            if (u.isEmpty()) {
                continue;
            }
            URI uri = URI.create(u.endsWith("/") ? u : u + "/");
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("a server URL must be https://HOST:PORT/, not " + u);
            }
            bases.add(uri);
        }
        if (bases.isEmpty()) {
            throw new IllegalArgumentException("no server URL in '" + urls + "'");
        }
        return bases;
    }

    /** Sends to the instance that answered last, then to the others while they cannot connect or answer 5xx. */
    private HttpResponse<byte[]> send(Function<URI, HttpRequest> request) throws IOException, InterruptedException {
        IOException failure = null;
        int first = current;
        for (int i = 0; i < bases.size(); i++) {
            int index = (first + i) % bases.size();
            try {
                HttpResponse<byte[]> response = client.send(request.apply(bases.get(index)),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() >= 500 && i < bases.size() - 1) {
                    continue; // this instance is in trouble; another one over the same store may answer
                }
                current = index;
                return response;
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        throw failure;
    }

    /** {@code POST /v1/hosts/<hostId>/<what>} with a JSON body. */
    Reply postHost(String what, String json) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = send(base -> HttpRequest.newBuilder(base.resolve("v1/hosts/" + hostId + "/" + what))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)).build());
        return new Reply(response.statusCode(), response.body());
    }

    /** {@code GET /v1/bundles/<sha256>}: the jar, or the server's refusal. */
    Reply bundle(String sha256) throws IOException, InterruptedException {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a bundle digest is 64 lower-case hex digits, not " + sha256);
        }
        HttpResponse<byte[]> response = send(base -> HttpRequest.newBuilder(base.resolve("v1/bundles/" + sha256))
                .timeout(Duration.ofMinutes(5)).GET().build());
        if (response.body().length > MAX_BUNDLE_BYTES) {
            throw new IOException("the server sent " + response.body().length + " bytes for bundle " + sha256
                    + ", more than a bundle may have (" + MAX_BUNDLE_BYTES + ")");
        }
        return new Reply(response.statusCode(), response.body());
    }
}
