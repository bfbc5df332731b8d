package org.isos.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * HTTPS to the ISOS server as {@code docs/protocol.md} describes it: JSON bodies, a bearer token, and
 * TLS that trusts only the server's CA root (never the JDK's default authorities — the server's
 * certificate is issued by its own CA). A refusal arrives as {@link Refused} carrying the server's
 * {@code error} text, which verbs show as is.
 */
public final class ServerConnection {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    /** The server answered with an error status; {@link #getMessage()} is its JSON {@code error} text. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;

        Refused(int status, String error) {
            super(error);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final URI base;
    private final String token;
    private final HttpClient client;

    /**
     * @param base  the server's URL ({@code https://host:port/})
     * @param token an API token, or null for the calls that need none
     * @param ca    PEM file holding the CA root(s) to trust
     */
    public ServerConnection(URI base, String token, Path ca) {
        if (base == null || !"https".equalsIgnoreCase(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("the server URL must be https://HOST:PORT/, not '" + base + "'");
        }
        this.base = base;
        this.token = token;
        this.client = HttpClient.newBuilder().sslContext(trusting(ca)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    public URI base() {
        return base;
    }

    /** An SSL context whose only trust anchors are the certificates in {@code caPem}. */
    static SSLContext trusting(Path caPem) {
        Collection<? extends Certificate> roots;
        try {
            roots = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(caPem)));
        } catch (IOException e) {
            throw new CliFailure("cannot read the server's CA file " + caPem + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new CliFailure("the CA file " + caPem + " holds no readable certificate: " + e.getMessage(), e);
        }
        if (roots.isEmpty()) {
            throw new CliFailure("the CA file " + caPem + " holds no certificate");
        }
        try {
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            int i = 0;
            for (Certificate root : roots) {
                anchors.setCertificateEntry("isos-root-" + i++, root);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(anchors);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            return tls;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("TLS set-up failed: " + e, e);
        }
    }

    public JsonNode get(String path) {
        return send(request(path).GET());
    }

    public JsonNode post(String path, JsonNode body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)));
    }

    public JsonNode post(String path, byte[] body, String contentType) {
        return send(request(path).header("Content-Type", contentType).POST(BodyPublishers.ofByteArray(body)));
    }

    public JsonNode delete(String path) {
        return send(request(path).DELETE());
    }

    public static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** A path segment or query value, encoded. */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(CALL_TIMEOUT)
                .header("Accept", "application/json");
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    private JsonNode send(HttpRequest.Builder request) {
        HttpRequest built = request.build();
        HttpResponse<String> response;
        try {
            response = client.send(built, BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException e) {
            throw new CliFailure("cannot reach the server at " + base + " (" + reason(e) + ")", e);
        } catch (HttpTimeoutException e) {
            throw new CliFailure("the server at " + base + " did not answer in time (" + reason(e) + ")", e);
        } catch (SSLException e) {
            throw new CliFailure("TLS with " + base + " failed (" + reason(e) + "): is the CA file this server's"
                    + " root (ISOS_HOME/ca.pem or --ca)?", e);
        } catch (IOException e) {
            throw new CliFailure(built.method() + " " + built.uri().getPath() + " failed: " + reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted", e);
        }
        String body = response.body();
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            if (body == null || body.isBlank()) {
                return JSON.createObjectNode();
            }
            try {
                return JSON.readTree(body);
            } catch (JsonProcessingException e) {
                throw new CliFailure("the server's answer to " + built.method() + " " + built.uri().getPath()
                        + " is not JSON: " + e.getOriginalMessage());
            }
        }
        throw new Refused(status, errorText(status, body));
    }

    /** The JSON {@code error} of an error answer, or the status and body start when it has none. */
    static String errorText(int status, String body) {
        try {
            JsonNode error = body == null ? null : JSON.readTree(body).get("error");
            if (error != null && error.isTextual()) {
                return error.asText();
            }
        } catch (JsonProcessingException notJson) {
            // fall through: say what came
        }
        String start = body == null ? "" : body.strip();
        return "HTTP " + status + (start.isEmpty() ? "" : ": " + (start.length() > 200 ? start.substring(0, 200) + "…"
                : start));
    }

    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
