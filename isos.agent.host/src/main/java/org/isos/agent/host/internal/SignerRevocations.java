package org.isos.agent.host.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.HostedApp;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * Ends every hosted lease whose bundle was signed by a certificate the server lists as revoked (the heartbeat
 * answer's {@code revokedSerials}): a buyer who revokes a leaked code-signing key stops what was signed with it
 * everywhere within a heartbeat. The lease is ended in the kernel and reported FAILED with a reason naming the
 * revocation, so the server ends it too and this agent does not host it again.
 *
 * <p>
 * The server lists a revocation once or twice (from shortly before the previous heartbeat), so the serials seen are
 * kept in {@code agent/revoked-serials} and checked again after every round of leases: a lease handed over later for
 * a bundle with a revoked signer is ended as soon as it runs. A bundle's signer is read from the signature block the
 * kernel admitted it with (the end-entity certificate there, the one the kernel verified up to the ISOS CA).
 */
final class SignerRevocations {

    /** Serials kept at most; the oldest go first (revoked certificates also expire). */
    static final int MAX_KEPT = 10_000;
    static final String REASON_PREFIX = "REVOKED_SIGNER: ";
    private static final Logger LOG = System.getLogger(SignerRevocations.class.getName());

    private final Path file;
    private final Supplier<AppHosting> hosting;
    private final Function<HostedApp, Optional<String>> signerSerial;
    private final BiConsumer<String, String> failed;
    /** Lower-case hex serials, oldest first; only the lease thread uses it. */
    private final LinkedHashSet<String> revoked = new LinkedHashSet<>();
    /** A copy of {@link #revoked} for other threads (the kernel's transport is fed from it). */
    private volatile Set<String> snapshot = Set.of();
    /** Signer serial by bundle digest: the same bytes, the same signature. */
    private final Map<String, Optional<String>> signers = new HashMap<>();

    /**
     * @param signerSerial the serial of the certificate that signed a hosted app's bundle, if it can be read
     * @param failed       told (lease id, reason) for each lease ended here
     */
    SignerRevocations(Path file, Supplier<AppHosting> hosting, Function<HostedApp, Optional<String>> signerSerial,
            BiConsumer<String, String> failed) {
        this.file = file;
        this.hosting = hosting;
        this.signerSerial = signerSerial;
        this.failed = failed;
        load();
    }

    /** Notes the serials of a heartbeat answer and ends what they signed. */
    void revoked(List<String> serials) {
        boolean added = false;
        for (String serial : serials) {
            added |= revoked.add(normal(serial));
        }
        while (revoked.size() > MAX_KEPT) {
            revoked.remove(revoked.iterator().next());
        }
        if (added) {
            snapshot = Set.copyOf(revoked);
            save();
        }
        check();
    }

    /** Ends each hosted lease whose bundle's signer is revoked; returns the leases ended. */
    List<String> check() {
        AppHosting kernel = hosting.get();
        if (kernel == null || revoked.isEmpty()) {
            return List.of();
        }
        List<String> ended = new ArrayList<>();
        List<HostedApp> hosted = kernel.hosted();
        signers.keySet().retainAll(hosted.stream().map(HostedApp::bundleSha256).toList());
        for (HostedApp app : hosted) {
            Optional<String> signer = signers.computeIfAbsent(app.bundleSha256(), sha -> signerSerial.apply(app));
            if (signer.isEmpty() || !revoked.contains(signer.get())) {
                continue;
            }
            String leaseId = app.lease().id();
            String reason = REASON_PREFIX + "the certificate " + signer.get() + " that signed bundle "
                    + app.bundleSha256() + " (" + app.symbolicName() + " " + app.version() + ") is revoked";
            try {
                kernel.end(leaseId, reason);
            } catch (RuntimeException e) {
                // ended meanwhile (expiry) or the kernel went away: it is not running either way
                LOG.log(Level.DEBUG, "ending lease " + leaseId, e);
            }
            LOG.log(Level.WARNING, "lease {0} ended: {1}", leaseId, reason);
            failed.accept(leaseId, reason);
            ended.add(leaseId);
        }
        return ended;
    }

    /** The serials known to be revoked, signers' and hosts' alike; any thread. */
    Set<String> known() {
        return snapshot;
    }

    private static String normal(String serial) {
        String s = serial.strip().toLowerCase(Locale.ROOT).replaceFirst("^0+(?=.)", "");
        return s;
    }

    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                if (line.matches("[0-9a-fA-F]{1,40}")) {
                    revoked.add(normal(line));
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read " + file + "; revoked serials are learnt again from the server", e);
        }
        snapshot = Set.copyOf(revoked);
    }

    private void save() {
        try {
            Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(temporary, revoked, StandardCharsets.US_ASCII);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // still acted on now; a restarted agent would only miss revocations older than its last heartbeat
            LOG.log(Level.WARNING, "cannot write " + file, e);
        }
    }

    /**
     * Reads a hosted app's signer from its installed bundle: the end-entity certificate of the signature block
     * ({@code META-INF/*.EC|RSA|DSA}). Through the system bundle's context, which the kernel's hooks do not filter.
     */
    static Function<HostedApp, Optional<String>> fromBundles(BundleContext context) {
        return app -> {
            BundleContext system = context.getBundle(0).getBundleContext();
            Bundle bundle = system == null ? null : system.getBundle(app.bundleId());
            if (bundle == null) {
                return Optional.empty();
            }
            for (String pattern : new String[] { "*.EC", "*.RSA", "*.DSA" }) {
                Enumeration<URL> blocks = bundle.findEntries("META-INF", pattern, false);
                while (blocks != null && blocks.hasMoreElements()) {
                    try (InputStream in = blocks.nextElement().openStream()) {
                        Optional<String> serial = endEntitySerial(in.readAllBytes());
                        if (serial.isPresent()) {
                            return serial;
                        }
                    } catch (IOException | CertificateException e) {
                        LOG.log(Level.DEBUG, "unreadable signature block in bundle " + app.bundleId(), e);
                    }
                }
            }
            return Optional.empty();
        };
    }

    /** The serial (lower-case hex) of the one certificate in a PKCS#7 signature block that is not a CA. */
    static Optional<String> endEntitySerial(byte[] signatureBlock) throws CertificateException {
        Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(new java.io.ByteArrayInputStream(signatureBlock));
        for (Certificate c : certificates) {
            if (c instanceof X509Certificate x && x.getBasicConstraints() < 0) {
                return Optional.of(x.getSerialNumber().toString(16));
            }
        }
        return Optional.empty();
    }
}
