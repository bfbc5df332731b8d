package org.isos.server.hosts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.HostRefused;
import org.isos.server.hosts.HostStatus;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.testkit.MovableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Heartbeats with their reported status, and liveness (OFFLINE after three missed heartbeats, computed on
 * read and swept), over a real H2 file store with a clock the test moves ({@link PostgresHostsTest}: the
 * same on PostgreSQL).
 */
class HostsTest {

    private static final Duration PERIOD = Duration.ofSeconds(10);

    @TempDir
    Path data;
    private JdbcStore store;
    private BouncyCastleAuthority ca;
    private Account owner;
    private MovableClock clock;
    private JdbcHosts hosts;

    @BeforeEach
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        owner = new JdbcAccounts(store).create(AccountKind.OWNER, "Mary").account();
        clock = new MovableClock(Instant.now().truncatedTo(ChronoUnit.MICROS));
        hosts = new JdbcHosts(store, ca, PERIOD, clock);
    }

    /** The store's configuration: the default H2 file store in the data directory. */
    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        if (hosts != null) {
            hosts.close();
        }
        store.close();
    }

    @Test
    void aHeartbeatStoresTheReportedStatusAndTheListShowsIt() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        HostStatus enrolled = only(hosts.hostsOf(owner));
        assertEquals("ENROLLING", enrolled.status());
        assertNull(enrolled.reported(), "nothing reported before the first heartbeat");
        assertEquals(java.util.Arrays.asList(null, null, null), row(hostId).subList(2, 5));

        hosts.heartbeat(hostId, host, "{\"cores\":8}", new ReportedStatus(true, "the owner is at the keyboard", 2));
        HostStatus listed = only(hosts.hostsOf(owner));
        assertEquals("ONLINE", listed.status());
        assertEquals(new ReportedStatus(true, "the owner is at the keyboard", 2), listed.reported());
        assertEquals(List.of("ONLINE", clock.instant(), true, "the owner is at the keyboard", 2), row(hostId));

        hosts.heartbeat(hostId, host, null, new ReportedStatus(false, null, 0));
        assertEquals(new ReportedStatus(false, null, 0), only(hosts.hostsOf(owner)).reported());
        assertEquals("{\"cores\":8}", only(hosts.hostsOf(owner)).description(), "a null description keeps the stored one");
        // without a status (the 1.1 method) the stored one stays
        hosts.heartbeat(hostId, host, null);
        assertEquals(new ReportedStatus(false, null, 0), only(hosts.hostsOf(owner)).reported());

        // since 1.3: transport and policy, kept in columns for matching and listed
        org.isos.server.hosts.HostPolicy policy = new org.isos.server.hosts.HostPolicy(0.5, 1_000, 2_000,
                java.util.Set.of("storage"), 7);
        hosts.heartbeat(hostId, host, null, new ReportedStatus(false, null, 1, "[::1]:4000", policy));
        assertEquals(new ReportedStatus(false, null, 1, "[::1]:4000", policy), only(hosts.hostsOf(owner)).reported());
        assertThrows(IllegalArgumentException.class, () -> new ReportedStatus(false, null, 0, "no-port", null));
        assertThrows(IllegalArgumentException.class, () -> new ReportedStatus(false, null, 0, "h:0", null));
        assertThrows(IllegalArgumentException.class, () -> new org.isos.server.hosts.HostPolicy(0, 1, 1,
                java.util.Set.of(), 0));
        assertThrows(IllegalArgumentException.class, () -> new org.isos.server.hosts.HostPolicy(1, 1, 1,
                java.util.Set.of("gaming"), 0));
        hosts.heartbeat(hostId, host, null, new ReportedStatus(false, null, 0));
        assertEquals(new ReportedStatus(false, null, 0), only(hosts.hostsOf(owner)).reported(), "no policy: cleared");

        HostRefused tooLong = assertThrows(HostRefused.class,
                () -> hosts.heartbeat(hostId, host, null, new ReportedStatus(true, "x".repeat(1001), 0)));
        assertEquals(HostRefused.Reason.BAD_REQUEST, tooLong.reason());
        assertEquals(new ReportedStatus(false, null, 0), only(hosts.hostsOf(owner)).reported(), "nothing stored");
        assertThrows(IllegalArgumentException.class, () -> new ReportedStatus(false, null, -1));
    }

    @Test
    void aSilentHostIsOfflineOnReadThenSweptAndItsNextHeartbeatBringsItBack() throws Exception {
        X509Certificate silent = enroll();
        X509Certificate alive = enroll();
        X509Certificate enrolling = enroll();
        String silentId = JdbcHosts.commonNameOf(silent);
        String aliveId = JdbcHosts.commonNameOf(alive);
        String enrollingId = JdbcHosts.commonNameOf(enrolling);
        hosts.heartbeat(silentId, silent, "{}", new ReportedStatus(false, null, 1));
        Instant last = clock.instant();

        // exactly three periods later: not older than three periods yet
        clock.advance(PERIOD.multipliedBy(2));
        hosts.heartbeat(aliveId, alive, "{}", new ReportedStatus(false, null, 0));
        clock.advance(PERIOD);
        assertEquals("ONLINE", statusOf(silentId));
        assertEquals(0, hosts.sweep());

        // a microsecond more: OFFLINE when read, before any sweep; the row is still ONLINE
        clock.advance(Duration.ofNanos(1000));
        assertEquals("OFFLINE", statusOf(silentId));
        assertEquals("ONLINE", statusOf(aliveId));
        assertEquals("ENROLLING", statusOf(enrollingId), "never heartbeat: not OFFLINE");
        assertEquals("ONLINE", row(silentId).get(0));

        // the sweep marks it in the row, only it, once
        assertEquals(1, hosts.sweep());
        assertEquals("OFFLINE", row(silentId).get(0));
        assertEquals(last, row(silentId).get(1), "last_heartbeat stays");
        assertEquals("ONLINE", row(aliveId).get(0));
        assertEquals("ENROLLING", row(enrollingId).get(0));
        assertEquals(0, hosts.sweep());
        assertEquals("OFFLINE", statusOf(silentId));
        assertEquals(new ReportedStatus(false, null, 1), find(silentId).reported(), "the last report stays");

        // it comes back with its next heartbeat
        hosts.heartbeat(silentId, silent, null, new ReportedStatus(true, "back", 0));
        assertEquals(List.of("ONLINE", clock.instant(), true, "back", 0), row(silentId));
        assertEquals("ONLINE", statusOf(silentId));

        // everyone silent long enough: both ONLINE hosts go in one sweep
        clock.advance(Duration.ofMinutes(5));
        assertEquals("OFFLINE", statusOf(aliveId));
        assertEquals(2, hosts.sweep());
        assertEquals("ENROLLING", row(enrollingId).get(0));
    }

    /**
     * Availability is the share of time ONLINE and not suspended, each moment weighted by e^(-age / 1 day): computed
     * here step by step from that definition, for a host that is up a day, suspended half a day, back for a quarter,
     * then silent (swept OFFLINE) and away a day.
     */
    @Test
    void availabilityFollowsTheHostsStatusChanges() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        assertEquals(0, find(hostId).availability(), "enrolled: no history");
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        assertEquals(0, find(hostId).availability(), 1e-9, "just online");
        double expected = 0;
        // up a day (heartbeats all along; a heartbeat without a change rewrites nothing of it)
        clock.advance(Duration.ofHours(12));
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        clock.advance(Duration.ofHours(12));
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        expected = weighted(expected, true, 24);
        assertEquals(1 - Math.exp(-1), expected, 1e-12);
        assertEquals(expected, find(hostId).availability(), 1e-6);
        // the owner suspends it for half a day
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(true, "owner at the keyboard", 0));
        clock.advance(Duration.ofHours(12));
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(true, "owner at the keyboard", 0));
        expected = weighted(expected, false, 12);
        assertEquals(expected, find(hostId).availability(), 1e-6);
        // back for six hours
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        clock.advance(Duration.ofHours(6));
        expected = weighted(expected, true, 6);
        assertEquals(expected, find(hostId).availability(), 1e-6);
        // then silent: the sweep marks it OFFLINE, from which time it counts as away
        assertEquals(1, hosts.sweep());
        clock.advance(Duration.ofDays(1));
        expected = weighted(expected, false, 24);
        assertEquals(expected, find(hostId).availability(), 1e-6);
        assertTrue(expected > 0.15 && expected < 0.25, "about a fifth: " + expected);
        // its next heartbeat brings it back
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        clock.advance(Duration.ofHours(1));
        assertEquals(weighted(expected, true, 1), find(hostId).availability(), 1e-6);
    }

    /** The availability {@code hours} later, from {@code from}, the host having been available or not meanwhile. */
    static double weighted(double from, boolean available, double hours) {
        double keep = Math.exp(-hours / 24);
        return from * keep + (available ? 1 - keep : 0);
    }

    @Test
    void theSweepRunsOnItsOwnThreadUntilClosed() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        clock.advance(Duration.ofMinutes(1));
        assertEquals("ONLINE", row(hostId).get(0));
        hosts.startSweeping(Duration.ofMillis(20));
        assertThrows(IllegalStateException.class, () -> hosts.startSweeping(Duration.ofMillis(20)));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!"OFFLINE".equals(row(hostId).get(0)) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("OFFLINE", row(hostId).get(0), "swept without a read");
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("isos-hosts-liveness")));
        hosts.close();

        // after close nothing sweeps: a host back ONLINE and silent again stays ONLINE in its row
        hosts.heartbeat(hostId, host, null, null);
        clock.advance(Duration.ofMinutes(1));
        Thread.sleep(100);
        assertEquals("ONLINE", row(hostId).get(0));
        assertEquals("OFFLINE", statusOf(hostId), "but reads still say OFFLINE");
    }

    @Test
    void theComponentTakesTheApisHeartbeatPeriod() throws Exception {
        JdbcHosts component = new JdbcHosts(TestConfigs.of(LivenessConfig.class, Map.of("heartbeatSeconds", 7)), store, ca);
        try {
            assertEquals(Duration.ofSeconds(21), Duration.between(component.offlineBefore(), Instant.now()).plusMillis(500)
                    .truncatedTo(ChronoUnit.SECONDS));
        } finally {
            component.close();
        }
        assertThrows(IllegalArgumentException.class,
                () -> new JdbcHosts(TestConfigs.of(LivenessConfig.class, Map.of("heartbeatSeconds", 0)), store, ca));
    }

    // ------------------------------------------------------------------ helpers

    private X509Certificate enroll() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + hostId), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        }
        return hosts.enroll(owner, out.toString().getBytes(StandardCharsets.US_ASCII), null).certificate().certificate();
    }

    private static HostStatus only(List<HostStatus> list) {
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }

    private HostStatus find(String hostId) throws Exception {
        return hosts.hostsOf(owner).stream().filter(h -> h.hostId().equals(hostId)).findFirst().orElseThrow();
    }

    private String statusOf(String hostId) throws Exception {
        return find(hostId).status();
    }

    /** status, last_heartbeat, suspended, suspended_reason, apps as stored. */
    private List<Object> row(String hostId) throws Exception {
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT status, last_heartbeat, suspended, suspended_reason, apps FROM hosts WHERE id = ?")) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                java.time.OffsetDateTime last = r.getObject(2, java.time.OffsetDateTime.class);
                Boolean suspended = r.getBoolean(3);
                if (r.wasNull()) {
                    suspended = null;
                }
                Integer apps = r.getInt(5);
                if (r.wasNull()) {
                    apps = null;
                }
                return java.util.Arrays.asList(r.getString(1), last == null ? null : last.toInstant(), suspended,
                        r.getString(4), apps);
            }
        }
    }

}
