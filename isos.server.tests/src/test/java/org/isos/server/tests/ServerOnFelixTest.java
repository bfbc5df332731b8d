package org.isos.server.tests;

import static org.isos.server.tests.ServerCalls.call;
import static org.isos.server.tests.ServerCalls.client;
import static org.isos.server.tests.ServerCalls.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.ProcessBuilder.Redirect;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The server distribution ({@code isos.server/target/server}) run as {@code ./isos server} runs it:
 * {@code FrameworkLauncher} in its own JVM, Felix with SCR and Config Admin, the server's components
 * activated by SCR. Driven only from outside: {@code <data>/server.url}, {@code <data>/ca/root.pem}
 * and HTTPS.
 */
class ServerOnFelixTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path temp;
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void componentsStartUnderScrAndTheApiEnrollsAHost() throws Exception {
        Path data = temp.resolve("data");
        // Config Admin, fed from <data>/config/<PID>.cfg; the port comes as a launch default (./isos server --port)
        Files.createDirectories(data.resolve("config"));
        Files.writeString(data.resolve("config").resolve("org.isos.server.http.cfg"), "maxRequestBytes=4096\n");
        int port = freePort();
        Process server = start(data, "isos.server.port=" + port);
        URI url = awaitUrl(server, data, port);
        assertEquals("https", url.getScheme());
        assertEquals("127.0.0.1", url.getHost());
        assertEquals(port, url.getPort());

        // TLS trusting only the root the server wrote: the CA component made it, the API serves it
        String rootPem = Files.readString(data.resolve("ca").resolve("root.pem"));
        HttpClient client = client(rootPem);
        assertEquals(rootPem, call(client, HttpRequest.newBuilder(url.resolve("/v1/ca.pem")).GET(), 200));
        // the configured request limit (4096, not the default 1 MiB) applies once Config Admin delivered it
        String big = "{\"kind\": \"owner\", \"name\": \"" + "x".repeat(5000) + "\"}";
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int status;
        do {
            status = client.send(json(url, "/v1/accounts", null, big).build(), BodyHandlers.ofString()).statusCode();
        } while (status != 413 && System.nanoTime() < until && sleep());
        assertEquals(413, status, "maxRequestBytes from Config Admin");

        // signup = invite by default: an anonymous request is refused, the operator's token (in the data
        // directory) opens accounts
        assertTrue(call(client, json(url, "/v1/accounts", null, "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 403)
                .contains("invitation only"));
        String operator = Files.readString(data.resolve("operator.token")).strip();
        JsonNode owner = JSON.readTree(call(client, json(url, "/v1/accounts", operator,
                "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 201));
        String token = owner.get("token").asText();
        JsonNode me = JSON.readTree(call(client, HttpRequest.newBuilder(url.resolve("/v1/me"))
                .header("Authorization", "Bearer " + token).GET(), 200));
        assertEquals(owner.get("id").asText(), me.get("id").asText());
        assertEquals("owner", me.get("kind").asText());

        // enrollment: host key, CSR with CN = the derived host id, certificate chaining to the root
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair host = generator.generateKeyPair();
        String hostId = "host-" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(host.getPublic().getEncoded()), 0, 16);
        StringWriter csr = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(csr)) {
            writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + hostId), host.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(host.getPrivate())));
        }
        JsonNode enrolled = JSON.readTree(call(client, json(url, "/v1/hosts", token,
                "{\"csr\": " + JSON.writeValueAsString(csr.toString()) + "}"), 201));
        assertEquals(hostId, enrolled.get("hostId").asText());
        assertEquals(rootPem, enrolled.get("caPem").asText());
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        X509Certificate root = (X509Certificate) x509.generateCertificate(
                new ByteArrayInputStream(rootPem.getBytes(StandardCharsets.US_ASCII)));
        X509Certificate leaf = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(
                enrolled.get("certificate").asText().getBytes(StandardCharsets.US_ASCII)));
        leaf.verify(root.getPublicKey());
        assertEquals("CN=" + hostId + ",OU=host,O=ISOS", leaf.getSubjectX500Principal().getName());

        // a buyer may not enroll
        // an owner invites a buyer; the invitation opens one account
        String invitation = JSON.readTree(call(client, json(url, "/v1/invitations", token, "{\"kind\": \"buyer\"}"), 201))
                .get("invitation").asText();
        String bob = "{\"kind\": \"buyer\", \"name\": \"Bob\", \"invitation\": \"" + invitation + "\"}";
        String buyer = JSON.readTree(call(client, json(url, "/v1/accounts", null, bob), 201)).get("token").asText();
        assertTrue(call(client, json(url, "/v1/accounts", null, bob), 403).contains("used already"));
        assertTrue(call(client, json(url, "/v1/hosts", buyer, "{\"csr\": \"x\"}"), 403)
                .contains("only host owners enroll hosts"));

        // a clean stop (SIGTERM → framework stop → SCR deactivates the API) removes server.url
        server.destroy();
        assertTrue(server.waitFor(30, TimeUnit.SECONDS), "stopped");
        assertFalse(Files.exists(data.resolve("server.url")), "server.url removed at deactivation");

        // restarted on the same data directory with a port configured through Config Admin (it wins over
        // the launch default): same root, same accounts
        int configured = freePort();
        Files.writeString(data.resolve("config").resolve("org.isos.server.http.cfg"), "port=" + configured + "\n");
        Process again = start(data, "isos.server.port=" + port);
        URI url2 = awaitUrl(again, data, configured);
        assertEquals(configured, url2.getPort());
        assertEquals(rootPem, Files.readString(data.resolve("ca").resolve("root.pem")));
        assertEquals(owner.get("id").asText(), JSON.readTree(call(client, HttpRequest.newBuilder(url2.resolve("/v1/me"))
                .header("Authorization", "Bearer " + token).GET(), 200)).get("id").asText());
        assertTrue(call(client, json(url2, "/v1/hosts", token, "{\"csr\": " + JSON.writeValueAsString(csr.toString())
                + "}"), 409).contains("enrolled already"));
    }

    // ------------------------------------------------------------------ helpers

    private static int freePort() throws IOException {
        try (ServerSocket free = new ServerSocket(0)) {
            return free.getLocalPort();
        }
    }

    private static boolean sleep() {
        try {
            Thread.sleep(200);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Process start(Path data, String... properties) throws IOException {
        Path dist = Path.of(System.getProperty("isos.server.dist", "../isos.server/target/server")).toAbsolutePath()
                .normalize();
        assertTrue(Files.isDirectory(dist.resolve("bundles")), "the server distribution is at " + dist);
        Files.createDirectories(data);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", dist.resolve("lib") + "/*",
                "org.isos.launcher.FrameworkLauncher", "--bundles", dist.resolve("bundles").toString(), "--data",
                data.toString(), "--property", "isos.server.data=" + data));
        for (String p : properties) {
            command.add("--property");
            command.add(p);
        }
        Path log = data.resolveSibling("server.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(log.toFile())).start();
        processes.add(process);
        return process;
    }

    /** Waits for server.url to name {@code port} (a reconfigured API may first come up with an older configuration). */
    private URI awaitUrl(Process process, Path data, int port) throws Exception {
        Path file = data.resolve("server.url");
        long deadline = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("server exited " + process.exitValue() + "\n" + log(data));
            }
            if (Files.exists(file)) {
                String text = Files.readString(file).strip();
                if (!text.isEmpty() && URI.create(text).getPort() == port) {
                    return URI.create(text);
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no server.url with port " + port + " within " + START + "\n" + log(data));
    }

    private static String log(Path data) throws IOException {
        Path log = data.resolveSibling("server.log");
        return Files.exists(log) ? Files.readString(log) : "(no log)";
    }
}
