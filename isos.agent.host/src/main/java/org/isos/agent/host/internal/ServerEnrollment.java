package org.isos.agent.host.internal;

import java.io.IOException;
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
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Enrolls this host with the ISOS server, once, and points the kernel at the identity it got.
 *
 * <p>
 * Active when the framework properties {@value #SERVER_URL} (an https URL) and {@value #OWNER_TOKEN}
 * (the owner's API token) are set. {@value #SERVER_CA} must name the server's root CA certificate
 * (PEM), obtained out of band: it is the only certificate trusted for the server's TLS, and without
 * it the agent refuses to enroll (fetching the CA over a connection that trusts nothing proves
 * nothing).
 *
 * <p>
 * Without {@code <data>/agent/identity.p12}: a new EC P-256 key, host id {@code host-} + 32 hex of
 * SHA-256 of the public key, a PKCS#10 request with {@code CN=<hostId>} POSTed to {@code /v1/hosts}
 * with the owner token, the returned chain checked and stored with the key (password
 * {@value #IDENTITY_PASSWORD}, default {@value #DEFAULT_PASSWORD}), the CA written to
 * {@code <data>/agent/ca.pem}. Then (and when the identity exists already) the kernel's
 * configuration gets {@code identityKeyStore}, {@code identityPassword} and {@code trustAnchors}, so
 * the kernel restarts as the enrolled host. All of it runs on a thread of its own; an unreachable
 * server (or a 5xx) is retried with back-off, a refusal (4xx) is logged with the server's message
 * and not retried. The state is in {@code <data>/agent/enrollment.properties} and as
 * {@code enrollment} in the status file.
 */
@Component(immediate = true, service = {})
public class ServerEnrollment {

    static final String SERVER_URL = "isos.server.url";
    static final String OWNER_TOKEN = "isos.owner.token";
    static final String SERVER_CA = "isos.server.ca";
    static final String IDENTITY_PASSWORD = "isos.identity.password";
    static final String DEFAULT_PASSWORD = "isos-host";
    private static final Logger LOG = System.getLogger(ServerEnrollment.class.getName());
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

    /** The latest state, for the status file: null (not configured), ENROLLING, RETRYING, ENROLLED, REFUSED. */
    private static volatile String state;

    /** What one enrollment attempt ended with. */
    enum Outcome {
        ENROLLED, RETRY, REFUSED
    }

    private final Path agentDir;
    private final ConfigurationAdmin configurationAdmin;
    private final Thread thread;
    private final boolean explicitIdentity;
    private volatile boolean stopped;

    @Activate
    public ServerEnrollment(BundleContext context, @Reference(name = "configurationAdmin") ConfigurationAdmin configurationAdmin)
            throws IOException {
        this.configurationAdmin = configurationAdmin;
        String url = trimmed(context.getProperty(SERVER_URL));
        String token = trimmed(context.getProperty(OWNER_TOKEN));
        String ca = trimmed(context.getProperty(SERVER_CA));
        this.explicitIdentity = context.getProperty(KernelPlacement.KERNEL_PREFIX + "identityKeyStore") != null;
        if (url == null) {
            agentDir = null;
            thread = null;
            LOG.log(Level.DEBUG, "no " + SERVER_URL + ": the agent does not enroll with a server");
            return;
        }
        agentDir = AgentData.directory(context);
        thread = new Thread(() -> run(url, token, ca, identityPassword(context)), "isos-server-enrollment");
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

    /** The password of the agent's identity key store, as enrollment writes it and heartbeats read it. */
    static char[] identityPassword(BundleContext context) {
        return Objects.requireNonNullElse(context.getProperty(IDENTITY_PASSWORD), DEFAULT_PASSWORD).toCharArray();
    }

    /** The state for the status file, or null when the agent does not enroll. */
    static String state() {
        return state;
    }

    Path identityStore() {
        return agentDir.resolve("identity.p12");
    }

    Path caFile() {
        return agentDir.resolve("ca.pem");
    }

    private void run(String url, String token, String caPath, char[] password) {
        try {
            if (Files.exists(identityStore())) {
                String hostId = HostEnrollment.hostIdOf(identityStore(), password);
                if (!Files.exists(caFile()) && caPath != null) {
                    HostEnrollment.writeAtomically(caFile(), Files.readAllBytes(Path.of(caPath)));
                }
                LOG.log(Level.INFO, "enrolled already as {0} ({1})", hostId, identityStore());
                record("ENROLLED", hostId, "enrolled already (" + identityStore() + ")");
                pointKernel(password);
                return;
            }
            String problem = configurationProblem(url, token, caPath);
            if (problem != null) {
                record("REFUSED", null, problem);
                LOG.log(Level.ERROR, "cannot enroll with the server: " + problem);
                return;
            }
            String caPem = Files.readString(Path.of(caPath), StandardCharsets.US_ASCII);
            List<X509Certificate> anchors = HostEnrollment.certificates(caPem);
            HttpClient client = HttpClient.newBuilder().sslContext(HostEnrollment.trusting(anchors))
                    .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            KeyPair key = HostEnrollment.newKey();
            String hostId = HostEnrollment.hostIdOf(key.getPublic());
            String body = HostEnrollment.enrollmentBody(HostEnrollment.csrPem(key, hostId));
            // several server instances over one store: each attempt goes to the next one
            List<URI> endpoints = ServerConnection.bases(url).stream().map(base -> base.resolve("v1/hosts")).toList();
            Duration backoff = Duration.ofSeconds(1);
            int attempt = 0;
            while (!stopped) {
                attempt++;
                URI endpoint = endpoints.get((attempt - 1) % endpoints.size());
                record("ENROLLING", hostId, "attempt " + attempt + " at " + endpoint);
                Outcome outcome = attempt(client, endpoint, token, body, key, hostId, anchors, caPem, password);
                if (outcome == Outcome.ENROLLED) {
                    pointKernel(password);
                    return;
                }
                if (outcome == Outcome.REFUSED) {
                    return;
                }
                record("RETRYING", hostId, "next attempt in " + backoff.toSeconds() + " s");
                Thread.sleep(backoff.toMillis());
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (!stopped) {
                LOG.log(Level.ERROR, "enrollment with " + url + " failed: " + e.getMessage(), e);
                record("REFUSED", null, String.valueOf(e.getMessage()));
            }
        }
    }

    /** What is wrong with the launch settings for a first enrollment, or null. */
    static String configurationProblem(String url, String token, String caPath) {
        for (String one : url.split(",")) {
            URI uri;
            try {
                uri = URI.create(one.strip());
            } catch (IllegalArgumentException e) {
                return SERVER_URL + " is not a URL: " + e.getMessage();
            }
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                return SERVER_URL + " must be an https URL (or several, separated by commas), not " + one.strip();
            }
        }
        if (token == null) {
            return OWNER_TOKEN + " (the owner's API token) is not set";
        }
        if (caPath == null) {
            return SERVER_CA + " is not set: it must name the server's CA certificate (PEM, e.g. the server's "
                    + "<data>/ca/root.pem), obtained out of band; the agent trusts nothing else for the server's TLS";
        }
        if (!Files.isReadable(Path.of(caPath))) {
            return SERVER_CA + " names " + caPath + ", which cannot be read";
        }
        return null;
    }

    private Outcome attempt(HttpClient client, URI endpoint, String token, String body, KeyPair key, String hostId,
            List<X509Certificate> anchors, String caPem, char[] password)
            throws InterruptedException, IOException, GeneralSecurityException {
        HttpResponse<String> response;
        try {
            response = client.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "server " + endpoint + " unreachable (" + e + "); will retry");
            return Outcome.RETRY;
        }
        int status = response.statusCode();
        if (status == 201 || status == 200) {
            String issuedId = HostEnrollment.stringMember(response.body(), "hostId");
            String chainPem = HostEnrollment.stringMember(response.body(), "chain");
            if (chainPem == null) {
                chainPem = HostEnrollment.stringMember(response.body(), "certificate");
            }
            if (!hostId.equals(issuedId) || chainPem == null) {
                String message = "the server's answer names host " + issuedId + " (expected " + hostId + ")"
                        + (chainPem == null ? " and carries no certificate" : "");
                LOG.log(Level.ERROR, "enrollment refused: " + message);
                record("REFUSED", hostId, message);
                return Outcome.REFUSED;
            }
            HostEnrollment.writeIdentity(identityStore(), password, key, hostId, HostEnrollment.certificates(chainPem),
                    anchors);
            HostEnrollment.writeAtomically(caFile(), caPem.getBytes(StandardCharsets.US_ASCII));
            LOG.log(Level.INFO, "enrolled with {0} as {1}; identity in {2}", endpoint, hostId, identityStore());
            record("ENROLLED", hostId, "enrolled with " + endpoint);
            return Outcome.ENROLLED;
        }
        String error;
        try {
            error = HostEnrollment.stringMember(response.body(), "error");
        } catch (RuntimeException notJson) {
            error = null;
        }
        String message = "HTTP " + status + ": " + (error != null ? error : abbreviate(response.body()));
        if (status >= 400 && status < 500 && status != 408 && status != 429) {
            LOG.log(Level.ERROR, "the server refused to enroll this host (" + message + "); not retrying");
            record("REFUSED", hostId, message);
            return Outcome.REFUSED;
        }
        LOG.log(Level.WARNING, "enrollment attempt failed (" + message + "); will retry");
        return Outcome.RETRY;
    }

    /** Sets the kernel's identity and trust anchors, unless framework properties name them (those win). */
    private void pointKernel(char[] password) throws IOException {
        if (explicitIdentity) {
            LOG.log(Level.WARNING, "framework property " + KernelPlacement.KERNEL_PREFIX
                    + "identityKeyStore is set: the kernel keeps it, not the enrolled identity " + identityStore());
            return;
        }
        Map<String, Object> wanted = Map.of("identityKeyStore", identityStore().toAbsolutePath().toString(),
                "identityPassword", new String(password), "trustAnchors", caFile().toAbsolutePath().toString());
        synchronized (KernelPlacement.CONFIGURATION_LOCK) {
            Configuration kernel = configurationAdmin.getConfiguration(KernelPlacement.KERNEL_PID, "?");
            Dictionary<String, Object> properties = kernel.getProperties();
            Dictionary<String, Object> updated = properties == null ? new Hashtable<>() : properties;
            boolean changed = false;
            for (Map.Entry<String, Object> e : wanted.entrySet()) {
                if (!e.getValue().equals(updated.get(e.getKey()))) {
                    updated.put(e.getKey(), e.getValue());
                    changed = true;
                }
            }
            if (changed) {
                kernel.update(updated);
                LOG.log(Level.INFO, "kernel configured with the enrolled identity {0}", identityStore());
            }
        }
    }

    private void record(String newState, String hostId, String message) {
        state = newState;
        java.util.Properties p = new java.util.Properties();
        p.setProperty("enrollment", newState);
        if (hostId != null) {
            p.setProperty("hostId", hostId);
        }
        p.setProperty("message", message);
        p.setProperty("updated", java.time.Instant.now().toString());
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
        try {
            p.store(text, null);
            HostEnrollment.writeAtomically(agentDir.resolve("enrollment.properties"), text.toByteArray());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write enrollment.properties: " + e.getMessage());
        }
    }

    private static String trimmed(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static String abbreviate(String body) {
        String s = body == null ? "" : body.strip();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
