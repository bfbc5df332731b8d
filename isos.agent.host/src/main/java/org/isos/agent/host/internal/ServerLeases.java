package org.isos.agent.host.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.isos.admission.AdmissionRefused;
import org.isos.admission.BundleAdmission;
import org.isos.admission.Rule;
import org.isos.agent.host.internal.HeartbeatMessages.Ended;
import org.isos.agent.host.internal.HeartbeatMessages.Granted;
import org.isos.agent.host.internal.HeartbeatMessages.LeaseReport;
import org.isos.kernel.api.Lease;
import org.isos.kernel.host.AppHosting;
import org.isos.kernel.host.HostedApp;
import org.isos.kernel.wire.LeaseGrant;

/**
 * Carries out the leases the server's heartbeat answers name (docs/protocol.md, "Agents"): hosts those
 * the kernel does not run (the bundle fetched by digest), renews those whose expiry moved, ends those the
 * server ended, and leaves alone what it runs that the server lists in neither place, so a server outage
 * or a server catching up never stops an app before its own expiry.
 *
 * <p>
 * What it reported for each lease (ACTIVE, FAILED with the refusal, ENDED with why) is kept in
 * {@code <isos.data>/agent/server-leases.properties}, written atomically, so a restarted agent reports the
 * same outcomes and does not fetch and refuse a FAILED lease again at every heartbeat. Outcomes of
 * leases the server lists nowhere any more are forgotten after {@link #FORGET_AFTER}.
 *
 * <p>
 * {@link #reconcile} runs on a thread of the caller's choosing (the agent's {@code isos-server-leases}),
 * never the heartbeat loop's or the kernel's: hosting fetches a bundle and starts an app, ending waits
 * for the app's checkpoint grace.
 */
final class ServerLeases {

    static final String ACTIVE = "ACTIVE";
    static final String FAILED = "FAILED";
    static final String ENDED = "ENDED";
    /** How long an outcome the server no longer lists is still reported (its {@code ended} list covers an hour). */
    static final Duration FORGET_AFTER = Duration.ofHours(2);
    /** The refusal of a bundle the server would not hand over. */
    static final String BUNDLE_UNAVAILABLE = "BUNDLE_UNAVAILABLE";
    private static final Logger LOG = System.getLogger(ServerLeases.class.getName());

    /** Where bundles come from: the server's repository, by digest. */
    interface BundleSource {
        /**
         * The jar with this digest.
         *
         * @throws BundleUnavailable the server refused it (not worth asking again for this lease)
         * @throws IOException       the server could not be reached or failed: try again later
         */
        byte[] fetch(String sha256) throws IOException, InterruptedException, BundleUnavailable;
    }

    /** The server refused to hand over a bundle; the message says why ({@code HTTP 404: …}). */
    static final class BundleUnavailable extends Exception {
        private static final long serialVersionUID = 1L;

        BundleUnavailable(String message) {
            super(message);
        }
    }

    /**
     * One lease's reported outcome; {@code expiry} as last known, null when never known; {@code running} the bundle
     * it runs (null when not known), {@code refusedBundle} and {@code updateRefused} the last update refused and why.
     */
    record Outcome(String state, String reason, Instant expiry, Instant updated, String running, String refusedBundle,
            String updateRefused) {

        Outcome(String state, String reason, Instant expiry, Instant updated) {
            this(state, reason, expiry, updated, null, null, null);
        }
    }

    private final Path file;
    private final Supplier<AppHosting> hosting;
    private final Supplier<String> hostId;
    private final BundleSource bundles;
    private final Clock clock;
    private final Runnable changed;
    private final Runnable ended;
    /** Outcomes by lease id, in the order first seen; guarded by this. */
    private final Map<String, Outcome> outcomes = new LinkedHashMap<>();
    /** An outcome or expiry changed since the file was written; guarded by this. */
    private boolean dirty;
    /** Problems already logged, so a lease failing to renew or fetch every period is logged once. */
    private final Set<String> logged = new HashSet<>();
    /** Off but in the job service's cheating-host tests. */
    private volatile CheatingHostHarness harness = CheatingHostHarness.OFF;

