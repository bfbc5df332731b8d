package org.isos.server.tests;

import static org.isos.server.tests.ServerCalls.call;
import static org.isos.server.tests.ServerCalls.client;
import static org.isos.server.tests.ServerCalls.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.lang.ProcessBuilder.Redirect;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
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
 * A real host agent ({@code isos.agent.host/target/agent}) enrolls itself with a real server
 * ({@code isos.server/target/server}), both in JVMs of their own, given only the server's URL, an
 * owner's token and the server's CA file: the agent's kernel then runs as the host the server issued.
 */
class AgentEnrollmentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(90);

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
    void anAgentEnrollsItselfAndItsKernelRunsAsTheIssuedHost() throws Exception {
        Path serverData = temp.resolve("server");
        // heartbeats every second (the server's nextHeartbeatSeconds wins over the agent's setting)
        Files.createDirectories(serverData.resolve("config"));
        Files.writeString(serverData.resolve("config").resolve("org.isos.server.http.cfg"), "heartbeatSeconds=1\n");
        Files.writeString(serverData.resolve("config").resolve("org.isos.server.signup.cfg"), "signup=open\n");
        Process server = launch(dist("isos.server.dist", "../isos.server/target/server"), serverData,
                temp.resolve("server.log"), "isos.server.data=" + serverData);
        URI url = awaitServerUrl(server, serverData);
        Path rootPem = serverData.resolve("ca").resolve("root.pem");
        HttpClient client = client(Files.readString(rootPem));
        String token = JSON.readTree(call(client, json(url, "/v1/accounts", null,
                "{\"kind\": \"owner\", \"name\": \"Mary\"}"), 201)).get("token").asText();

        Path agentData = temp.resolve("agent");
        Path agentLog = temp.resolve("agent.log");
        Path agentDist = dist("isos.agent.dist", "../isos.agent.host/target/agent");
        String[] agentProperties = { "isos.server.url=" + url, "isos.owner.token=" + token,
                "isos.server.ca=" + rootPem, "isos.agent.policy.activityThreshold=1.0", "isos.heartbeat.seconds=1" };
        Process agent = launch(agentDist, agentData, agentLog, agentProperties);

        // the identity the agent stored: key + chain issued by the server's CA, host id = CN
        Path identity = agentData.resolve("agent").resolve("identity.p12");
        await(agent, agentLog, "identity.p12", () -> Files.exists(identity));
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(identity)) {
            keyStore.load(in, "isos-host".toCharArray());
        }
        String alias = keyStore.aliases().nextElement();
        X509Certificate leaf = (X509Certificate) keyStore.getCertificateChain(alias)[0];
        X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(rootPem)));
        leaf.verify(root.getPublicKey());
        String hostId = leaf.getSubjectX500Principal().getName().replaceFirst("^CN=([^,]+),.*$", "$1");
        assertTrue(hostId.matches("host-[0-9a-f]{32}"), hostId);
        assertEquals("CN=" + hostId + ",OU=host,O=ISOS", leaf.getSubjectX500Principal().getName());
        assertEquals(Files.readString(rootPem), Files.readString(agentData.resolve("agent").resolve("ca.pem")));

        // the kernel restarted as that host: the status file says so
        Path status = agentData.resolve("agent").resolve("status.properties");
        await(agent, agentLog, "status hostId=" + hostId,
                () -> hostId.equals(read(status).getProperty("hostId")) && "true".equals(read(status).getProperty("running"))
                        && "ENROLLED".equals(read(status).getProperty("enrollment")));

        // heartbeats over mutual TLS: the agent says ONLINE, the server lists the host ONLINE with its description
        long beforeBeats = System.nanoTime();
        await(agent, agentLog, "status server=ONLINE",
                () -> "ONLINE".equals(read(status).getProperty("server")) && read(status).getProperty("lastHeartbeat") != null);
        JsonNode listed = host(client, url, token, hostId);
        assertEquals("ONLINE", listed.get("status").asText(), listed.toString());
        Instant firstBeat = Instant.parse(listed.get("lastHeartbeat").asText());
        assertTrue(listed.get("description").get("logicalCores").asInt() > 0, listed.toString());
        assertTrue(listed.get("description").has("diskFreeBytes"), listed.toString());
        await(agent, agentLog, "a later heartbeat", () -> Instant.parse(host(client, url, token, hostId)
                .get("lastHeartbeat").asText()).isAfter(firstBeat));
        System.out.println("AgentEnrollmentTest: ONLINE and a second heartbeat "
                + Duration.ofNanos(System.nanoTime() - beforeBeats).toMillis() + " ms after enrollment showed");
        assertTrue(Files.readString(agentLog).contains("heartbeats reach"), "logged once when ONLINE");

        // the server recorded the host: the same key cannot enroll again
        PrivateKey key = (PrivateKey) keyStore.getKey(alias, "isos-host".toCharArray());
        StringWriter csr = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(csr)) {
            writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + hostId), leaf.getPublicKey())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
        }
        assertTrue(call(client, json(url, "/v1/hosts", token, "{\"csr\": " + JSON.writeValueAsString(csr.toString()) + "}"),
                409).contains("enrolled already"));

        // restarted, the agent keeps its identity and does not enroll again
        String firstPid = read(status).getProperty("agent.pid");
        agent.destroy();
        assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "agent stopped");
        byte[] stored = Files.readAllBytes(identity);
        Process again = launch(agentDist, agentData, agentLog, agentProperties);
        await(again, agentLog, "restarted status hostId=" + hostId,
                () -> !firstPid.equals(read(status).getProperty("agent.pid")) && "true".equals(read(status).getProperty("running"))
                        && hostId.equals(read(status).getProperty("hostId")));
        assertEquals(java.util.Arrays.toString(stored), java.util.Arrays.toString(Files.readAllBytes(identity)));
        assertEquals("ENROLLED", read(agentData.resolve("agent").resolve("enrollment.properties")).getProperty("enrollment"));
        assertNotEquals(firstPid, read(status).getProperty("agent.pid"));
        Instant beforeRestart = Instant.parse(host(client, url, token, hostId).get("lastHeartbeat").asText());
        await(again, agentLog, "heartbeats after the restart", () -> "ONLINE".equals(read(status).getProperty("server"))
                && Instant.parse(host(client, url, token, hostId).get("lastHeartbeat").asText()).isAfter(beforeRestart));

        // a token the server does not know: refused, said in the enrollment state, not retried; no identity
        Path refusedData = temp.resolve("refused");
        Path refusedLog = temp.resolve("refused.log");
        Process refused = launch(agentDist, refusedData, refusedLog, "isos.server.url=" + url,
                "isos.owner.token=isos_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "isos.server.ca=" + rootPem);
        Path refusal = refusedData.resolve("agent").resolve("enrollment.properties");
        await(refused, refusedLog, "enrollment=REFUSED", () -> "REFUSED".equals(read(refusal).getProperty("enrollment")));
        assertTrue(read(refusal).getProperty("message").startsWith("HTTP 401"), read(refusal).toString());
        assertTrue(Files.readString(refusedLog).contains("not retrying"), "the refusal is in the log");
        assertTrue(!Files.exists(refusedData.resolve("agent").resolve("identity.p12")));
    }

    // ------------------------------------------------------------------ helpers

    private static Path dist(String property, String fallback) {
        Path dist = Path.of(System.getProperty(property, fallback)).toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(dist.resolve("bundles")), "a distribution is at " + dist);
        return dist;
    }

    private Process launch(Path dist, Path data, Path log, String... properties) throws IOException {
        Files.createDirectories(data);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", dist.resolve("lib") + "/*",
                "org.isos.launcher.FrameworkLauncher", "--bundles", dist.resolve("bundles").toString(), "--data",
                data.toString()));
        for (String p : properties) {
            command.add("--property");
            command.add(p);
        }
        Process process = new ProcessBuilder(command).directory(data.toFile()).redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(log.toFile())).start();
        processes.add(process);
        return process;
    }

    private URI awaitServerUrl(Process server, Path data) throws Exception {
        Path file = data.resolve("server.url");
        await(server, temp.resolve("server.log"), "server.url", () -> Files.exists(file) && !Files.readString(file).isBlank());
        return URI.create(Files.readString(file).strip());
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void await(Process process, Path log, String what, Check check) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("process exited " + process.exitValue() + " waiting for " + what + "\n" + tail(log));
            }
            try {
                if (check.holds()) {
                    return;
                }
            } catch (IOException notYet) {
                // a file being replaced
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no " + what + " within " + WAIT + "\n" + tail(log));
    }

    private static Properties read(Path file) throws IOException {
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
            }
        }
        return p;
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    /** The owner's host {@code hostId} as {@code GET /v1/hosts} lists it. */
    private static JsonNode host(HttpClient client, URI base, String token, String hostId) throws Exception {
        JsonNode hosts = JSON.readTree(call(client, HttpRequest.newBuilder(base.resolve("/v1/hosts"))
                .header("Authorization", "Bearer " + token).GET(), 200)).get("hosts");
        for (JsonNode host : hosts) {
            if (host.get("hostId").asText().equals(hostId)) {
                return host;
            }
        }
        throw new AssertionError(hostId + " not listed: " + hosts);
    }
}
