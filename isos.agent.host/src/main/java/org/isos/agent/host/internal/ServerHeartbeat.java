package org.isos.agent.host.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.isos.agent.host.HostSurvey;
import org.isos.agent.host.OwnerActivity;
import org.isos.agent.host.OwnerPolicy;
import org.isos.agent.host.internal.HeartbeatMessages.Answer;
import org.isos.agent.host.internal.HeartbeatMessages.LeaseReport;
import org.isos.agent.host.internal.HeartbeatMessages.MalformedAnswer;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.Availability;
import org.isos.kernel.host.PeerDirectory;
import org.isos.kernel.host.PeerRevocations;
import org.isos.kernel.host.UsageOutbox;
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
 * description and the host's status: the kernel's availability, hosted apps and transport address, the
 * owner's policy, and the outcome of every lease the server handed over (docs/protocol.md, "Agents").
 *
 * <p>
 * The answer's {@code leases} and {@code ended} are carried out by {@link ServerLeases} on a thread of its
 * own ({@code isos-server-leases}); when an outcome changes, the next heartbeat goes at once, so the server
 * learns of an ACTIVE lease within a second or so. Usage records go to the server after every heartbeat and
 * when a lease ended ({@link UsageDelivery}, thread {@code isos-usage-delivery}). Neither ever holds up the
 * heartbeat loop, and none of this runs on the kernel's threads.
 *
 * <p>
 * Failures are retried the next period and logged once per change of state; the state ({@code ONLINE},
 * {@code UNREACHABLE (reason)}, {@code REFUSED (reason)}) and the server's time of the last accepted
 * heartbeat go to the status file, with the lease outcomes and usage counts ({@link #statusEntries()}).
 */
@Component(immediate = true, service = {})
public class ServerHeartbeat {

    static final String HEARTBEAT_SECONDS = "isos.heartbeat.seconds";
    static final int DEFAULT_SECONDS = 30;
    /** The least time between two heartbeats, also when a lease's outcome calls for one at once. */
    static final long MIN_GAP_MILLIS = 250;
    private static final Logger LOG = System.getLogger(ServerHeartbeat.class.getName());

    /** For the status file: null (no server), ONLINE, UNREACHABLE (reason), REFUSED (reason). */
    private static volatile String state;
    /** The server's time of the last accepted heartbeat, or null. */
    private static volatile String lastHeartbeat;
    /** The running instance (with a server URL), for the status file. */
    private static volatile ServerHeartbeat current;

    private final HostSurvey survey;
    private final Path agentDir;
    private final Thread thread;
    private final ServerLeases leases;
    /** Ends leases whose bundle's signer the server lists as revoked; used on the lease thread only. */
    private final SignerRevocations revocations;
    private final UsageDelivery usage = new UsageDelivery();
    private final ExecutorService leaseWorker;
    private final ExecutorService usageWorker;
    private final Semaphore wake = new Semaphore(0);
    private final AtomicReference<Answer> latest = new AtomicReference<>();
    private final AtomicBoolean usageQueued = new AtomicBoolean();
    /** The connection of the last successful heartbeat; null while there is none. */
    private volatile ServerConnection connection;
    private volatile boolean stopped;
    private String loggedAnswerProblem;
    /** Only the lease thread reads and writes it. */
    private boolean hostMismatchLogged;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Availability availability;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile AppHosting hosting;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile OwnerActivity ownerActivity;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PeerDirectory peers;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile UsageOutbox outbox;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile OwnerDirectives directives;
    private volatile PeerRevocations peerRevocations;

    @Activate
    public ServerHeartbeat(BundleContext context, @Reference(name = "survey") HostSurvey survey) throws IOException {
        this.survey = survey;
        String url = context.getProperty(ServerEnrollment.SERVER_URL);
        if (url == null || url.isBlank()) {
            agentDir = null;
            thread = null;
            leases = null;
            revocations = null;
            leaseWorker = null;
            usageWorker = null;
            return;
        }
        List<URI> bases;
        try {
            bases = ServerConnection.bases(url);
        } catch (IllegalArgumentException e) {
            // enrollment refuses the same settings and says so in the status file
            LOG.log(Level.ERROR, ServerEnrollment.SERVER_URL + ": " + e.getMessage() + "; no heartbeats");
            agentDir = null;
            thread = null;
            leases = null;
            revocations = null;
            leaseWorker = null;
            usageWorker = null;
            return;
        }
        int seconds = seconds(context.getProperty(HEARTBEAT_SECONDS));
        char[] password = ServerEnrollment.identityPassword(context);
        agentDir = AgentData.directory(context);
        leases = new ServerLeases(agentDir.resolve("server-leases.properties"), () -> hosting, this::kernelHostId,
                this::fetch, Clock.systemUTC(), wake::release, this::deliverUsageSoon);
        leases.harness(CheatingHostHarness.from(context));
        revocations = new SignerRevocations(agentDir.resolve("revoked-serials"), () -> hosting,
                SignerRevocations.fromBundles(context), leases::failedHere);
        leaseWorker = Executors.newSingleThreadExecutor(daemon("isos-server-leases"));
        usageWorker = Executors.newSingleThreadExecutor(daemon("isos-usage-delivery"));
        current = this;
        thread = new Thread(() -> run(bases, seconds, password), "isos-server-heartbeat");
        thread.setDaemon(true);
        thread.start();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        if (thread == null) {
            return;
        }
        if (current == this) {
            current = null;
        }
        thread.interrupt();
        usageWorker.shutdownNow();
        // let a lease being hosted finish: interrupting an install half-way helps no one
        leaseWorker.shutdown();
        try {
            if (!leaseWorker.awaitTermination(30, TimeUnit.SECONDS)) {
                leaseWorker.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The kernel's transport learns every revoked serial this agent knows as soon as it runs (a restarted agent
     * or kernel included: the serials are kept in {@code agent/revoked-serials}), then each heartbeat's.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindPeerRevocations(PeerRevocations kernel) {
        peerRevocations = kernel;
        if (revocations != null) {
            kernel.revoke(revocations.known());
        }
    }

    void unbindPeerRevocations(PeerRevocations kernel) {
        if (peerRevocations == kernel) {
            peerRevocations = null;
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

    /**
     * For the status file, with a server: {@code serverLeases} (ids), {@code serverLease.<id>} (state, and
     * the reason in parentheses), {@code usage.pending} (records waiting after the last delivery; -1
     * before the first), {@code usage.delivered} and {@code usage.refused} (since the agent started).
     */
    static Map<String, String> statusEntries() {
        ServerHeartbeat h = current;
        Map<String, String> s = new TreeMap<>(OwnerDirectives.statusEntries());
        if (h == null) {
            return s;
        }
        Map<String, ServerLeases.Outcome> outcomes = h.leases.outcomes();
        s.put("serverLeases", String.join(",", outcomes.keySet()));
        outcomes.forEach((id, o) -> s.put("serverLease." + id,
                o.state() + (o.reason() == null ? "" : " (" + o.reason() + ")")));
        s.put("usage.pending", Integer.toString(h.usage.pending()));
        s.put("usage.delivered", Long.toString(h.usage.accepted()));
        s.put("usage.refused", Long.toString(h.usage.refused()));
        return s;
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

    private void run(List<URI> bases, int configuredSeconds, char[] password) {
        Path identity = agentDir.resolve("identity.p12");
        Path ca = agentDir.resolve("ca.pem");
        ServerConnection server = null;
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
                    if (server == null) {
                        server = new ServerConnection(bases, HostEnrollment.hostIdOf(identity, password),
                                tls(identity, password, ca));
                    }
                    ServerConnection.Reply reply = server.postHost("heartbeat", body());
                    if (reply.status() == 200) {
                        connection = server;
                        outcome = "ONLINE";
                        period = answered(reply.text(), configuredSeconds, period);
                        deliverUsageSoon();
                    } else {
                        outcome = "REFUSED (" + reply.problem() + ")";
                        server = null; // the identity may have been replaced: read it again next time
                        connection = null;
                    }
                } catch (IOException | GeneralSecurityException | RuntimeException e) {
                    outcome = "UNREACHABLE (" + oneLine(e) + ")";
                    server = null;
                    connection = null;
                }
                state = outcome;
                if (!outcome.equals(logged)) {
                    if (outcome.equals("ONLINE")) {
                        LOG.log(Level.INFO, "heartbeats reach {0} as {1} (every {2} s)", server.base(), server.hostId(), period);
                    } else {
                        LOG.log(Level.WARNING, "heartbeat to {0} failed: {1}; retrying every {2} s", bases, outcome, period);
                    }
                    logged = outcome;
                }
                // the next heartbeat: after the period, or at once when a lease's outcome changed
                if (wake.tryAcquire(period * 1000L, TimeUnit.MILLISECONDS)) {
                    Thread.sleep(MIN_GAP_MILLIS);
                    wake.drainPermits();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads an accepted heartbeat's answer and hands its leases to the lease thread; the period to use next. */
    private int answered(String text, int configuredSeconds, int period) {
        Answer answer;
        try {
            answer = HeartbeatMessages.answer(text);
        } catch (MalformedAnswer e) {
            logAnswerProblem("the server's heartbeat answer is unreadable, its leases are not acted on: " + e.getMessage());
            return period;
        }
        lastHeartbeat = answer.serverTime();
        if (!answer.problems().isEmpty()) {
            logAnswerProblem("parts of the server's heartbeat answer are skipped: " + String.join("; ", answer.problems()));
        } else {
            loggedAnswerProblem = null;
        }
        OwnerDirectives owner = directives;
        if (owner != null && answer.directives() != null) {
            owner.apply(answer.directives());
        }
        PeerDirectory directory = peers;
        if (directory != null) {
            for (HeartbeatMessages.PeerHost peer : answer.peers()) {
                directory.put(peer.hostId(), peer.transport());
            }
        }
        if (!answer.revokedSerials().isEmpty()) {
            LOG.log(Level.DEBUG, "the server lists revoked certificates: {0}", answer.revokedSerials());
            List<String> serials = answer.revokedSerials();
            PeerRevocations kernel = peerRevocations;
            if (kernel != null) {
                // at once, on this thread: the lease thread may be busy hosting; closing connections does not block
                kernel.revoke(serials);
            }
            leaseWorker.execute(() -> revocations.revoked(serials));
        }
        // only the newest answer matters: a queued older one is replaced, not carried out twice
        if (latest.getAndSet(answer) == null) {
            leaseWorker.execute(this::reconcileLatest);
        }
        return answer.nextHeartbeatSeconds() != null ? answer.nextHeartbeatSeconds() : configuredSeconds;
    }

    private void logAnswerProblem(String message) {
        if (!message.equals(loggedAnswerProblem)) {
            LOG.log(Level.WARNING, message);
            loggedAnswerProblem = message;
        }
    }

    private void reconcileLatest() {
        Answer answer = latest.getAndSet(null);
        if (answer == null || stopped) {
            return;
        }
        try {
            leases.reconcile(answer.leases(), answer.ended());
            revocations.check(); // a lease just hosted may carry a signer revoked earlier
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the next answer brings the same leases: a failed round costs one period, not the thread
            LOG.log(Level.WARNING, "carrying out the server's leases failed; trying again with the next answer", e);
        }
    }

    /**
     * The kernel's host id when it is the one the server knows (the heartbeat's certificate), else null:
     * right after enrollment the kernel restarts as the enrolled host, and a lease hosted before that
     * would be refused for good as "for another host".
     */
    private String kernelHostId() {
        PeerDirectory p = peers;
        ServerConnection server = connection;
        if (p == null || server == null) {
            return null;
        }
        String kernelId = p.hostId();
        if (kernelId.equals(server.hostId())) {
            hostMismatchLogged = false;
            return kernelId;
        }
        if (!hostMismatchLogged) {
            LOG.log(Level.WARNING, "the kernel runs as {0}, the server knows this host as {1}: its leases wait "
                    + "until the kernel runs as {1} (is isos.kernel.identityKeyStore set?)", kernelId, server.hostId());
            hostMismatchLogged = true;
        }
        return null;
    }

    /** A bundle from the server's repository, over the heartbeat's connection. */
    private byte[] fetch(String sha256) throws IOException, InterruptedException, ServerLeases.BundleUnavailable {
        ServerConnection server = connection;
        if (server == null) {
            throw new IOException("no connection to the server");
        }
        ServerConnection.Reply reply = server.bundle(sha256);
        int status = reply.status();
        if (status == 200) {
            return reply.body();
        }
        if (status >= 400 && status < 500 && status != 408 && status != 429) {
            throw new ServerLeases.BundleUnavailable(reply.problem());
        }
        throw new IOException(reply.problem());
    }

    /** Queues one usage delivery (several requests before it runs make one). */
    private void deliverUsageSoon() {
        if (usageWorker.isShutdown() || !usageQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            usageWorker.execute(() -> {
                usageQueued.set(false);
                deliverUsage();
            });
        } catch (RejectedExecutionException e) {
            usageQueued.set(false); // stopping
        }
    }

    private void deliverUsage() {
        ServerConnection server = connection;
        UsageOutbox records = outbox;
        if (server == null || records == null) {
            return; // no server or no kernel now: the records wait on disk
        }
        try {
            usage.deliver(records, json -> server.postHost("usage", json));
        } catch (IOException e) {
            // logged by the delivery; the records stay for the next period
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "usage delivery failed; the records stay for the next period", e);
        }
    }

    /** The heartbeat's JSON body: the host's description and status now. */
    String body() {
        Availability a = availability;
        AppHosting h = hosting;
        OwnerActivity owner = ownerActivity;
        PeerDirectory p = peers;
        boolean suspended = a == null || a.suspended();
        String reason = a == null ? "kernel not running" : suspended && owner != null ? owner.reason() : null;
        int apps = h == null ? 0 : h.hosted().size();
        InetSocketAddress transport = p == null ? null : p.localAddress();
        OwnerPolicy policy = owner == null ? null : owner.policy().orElse(null);
        List<LeaseReport> reports = leases == null ? List.of() : leases.report();
        return HeartbeatMessages.request(survey.describe(),
                new HeartbeatMessages.Status(suspended, reason, apps, transport, policy, reports), LocalTime.now());
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