    /**
     * @param changed called after an outcome changed (the heartbeat should tell the server soon)
     * @param ended   called after a lease was ended here (its final usage record is ready to deliver)
     */
    ServerLeases(Path file, Supplier<AppHosting> hosting, Supplier<String> hostId, BundleSource bundles, Clock clock,
            Runnable changed, Runnable ended) {
        this.file = file;
        this.hosting = hosting;
        this.hostId = hostId;
        this.bundles = bundles;
        this.clock = clock;
        this.changed = changed;
        this.ended = ended;
        load();
    }

    void harness(CheatingHostHarness harness) {
        this.harness = harness;
    }

    /**
     * A lease this agent ended on its own account (its bundle's signer was revoked): FAILED with {@code reason}, so
     * the server ends it and this agent does not host it again while the server still lists it.
     */
    void failedHere(String id, String reason) {
        boolean change = record(id, FAILED, reason, null);
        if (takeDirty()) {
            save();
        }
        if (change) {
            changed.run();
        }
        ended.run();
    }

    /** Every outcome this agent knows, for the heartbeat's {@code status.leases}. */
    synchronized List<LeaseReport> report() {
        List<LeaseReport> reports = new ArrayList<>();
        outcomes.forEach((id, o) -> reports.add(new LeaseReport(id, o.state(), o.reason(),
                o.state().equals(ACTIVE) ? o.running() : null, o.refusedBundle(), o.updateRefused())));
        return reports;
    }

    /** Lease id → outcome, for the status file. */
    synchronized Map<String, Outcome> outcomes() {
        return new TreeMap<>(outcomes);
    }

    /**
     * One answer's leases carried out. Does nothing while the kernel is down (its services gone): the
     * next answer is acted on instead.
     */
    void reconcile(List<Granted> leases, List<Ended> endedLeases) throws InterruptedException {
        AppHosting kernel = hosting.get();
        String host = hostId.get();
        if (kernel == null || host == null) {
            return;
        }
        Map<String, HostedApp> running = hosted(kernel);
        boolean anyChange = false;
        boolean anyEnded = false;
        Set<String> listed = new HashSet<>();
        for (Granted g : leases) {
            listed.add(g.id());
            anyChange |= run(kernel, host, g, running.get(g.id()));
        }
        for (Ended e : endedLeases) {
            listed.add(e.id());
            if (running.containsKey(e.id())) {
                try {
                    kernel.end(e.id(), e.reason());
                    LOG.log(Level.INFO, "lease {0} ended by the server: {1}", e.id(), e.reason());
                    anyEnded = true;
                } catch (RuntimeException ex) {
                    // ended meanwhile (expiry) or the kernel went away: the record says ENDED either way
                    LOG.log(Level.DEBUG, "ending lease " + e.id(), ex);
                }
                anyChange |= record(e.id(), ENDED, e.reason(), null);
            } else {
                Outcome o = outcome(e.id());
                if (o != null && o.state().equals(ACTIVE)) {
                    anyChange |= record(e.id(), ENDED, e.reason(), null);
                }
            }
        }
        // leases that stopped here on their own (expired, or ended by hand) while the server lists them nowhere
        running = hosted(kernel);
        Instant now = clock.instant();
        for (Map.Entry<String, Outcome> entry : outcomes().entrySet()) {
            String id = entry.getKey();
            Outcome o = entry.getValue();
            if (listed.contains(id) || running.containsKey(id)) {
                continue;
            }
            if (o.state().equals(ACTIVE)) {
                String why = o.expiry() != null && !now.isBefore(o.expiry()) ? "expired at " + o.expiry()
                        : "no longer running on this host";
                anyChange |= record(id, ENDED, why, null);
            } else if (o.updated().plus(FORGET_AFTER).isBefore(now)) {
                anyChange |= forget(id);
            }
        }
        if (takeDirty()) {
            save();
        }
        if (anyChange) {
            changed.run();
        }
        if (anyEnded) {
            ended.run();
        }
    }

