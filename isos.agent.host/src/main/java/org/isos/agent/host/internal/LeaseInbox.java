package org.isos.agent.host.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.BundleAdmission;
import org.isos.agent.host.OwnerActivity;
import org.isos.agent.host.internal.InboxRequest.BadInput;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.Availability;
import org.isos.kernel.host.HostedApp;
import org.isos.kernel.host.PeerDirectory;
import org.isos.kernel.wire.LeaseGrant;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * How a lease reaches this agent until the server delivers them: files dropped into
 * {@code <isos.data>/inbox/}. A {@code <name>.lease} file (see {@link InboxRequest}) hosts, renews,
 * ends or updates a lease through the kernel's {@link AppHosting}; a {@code <name>.activity} file
 * reports the owner busy (its first line is the reason). Each file processed goes to
 * {@code inbox/done/}, or to {@code inbox/refused/} beside a {@code <name>.reason} file saying why
 * (an admission refusal names the rule first: {@code TAMPERED: ...}). The jar a lease file names moves
 * with it once no other pending lease file names it.
 *
 * <p>
 * It also keeps {@code <isos.data>/agent/status.properties} up to date (written atomically on every
 * change and at least every {@value #STATUS_REFRESH_SECONDS} s): this host's id and transport address,
 * whether app work is suspended and why, and each hosted app's lease, state and expiry.
 *
 * <p>
 * One thread of its own polls every {@value #POLL_MILLIS} ms; the kernel's threads never touch the
 * inbox. The component needs the kernel: while the kernel is down or restarting, files wait.
 */
@Component(immediate = true, service = {})
public class LeaseInbox {

    static final long POLL_MILLIS = 200;
    static final long STATUS_REFRESH_SECONDS = 5;
    /** How long a lease file waits for the jar it names to appear (copying a jar takes a moment). */
    static final Duration BUNDLE_WAIT = Duration.ofSeconds(5);
    static final String LEASE_REJECTED = "LEASE_REJECTED";
    private static final Logger LOG = System.getLogger(LeaseInbox.class.getName());
    private static final long STARTED = System.currentTimeMillis();

    private final Path inbox;
    private final Path done;
    private final Path refused;
    private final Path statusFile;
    private final AppHosting hosting;
    private final PeerDirectory peers;
    private final Availability availability;
    private final Supplier<OwnerActivity> owner;
    private final Clock clock;
    private final ScheduledExecutorService poller;
    private final Map<String, Instant> waitingForBundle = new HashMap<>();
    private final Set<String> stuck = new HashSet<>();
    private String lastStatus;
    private Instant lastStatusWrite = Instant.EPOCH;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile OwnerActivity ownerActivity;

    @Activate
    public LeaseInbox(BundleContext context, @Reference(name = "hosting") AppHosting hosting,
            @Reference(name = "peers") PeerDirectory peers, @Reference(name = "availability") Availability availability)
            throws IOException {
        this(inboxOf(context), AgentData.directory(context).resolve("status.properties"), hosting, peers, availability,
                null, Clock.systemUTC(), Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "isos-lease-inbox");
                    t.setDaemon(true);
                    return t;
                }));
    }

    /** For tests: {@code owner} null means the DS field; no thread when {@code poller} is null (call {@link #poll()}). */
    LeaseInbox(Path inbox, Path statusFile, AppHosting hosting, PeerDirectory peers, Availability availability,
            Supplier<OwnerActivity> owner, Clock clock, ScheduledExecutorService poller) throws IOException {
        this.inbox = Files.createDirectories(inbox);
        this.done = Files.createDirectories(inbox.resolve("done"));
        this.refused = Files.createDirectories(inbox.resolve("refused"));
        this.statusFile = statusFile;
        Files.createDirectories(statusFile.toAbsolutePath().getParent());
        this.hosting = hosting;
        this.peers = peers;
        this.availability = availability;
        this.owner = owner != null ? owner : () -> ownerActivity;
        this.clock = clock;
        this.poller = poller;
        LOG.log(Level.INFO, "lease inbox at {0}, status in {1}", inbox, statusFile);
        if (poller != null) {
            poller.scheduleWithFixedDelay(this::pollQuietly, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private static Path inboxOf(BundleContext context) {
        String data = context.getProperty(AgentData.DATA_PROPERTY);
        return data == null || data.isBlank() ? context.getDataFile("inbox").toPath() : Path.of(data, "inbox");
    }

    @Deactivate
    void deactivate() {
        if (poller == null) {
            return;
        }
        // let a lease being hosted finish: interrupting an install half-way helps no one
        poller.shutdown();
        try {
            if (!poller.awaitTermination(60, TimeUnit.SECONDS)) {
                poller.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            writeStatus(false);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "last status not written", e);
        }
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (RuntimeException | Error e) {
            // a failed round must not end polling: the executor would drop the task for good
            LOG.log(Level.WARNING, "lease inbox round failed", e);
        }
    }

    /** One round: every pending file in name order, then the status file. */
    synchronized void poll() {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(inbox,
                f -> Files.isRegularFile(f) && (name(f).endsWith(".lease") || name(f).endsWith(".activity")))) {
            ds.forEach(files::add);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot list the inbox " + inbox, e);
        }
        files.sort(null);
        for (Path file : files) {
            if (stuck.contains(name(file))) {
                continue;
            }
            if (name(file).endsWith(".lease")) {
                processLease(file);
            } else {
                processActivity(file);
            }
        }
        waitingForBundle.keySet().retainAll(files.stream().map(LeaseInbox::name).toList());
        try {
            writeStatus(true);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot write the status file " + statusFile, e);
        }
    }

    private void processLease(Path file) {
        String name = name(file);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            finish(file, null, refused, InboxRequest.BAD_INPUT + ": unreadable lease file: " + e.getMessage());
            return;
        }
        InboxRequest request;
        try {
            request = InboxRequest.parse(p, clock.instant());
        } catch (BadInput e) {
            finish(file, jarNamedBy(p), refused, e.getMessage());
            return;
        }
        byte[] bundle = null;
        String sha256 = request.bundleSha256();
        if (request.bundle() != null) {
            Path jar = inbox.resolve(request.bundle());
            if (!Files.isRegularFile(jar)) {
                Instant first = waitingForBundle.computeIfAbsent(name, n -> clock.instant());
                if (Duration.between(first, clock.instant()).compareTo(BUNDLE_WAIT) < 0) {
                    return; // maybe still being copied
                }
                finish(file, null, refused, InboxRequest.BAD_INPUT + ": bundle " + request.bundle()
                        + " is not in the inbox (waited " + BUNDLE_WAIT.toSeconds() + " s)");
                return;
            }
            try {
                bundle = Files.readAllBytes(jar);
            } catch (IOException e) {
                finish(file, request.bundle(), refused, InboxRequest.BAD_INPUT + ": cannot read bundle "
                        + request.bundle() + ": " + e.getMessage());
                return;
            }
            if (sha256 == null) {
                sha256 = BundleAdmission.sha256Hex(bundle);
            }
        }
        try {
            String outcome = act(request, bundle, sha256);
            LOG.log(Level.INFO, "inbox {0}: {1}", name, outcome);
            finish(file, request.bundle(), done, null);
        } catch (AdmissionRefused e) {
            finish(file, request.bundle(), refused, e.getMessage());
        } catch (RuntimeException e) {
            finish(file, request.bundle(), refused, LEASE_REJECTED + ": " + e.getMessage());
        }
    }

    private String act(InboxRequest r, byte[] bundle, String sha256) throws AdmissionRefused {
        return switch (r.action()) {
        case HOST -> {
            HostedApp app = hosting.host(new LeaseGrant(r.lease(), peers.hostId(), sha256), bundle);
            yield "hosted lease " + r.leaseId() + ": " + app.symbolicName() + " " + app.version() + " " + app.state()
                    + " until " + app.lease().expiry();
        }
        case RENEW -> "renewed lease " + r.leaseId() + " until " + hosting.renew(r.leaseId(), r.expiry()).lease().expiry();
        case UPDATE -> {
            HostedApp app = hosting.update(r.leaseId(), sha256, bundle);
            yield "updated lease " + r.leaseId() + " to " + app.symbolicName() + " " + app.version() + " " + app.state();
        }
        case END -> {
            hosting.end(r.leaseId(), r.reason());
            yield "ended lease " + r.leaseId() + " (" + r.reason() + ")";
        }
        };
    }

    private void processActivity(Path file) {
        String why;
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            String first = text.isEmpty() ? "" : text.lines().findFirst().orElse("").strip();
            why = first.isEmpty() ? "owner activity reported through the inbox" : first;
        } catch (IOException | UncheckedIOException e) {
            finish(file, null, refused, InboxRequest.BAD_INPUT + ": unreadable activity file: " + e.getMessage());
            return;
        }
        OwnerActivity monitor = owner.get();
        if (monitor == null) {
            finish(file, null, refused, "NO_ACTIVITY_MONITOR: the agent's activity monitor is not running");
            return;
        }
        monitor.ownerActive(why);
        LOG.log(Level.INFO, "inbox {0}: owner active: {1}", name(file), why);
        finish(file, null, done, null);
    }

    /** Moves a processed file (and its jar, unless another pending lease file needs it) to {@code to}. */
    private void finish(Path file, String jar, Path to, String reason) {
        String name = name(file);
        waitingForBundle.remove(name);
        try {
            if (reason != null) {
                LOG.log(Level.WARNING, "inbox {0} refused: {1}", name, reason);
                String base = name.substring(0, name.lastIndexOf('.'));
                writeAtomically(to.resolve(base + ".reason"), reason + System.lineSeparator());
            }
            Files.move(file, to.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            if (jar != null && !jar.contains("/") && !jar.contains("\\") && !jar.startsWith(".")
                    && Files.isRegularFile(inbox.resolve(jar)) && !neededByAnother(jar)) {
                Files.move(inbox.resolve(jar), to.resolve(jar), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // never process it twice: a lease hosted again would be refused, an end repeated would fail
            stuck.add(name);
            LOG.log(Level.ERROR, "inbox " + name + " processed but cannot be moved to " + to + "; ignored from now on", e);
        }
    }

    private boolean neededByAnother(String jar) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(inbox, "*.lease")) {
            for (Path other : ds) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(other)) {
                    p.load(in);
                } catch (IOException | IllegalArgumentException e) {
                    continue;
                }
                if (jar.equals(jarNamedBy(p))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String jarNamedBy(Properties p) {
        String jar = p.getProperty("bundle");
        return jar == null || jar.isBlank() ? null : jar.trim();
    }

    // --- the status file ---

    private void writeStatus(boolean running) throws IOException {
        Map<String, String> status = status(running);
        String content = render(status);
        Instant now = clock.instant();
        if (content.equals(lastStatus)
                && Duration.between(lastStatusWrite, now).compareTo(Duration.ofSeconds(STATUS_REFRESH_SECONDS)) < 0) {
            return;
        }
        Map<String, String> stamped = new TreeMap<>(status);
        stamped.put("updated", now.toString());
        writeAtomically(statusFile, render(stamped));
        lastStatus = content;
        lastStatusWrite = now;
    }

    /** What the status file says, without its time stamp. */
    Map<String, String> status(boolean running) {
        Map<String, String> s = new TreeMap<>();
        s.put("running", Boolean.toString(running));
        s.put("agent.pid", Long.toString(ProcessHandle.current().pid()));
        s.put("agent.started", Instant.ofEpochMilli(STARTED).toString());
        s.put("inbox", inbox.toAbsolutePath().toString());
        String enrollment = ServerEnrollment.state();
        if (enrollment != null) {
            s.put("enrollment", enrollment);
        }
        String server = ServerHeartbeat.state();
        if (server != null) {
            s.put("server", server);
        }
        String lastHeartbeat = ServerHeartbeat.lastHeartbeat();
        if (lastHeartbeat != null) {
            s.put("lastHeartbeat", lastHeartbeat);
        }
        s.putAll(ServerHeartbeat.statusEntries()); // leases from the server and usage delivery, with a server
        if (!running) {
            return s;
        }
        s.put("hostId", peers.hostId());
        InetSocketAddress address = peers.localAddress();
        s.put("transport", address == null ? "" : address.getHostString() + ":" + address.getPort());
        boolean suspended = availability.suspended();
        s.put("suspended", Boolean.toString(suspended));
        OwnerActivity monitor = owner.get();
        s.put("suspendedReason", suspended && monitor != null ? monitor.reason() : "");
        List<String> ids = new ArrayList<>();
        for (HostedApp app : hosting.hosted()) {
            String id = app.lease().id();
            ids.add(id);
            String key = "app." + id + ".";
            s.put(key + "app", app.lease().app());
            s.put(key + "buyer", app.lease().buyer());
            s.put(key + "state", app.state());
            s.put(key + "expiry", app.lease().expiry().toString());
            s.put(key + "version", app.version());
            s.put(key + "bundleSha256", app.bundleSha256());
        }
        Collections.sort(ids);
        s.put("apps", String.join(",", ids));
        return s;
    }

    private static String render(Map<String, String> values) {
        // Properties escaping, in key order (Properties.store iterates entrySet())
        Properties p = new Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public Set<Map.Entry<Object, Object>> entrySet() {
                return Collections.unmodifiableSet(new TreeMap<Object, Object>(values).entrySet());
            }
        };
        p.putAll(values);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            p.store(out, null); // the stream form escapes everything outside ASCII
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // drop the date comment Properties.store writes first, so equal contents render equally
        return new String(out.toByteArray(), StandardCharsets.ISO_8859_1).lines().filter(l -> !l.startsWith("#")).reduce("", (a, l) -> a + l + "\n");
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String name(Path file) {
        return file.getFileName().toString();
    }
}
