package org.isos.server.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** HTTPS calls to a server under test, trusting only the CA root it wrote. */
final class ServerCalls {

    private ServerCalls() {
    }

    static HttpClient client(String rootPem) throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("isos-root", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(rootPem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    static HttpRequest.Builder json(URI base, String path, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body));
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    /** Sends {@code request}, asserts the status, returns the body. */
    static String call(HttpClient client, HttpRequest.Builder request, int status) throws Exception {
        HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(30)).build(),
                BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), response.body());
        return response.body();
    }
}