    /** One lease the server wants run here; true when its outcome changed. */
    private boolean run(AppHosting kernel, String host, Granted g, HostedApp app) throws InterruptedException {
        if (app != null) {
            if (g.lease() != null && !app.lease().expiry().equals(g.lease().expiry())
                    && g.lease().expiry().isAfter(clock.instant())) {
                try {
                    kernel.renew(g.id(), g.lease().expiry());
                    LOG.log(Level.INFO, "lease {0} renewed until {1}", g.id(), g.lease().expiry());
                } catch (RuntimeException e) {
                    logOnce("renew " + g.id() + " " + g.lease().expiry(), Level.WARNING,
                            "lease " + g.id() + " not renewed until " + g.lease().expiry() + ": " + e.getMessage());
                }
            }
            Instant expiry = g.lease() != null ? g.lease().expiry() : app.lease().expiry();
            // a harness-swapped app never runs the leased digest: that is the cheat, not a wanted update
            if (g.bundleSha256() != null && !g.bundleSha256().equals(app.bundleSha256())
                    && !harness.swaps(app.symbolicName())) {
                return update(kernel, g, app, expiry);
            }
            Outcome known = outcome(g.id());
            return record(g.id(), ACTIVE, null, expiry, app.bundleSha256(),
                    known == null ? null : known.refusedBundle(), known == null ? null : known.updateRefused());
        }
        Outcome known = outcome(g.id());
        if (known != null && known.state().equals(FAILED)) {
            return false; // reported; the server marks it FAILED and stops listing it
        }
        if (g.lease() == null) {
            return record(g.id(), FAILED, InboxRequest.BAD_INPUT + ": " + g.problem(), null);
        }
        if (g.lease().expiredAt(clock.instant())) {
            return false; // the server catches up at its next look
        }
        byte[] jar;
        try {
            jar = bundles.fetch(g.bundleSha256());
        } catch (BundleUnavailable e) {
            return record(g.id(), FAILED, BUNDLE_UNAVAILABLE + ": bundle " + g.bundleSha256() + ": " + e.getMessage(),
                    g.lease().expiry());
        } catch (IOException e) {
            logOnce("fetch " + g.id(), Level.WARNING,
                    "lease " + g.id() + ": bundle " + g.bundleSha256() + " not fetched (trying again): " + e.getMessage());
            return false;
        }
        String digest = BundleAdmission.sha256Hex(jar);
        if (!digest.equals(g.bundleSha256())) {
            return record(g.id(), FAILED, Rule.DIGEST_MISMATCH.name() + ": the server's bundle " + g.bundleSha256()
                    + " hashes to " + digest, g.lease().expiry());
        }
        String sha256 = g.bundleSha256();
        try {
            byte[] hostedJar = harness.jarFor(g.lease().app(), jar);
            if (hostedJar != jar) {
                jar = hostedJar;
                sha256 = BundleAdmission.sha256Hex(jar);
            }
        } catch (IOException e) {
            return record(g.id(), FAILED, "test harness: " + e.getMessage(), g.lease().expiry());
        }
        try {
            HostedApp hosted = kernel.host(new LeaseGrant(g.lease(), host, sha256), jar);
            LOG.log(Level.INFO, "lease {0} from the server: {1} {2} {3} until {4}", g.id(), hosted.symbolicName(),
                    hosted.version(), hosted.state(), hosted.lease().expiry());
            return record(g.id(), ACTIVE, null, g.lease().expiry(), hosted.bundleSha256(), null, null);
        } catch (AdmissionRefused e) {
            LOG.log(Level.WARNING, "lease {0} from the server refused: {1}", g.id(), e.getMessage());
            return record(g.id(), FAILED, e.getMessage(), g.lease().expiry());
        } catch (RuntimeException e) {
            if (hosted(kernel).containsKey(g.id())) {
                return record(g.id(), ACTIVE, null, g.lease().expiry()); // hosted meanwhile (through the inbox)
            }
            LOG.log(Level.WARNING, "lease {0} from the server refused: {1}", g.id(), e.getMessage());
            return record(g.id(), FAILED, LeaseInbox.LEASE_REJECTED + ": " + e.getMessage(), g.lease().expiry());
        }
    }

