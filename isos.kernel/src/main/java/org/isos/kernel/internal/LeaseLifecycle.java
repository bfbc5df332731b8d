package org.isos.kernel.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

import org.isos.admission.AdmissionPolicy;
import org.isos.admission.AdmissionRefused;
import org.isos.admission.AdmittedBundle;
import org.isos.admission.BundleAdmission;
import org.isos.kernel.api.Lease;
import org.isos.kernel.api.SchedulingListener;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.HostedApp;
import org.isos.kernel.wire.LeaseGrant;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The life of a leased app on this host: admission, install, start, renewal, in-place update, and
 * the end (expiry or revocation) with its grace period, uninstall, store deletion and final usage
 * record. Leases and their bundles are kept in the data directory, so a restarted kernel picks up
 * what is still leased and finishes off what expired while it was down.
 */
@Component(service = AppHosting.class, immediate = true)
@SuppressWarnings("removal") // System.getSecurityManager tells whether the run-time policy layer exists
public class LeaseLifecycle implements AppHosting {

    private static final Logger LOG = Logger.getLogger(LeaseLifecycle.class.getName());
    private static final long EXPIRY_CHECK_MILLIS = 100;

    private final BundleContext context;
    private final KernelHome home;
    private final Tenancy tenancy;
    private final WorkerPool pool;
    private final UsageMeter meter;
    private final BundleAdmission admission;
    private final ScheduledExecutorService expiry;

