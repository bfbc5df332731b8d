package org.isos.server.hosts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;

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
import org.isos.server.hosts.Heartbeat;
import org.isos.server.hosts.HostPolicy;
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
 * Batched heartbeats over a real H2 file store ({@link PostgresHeartbeatBatchingTest}: PostgreSQL): times wait in
 * memory for the flush, a row is written only when what the host reports changed, and liveness (reads, the
 * sweep, a second server over the same store) sees the in-memory times.
 */
class HeartbeatBatchingTest {

    /** Heartbeat period: a host is OFFLINE after 30 s of silence. */
    private static final Duration PERIOD = Duration.ofSeconds(10);
    private static final HostPolicy POLICY = new HostPolicy(2, 1_000_000, 10_000, Set.of("compute"), 5);
    private static final ReportedStatus STATUS = new ReportedStatus(false, null, 0, "127.0.0.1:4000", POLICY);

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
        hosts = batched();
    }

    /** The store's configuration: the default H2 file store in the data directory. */
    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    private JdbcHosts batched() {
        return new JdbcHosts(store, ca, PERIOD, clock, Duration.ofSeconds(1));
    }

    @AfterEach
    void stop() {
        if (hosts != null) {
            hosts.close();
        }
        store.close();
    }

    @Test
    void theFlushWritesEachHostsLatestTimeAndDescription() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        Instant first = clock.instant();
        Heartbeat beat = hosts.heartbeat(hostId, host, "{\"cores\":8}", STATUS);
        assertNull(beat.previous());
        // the first heartbeat makes the row ONLINE with the reported status at once; the description waits
        assertEquals("ONLINE", stored(hostId).status());
        assertEquals(first, stored(hostId).lastHeartbeat());
        assertNull(stored(hostId).description());
        assertEquals("{\"cores\":8}", only().description(), "the list shows what waits for the flush");

        clock.advance(Duration.ofSeconds(3));
        Instant second = clock.instant();
        beat = hosts.heartbeat(hostId, host, "{\"cores\":8}", STATUS);
        assertEquals(first, beat.previous());
        clock.advance(Duration.ofSeconds(3));
        Instant third = clock.instant();
        assertEquals(second, hosts.heartbeat(hostId, host, "{\"cores\":8}", STATUS).previous(),
                "the previous heartbeat is the one in memory");
        assertEquals(first, stored(hostId).lastHeartbeat(), "not written before the flush");
        assertEquals(third, only().lastHeartbeat(), "the list shows the heartbeat in memory");

        assertEquals(1, hosts.flush());
        assertEquals(third, stored(hostId).lastHeartbeat());
        assertEquals("{\"cores\":8}", stored(hostId).description());
        assertEquals(0, hosts.flush(), "nothing waits any more");

        // a flush never moves a stored time back (a newer one written by another server stays)
        Instant later = third.plusSeconds(60);
        setStoredHeartbeat(hostId, later);
        clock.advance(Duration.ofSeconds(1));
        hosts.heartbeat(hostId, host, null, STATUS);
        hosts.flush();
        assertEquals(later, stored(hostId).lastHeartbeat());
    }

    @Test
    void aRowIsNotRewrittenWhenNothingChangedAndIsWhenSomethingDid() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        hosts.heartbeat(hostId, host, "{\"cores\":8}", STATUS);
        hosts.flush();
        Instant written = stored(hostId).lastHeartbeat();

        // another transaction holds the row's lock: an unchanged heartbeat neither writes nor waits for it
        try (Connection other = store.connection()) {
            other.setAutoCommit(false);
            try (PreparedStatement lock = other.prepareStatement("SELECT id FROM hosts WHERE id = ? FOR UPDATE")) {
                lock.setString(1, hostId);
                lock.executeQuery().close();
            }
            clock.advance(Duration.ofSeconds(2));
            assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> hosts.heartbeat(hostId, host, "{\"cores\":8}", STATUS));
            other.rollback();
            other.setAutoCommit(true);
        }
        assertEquals(written, stored(hostId).lastHeartbeat());

        // an unchanged description is not written again: a value put into the row meanwhile stays
        setStoredDescription(hostId, "{\"written\":\"elsewhere\"}");
        hosts.heartbeat(hostId, host, "{\"cores\":8}", STATUS);
        hosts.flush();
        assertEquals("{\"written\":\"elsewhere\"}", stored(hostId).description());
        hosts.heartbeat(hostId, host, "{\"cores\":16}", STATUS);
        hosts.flush();
        assertEquals("{\"cores\":16}", stored(hostId).description());

        // a changed status is written with the heartbeat, before any flush
        clock.advance(Duration.ofSeconds(2));
        ReportedStatus busier = new ReportedStatus(false, null, 1, "127.0.0.1:4000", POLICY);
        hosts.heartbeat(hostId, host, null, busier);
        assertEquals(busier, stored(hostId).reported());
        assertEquals(clock.instant(), stored(hostId).lastHeartbeat());
        // and so is a changed policy, and a suspension
        ReportedStatus cheaper = new ReportedStatus(true, "owner at the keyboard", 1, "127.0.0.1:4000",
                new HostPolicy(2, 1_000_000, 10_000, Set.of("compute", "storage"), 1));
        hosts.heartbeat(hostId, host, null, cheaper);
        assertEquals(cheaper, stored(hostId).reported());
        assertEquals(cheaper, only().reported());
    }

    @Test
    void livenessSeesTheTimesInMemoryAndTheSweepFlushesFirst() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        hosts.heartbeat(hostId, host, "{}", STATUS);
        Instant first = clock.instant();
        clock.advance(Duration.ofSeconds(25));
        hosts.heartbeat(hostId, host, "{}", STATUS);
        assertEquals(first, stored(hostId).lastHeartbeat(), "in memory only");

        // 35 s after the row's time, 10 s after the one in memory: ONLINE on read and for the sweep
        clock.advance(Duration.ofSeconds(10));
        assertEquals("ONLINE", only().status());
        assertEquals(0, hosts.sweep());
        assertEquals("ONLINE", stored(hostId).status());
        assertEquals(first.plusSeconds(25), stored(hostId).lastHeartbeat(), "the sweep flushed first");

        // silent for more than three periods: OFFLINE on read, then in the row
        clock.advance(Duration.ofSeconds(21));
        assertEquals("OFFLINE", only().status());
        assertEquals(1, hosts.sweep());
        assertEquals("OFFLINE", stored(hostId).status());

        // its next heartbeat, with nothing else changed, writes the row ONLINE at once
        hosts.heartbeat(hostId, host, "{}", STATUS);
        assertEquals("ONLINE", stored(hostId).status());
        assertEquals(clock.instant(), stored(hostId).lastHeartbeat());
        assertEquals("ONLINE", only().status());
    }

    @Test
    void aSecondServerOverTheSameStoreSeesFlushedTimes() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        JdbcHosts other = batched();
        try {
            hosts.heartbeat(hostId, host, "{}", STATUS);
            clock.advance(Duration.ofSeconds(25));
            hosts.heartbeat(hostId, host, "{}", STATUS);
            clock.advance(Duration.ofSeconds(10));
            hosts.flush();
            // the other server never heard the host; the store tells it the host is alive
            assertEquals(0, other.sweep());
            assertEquals("ONLINE", other.hostsOf(owner).get(0).status());
            // the host moves to the other server: its heartbeat there is read against the row
            clock.advance(Duration.ofSeconds(1));
            assertEquals(clock.instant().minusSeconds(11), other.heartbeat(hostId, host, "{}", STATUS).previous());
            other.close();
            assertEquals(clock.instant(), stored(hostId).lastHeartbeat(), "close flushes");
        } finally {
            other.close();
        }
    }

    /** Batched heartbeats keep availability as write-through ones do (only status changes are written at once). */
    @Test
    void availabilityChangesWithTheStatusWhileTimesWaitForTheFlush() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        clock.advance(Duration.ofHours(24));
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        double expected = HostsTest.weighted(0, true, 24);
        assertEquals(expected, only().availability(), 1e-6);
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(true, "paused by the owner", 0));
        clock.advance(Duration.ofHours(12));
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(true, "paused by the owner", 0));
        hosts.flush();
        expected = HostsTest.weighted(expected, false, 12);
        assertEquals(expected, only().availability(), 1e-6);
        hosts.heartbeat(hostId, host, "{}", new ReportedStatus(false, null, 0));
        clock.advance(Duration.ofHours(3));
        assertEquals(HostsTest.weighted(expected, true, 3), only().availability(), 1e-6);
    }

    @Test
    void closeFlushes() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        hosts.heartbeat(hostId, host, "{}", STATUS);
        clock.advance(Duration.ofSeconds(5));
        hosts.heartbeat(hostId, host, "{\"cores\":2}", STATUS);
        hosts.close();
        hosts = null;
        assertEquals(clock.instant(), stored(hostId).lastHeartbeat());
        assertEquals("{\"cores\":2}", stored(hostId).description());
    }

    @Test
    void theFlushPeriodIsConfiguredAndKeptWellUnderTheOfflineThreshold() {
        assertEquals(Duration.ofMillis(1000), JdbcHosts.flushPeriodOf(config(30, 1000)));
        assertEquals(Duration.ZERO, JdbcHosts.flushPeriodOf(config(30, 0)), "0: write-through");
        assertEquals(Duration.ofMillis(750), JdbcHosts.flushPeriodOf(config(1, 1000)), "a quarter of 3 x 1 s");
        assertEquals(Duration.ofMillis(1500), JdbcHosts.flushPeriodOf(config(2, 5000)));
        assertThrows(IllegalArgumentException.class, () -> JdbcHosts.flushPeriodOf(config(30, -1)));
        JdbcHosts component = new JdbcHosts(config(30, 0), store, ca);
        try {
            assertEquals(Duration.ZERO, component.flushPeriod());
        } finally {
            component.close();
        }
        component = new JdbcHosts(TestConfigs.of(LivenessConfig.class, Map.of()), store, ca);
        try {
            assertEquals(Duration.ofSeconds(1), component.flushPeriod(), "the default");
            assertTrue(Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().equals("isos-hosts-heartbeat-flush")));
        } finally {
            component.close();
        }
    }

    @Test
    void theComponentFlushesOnItsOwnThread() throws Exception {
        X509Certificate host = enroll();
        String hostId = JdbcHosts.commonNameOf(host);
        JdbcHosts component = new JdbcHosts(config(1, 100), store, ca);
        try {
            component.heartbeat(hostId, host, "{\"flushed\":true}", STATUS);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (stored(hostId).description() == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals("{\"flushed\":true}", stored(hostId).description(), "flushed without a sweep or close");
        } finally {
            component.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static LivenessConfig config(int heartbeatSeconds, int flushMillis) {
        return TestConfigs.of(LivenessConfig.class, Map.of("heartbeatSeconds", heartbeatSeconds,
                "heartbeatFlushMillis", flushMillis));
    }

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

    private HostStatus only() throws Exception {
        var list = hosts.hostsOf(owner);
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }

    /** The row as stored. */
    private record Row(String status, Instant lastHeartbeat, String description, ReportedStatus reported) {
    }

    private Row stored(String hostId) throws Exception {
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT status, last_heartbeat, description, suspended, suspended_reason, apps, transport_address, "
                        + "max_cpu_share, storage_quota_bytes, bandwidth_cap_bytes_per_second, accepts_compute, "
                        + "accepts_storage, accepts_streaming, minimum_price_per_hour_micros FROM hosts WHERE id = ?")) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                OffsetDateTime last = r.getObject(2, OffsetDateTime.class);
                boolean suspended = r.getBoolean(4);
                ReportedStatus reported = null;
                if (!r.wasNull()) {
                    HostPolicy policy = null;
                    double cpu = r.getDouble(8);
                    if (!r.wasNull()) {
                        Set<String> categories = new java.util.TreeSet<>();
                        if (r.getBoolean(11)) {
                            categories.add("compute");
                        }
                        if (r.getBoolean(12)) {
                            categories.add("storage");
                        }
                        if (r.getBoolean(13)) {
                            categories.add("streaming");
                        }
                        policy = new HostPolicy(cpu, r.getLong(9), r.getLong(10), categories, r.getLong(14));
                    }
                    reported = new ReportedStatus(suspended, r.getString(5), r.getInt(6), r.getString(7), policy);
                }
                return new Row(r.getString(1), last == null ? null : last.toInstant(), r.getString(3), reported);
            }
        }
    }

    private void setStoredHeartbeat(String hostId, Instant at) throws Exception {
        try (Connection c = store.connection();
                PreparedStatement u = c.prepareStatement("UPDATE hosts SET last_heartbeat = ? WHERE id = ?")) {
            u.setObject(1, OffsetDateTime.ofInstant(at, java.time.ZoneOffset.UTC));
            u.setString(2, hostId);
            assertEquals(1, u.executeUpdate());
        }
    }

    private void setStoredDescription(String hostId, String description) throws Exception {
        try (Connection c = store.connection();
                PreparedStatement u = c.prepareStatement("UPDATE hosts SET description = ? WHERE id = ?")) {
            u.setString(1, description);
            u.setString(2, hostId);
            assertEquals(1, u.executeUpdate());
        }
    }
}