    /**
     * The server wants another bundle run under a lease running here (hot-swap): fetched by digest, then updated in
     * place by the kernel, which keeps the old version running when it refuses. A refused bundle is not tried again
     * (the server shows the refusal until the buyer asks for another). True when what the server is told changed.
     */
    private boolean update(AppHosting kernel, Granted g, HostedApp app, Instant expiry) throws InterruptedException {
        String wanted = g.bundleSha256();
        Outcome known = outcome(g.id());
        if (known != null && wanted.equals(known.refusedBundle())) {
            return record(g.id(), ACTIVE, null, expiry, app.bundleSha256(), known.refusedBundle(), known.updateRefused());
        }
        byte[] jar;
        try {
            jar = bundles.fetch(wanted);
        } catch (BundleUnavailable e) {
            return refused(g.id(), app, expiry, wanted, BUNDLE_UNAVAILABLE + ": bundle " + wanted + ": " + e.getMessage());
        } catch (IOException e) {
            logOnce("fetch update " + g.id() + " " + wanted, Level.WARNING, "lease " + g.id() + ": bundle update " + wanted
                    + " not fetched (trying again): " + e.getMessage());
            return record(g.id(), ACTIVE, null, expiry, app.bundleSha256(), known == null ? null : known.refusedBundle(),
                    known == null ? null : known.updateRefused());
        }
        String digest = BundleAdmission.sha256Hex(jar);
        if (!digest.equals(wanted)) {
            return refused(g.id(), app, expiry, wanted, Rule.DIGEST_MISMATCH.name() + ": the server's bundle " + wanted
                    + " hashes to " + digest);
        }
        try {
            HostedApp updated = kernel.update(g.id(), wanted, jar);
            LOG.log(Level.INFO, "lease {0} updated in place: {1} {2} {3} (bundle {4})", g.id(), updated.symbolicName(),
                    updated.version(), updated.state(), wanted);
            return record(g.id(), ACTIVE, null, expiry, updated.bundleSha256(), null, null);
        } catch (AdmissionRefused | RuntimeException e) {
            LOG.log(Level.WARNING, "lease {0}: update to bundle {1} refused, the previous version runs on: {2}", g.id(),
                    wanted, e.getMessage());
            return refused(g.id(), app, expiry, wanted, e.getMessage());
        }
    }

    private boolean refused(String id, HostedApp app, Instant expiry, String bundle, String why) {
        String reason = why == null || why.isBlank() ? "update refused" : why;
        return record(id, ACTIVE, null, expiry, app.bundleSha256(), bundle,
                reason.length() > 1000 ? reason.substring(0, 1000) : reason);
    }

    private static Map<String, HostedApp> hosted(AppHosting kernel) {
        Map<String, HostedApp> running = new HashMap<>();
        kernel.hosted().forEach(app -> running.put(app.lease().id(), app));
        return running;
    }

    private synchronized Outcome outcome(String id) {
        return outcomes.get(id);
    }

    /**
     * Sets an outcome; true when what the server is told changed (state or reason). A new expiry alone
     * is only written down.
     */
    private synchronized boolean record(String id, String state, String reason, Instant expiry) {
        Outcome before = outcomes.get(id);
        return before == null ? record(id, state, reason, expiry, null, null, null)
                : record(id, state, reason, expiry, before.running(), before.refusedBundle(), before.updateRefused());
    }