    @Activate
    public LeaseLifecycle(BundleContext context, @Reference KernelHome home, @Reference Tenancy tenancy,
            @Reference WorkerPool pool, @Reference UsageMeter meter, @Reference Transport transport)
            throws IOException {
        this.context = context;
        this.home = home;
        this.tenancy = tenancy;
        this.pool = pool;
        this.meter = meter;
        AdmissionPolicy configured = home.admissionPolicy();
        this.admission = new BundleAdmission(new AdmissionPolicy(configured.allowedImports(), this::platformPackage,
                configured.maxBundleBytes()), home.identity().trustAnchors());
        if (System.getSecurityManager() != null) {
            // only a framework with security has Conditional Permission Admin (and exports its package)
            RuntimePolicy.apply(context);
        }
        Files.createDirectories(home.leases());
        Files.createDirectories(home.bundles());
        recover();
        this.expiry = Executors.newSingleThreadScheduledExecutor(KernelThreads.named("isos-lease-expiry"));
        expiry.scheduleWithFixedDelay(this::endExpired, EXPIRY_CHECK_MILLIS, EXPIRY_CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Deactivate
    void deactivate() {
        expiry.shutdownNow();
        // the leases outlive this kernel instance: stop the apps, keep their files for the next start
        for (Tenant tenant : tenancy.all()) {
            Bundle bundle = context.getBundle(tenant.bundleId);
            if (bundle != null) {
                try {
                    bundle.stop(Bundle.STOP_TRANSIENT);
                } catch (BundleException | IllegalStateException e) {
                    LOG.log(Level.FINE, "stopping app of lease " + tenant.id(), e);
                }
            }
            tenancy.remove(tenant.id());
        }
    }

    @Override
    public synchronized HostedApp host(LeaseGrant grant, byte[] bundle) throws AdmissionRefused {
        Lease lease = grant.lease();
        if (!grant.hostId().equals(home.identity().hostId())) {
            throw new IllegalArgumentException("lease " + lease.id() + " is for host " + grant.hostId()
                    + ", this is host " + home.identity().hostId());
        }
        if (lease.expiredAt(Instant.now())) {
            throw new IllegalArgumentException("lease " + lease.id() + " expired at " + lease.expiry());
        }
        if (tenancy.lease(lease.id()).isPresent() || Files.exists(leaseFile(lease.id()))) {
            throw new IllegalStateException("lease " + lease.id() + " is already hosted here");
        }
        AdmittedBundle admitted = admit(lease, grant.bundleSha256(), bundle);
        try {
            // not forced to disk: a bundle lost in a crash fails its digest check at recovery, and that lease ends
            AtomicFiles.write(bundleFile(admitted.sha256Hex()), bundle, false);
            writeLease(lease, admitted.sha256Hex());
            Tenant tenant = start(lease, admitted.sha256Hex(), bundle);
            return describe(tenant);
        } catch (IOException | BundleException | RuntimeException e) {
            forgetFiles(lease.id(), admitted.sha256Hex());
            throw new IllegalStateException("lease " + lease.id() + ": app " + lease.app() + " could not start: "
                    + e.getMessage(), e);
        }
    }

    private AdmittedBundle admit(Lease lease, String sha256, byte[] bundle) throws AdmissionRefused {
        AdmittedBundle admitted = admission.admit(bundle, sha256, lease.buyer());
        if (!admitted.symbolicName().equals(lease.app())) {
            throw new IllegalArgumentException("lease " + lease.id() + " is for app " + lease.app()
                    + " but the bundle is " + admitted.symbolicName());
        }
        return admitted;
    }

    /** Installs and starts an admitted bundle under a lease; on any failure nothing of it stays. */
    private Tenant start(Lease lease, String sha256, byte[] bundleBytes) throws IOException, BundleException {
        LeaseUsage usage = new LeaseUsage();
        LeaseStore store = new LeaseStore(home.stores().resolve(lease.id()), lease.storageQuotaBytes(), usage);
        Tenant tenant = new Tenant(lease, sha256, store, usage);
        tenancy.add(tenant);
        meter.open(tenant);
        Bundle bundle = null;
        try {
            bundle = context.getBundle(Tenant.location(lease));
            if (bundle == null) {
                bundle = context.installBundle(Tenant.location(lease), new ByteArrayInputStream(bundleBytes));
            }
            tenant.bundleId = bundle.getBundleId();
            // transient: after a restart the kernel, not the framework, decides whether the app runs
            bundle.start(Bundle.START_TRANSIENT);
            return tenant;
        } catch (BundleException | RuntimeException e) {
            if (bundle != null) {
                uninstallQuietly(bundle);
            }
            meter.close(tenant);
            tenancy.remove(lease.id());
            store.destroy();
            throw e;
        }
    }

    @Override
    public synchronized HostedApp renew(String leaseId, Instant newExpiry) {
        Tenant tenant = running(leaseId);
        if (!newExpiry.isAfter(Instant.now())) {
            throw new IllegalArgumentException("lease " + leaseId + ": a renewal must end in the future, not at "
                    + newExpiry);
        }
        Lease renewed = tenant.lease().renewedUntil(newExpiry);
        try {
            writeLease(renewed, tenant.bundleSha256());
        } catch (IOException e) {
            throw new UncheckedIOException("lease " + leaseId + ": renewal not recorded", e);
        }
        tenant.lease(renewed);
        return describe(tenant);
    }

    @Override
    public synchronized HostedApp update(String leaseId, String newBundleSha256, byte[] bundleBytes)
            throws AdmissionRefused {
        Tenant old = running(leaseId);
        AdmittedBundle admitted = admit(old.lease(), newBundleSha256, bundleBytes);
        Bundle bundle = context.getBundle(old.bundleId);
        byte[] previous;
        try {
            previous = Files.readAllBytes(bundleFile(old.bundleSha256()));
            AtomicFiles.write(bundleFile(admitted.sha256Hex()), bundleBytes, false);
        } catch (IOException e) {
            throw new UncheckedIOException("lease " + leaseId + ": cannot keep the new bundle", e);
        }
        try {
            bundle.update(new ByteArrayInputStream(bundleBytes));
            bundle.start(Bundle.START_TRANSIENT);
        } catch (BundleException | RuntimeException e) {
            rollBack(bundle, previous, leaseId);
            throw new IllegalStateException("lease " + leaseId + ": update refused, the previous version runs on: "
                    + e.getMessage(), e);
        }
        String replaced = old.bundleSha256();
        old.bundleSha256(admitted.sha256Hex());
        try {
            writeLease(old.lease(), admitted.sha256Hex());
            if (!replaced.equals(admitted.sha256Hex()) && !bundleInUse(replaced, leaseId)) {
                Files.deleteIfExists(bundleFile(replaced));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("lease " + leaseId + ": update not recorded", e);
        }
        return describe(old);
    }

    private void rollBack(Bundle bundle, byte[] previous, String leaseId) {
        try {
            bundle.update(new ByteArrayInputStream(previous));
            bundle.start(Bundle.START_TRANSIENT);
        } catch (BundleException | RuntimeException e) {
            LOG.log(Level.SEVERE, "lease " + leaseId + ": the previous version did not come back after a failed update", e);
        }
    }

    @Override
    public void end(String leaseId, String reason) {
        Tenant tenant = tenancy.lease(leaseId).orElse(null);
        if (tenant == null) {
            if (!Files.exists(leaseFile(leaseId))) {
                throw new IllegalArgumentException("no lease " + leaseId + " on this host");
            }
            endOffline(leaseId);
            return;
        }
        synchronized (tenant) {
            if (tenancy.lease(leaseId).isEmpty()) {
                return; // ended meanwhile by another caller
            }
            LOG.info(() -> "ending lease " + leaseId + ": " + reason);
            long grace = home.config().checkpointGraceMillis();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(grace);
            warnApp(tenant, grace);
            tenant.ending = true;
            tenant.tasks.forEach(WorkerPool.Task::leaseEnding);
            awaitTasks(tenant, deadline);
            Bundle bundle = context.getBundle(tenant.bundleId);
            if (bundle != null) {
                uninstallQuietly(bundle);
            }
            synchronized (this) {
                meter.close(tenant);
                pool.forget(tenant);
                tenancy.remove(leaseId);
                try {
                    tenant.store().destroy();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "lease " + leaseId + ": store not fully deleted", e);
                }
                forgetFiles(leaseId, tenant.bundleSha256());
            }
        }
    }

    /** The app's last chance to save state, bounded by the grace period. */
    private void warnApp(Tenant tenant, long graceMillis) {
        SchedulingListener listener = tenant.schedulingListener;
        if (listener == null) {
            return;
        }
        CompletableFuture<Void> warned = CompletableFuture.runAsync(() -> listener.leaseEnding(tenant.lease()),
                r -> KernelThreads.named("isos-lease-ending-" + tenant.id()).newThread(r).start());
        try {
            warned.get(graceMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warning(() -> "lease " + tenant.id() + ": app did not finish its checkpoint within the grace period");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.log(Level.WARNING, "lease " + tenant.id() + ": app failed in leaseEnding", e.getCause());
        }
    }

    private void awaitTasks(Tenant tenant, long deadlineNanos) {
        for (WorkerPool.Task task : List.copyOf(tenant.tasks)) {
            long left = deadlineNanos - System.nanoTime();
            try {
                task.done().get(Math.max(1, left), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.warning(() -> "lease " + tenant.id() + ": task " + task.name() + " still running after the grace period");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                // ended by the cancellation or its own failure: either way it is over
            }
        }
    }

    private void uninstallQuietly(Bundle bundle) {
        try {
            bundle.uninstall();
        } catch (BundleException | IllegalStateException e) {
            LOG.log(Level.WARNING, "uninstalling " + bundle.getLocation(), e);
        }
        refresh(bundle);
    }

    /** Drops the uninstalled revision from the wiring, so nothing of the app lingers in the framework. */
    private void refresh(Bundle bundle) {
        FrameworkWiring wiring = context.getBundle(0).adapt(FrameworkWiring.class);
        CompletableFuture<Void> refreshed = new CompletableFuture<>();
        wiring.refreshBundles(List.of(bundle), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                refreshed.complete(null);
            }
        });
        try {
            refreshed.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "refresh after uninstalling " + bundle.getLocation() + " did not finish", e);
        }
    }

    @Override
    public List<HostedApp> hosted() {
        return tenancy.all().stream().map(this::describe).toList();
    }

    private HostedApp describe(Tenant tenant) {
        Bundle bundle = context.getBundle(tenant.bundleId);
        return new HostedApp(tenant.lease(), tenant.bundleSha256(), tenant.bundleId,
                bundle == null ? tenant.lease().app() : bundle.getSymbolicName(),
                bundle == null ? "" : bundle.getVersion().toString(), bundle == null ? "GONE" : stateName(bundle));
    }

    private static String stateName(Bundle bundle) {
        return switch (bundle.getState()) {
        case Bundle.ACTIVE -> "ACTIVE";
        case Bundle.STARTING -> "STARTING";
        case Bundle.STOPPING -> "STOPPING";
        case Bundle.RESOLVED -> "RESOLVED";
        case Bundle.INSTALLED -> "INSTALLED";
        default -> "UNINSTALLED";
        };
    }

    private Tenant running(String leaseId) {
        return tenancy.lease(leaseId)
                .orElseThrow(() -> new IllegalArgumentException("no running lease " + leaseId + " on this host"));
    }

    private void endExpired() {
        Instant now = Instant.now();
        for (Tenant tenant : tenancy.all()) {
            if (tenant.lease().expiredAt(now)) {
                try {
                    end(tenant.id(), "expired at " + tenant.lease().expiry());
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "ending expired lease " + tenant.id(), e);
                }
            }
        }
    }

