package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.isos.kernel.api.Usage;
import org.isos.kernel.host.UsageOutbox;
import org.isos.kernel.wire.UsageRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Usage delivery over real mutual TLS: a JDK HTTPS server with a certificate of the test CA, the agent's
 * client presenting test host "host-1" ({@code cnf/test-pki}).
 */
class UsageDeliveryTest {

    static final Path PKI = Path.of(System.getProperty("isos.test.pki", "../cnf/test-pki"));
    static final char[] PASSWORD = "isos-test".toCharArray();

    HttpsServer server;
    ServerConnection connection;
    /** Each batch the server received, as JSON. */
    final List<JsonNode> batches = Collections.synchronizedList(new ArrayList<>());
    /** Clients' certificate names seen by the server. */
    final Set<String> clients = ConcurrentHashMap.newKeySet();
    final byte[] jar = "a signed jar".getBytes(StandardCharsets.UTF_8);
    volatile int status = 200;
    final FakeOutbox outbox = new FakeOutbox();
    final UsageDelivery delivery = new UsageDelivery();

    @BeforeEach
    void start() throws Exception {
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        SSLContext tls = serverTls();
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = tls.getDefaultSSLParameters();
                p.setNeedClientAuth(true);
                params.setSSLParameters(p);
            }
        });
        server.createContext("/v1/hosts/host-1/usage", exchange -> {
            clients.add(((X509Certificate) ((HttpsExchange) exchange).getSSLSession().getPeerCertificates()[0])
                    .getSubjectX500Principal().getName());
            JsonNode body = HeartbeatMessages.JSON.readTree(exchange.getRequestBody());
            batches.add(body);
            ObjectNode answer = HeartbeatMessages.JSON.createObjectNode();
            ArrayNode accepted = answer.putArray("accepted");
            ArrayNode refused = answer.putArray("refused");
            for (JsonNode r : body.get("records")) {
                String lease = r.get("leaseId").asText();
                if (lease.equals("refuse-me")) {
                    refused.addObject().put("leaseId", lease).put("sequence", r.get("sequence").asLong())
                            .put("reason", "this host holds no lease refuse-me");
                } else if (!lease.equals("ignore-me")) {
                    accepted.addObject().put("leaseId", lease).put("sequence", r.get("sequence").asLong());
                }
            }
            byte[] out = (status == 200 ? HeartbeatMessages.write(answer) : "{\"error\": \"store down\", \"status\": 503}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, out.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
            }
        });
        server.createContext("/v1/bundles/", exchange -> {
            byte[] out = exchange.getRequestURI().getPath().endsWith("/" + "ab".repeat(32)) ? jar
                    : "{\"error\": \"no such bundle\", \"status\": 404}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(out == jar ? 200 : 404, out.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
            }
        });
        server.start();
        connection = new ServerConnection(URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/"),
                "host-1", ServerHeartbeat.tls(PKI.resolve("host-1.p12"), PASSWORD, PKI.resolve("ca.pem")));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static UsageRecord record(String lease, long sequence) {
        Instant from = Instant.parse("2026-11-28T12:00:00Z").plusSeconds(60 * sequence);
        return new UsageRecord(lease, "host-1", sequence, from, from.plusSeconds(60),
                new Usage(1_500_000 * sequence, 1.25e9, 10, 20), false, "c2lnbmF0dXJl");
    }

    @Test
    void callsGoToTheNextServerWhenOneCannotBeReachedOrAnswers5xxAndStayWithTheOneThatAnswered() throws Exception {
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort(); // closed again: nothing listens there
        }
        String live = "https://127.0.0.1:" + server.getAddress().getPort();
        ServerConnection two = new ServerConnection(ServerConnection.bases("https://127.0.0.1:" + dead + ", " + live),
                "host-1", ServerHeartbeat.tls(PKI.resolve("host-1.p12"), PASSWORD, PKI.resolve("ca.pem")));
        assertEquals(200, two.bundle("ab".repeat(32)).status(), "the second server answered");
        assertEquals(URI.create(live + "/"), two.base(), "and is asked first from now on");
        status = 503;
        ServerConnection troubled = new ServerConnection(List.of(URI.create(live + "/"),
                URI.create("https://127.0.0.1:" + dead + "/")), "host-1",
                ServerHeartbeat.tls(PKI.resolve("host-1.p12"), PASSWORD, PKI.resolve("ca.pem")));
        assertThrows(java.io.IOException.class, () -> troubled.postHost("usage", "{\"records\": []}"),
                "a 5xx sends the call on; the last server cannot be reached either");
        assertEquals(1, batches.size(), "the first server was asked once");
        assertThrows(IllegalArgumentException.class, () -> ServerConnection.bases("http://127.0.0.1:1/, https://x:2/"));
        assertThrows(IllegalArgumentException.class, () -> ServerConnection.bases(" , "));
    }

    @Test
    void recordsGoInBatchesOfAThousandAndEveryAnsweredOneIsForgotten() throws Exception {
        for (long s = 1; s <= 2499; s++) {
            outbox.records.add(record("l1", s));
        }
        outbox.records.add(record("refuse-me", 1));
        UsageDelivery.Round round = delivery.deliver(outbox, json -> connection.postHost("usage", json));
        assertEquals(List.of(1000, 1000, 500), batches.stream().map(b -> b.get("records").size()).toList());
        assertEquals(new UsageDelivery.Round(2500, 2499, 1, 0), round);
        assertEquals(2500, outbox.delivered.size(), "accepted and refused alike");
        assertTrue(outbox.delivered.contains("refuse-me#1"));
        assertEquals(Set.of("CN=host-1,OU=host,O=ISOS"), clients, "the host certificate is the client certificate");
        assertEquals(2499, delivery.accepted());
        assertEquals(1, delivery.refused());
        assertEquals(0, delivery.pending());

        JsonNode first = batches.get(0).get("records").get(0);
        UsageRecord r = record("l1", 1);
        assertEquals("l1", first.get("leaseId").asText());
        assertEquals("host-1", first.get("hostId").asText());
        assertEquals(1, first.get("sequence").asLong());
        assertEquals(r.from().toString(), first.get("from").asText());
        assertEquals(r.to().toString(), first.get("to").asText());
        assertEquals(1_500_000, first.get("cpuNanos").asLong());
        assertEquals(1.25e9, first.get("storageByteSeconds").asDouble());
        assertEquals(10, first.get("bytesIn").asLong());
        assertEquals(20, first.get("bytesOut").asLong());
        assertEquals(false, first.get("last").asBoolean());
        assertEquals("c2lnbmF0dXJl", first.get("signature").asText());
    }

    @Test
    void recordsTheServerDidNotAnswerForStay() throws Exception {
        outbox.records.add(record("l1", 1));
        outbox.records.add(record("ignore-me", 1));
        UsageDelivery.Round round = delivery.deliver(outbox, json -> connection.postHost("usage", json));
        assertEquals(new UsageDelivery.Round(2, 1, 0, 1), round);
        assertEquals(List.of("l1#1"), outbox.delivered);
        assertEquals(1, delivery.pending());
    }

    @Test
    void aFailingOrUnreachableServerKeepsEveryRecord() throws Exception {
        outbox.records.add(record("l1", 1));
        status = 503;
        IOException refused = assertThrows(IOException.class,
                () -> delivery.deliver(outbox, json -> connection.postHost("usage", json)));
        assertTrue(refused.getMessage().contains("HTTP 503: store down"), refused.getMessage());
        server.stop(0);
        assertThrows(IOException.class, () -> delivery.deliver(outbox, json -> connection.postHost("usage", json)));
        assertTrue(outbox.delivered.isEmpty());
        assertEquals(1, delivery.pending());
        assertEquals(0, delivery.accepted());
    }

    @Test
    void nothingPendingSendsNothing() throws Exception {
        assertEquals(new UsageDelivery.Round(0, 0, 0, 0),
                delivery.deliver(outbox, json -> connection.postHost("usage", json)));
        assertTrue(batches.isEmpty());
    }

    @Test
    void aBundleComesOverTheSameConnection() throws Exception {
        ServerConnection.Reply reply = connection.bundle("ab".repeat(32));
        assertEquals(200, reply.status());
        assertArrayEquals(jar, reply.body());
        ServerConnection.Reply missing = connection.bundle("cd".repeat(32));
        assertEquals("HTTP 404: no such bundle", missing.problem());
        assertThrows(IllegalArgumentException.class, () -> connection.bundle("../../v1/accounts"));
    }

    /** The test CA's certificate for 127.0.0.1, so the client's host name check passes as with a real server. */
    static SSLContext serverTls() throws Exception {
        KeyStore ca = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(PKI.resolve("ca.p12"))) {
            ca.load(in, PASSWORD);
        }
        PrivateKey caKey = (PrivateKey) ca.getKey("ca", PASSWORD);
        X509Certificate caCert = (X509Certificate) ca.getCertificate("ca");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = generator.generateKeyPair();
        long now = System.currentTimeMillis();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(caCert, BigInteger.valueOf(now),
                new Date(now - 60_000), new Date(now + 3_600_000), new X500Name("CN=127.0.0.1"), key.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        X509Certificate leaf = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", key.getPrivate(), PASSWORD, new Certificate[] { leaf, caCert });
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", caCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return tls;
    }

    /** The kernel's outbox as far as delivery sees it. */
    static final class FakeOutbox implements UsageOutbox {
        final List<UsageRecord> records = new ArrayList<>();
        final List<String> delivered = new ArrayList<>();

        @Override
        public List<UsageRecord> flush() {
            return pending();
        }

        @Override
        public List<UsageRecord> pending() {
            return List.copyOf(records);
        }

        @Override
        public synchronized void delivered(String leaseId, long sequence) {
            delivered.add(leaseId + "#" + sequence);
            records.removeIf(r -> r.leaseId().equals(leaseId) && r.sequence() == sequence);
        }
    }
}
