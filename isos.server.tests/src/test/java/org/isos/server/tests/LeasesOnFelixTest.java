package org.isos.server.tests;

import static org.isos.server.tests.ServerCalls.call;
import static org.isos.server.tests.ServerCalls.client;
import static org.isos.server.tests.ServerCalls.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.ProcessBuilder.Redirect;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The server distribution on Felix with its real components (the JDBC bank, the repository with the admission
 * rules, leases): a buyer deposits, gets a code-signing certificate, uploads a signed bundle and leases a host;
 * the host's next heartbeat (mutual TLS) delivers the lease and the host fetches the jar.
 */
class LeasesOnFelixTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;
    private Process server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDepositAnUploadAndALeaseReachTheHostsHeartbeat() throws Exception {
        Path data = temp.resolve("data");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        server = start(data, port);
        URI url = awaitUrl(data, port);
        String rootPem = Files.readString(data.resolve("ca").resolve("root.pem"));
        HttpClient client = client(rootPem);

        JsonNode buyer = JSON.readTree(call(client, json(url, "/v1/accounts", null,
                "{\"kind\": \"buyer\", \"name\": \"Acme\"}"), 201));
        String buyerToken = buyer.get("token").asText();
        String buyerId = buyer.get("id").asText();
        String owner = JSON.readTree(call(client, json(url, "/v1/accounts", null,
                "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 201)).get("token").asText();

        JsonNode deposit = JSON.readTree(call(client, json(url, "/v1/deposits", buyerToken,
                "{\"amountMicros\": 10000000, \"id\": \"first\"}"), 201));
        assertEquals(10_000_000, deposit.get("amountMicros").asLong());

        // the buyer's code-signing certificate signs the bundle; the repository admits it
        KeyPair signing = ecKeys();
        JsonNode certificate = JSON.readTree(call(client, json(url, "/v1/certificates", buyerToken,
                "{\"csr\": " + JSON.writeValueAsString(csr(buyerId, signing)) + "}"), 201));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Bundle-ManifestVersion", "2");
        headers.put("Bundle-SymbolicName", "org.acme.hello");
        headers.put("Bundle-Version", "1.0.0");
        byte[] jar = TestJars.sign(TestJars.jar(headers, Map.of("readme.txt", "hello".getBytes(StandardCharsets.UTF_8))),
                signing.getPrivate(), certificates(certificate.get("chain").asText()));
        JsonNode uploaded = JSON.readTree(call(client, HttpRequest.newBuilder(url.resolve("/v1/bundles"))
                .header("Authorization", "Bearer " + buyerToken).header("Content-Type", "application/java-archive")
                .POST(BodyPublishers.ofByteArray(jar)), 201));
        String sha256 = uploaded.get("sha256").asText();

        // a host enrolls and reports its policy
        KeyPair hostKeys = ecKeys();
        String hostId = "host-" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(hostKeys.getPublic().getEncoded()), 0, 16);
        JsonNode enrolled = JSON.readTree(call(client, json(url, "/v1/hosts", owner,
                "{\"csr\": " + JSON.writeValueAsString(csr(hostId, hostKeys)) + "}"), 201));
        HttpClient host = hostClient(rootPem, hostKeys, enrolled.get("chain").asText());
        String heartbeat = "{\"description\": {}, \"status\": {\"suspended\": false, \"apps\": 0, "
                + "\"transport\": \"127.0.0.1:40123\", \"policy\": {\"maxCpuShare\": 1, \"storageQuotaBytes\": 1000000, "
                + "\"bandwidthCapBytesPerSecond\": 1000000, \"acceptedCategories\": [\"compute\"], "
                + "\"minimumPricePerHourMicros\": 0}}}";
        JsonNode first = JSON.readTree(call(host, json(url, "/v1/hosts/" + hostId + "/heartbeat", null, heartbeat), 200));
        assertEquals(0, first.get("leases").size());

        JsonNode lease = JSON.readTree(call(client, json(url, "/v1/leases", buyerToken, "{\"bundle\": \"" + sha256
                + "\", \"hosts\": 1, \"seconds\": 600, \"cpuShare\": 0.25, \"memoryBytes\": 0, \"storageBytes\": 0, "
                + "\"bandwidthBytesPerSecond\": 0, \"category\": \"compute\"}"), 201)).get("leases").get(0);
        assertEquals(hostId, lease.get("hostId").asText());
        assertEquals("127.0.0.1:40123", lease.get("transportAddress").asText());
        JsonNode balance = JSON.readTree(call(client, HttpRequest.newBuilder(url.resolve("/v1/balance"))
                .header("Authorization", "Bearer " + buyerToken).GET(), 200));
        long held = balance.get("heldMicros").asLong();
        assertTrue(held > 0, "the escrow is held: " + balance);
        assertEquals(10_000_000, held + balance.get("availableMicros").asLong());

        JsonNode delivered = JSON.readTree(call(host, json(url, "/v1/hosts/" + hostId + "/heartbeat", null, heartbeat), 200));
        assertEquals(lease.get("id").asText(), delivered.get("leases").get(0).get("id").asText());
        assertEquals(sha256, delivered.get("leases").get(0).get("bundleSha256").asText());
        HttpResponse<byte[]> fetched = host.send(HttpRequest.newBuilder(url.resolve("/v1/bundles/" + sha256)).GET()
                .timeout(Duration.ofSeconds(30)).build(), BodyHandlers.ofByteArray());
        assertEquals(200, fetched.statusCode());
        assertArrayEquals(jar, fetched.body());

        JsonNode totals = JSON.readTree(call(client, HttpRequest.newBuilder(url.resolve("/v1/ledger/totals"))
                .header("Authorization", "Bearer " + buyerToken).GET(), 200));
        assertTrue(totals.get("balanced").asBoolean(), totals.toString());
    }

    // ------------------------------------------------------------------ helpers

    private static KeyPair ecKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static String csr(String commonName, KeyPair keys) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + commonName), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        }
        return out.toString();
    }

    private static List<Certificate> certificates(String pem) throws Exception {
        return new ArrayList<>(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
    }

    private static HttpClient hostClient(String rootPem, KeyPair keys, String chainPem) throws Exception {
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("host", keys.getPrivate(), "pw".toCharArray(), certificates(chainPem).toArray(Certificate[]::new));
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(identity, "pw".toCharArray());
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("isos-root", certificates(rootPem).get(0));
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(anchors);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private static Process start(Path data, int port) throws IOException {
        Path dist = Path.of(System.getProperty("isos.server.dist", "../isos.server/target/server")).toAbsolutePath()
                .normalize();
        assertTrue(Files.isDirectory(dist.resolve("bundles")), "the server distribution is at " + dist);
        Files.createDirectories(data.resolve("config"));
        // this test opens its accounts anonymously (a real server's default is signup = invite)
        Files.writeString(data.resolve("config").resolve("org.isos.server.signup.cfg"), "signup=open\n");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", dist.resolve("lib") + "/*",
                "org.isos.launcher.FrameworkLauncher", "--bundles", dist.resolve("bundles").toString(), "--data",
                data.toString(), "--property", "isos.server.data=" + data, "--property", "isos.server.port=" + port);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(data.resolveSibling("server.log").toFile())).start();
    }

    private URI awaitUrl(Path data, int port) throws Exception {
        Path file = data.resolve("server.url");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new AssertionError("server exited " + server.exitValue() + "\n" + serverLog(data));
            }
            if (Files.exists(file)) {
                String text = Files.readString(file).strip();
                if (!text.isEmpty() && URI.create(text).getPort() == port) {
                    return URI.create(text);
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no server.url naming port " + port + " within 60 s\n" + serverLog(data));
    }

    private static String serverLog(Path data) throws IOException {
        Path log = data.resolveSibling("server.log");
        return Files.exists(log) ? Files.readString(log) : "(no log)";
    }
}