    // --- persistence and recovery ---

    private void recover() {
        try (Stream<Path> files = Files.list(home.leases())) {
            for (Path file : files.filter(f -> f.toString().endsWith(".lease")).toList()) {
                recover(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read leases in " + home.leases(), e);
        }
    }

    private void recover(Path file) {
        try {
            Properties p = AtomicFiles.read(file);
            Lease lease = readLease(p);
            String sha256 = p.getProperty("bundleSha256");
            if (lease.expiredAt(Instant.now())) {
                LOG.info(() -> "lease " + lease.id() + " expired while the kernel was down; finishing it");
                endOffline(lease.id());
                return;
            }
            byte[] bytes = Files.readAllBytes(bundleFile(sha256));
            admit(lease, sha256, bytes); // a bundle changed on disk meanwhile is not trusted again
            start(lease, sha256, bytes);
        } catch (IOException | BundleException | AdmissionRefused | RuntimeException e) {
            LOG.log(Level.SEVERE, "lease in " + file + " cannot be resumed; ending it", e);
            String leaseId = file.getFileName().toString().replace(".lease", "");
            endOffline(leaseId);
        }
    }

    /** Ends a lease whose app is not running: uninstall what the framework kept, write the final record. */
    private synchronized void endOffline(String leaseId) {
        Lease lease = null;
        String sha256 = null;
        try {
            Properties p = AtomicFiles.read(leaseFile(leaseId));
            lease = readLease(p);
            sha256 = p.getProperty("bundleSha256");
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "lease file of " + leaseId + " unreadable", e);
        }
        if (lease != null) {
            Bundle installed = context.getBundle(Tenant.location(lease));
            if (installed != null) {
                uninstallQuietly(installed);
            }
            try {
                LeaseUsage usage = new LeaseUsage();
                Tenant tenant = new Tenant(lease, sha256, new LeaseStore(home.stores().resolve(leaseId), 0, usage),
                        usage);
                meter.open(tenant);
                meter.close(tenant);
                tenant.store().destroy();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "lease " + leaseId + ": store not fully deleted", e);
            }
        }
        forgetFiles(leaseId, sha256);
    }

