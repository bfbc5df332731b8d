package org.isos.agent.host.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.isos.agent.host.HostDescription;
import org.isos.agent.host.HostSurvey;
import org.isos.agent.host.OwnerActivity;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.Availability;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Heartbeats to the ISOS server once this host is enrolled: {@code POST <url>/v1/hosts/<hostId>/heartbeat}
 * every {@value #HEARTBEAT_SECONDS} seconds (default {@value #DEFAULT_SECONDS}; the server's
 * {@code nextHeartbeatSeconds} wins once it answered), over TLS that presents {@code agent/identity.p12}
 * as the client key and trusts only {@code agent/ca.pem}. The body carries the {@link HostSurvey}'s
 * description and the kernel's availability and hosted apps. Failures are retried the next period and
 * logged once per change of state; the state ({@code ONLINE}, {@code UNREACHABLE (reason)},
 * {@code REFUSED (reason)}) and the server's time of the last accepted heartbeat go to the status file.
 */
@Component(immediate = true, service = {})
public class ServerHeartbeat {

    static final String HEARTBEAT_SECONDS = "isos.heartbeat.seconds";
    static final int DEFAULT_SECONDS = 30;
    private static final Logger LOG = System.getLogger(ServerHeartbeat.class.getName());
    private static final Pattern NEXT_SECONDS = Pattern.compile("\"nextHeartbeatSeconds\"\\s*:\\s*(\\d{1,9})");
    private static final Pattern REVOKED = Pattern.compile("\"revokedSerials\"\\s*:\\s*\\[([^\\]]*)\\]");

    /** For the status file: null (no server), ONLINE, UNREACHABLE (reason), REFUSED (reason). */
    private static volatile String state;
    /** The server's time of the last accepted heartbeat, or null. */
    private static volatile String lastHeartbeat;

    private final HostSurvey survey;
    private final Path agentDir;
    private final Thread thread;
    private volatile boolean stopped;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Availability availability;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile AppHosting hosting;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile OwnerActivity ownerActivity;

    @Activate
    public ServerHeartbeat(BundleContext context, @Reference(name = "survey") HostSurvey survey) throws IOException {
        this.survey = survey;
        String url = context.getProperty(ServerEnrollment.SERVER_URL);
        if (url == null || url.isBlank()) {
            agentDir = null;
            thread = null;
            return;
        }
        int seconds = seconds(context.getProperty(HEARTBEAT_SECONDS));
        char[] password = ServerEnrollment.identityPassword(context);
        agentDir = AgentData.directory(context);
        URI base = URI.create(url.strip().endsWith("/") ? url.strip() : url.strip() + "/");
        thread = new Thread(() -> run(base, seconds, password), "isos-server-heartbeat");
        thread.setDaemon(true);
        thread.start();
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** The server state for the status file, or null when there is no server. */
    static String state() {
        return state;
    }

    /** The server's time of the last accepted heartbeat, or null. */
    static String lastHeartbeat() {
        return lastHeartbeat;
    }

    /** {@value #HEARTBEAT_SECONDS}: 1 to 86400, else the default (logged). */
    static int seconds(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_SECONDS;
        }
        try {
            int seconds = Integer.parseInt(value.strip());
            if (seconds >= 1 && seconds <= 86_400) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // below
        }
        LOG.log(Level.WARNING, HEARTBEAT_SECONDS + "=" + value + " is not 1 to 86400 seconds; using " + DEFAULT_SECONDS);
        return DEFAULT_SECONDS;
    }

