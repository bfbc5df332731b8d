package org.isos.server.http;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.isos.server.leases.LeaseFixtures;
import org.isos.server.leases.UsageReport;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The clients of the API tests that play hosts and buyers over real TLS: their TLS, identities and bodies. */
final class ApiClients {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final char[] PASSWORD = "pw".toCharArray();

    private ApiClients() {
    }

    /** TLS trusting only {@code root}, presenting {@code identity} (null: no client certificate). */
    static SSLContext tls(X509Certificate root, KeyStore identity) throws Exception {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("isos-root", root);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        KeyManagerFactory keys = null;
        if (identity != null) {
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(identity, PASSWORD);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /** An HTTP/1.1 client trusting only {@code root} and presenting {@code keys} with {@code chain}. */
    static HttpClient client(X509Certificate root, KeyPair keys, Certificate... chain) throws Exception {
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("host", keys.getPrivate(), PASSWORD, chain);
        return HttpClient.newBuilder().sslContext(tls(root, identity)).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The certificates of a PEM chain, leaf first. */
    static Certificate[] chain(String pem) throws Exception {
        return CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                .toArray(Certificate[]::new);
    }

    /** {@code {"csr": PEM}} for a request with {@code CN=commonName}. */
    static String csrBody(String commonName, KeyPair keys) throws Exception {
        return JSON.writeValueAsString(Map.of("csr", LeaseFixtures.csr(commonName, keys)));
    }

    /** A usage record as an agent sends it in {@code POST /v1/hosts/{id}/usage}. */
    static String usageJson(UsageReport r) throws Exception {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("leaseId", r.leaseId());
        fields.put("hostId", r.hostId());
        fields.put("sequence", r.sequence());
        fields.put("from", r.from().toString());
        fields.put("to", r.to().toString());
        fields.put("cpuNanos", r.cpuNanos());
        fields.put("storageByteSeconds", r.storageByteSeconds());
        fields.put("bytesIn", r.bytesIn());
        fields.put("bytesOut", r.bytesOut());
        fields.put("last", r.last());
        fields.put("signature", r.signature());
        return JSON.writeValueAsString(fields);
    }
}