    private void forgetFiles(String leaseId, String sha256) {
        try {
            Files.deleteIfExists(leaseFile(leaseId));
            if (sha256 != null && !bundleInUse(sha256, leaseId)) {
                Files.deleteIfExists(bundleFile(sha256));
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "lease " + leaseId + ": files not fully deleted", e);
        }
    }

    private boolean bundleInUse(String sha256, String exceptLease) {
        return tenancy.all().stream().anyMatch(t -> !t.id().equals(exceptLease) && t.bundleSha256().equals(sha256));
    }

    private Path leaseFile(String leaseId) {
        if (!leaseId.matches("[A-Za-z0-9._\\-]{1,100}")) {
            throw new IllegalArgumentException("lease id '" + leaseId + "' must be 1-100 characters of A-Z a-z 0-9 . _ -");
        }
        return home.leases().resolve(leaseId + ".lease");
    }

    private Path bundleFile(String sha256) {
        return home.bundles().resolve(sha256 + ".jar");
    }

    private void writeLease(Lease lease, String sha256) throws IOException {
        Properties p = new Properties();
        p.setProperty("id", lease.id());
        p.setProperty("buyer", lease.buyer());
        p.setProperty("app", lease.app());
        p.setProperty("expiry", lease.expiry().toString());
        p.setProperty("cpuShare", Double.toString(lease.cpuShare()));
        p.setProperty("memoryBytes", Long.toString(lease.memoryBytes()));
        p.setProperty("storageQuotaBytes", Long.toString(lease.storageQuotaBytes()));
        p.setProperty("bandwidthBytesPerSecond", Long.toString(lease.bandwidthBytesPerSecond()));
        p.setProperty("bundleSha256", sha256);
        AtomicFiles.write(leaseFile(lease.id()), p);
    }

    private static Lease readLease(Properties p) {
        return new Lease(p.getProperty("id"), p.getProperty("buyer"), p.getProperty("app"),
                Instant.parse(p.getProperty("expiry")), Double.parseDouble(p.getProperty("cpuShare")),
                Long.parseLong(p.getProperty("memoryBytes")), Long.parseLong(p.getProperty("storageQuotaBytes")),
                Long.parseLong(p.getProperty("bandwidthBytesPerSecond")));
    }

    // --- what the platform owns ---

    /** Packages exported by platform (non-app) bundles: an app may not export them. */
    private boolean platformPackage(String pkg) {
        if (AdmissionPolicy.defaults().platformPackage().test(pkg)) {
            return true;
        }
        return platformExports().contains(pkg);
    }

    private Set<String> platformExports() {
        Set<String> packages = new HashSet<>();
        for (Bundle b : context.getBundles()) {
            if (AppLocation.isApp(b)) {
                continue;
            }
            BundleRevision revision = b.adapt(BundleRevision.class);
            if (revision == null) {
                continue;
            }
            for (BundleCapability c : revision.getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE)) {
                packages.add(String.valueOf(c.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE)));
            }
        }
        return packages;
    }
}