    /** {@link #record(String, String, String, Instant)} with the bundle it runs and the last update it refused. */
    private synchronized boolean record(String id, String state, String reason, Instant expiry, String running,
            String refusedBundle, String updateRefused) {
        Outcome before = outcomes.get(id);
        Instant keptExpiry = expiry != null ? expiry : before == null ? null : before.expiry();
        boolean change = before == null || !before.state().equals(state) || !Objects.equals(before.reason(), reason)
                || !Objects.equals(before.running(), running) || !Objects.equals(before.refusedBundle(), refusedBundle)
                || !Objects.equals(before.updateRefused(), updateRefused);
        if (change || !Objects.equals(before.expiry(), keptExpiry)) {
            outcomes.put(id, new Outcome(state, reason, keptExpiry, change ? clock.instant() : before.updated(), running,
                    refusedBundle, updateRefused));
            dirty = true;
        }
        return change;
    }

    private synchronized boolean forget(String id) {
        boolean known = outcomes.remove(id) != null;
        dirty |= known;
        return known;
    }

    private synchronized boolean takeDirty() {
        boolean was = dirty;
        dirty = false;
        return was;
    }

    private void logOnce(String key, Level level, String message) {
        synchronized (logged) {
            if (!logged.add(key)) {
                return;
            }
            if (logged.size() > 10_000) {
                logged.clear();
                logged.add(key);
            }
        }
        LOG.log(level, message);
    }

    // --- the file ---

    private synchronized void load() {
        if (!Files.exists(file)) {
            return;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(Level.WARNING, "cannot read " + file + "; lease outcomes start afresh", e);
            return;
        }
        for (String key : new java.util.TreeSet<>(p.stringPropertyNames())) {
            if (!key.endsWith(".state")) {
                continue;
            }
            String id = key.substring(0, key.length() - ".state".length());
            String state = p.getProperty(key);
            if (!Set.of(ACTIVE, FAILED, ENDED).contains(state)) {
                LOG.log(Level.WARNING, "{0}: lease {1} has no state the agent knows ({2}); forgotten", file, id, state);
                continue;
            }
            try {
                outcomes.put(id, new Outcome(state, p.getProperty(id + ".reason"), instant(p.getProperty(id + ".expiry")),
                        p.containsKey(id + ".updated") ? Instant.parse(p.getProperty(id + ".updated")) : clock.instant(),
                        p.getProperty(id + ".running"), p.getProperty(id + ".refusedBundle"),
                        p.getProperty(id + ".updateRefused")));
            } catch (DateTimeParseException e) {
                LOG.log(Level.WARNING, "{0}: lease {1} has an unreadable time ({2}); forgotten", file, id, e.getMessage());
            }
        }
    }

    private static Instant instant(String value) {
        return value == null || value.isBlank() ? null : Instant.parse(value);
    }

    private void save() {
        Properties p = new Properties();
        synchronized (this) {
            outcomes.forEach((id, o) -> {
                p.setProperty(id + ".state", o.state());
                if (o.reason() != null) {
                    p.setProperty(id + ".reason", o.reason());
                }
                if (o.expiry() != null) {
                    p.setProperty(id + ".expiry", o.expiry().toString());
                }
                p.setProperty(id + ".updated", o.updated().toString());
                if (o.running() != null) {
                    p.setProperty(id + ".running", o.running());
                }
                if (o.refusedBundle() != null && o.updateRefused() != null) {
                    p.setProperty(id + ".refusedBundle", o.refusedBundle());
                    p.setProperty(id + ".updateRefused", o.updateRefused());
                }
            });
        }
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            p.store(out, "leases from the server and what this agent reported about them"); // escapes non-ASCII
            HostEnrollment.writeAtomically(file, out.toByteArray());
        } catch (IOException | UncheckedIOException e) {
            // the outcomes still go to the server; only a restart would forget them
            LOG.log(Level.WARNING, "cannot write " + file, e);
        }
    }
}