    private void run(URI base, int configuredSeconds, char[] password) {
        Path identity = agentDir.resolve("identity.p12");
        Path ca = agentDir.resolve("ca.pem");
        HttpClient client = null;
        String hostId = null;
        String logged = null;
        int period = configuredSeconds;
        try {
            while (!stopped) {
                if (!"ENROLLED".equals(ServerEnrollment.state()) || !Files.exists(identity) || !Files.exists(ca)) {
                    Thread.sleep(500); // not enrolled (yet): nothing to say to the server
                    continue;
                }
                String outcome;
                try {
                    if (client == null) {
                        hostId = HostEnrollment.hostIdOf(identity, password);
                        client = HttpClient.newBuilder().sslContext(tls(identity, password, ca))
                                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
                    }
                    URI endpoint = base.resolve("v1/hosts/" + hostId + "/heartbeat");
                    HttpResponse<String> response = client.send(HttpRequest.newBuilder(endpoint)
                            .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body()))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200) {
                        lastHeartbeat = HostEnrollment.stringMember(response.body(), "serverTime");
                        period = nextSeconds(response.body(), configuredSeconds);
                        outcome = "ONLINE";
                        List<String> revoked = revokedSerials(response.body());
                        if (!revoked.isEmpty()) {
                            LOG.log(Level.DEBUG, "the server lists revoked certificates: {0}", revoked);
                        }
                    } else {
                        String error;
                        try {
                            error = HostEnrollment.stringMember(response.body(), "error");
                        } catch (RuntimeException notJson) {
                            error = null;
                        }
                        outcome = "REFUSED (HTTP " + response.statusCode() + ": "
                                + (error == null ? "no error message" : error) + ")";
                        client = null; // the identity may have been replaced: read it again next time
                    }
                } catch (IOException | GeneralSecurityException | RuntimeException e) {
                    outcome = "UNREACHABLE (" + oneLine(e) + ")";
                    client = null;
                }
                state = outcome;
                if (!outcome.equals(logged)) {
                    if (outcome.equals("ONLINE")) {
                        LOG.log(Level.INFO, "heartbeats reach {0} as {1} (every {2} s)", base, hostId, period);
                    } else {
                        LOG.log(Level.WARNING, "heartbeat to {0} failed: {1}; retrying every {2} s", base, outcome, period);
                    }
                    logged = outcome;
                }
                Thread.sleep(period * 1000L);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The heartbeat's JSON body: the host's description and status now. */
    String body() {
        Availability a = availability;
        AppHosting h = hosting;
        OwnerActivity owner = ownerActivity;
        boolean suspended = a == null || a.suspended();
        String reason = a == null ? "kernel not running" : suspended && owner != null ? owner.reason() : null;
        int apps = h == null ? 0 : h.hosted().size();
        return body(survey.describe(), suspended, reason, apps);
    }

    static String body(HostDescription d, boolean suspended, String reason, int apps) {
        return "{\"description\": " + describe(d) + ", \"status\": {\"suspended\": " + suspended + ", \"reason\": "
                + (reason == null ? "null" : HostEnrollment.quote(reason)) + ", \"apps\": " + apps + "}}";
    }

    /** A {@link HostDescription} as a JSON object. */
    static String describe(HostDescription d) {
        StringBuilder network = new StringBuilder("[");
        for (HostDescription.NetworkLink link : d.network()) {
            if (network.length() > 1) {
                network.append(", ");
            }
            List<String> addresses = new ArrayList<>();
            link.addresses().forEach(address -> addresses.add(HostEnrollment.quote(address)));
            network.append("{\"name\": ").append(HostEnrollment.quote(link.name())).append(", \"addresses\": [")
                    .append(String.join(", ", addresses)).append("], \"speedBitsPerSecond\": ")
                    .append(link.speedBitsPerSecond()).append('}');
        }
        network.append(']');
        return "{\"operatingSystem\": " + HostEnrollment.quote(String.valueOf(d.operatingSystem()))
                + ", \"cpuModel\": " + HostEnrollment.quote(String.valueOf(d.cpuModel()))
                + ", \"physicalCores\": " + d.physicalCores() + ", \"logicalCores\": " + d.logicalCores()
                + ", \"maxFrequencyHz\": " + d.maxFrequencyHz() + ", \"memoryBytes\": " + d.memoryBytes()
                + ", \"diskTotalBytes\": " + d.diskTotalBytes() + ", \"diskFreeBytes\": " + d.diskFreeBytes()
                + ", \"uptime\": " + d.uptime().fraction()
                + ", \"uptimeSince\": " + HostEnrollment.quote(String.valueOf(d.uptime().since()))
                + ", \"network\": " + network
                + ", \"surveyedAt\": " + HostEnrollment.quote(String.valueOf(d.surveyedAt())) + "}";
    }

    /** The server's {@code nextHeartbeatSeconds} (1 to 86400), else {@code fallback}. */
    static int nextSeconds(String answer, int fallback) {
        Matcher m = NEXT_SECONDS.matcher(answer);
        if (m.find()) {
            int seconds = Integer.parseInt(m.group(1));
            if (seconds >= 1 && seconds <= 86_400) {
                return seconds;
            }
        }
        return fallback;
    }

    /** The serials in the server's {@code revokedSerials}. */
    static List<String> revokedSerials(String answer) {
        List<String> serials = new ArrayList<>();
        Matcher m = REVOKED.matcher(answer);
        if (m.find()) {
            Matcher serial = Pattern.compile("\"([0-9a-fA-F]{1,40})\"").matcher(m.group(1));
            while (serial.find()) {
                serials.add(serial.group(1));
            }
        }
        return serials;
    }

    /** TLS presenting the host's key and chain, trusting only the CA file. */
    static SSLContext tls(Path identity, char[] password, Path caFile) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(identity)) {
            keys.load(in, password);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, password);
        List<X509Certificate> anchors = HostEnrollment.certificates(Files.readString(caFile, StandardCharsets.US_ASCII));
        if (anchors.isEmpty()) {
            throw new GeneralSecurityException(caFile + " holds no CA certificate");
        }
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        int i = 0;
        for (X509Certificate anchor : anchors) {
            trusted.setCertificateEntry("isos-ca-" + i++, anchor);
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
        return tls;
    }

    private static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName()
                : root.getClass().getSimpleName() + ": " + root.getMessage();
        message = message.replaceAll("[\\r\\n]+", " ");
        return message.length() > 200 ? message.substring(0, 200) + "…" : message;
    }
}
