package org.isos.server.leases.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.isos.kernel.api.Usage;
import org.isos.kernel.wire.UsageRecord;
import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.bank.PriceTable;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.HostLeases;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.leases.LeaseRefused;
import org.isos.server.leases.LeaseReport;
import org.isos.server.leases.LeaseRequest;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.leases.Leases;
import org.isos.server.leases.UsageOutcome;
import org.isos.server.leases.UsageReport;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.testkit.MovableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Allocation (cheapest, spread over owners, one copy of a bundle per host, exclusions, policies, not enough
 * hosts, escrow short), the lease states, heartbeat delivery and usage payment, over a real H2 file store
 * ({@link PostgresLeasesTest}: the same on PostgreSQL) with the real JDBC bank.
 */
class LeasesTest {

    private static final PriceTable PRICES = PriceTable.DEFAULT;
    /** 0.5 core, no storage at the default prices: 500 000 micro-credits an hour. */
    private static final long POSTED = 500_000;

    @TempDir
    Path data;
    private JdbcStore store;
    private BouncyCastleAuthority ca;
    private JdbcAccounts accounts;
    private JdbcHosts hosts;
    private JdbcRepository repository;
    private JdbcBank bank;
    private MovableClock clock;
    private JdbcLeases leases;
    private Account buyer;
    private String bundle;

    /** An enrolled host: its id, certificate and keys. */
    record Host(String id, X509Certificate certificate, KeyPair keys) {
    }

    @BeforeEach
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        accounts = new JdbcAccounts(store);
        hosts = new JdbcHosts(store, ca);
        repository = new JdbcRepository(store, ca);
        bank = new JdbcBank(store, PRICES);
        clock = new MovableClock(Instant.now().truncatedTo(ChronoUnit.MICROS));
        leases = new JdbcLeases(store, hosts, bank, PRICES, clock);
        buyer = accounts.create(AccountKind.BUYER, "Acme Movies").account();
        bundle = upload(buyer, "org.acme.movies");
        bank.deposit("d1", buyer.id(), 100_000_000);
    }

    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        leases.close();
        store.close();
    }

    @Test
    void thePostedPricesDefaultToThePriceTablesDefaults() {
        assertEquals(PriceTable.DEFAULT, JdbcLeases.pricesOf(TestConfigs.of(PriceConfig.class, Map.of())));
        assertEquals(new PriceTable(2, 3, 4, 5), JdbcLeases.pricesOf(TestConfigs.of(PriceConfig.class,
                Map.of("cpuCoreHourMicros", 2L, "storageGbDayMicros", 3L, "transferGbMicros", 4L, "feeBasisPoints", 5))));
        assertThrows(IllegalArgumentException.class,
                () -> JdbcLeases.pricesOf(TestConfigs.of(PriceConfig.class, Map.of("feeBasisPoints", 10_001))));
    }

    @Test
    void theCheapestHostOfEachOwnerFirstThenSecondHostsAndNeverTwoCopiesOnOneHost() throws Exception {
        Account mary = owner("Mary");
        Account john = owner("John");
        Account ann = owner("Ann");
        Host maryCheap = host(mary, 1.0, 0, "compute");
        Host maryDear = host(mary, 1.0, 900_000, "compute");
        Host johnDear = host(john, 1.0, 2_000_000, "compute");
        Host annCheap = host(ann, 1.0, 100_000, "compute");

        List<Lease> two = leases.grant(buyer, request(2));
        assertEquals(Set.of(maryCheap.id(), annCheap.id()), hostsOf(two), "cheapest host of two owners");
        for (Lease lease : two) {
            assertEquals("PENDING", lease.state());
            assertEquals(POSTED, lease.pricePerHourMicros(), "the posted price when the reserve is lower");
            assertEquals("org.acme.movies", lease.app());
            assertEquals(transportOf(lease.hostId()), lease.transportAddress());
            assertEquals(clock.instant().plusSeconds(3600), lease.expiry());
        }
        // escrow: an hour at the posted price, per lease
        assertEquals(2 * POSTED, bank.balance(buyer.id()).heldMicros());
        assertEquals(100_000_000 - 2 * POSTED, bank.balance(buyer.id()).availableMicros());

        // the third owner's host before anyone's second host, though dearer; at its reserve
        Lease third = only(leases.grant(buyer, request(1)));
        assertEquals(johnDear.id(), third.hostId());
        assertEquals(2_000_000, third.pricePerHourMicros());
        Lease fourth = only(leases.grant(buyer, request(1)));
        assertEquals(maryDear.id(), fourth.hostId());
        assertEquals(900_000, fourth.pricePerHourMicros());

        // every host runs the bundle now: none qualifies for another copy
        LeaseRefused none = assertThrows(LeaseRefused.class, () -> leases.grant(buyer, request(1)));
        assertEquals(LeaseRefused.Reason.NOT_ENOUGH_HOSTS, none.reason());
        assertEquals("only 0 of 4 host(s) qualify for 1 lease(s): 4 runs this bundle already", none.getMessage());

        // another bundle may share those hosts: room is what the policy leaves beside running leases
        String other = upload(buyer, "org.acme.other");
        assertEquals(4, leases.grant(buyer, request(other, 4, 0.5)).size());
        LeaseRefused full = assertThrows(LeaseRefused.class,
                () -> leases.grant(buyer, request(upload(buyer, "org.acme.third"), 1, 0.5)));
        assertTrue(full.getMessage().endsWith("4 no room left beside its running leases"), full.getMessage());
    }

    @Test
    void hostsThatDoNotFitAreCountedByReason() throws Exception {
        Account mary = owner("Mary");
        Host fits = host(mary, 1.0, 0, "compute");
        Host small = host(mary, 0.25, 0, "compute");
        Host storageOnly = host(mary, 1.0, 0, "storage");
        Host excluded = host(mary, 1.0, 0, "compute", "streaming");
        Host dear = host(mary, 1.0, 5_000_000, "compute");
        Host suspended = host(mary, 1.0, 0, "compute");
        leases.heartbeat(suspended.id(), suspended.certificate(), "{}",
                new ReportedStatus(true, "the owner plays games", 0, "127.0.0.1:1", policy(1.0, 0, "compute")), List.of());
        Host noPolicy = host(mary, 1.0, 0, "compute");
        leases.heartbeat(noPolicy.id(), noPolicy.certificate(), "{}", new ReportedStatus(false, null, 0), List.of());
        Host offline = host(mary, 1.0, 0, "compute");
        markOffline(offline.id());
        Host enrolling = enroll(mary);

        LeaseRequest wanted = new LeaseRequest(bundle, 3, 3600, 0.5, 0, 0, 0, 1_000_000L, "compute",
                List.of(excluded.id()));
        LeaseRefused refused = assertThrows(LeaseRefused.class, () -> leases.grant(buyer, wanted));
        assertEquals(LeaseRefused.Reason.NOT_ENOUGH_HOSTS, refused.reason());
        String message = refused.getMessage();
        assertTrue(message.startsWith("only 1 of 9 host(s) qualify for 3 lease(s): "), message);
        for (String reason : List.of("2 not online", "1 no policy reported", "1 suspended by the owner", "1 excluded",
                "1 category compute not accepted", "1 policy allows less CPU, storage or bandwidth",
                "1 reserve price above maxPricePerHourMicros")) {
            assertTrue(message.contains(reason), reason + " in " + message);
        }
        assertEquals(List.of(), leases.leasesOf(buyer, null), "nothing granted");
        assertEquals(0, bank.balance(buyer.id()).heldMicros(), "nothing held");

        assertEquals(fits.id(), only(leases.grant(buyer, new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, 1_000_000L,
                "compute", List.of(excluded.id())))).hostId());
        // a price ceiling below the posted price: no host at all
        LeaseRefused ceiling = assertThrows(LeaseRefused.class, () -> leases.grant(buyer,
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, 10L, null, null)));
        assertTrue(ceiling.getMessage().contains("posted price for these resources is 500000"), ceiling.getMessage());
        assertNotEquals(null, small);
        assertNotEquals(null, storageOnly);
        assertNotEquals(null, dear);
        assertNotEquals(null, enrolling);
    }

    @Test
    void aBuyerWhoCannotFundTheEscrowGetsNothing() throws Exception {
        Account poor = accounts.create(AccountKind.BUYER, "Poor").account();
        String poorBundle = upload(poor, "org.poor.app");
        bank.deposit("p1", poor.id(), POSTED + POSTED / 2);
        Account mary = owner("Mary");
        host(mary, 1.0, 0, "compute");
        host(owner("John"), 1.0, 0, "compute");
        LeaseRefused refused = assertThrows(LeaseRefused.class, () -> leases.grant(poor, request(poorBundle, 2, 0.5)));
        assertEquals(LeaseRefused.Reason.INSUFFICIENT_FUNDS, refused.reason());
        assertTrue(refused.getMessage().startsWith("these 2 lease(s) need 1000000 micro-credits in escrow: "),
                refused.getMessage());
        assertEquals(List.of(), leases.leasesOf(poor, null), "all or none: the first lease rolled back too");
        assertEquals(POSTED + POSTED / 2, bank.balance(poor.id()).availableMicros());
        assertEquals(0, bank.balance(poor.id()).heldMicros());
        assertEquals(1, leases.grant(poor, request(poorBundle, 1, 0.5)).size(), "one it can pay for");
    }

    @Test
    void concurrentGrantsNeverOverbookAHost() throws Exception {
        Host host = host(owner("Mary"), 1.0, 0, "compute");
        int grants = 6;
        List<String> bundles = new java.util.ArrayList<>();
        for (int i = 0; i < grants; i++) {
            bundles.add(upload(buyer, "org.acme.app" + i));
        }
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(grants);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<Object>> outcomes = new java.util.ArrayList<>();
        try {
            for (String b : bundles) {
                outcomes.add(threads.submit(() -> {
                    go.await();
                    try {
                        return only(leases.grant(buyer, request(b, 1, 1.0)));
                    } catch (LeaseRefused e) {
                        return e;
                    }
                }));
            }
            go.countDown();
            int granted = 0;
            for (java.util.concurrent.Future<Object> outcome : outcomes) {
                Object result = outcome.get(60, java.util.concurrent.TimeUnit.SECONDS);
                if (result instanceof Lease lease) {
                    assertEquals(host.id(), lease.hostId());
                    granted++;
                } else {
                    assertEquals(LeaseRefused.Reason.NOT_ENOUGH_HOSTS, ((LeaseRefused) result).reason(), result.toString());
                }
            }
            assertEquals(1, granted, "the host has room for one whole core");
        } finally {
            threads.shutdownNow();
        }
        assertEquals(1, leases.leasesOf(buyer, "PENDING").size());
        assertEquals(2 * POSTED, bank.balance(buyer.id()).heldMicros(), "one escrow held");
    }

    @Test
    void requestsAreValidatedAndOnlyBuyersLeaseTheirOwnBundles() throws Exception {
        Account mary = owner("Mary");
        host(mary, 1.0, 0, "compute");
        assertEquals(LeaseRefused.Reason.FORBIDDEN, assertThrows(LeaseRefused.class,
                () -> leases.grant(mary, request(1))).reason());
        Account other = accounts.create(AccountKind.BUYER, "Other").account();
        bank.deposit("o", other.id(), 10_000_000);
        LeaseRefused notTheirs = assertThrows(LeaseRefused.class, () -> leases.grant(other, request(1)));
        assertEquals(LeaseRefused.Reason.NOT_FOUND, notTheirs.reason());
        assertTrue(notTheirs.getMessage().contains("upload it first"), notTheirs.getMessage());
        for (LeaseRequest bad : List.of(
                new LeaseRequest("abc", 1, 3600, 0.5, 0, 0, 0, null, null, null),
                new LeaseRequest(bundle, 0, 3600, 0.5, 0, 0, 0, null, null, null),
                new LeaseRequest(bundle, 101, 3600, 0.5, 0, 0, 0, null, null, null),
                new LeaseRequest(bundle, 1, 0, 0.5, 0, 0, 0, null, null, null),
                new LeaseRequest(bundle, 1, 31L * 24 * 3600, 0.5, 0, 0, 0, null, null, null),
                new LeaseRequest(bundle, 1, 3600, 0, 0, 0, 0, null, null, null),
                new LeaseRequest(bundle, 1, 3600, Double.NaN, 0, 0, 0, null, null, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, -1, 0, 0, null, null, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, -1, 0, null, null, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, -1, null, null, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, -1L, null, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, null, "gaming", null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, null, null, null, -0.1, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, null, null, null, 1.01, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, null, null, null, Double.NaN, null),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, null, null, null, null, "25:00-01:00"),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, null, null, null, null, "9:00-17:00"),
                new LeaseRequest(bundle, 1, 3600, 0.5, 0, 0, 0, null, null, null, null, "09:00-17:00,18:00-19:00"))) {
            LeaseRefused refused = assertThrows(LeaseRefused.class, () -> leases.grant(buyer, bad), bad.toString());
            assertEquals(LeaseRefused.Reason.BAD_REQUEST, refused.reason());
            assertTrue(refused.getMessage().startsWith("field '"), refused.getMessage());
        }
        assertEquals(List.of(), leases.leasesOf(buyer, null));
    }

    @Test
    void eachHostHearsWhereTheOtherHostsRunningTheSameAppListen() throws Exception {
        Host mary = host(owner("Mary"), 1.0, 0, "compute");
        Host ann = host(owner("Ann"), 1.0, 0, "compute");
        Host john = host(owner("John"), 1.0, 0, "compute");
        Set<String> running = hostsOf(leases.grant(buyer, request(2)));
        assertEquals(2, running.size());
        for (Host host : List.of(mary, ann, john)) {
            List<Lease> peers = heartbeat(host, List.of()).peers();
            Set<String> expected = new java.util.HashSet<>(running);
            if (!expected.remove(host.id())) {
                expected.clear(); // runs none of the app: hears of no one
            }
            assertEquals(expected, hostsOf(peers), "peers of " + host.id());
            for (Lease peer : peers) {
                assertEquals(transportOf(peer.hostId()), peer.transportAddress());
            }
        }
    }

    @Test
    void aLeaseLivesPendingActiveRenewedReleasedAndHostsHearOfIt() throws Exception {
        Account mary = owner("Mary");
        Host host = host(mary, 1.0, 0, "compute");
        Lease lease = only(leases.grant(buyer, request(1)));
        assertEquals("PENDING", lease.state());

        HostLeases beat = heartbeat(host, List.of());
        assertEquals(List.of(lease.id()), ids(beat.running()), "delivered with the next heartbeat");
        assertEquals(List.of(), beat.ended());
        assertTrue(leases.holdsBundle(host.id(), bundle));

        heartbeat(host, List.of(new LeaseReport(lease.id(), "ACTIVE", null)));
        assertEquals("ACTIVE", leases.lease(buyer, lease.id()).state());
        assertEquals("ACTIVE", leases.lease(mary, lease.id()).state(), "the host's owner sees it too");
        assertEquals(LeaseRefused.Reason.NOT_FOUND, assertThrows(LeaseRefused.class,
                () -> leases.lease(owner("Stranger"), lease.id())).reason());
        assertEquals(List.of(lease.id()), ids(leases.leasesOf(mary, "ACTIVE")));
        assertEquals(List.of(), leases.leasesOf(buyer, "PENDING"));
        assertEquals(LeaseRefused.Reason.BAD_REQUEST, assertThrows(LeaseRefused.class,
                () -> leases.leasesOf(buyer, "RUNNING")).reason());

        // renewed for two hours from now: an hour more of escrow
        clock.advance(Duration.ofMinutes(10));
        Lease renewed = leases.renew(buyer, lease.id(), 7200);
        assertEquals(clock.instant().plusSeconds(7200), renewed.expiry());
        assertEquals(POSTED + JdbcLeases.escrowMicros(POSTED, 7200 - 3000), bank.balance(buyer.id()).heldMicros());
        // 30 days more need more escrow than the buyer has: refused, nothing changes
        LeaseRefused poor = assertThrows(LeaseRefused.class, () -> leases.renew(buyer, lease.id(), 10 * Leases.MAX_SECONDS));
        assertEquals(LeaseRefused.Reason.INSUFFICIENT_FUNDS, poor.reason());
        assertEquals(renewed.expiry(), leases.lease(buyer, lease.id()).expiry());
        bank.deposit("d2", buyer.id(), 400_000_000);
        assertEquals(clock.instant().plusSeconds(Leases.MAX_SECONDS),
                leases.renew(buyer, lease.id(), 10 * Leases.MAX_SECONDS).expiry(), "granted <= requested: 30 days");
        assertEquals(LeaseRefused.Reason.NOT_FOUND, assertThrows(LeaseRefused.class,
                () -> leases.renew(accounts.create(AccountKind.BUYER, "B").account(), lease.id(), 60)).reason());

        Lease released = leases.release(buyer, lease.id());
        assertEquals("RELEASED", released.state());
        assertEquals(clock.instant(), released.ended());
        assertEquals(0, bank.balance(buyer.id()).heldMicros(), "the escrow's rest is back");
        assertEquals(500_000_000, bank.balance(buyer.id()).availableMicros(), "nothing was used");
        assertEquals("RELEASED", leases.release(buyer, lease.id()).state(), "releasing again changes nothing");
        assertEquals(LeaseRefused.Reason.ENDED, assertThrows(LeaseRefused.class,
                () -> leases.renew(buyer, lease.id(), 60)).reason());
        assertFalse(leases.holdsBundle(host.id(), bundle));

        HostLeases after = heartbeat(host, List.of());
        assertEquals(List.of(), after.running());
        assertEquals(List.of(lease.id()), ids(after.ended()), "the host ends it");
    }

    @Test
    void aRunningLeasesBundleIsUpdatedInPlaceAndTheHostsOutcomeShown() throws Exception {
        Account mary = owner("Mary");
        Host host = host(mary, 1.0, 0, "compute");
        Lease lease = only(leases.grant(buyer, request(1)));
        heartbeat(host, List.of(new LeaseReport(lease.id(), "ACTIVE", null, bundle, null, null)));
        Lease active = leases.lease(buyer, lease.id());
        assertEquals(bundle, active.runningBundle());
        assertNull(active.updateReason());

        // refusals: not a digest, another buyer's lease, a bundle of another app, one of another buyer
        assertEquals(LeaseRefused.Reason.BAD_REQUEST, assertThrows(LeaseRefused.class,
                () -> leases.updateBundle(buyer, lease.id(), "abc")).reason());
        Account other = accounts.create(AccountKind.BUYER, "Other").account();
        String othersBundle = upload(other, "org.acme.movies");
        assertEquals(LeaseRefused.Reason.NOT_FOUND, assertThrows(LeaseRefused.class,
                () -> leases.updateBundle(other, lease.id(), othersBundle)).reason());
        assertEquals(LeaseRefused.Reason.NOT_FOUND, assertThrows(LeaseRefused.class,
                () -> leases.updateBundle(buyer, lease.id(), othersBundle)).reason(), "not the buyer's bundle");
        String otherApp = upload(buyer, "org.acme.other");
        LeaseRefused wrongApp = assertThrows(LeaseRefused.class, () -> leases.updateBundle(buyer, lease.id(), otherApp));
        assertEquals(LeaseRefused.Reason.BAD_REQUEST, wrongApp.reason());
        assertTrue(wrongApp.getMessage().contains("Bundle-SymbolicName"), wrongApp.getMessage());

        // version 2 wanted: delivered with the next heartbeat, the host may fetch it, the old one runs meanwhile
        String v2 = upload(buyer, "org.acme.movies");
        Lease wanted = leases.updateBundle(buyer, lease.id(), v2);
        assertEquals(v2, wanted.bundle());
        assertEquals(bundle, wanted.runningBundle());
        assertEquals("ACTIVE", wanted.state());
        assertEquals(v2, only(heartbeat(host, List.of()).running()).bundle());
        assertTrue(leases.holdsBundle(host.id(), v2));
        assertTrue(leases.holdsBundle(host.id(), bundle), "the version it runs (and jobs made for it) still count");
        assertEquals(wanted, leases.updateBundle(buyer, lease.id(), v2), "asking again changes nothing");

        heartbeat(host, List.of(new LeaseReport(lease.id(), "ACTIVE", null, v2, null, null)));
        Lease updated = leases.lease(buyer, lease.id());
        assertEquals(v2, updated.runningBundle());
        assertNull(updated.updateReason());

        // version 3 refused by the kernel: the lease stays ACTIVE on version 2, the reason shown
        String v3 = upload(buyer, "org.acme.movies");
        leases.updateBundle(buyer, lease.id(), v3);
        heartbeat(host, List.of(new LeaseReport(lease.id(), "ACTIVE", null, v2, v3, "lease x: update refused: boom")));
        Lease refused = leases.lease(buyer, lease.id());
        assertEquals("ACTIVE", refused.state());
        assertEquals(v3, refused.bundle());
        assertEquals(v2, refused.runningBundle());
        assertEquals("lease x: update refused: boom", refused.updateReason());
        heartbeat(host, List.of(new LeaseReport(lease.id(), "ACTIVE", null, v2, null, null)));
        assertEquals("lease x: update refused: boom", leases.lease(buyer, lease.id()).updateReason(),
                "a later report without the refusal keeps it");

        // version 4 wanted: the old refusal is no longer shown, and a late report of it does not come back
        String v4 = upload(buyer, "org.acme.movies");
        assertNull(leases.updateBundle(buyer, lease.id(), v4).updateReason());
        heartbeat(host, List.of(new LeaseReport(lease.id(), "ACTIVE", null, v2, v3, "lease x: update refused: boom")));
        assertNull(leases.lease(buyer, lease.id()).updateReason(), "a refusal of an earlier request");
        heartbeat(host, List.of(new LeaseReport(lease.id(), "ACTIVE", null, v4, null, null)));
        assertEquals(v4, leases.lease(mary, lease.id()).runningBundle(), "the owner sees it too");

        leases.release(buyer, lease.id());
        assertEquals(LeaseRefused.Reason.ENDED, assertThrows(LeaseRefused.class,
                () -> leases.updateBundle(buyer, lease.id(), v2)).reason());
        assertFalse(leases.holdsBundle(host.id(), v2));
        assertFalse(leases.holdsBundle(host.id(), v4));
    }

    @Test
    void hostsFailLeasesLoseThemAndLeasesExpire() throws Exception {
        Account mary = owner("Mary");
        Host a = host(mary, 1.0, 0, "compute");
        Host b = host(owner("John"), 1.0, 0, "compute");
        List<Lease> two = leases.grant(buyer, request(2));
        Lease onA = two.stream().filter(l -> l.hostId().equals(a.id())).findFirst().orElseThrow();
        Lease onB = two.stream().filter(l -> l.hostId().equals(b.id())).findFirst().orElseThrow();

        // a report about another host's lease changes nothing
        heartbeat(a, List.of(new LeaseReport(onB.id(), "FAILED", "not mine")));
        assertEquals("PENDING", leases.lease(buyer, onB.id()).state());

        HostLeases beat = heartbeat(a, List.of(new LeaseReport(onA.id(), "FAILED", "TAMPERED: readme.txt")));
        Lease failed = leases.lease(buyer, onA.id());
        assertEquals("FAILED", failed.state());
        assertEquals("TAMPERED: readme.txt", failed.reason());
        assertEquals(List.of(onA.id()), ids(beat.ended()));

        markOffline(b.id());
        assertEquals(1, leases.sweep());
        assertEquals("FAILED", leases.lease(buyer, onB.id()).state());
        assertEquals("host lost", leases.lease(buyer, onB.id()).reason());
        assertEquals(0, bank.balance(buyer.id()).heldMicros());

        // expiry: the sweep ends it once its time is up
        Lease again = only(leases.grant(buyer, request(1)));
        assertEquals(a.id(), again.hostId());
        clock.advance(Duration.ofSeconds(3599));
        assertEquals(0, leases.sweep());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(1, leases.sweep());
        assertEquals("EXPIRED", leases.lease(buyer, again.id()).state());
        assertNull(leases.lease(buyer, again.id()).reason());
        assertEquals(0, bank.balance(buyer.id()).heldMicros());
        assertEquals(0, leases.sweep(), "once");
    }

    @Test
    void usageIsVerifiedCappedAndPaidOnce() throws Exception {
        Account mary = owner("Mary");
        Host host = host(mary, 1.0, 0, "compute");
        Host otherHost = host(owner("John"), 1.0, 0, "compute");
        // 100 kB/s of bandwidth: 66 MB over ten minutes with the slack
        List<Lease> two = leases.grant(buyer, new LeaseRequest(bundle, 2, 3600, 0.5, 0, 0, 100_000, null, null, null));
        Lease lease = two.stream().filter(l -> l.hostId().equals(host.id())).findFirst().orElseThrow();
        Lease notHis = two.stream().filter(l -> l.hostId().equals(otherHost.id())).findFirst().orElseThrow();
        Instant from = lease.created();
        Instant to = from.plusSeconds(600);
        clock.advance(Duration.ofSeconds(1200)); // the periods below have passed
        // 60 s of CPU in 10 minutes, within the half core granted
        UsageReport record = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 1, from, to, 60_000_000_000L,
                0, 1_000_000, 2_000_000, false, null), host.keys().getPrivate());
        long amount = PRICES.usageMicros(60_000_000_000L, 0, 3_000_000);
        UsageOutcome first = leases.usage(host.id(), host.certificate(), List.of(record));
        assertEquals(List.of(new UsageOutcome.Accepted(lease.id(), 1)), first.accepted());
        assertEquals(List.of(), first.refused());
        long ownerGot = amount - PRICES.feeMicros(amount);
        assertEquals(ownerGot, bank.balance(mary.id()).availableMicros());
        assertEquals(2 * POSTED - amount, bank.balance(buyer.id()).heldMicros(), "paid from the escrow");

        UsageOutcome again = leases.usage(host.id(), host.certificate(), List.of(record));
        assertEquals(first.accepted(), again.accepted(), "a duplicate is accepted");
        assertEquals(ownerGot, bank.balance(mary.id()).availableMicros(), "and paid once");

        KeyPair stranger = LeaseFixtures.ecKeys();
        UsageReport forged = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 2, from, to, 1, 0, 0, 0, false,
                null), stranger.getPrivate());
        UsageReport foreignLease = LeaseFixtures.signed(new UsageReport(notHis.id(), host.id(), 1, from, to, 1, 0, 0, 0,
                false, null), host.keys().getPrivate());
        UsageReport otherHostsRecord = LeaseFixtures.signed(new UsageReport(lease.id(), otherHost.id(), 3, from, to, 1, 0,
                0, 0, false, null), host.keys().getPrivate());
        UsageReport altered = new UsageReport(lease.id(), host.id(), 1, from, to, 60_000_000_001L, 0, 1_000_000,
                2_000_000, false, record.signature());
        UsageOutcome refused = leases.usage(host.id(), host.certificate(), List.of(forged, foreignLease,
                otherHostsRecord, altered));
        assertEquals(List.of(), refused.accepted());
        Map<Long, String> reasons = refused.refused().stream().collect(Collectors.toMap(r -> r.sequence() * 10
                + (r.leaseId().equals(lease.id()) ? 0 : 1), UsageOutcome.Refused::reason, (x, y) -> x + "; " + y));
        assertEquals("signature does not verify with host " + host.id() + "'s certificate", reasons.get(20L));
        assertEquals("lease " + notHis.id() + " is not held by host " + host.id(), reasons.get(11L));
        assertEquals("the record is for host " + otherHost.id() + ", not " + host.id(), reasons.get(30L));
        assertEquals("signature does not verify with host " + host.id() + "'s certificate", reasons.get(10L));
        assertEquals(ownerGot, bank.balance(mary.id()).availableMicros(), "nothing paid for refusals");
        assertEquals(1, count("SELECT COUNT(*) FROM usage_records"));

        // more than granted: capped at the half core x 10 minutes + 10 %
        UsageReport greedy = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 2, to, to.plusSeconds(600),
                3_600_000_000_000L, 0, 0, 0, false, null), host.keys().getPrivate());
        assertEquals(1, leases.usage(host.id(), host.certificate(), List.of(greedy)).accepted().size());
        long capped = (long) Math.ceil(0.5 * 600 * 1e9 * 1.1);
        assertEquals(PRICES.usageMicros(capped, 0, 0), amountOf(lease.id(), 2));
        assertEquals(1, count("SELECT COUNT(*) FROM usage_records WHERE capped = TRUE"));
        // a period paid already earns nothing more; nor does one outside the lease's life
        UsageReport overlapping = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 3, from, to.plusSeconds(600),
                60_000_000_000L, 0, 0, 0, false, null), host.keys().getPrivate());
        UsageReport afterItsEnd = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 4,
                lease.expiry().plusSeconds(3600), lease.expiry().plusSeconds(4200), 60_000_000_000L, 0, 0, 0, true,
                null), host.keys().getPrivate());
        assertEquals(2, leases.usage(host.id(), host.certificate(), List.of(overlapping, afterItsEnd)).accepted().size());
        UsageReport ahead = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 5, clock.instant().plusSeconds(600),
                clock.instant().plusSeconds(1200), 60_000_000_000L, 0, 0, 0, true, null), host.keys().getPrivate());
        assertEquals(1, leases.usage(host.id(), host.certificate(), List.of(ahead)).accepted().size());
        assertEquals(0, amountOf(lease.id(), 3));
        assertEquals(0, amountOf(lease.id(), 4));
        assertEquals(0, amountOf(lease.id(), 5), "a period in the future earns nothing yet");
        // and does not make the next period unbillable
        clock.advance(Duration.ofSeconds(600));
        UsageReport next = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 6, to.plusSeconds(600),
                to.plusSeconds(1200), 60_000_000_000L, 0, 0, 0, false, null), host.keys().getPrivate());
        assertEquals(1, leases.usage(host.id(), host.certificate(), List.of(next)).accepted().size());
        assertEquals(PRICES.usageMicros(60_000_000_000L, 0, 0), amountOf(lease.id(), 6));
        assertEquals(4, count("SELECT COUNT(*) FROM usage_records WHERE capped = TRUE"));

        assertTrue(bank.totals().balanced(), "the ledger balances");
        // the host's certificate is checked as for heartbeats
        assertThrows(org.isos.server.hosts.HostRefused.class,
                () -> leases.usage(host.id(), otherHost.certificate(), List.of(record)));
    }

    @Test
    void aBuyerOutOfMoneyHasAllItsLeasesSuspended() throws Exception {
        Account poor = accounts.create(AccountKind.BUYER, "Poor").account();
        String poorBundle = upload(poor, "org.poor.app");
        bank.deposit("p1", poor.id(), 2 * JdbcLeases.escrowMicros(POSTED, 60));
        Account mary = owner("Mary");
        Host host = host(mary, 1.0, 0, "compute");
        host(owner("John"), 1.0, 0, "compute");
        List<Lease> two = leases.grant(poor, new LeaseRequest(poorBundle, 2, 60, 0.5, 0, 0, 0, null, null, null));
        Lease lease = two.stream().filter(l -> l.hostId().equals(host.id())).findFirst().orElseThrow();
        assertEquals(0, bank.balance(poor.id()).availableMicros());
        Instant from = lease.created();
        clock.advance(Duration.ofSeconds(120));
        // 66 s of CPU in the lease's two minutes (its minute and the grace, at the half core + 10 %):
        // 18 334 micro-credits, beyond the escrow of both leases
        UsageReport costly = LeaseFixtures.signed(new UsageReport(lease.id(), host.id(), 1, from, from.plusSeconds(120),
                66_000_000_000L, 0, 0, 0, false, null), host.keys().getPrivate());
        assertEquals(1, leases.usage(host.id(), host.certificate(), List.of(costly)).accepted().size());
        for (Lease l : two) {
            Lease now = leases.lease(poor, l.id());
            assertEquals("SUSPENDED", now.state(), now.toString());
            assertEquals("the buyer is out of funds", now.reason());
        }
        assertTrue(amountOf(lease.id(), 1) > JdbcLeases.escrowMicros(POSTED, 60) * 2);
        HostLeases beat = heartbeat(host, List.of());
        assertEquals(List.of(lease.id()), ids(beat.ended()));
        assertEquals(List.of(), beat.running());
        // the settlement emptied the used lease's escrow; the other lease's escrow came back when it was suspended
        assertEquals(0, bank.balance(poor.id()).heldMicros());
        assertEquals(JdbcLeases.escrowMicros(POSTED, 60), bank.balance(poor.id()).availableMicros());
        assertTrue(bank.totals().balanced());
    }

    @Test
    void eachHostsCommittedColumnsAreTheSumsOverItsRunningLeasesThroughEveryChange() throws Exception {
        Account mary = owner("Mary");
        Account john = owner("John");
        Host a = host(mary, 2.0, 0, "compute");
        Host b = host(john, 2.0, 0, "compute");
        Host c = host(owner("Ann"), 2.0, 0, "compute");
        assertCommittedAreSums("enrolled");
        String other = upload(buyer, "org.acme.other");
        String third = upload(buyer, "org.acme.third");
        List<Lease> first = leases.grant(buyer, new LeaseRequest(bundle, 3, 3600, 0.5, 0, 5L << 30, 250_000, null, null,
                null));
        List<Lease> second = leases.grant(buyer, new LeaseRequest(other, 2, 60, 0.75, 0, 1L << 30, 125_000, null, null,
                List.of(c.id())));
        Lease onC = only(leases.grant(buyer, new LeaseRequest(third, 1, 3600, 0.25, 0, 0, 0, null, null,
                List.of(a.id(), b.id()))));
        assertCommittedAreSums("granted");
        assertEquals(0.75, committedCpu(c.id()), 1e-9, "0.5 + 0.25 on the third host");

        heartbeat(a, List.of(new LeaseReport(leaseOn(first, a).id(), "ACTIVE", null)));
        assertCommittedAreSums("activated (still counted)");
        assertEquals(Set.of(a.id(), b.id()), hostsOf(second));
        assertEquals(1.25, committedCpu(a.id()), 1e-9);
        leases.renew(buyer, leaseOn(first, a).id(), 7200);
        assertCommittedAreSums("renewed");

        leases.release(buyer, onC.id());
        assertCommittedAreSums("released");
        heartbeat(b, List.of(new LeaseReport(leaseOn(first, b).id(), "FAILED", "refused")));
        assertCommittedAreSums("failed by the host");
        markOffline(c.id());
        assertTrue(leases.sweep() >= 1);
        assertCommittedAreSums("host lost");
        assertEquals(0, committedCpu(c.id()), "a lost host holds nothing");
        clock.advance(Duration.ofSeconds(61));
        assertEquals(2, leases.sweep(), "the minute-long leases expired");
        assertCommittedAreSums("expired");
        // the room freed is room again: a whole-capacity lease fits on a host with nothing running
        String fourth = upload(buyer, "org.acme.fourth");
        Lease whole = only(leases.grant(buyer, new LeaseRequest(fourth, 1, 3600, 2.0, 0, 0, 0, null, null, null)));
        assertEquals(b.id(), whole.hostId(), "only b has nothing running");
        assertEquals(2.0, committedCpu(b.id()));
        assertCommittedAreSums("the whole of b");
        assertNotEquals(null, john);
    }

    /**
     * Memory (the description's, less what running leases hold), availability (the clock the host's heartbeats keep)
     * and the owner's hours (a window inside them at the reserve in force, outside them at the reserve there, or not
     * at all) decide which hosts qualify, and the refusal says which rule the others broke.
     */
    @Test
    void memoryAvailabilityAndHoursDecideWhichHostsQualify() throws Exception {
        Account john = owner("John");
        Account mary = owner("Mary");
        Host big = host(john, 2, 0, "compute"); // 16 GiB
        Host unknown = enroll(mary);
        leases.heartbeat(unknown.id(), unknown.certificate(), "{}", new ReportedStatus(false, null, 0,
                transportOf(unknown.id()), policy(2, 0, "compute")), List.of()); // says nothing of its memory
        LeaseRequest eightGiB = new LeaseRequest(bundle, 1, 3600, 0.25, 8L << 30, 0, 0, null, null, null);
        assertEquals(big.id(), only(leases.grant(buyer, eightGiB)).hostId());
        LeaseRefused noMemory = assertThrows(LeaseRefused.class, () -> leases.grant(buyer,
                new LeaseRequest(upload(buyer, "org.acme.ten"), 1, 3600, 0.25, 10L << 30, 0, 0, null, null, null)));
        assertTrue(noMemory.getMessage().contains("1 memory not reported")
                && noMemory.getMessage().contains("1 no room left"), noMemory.getMessage());
        // 8 GiB are left on big: another 8 fit, then none
        assertEquals(big.id(), only(leases.grant(buyer, new LeaseRequest(upload(buyer, "org.acme.eight"), 1, 3600, 0.25,
                8L << 30, 0, 0, null, null, null))).hostId());
        assertThrows(LeaseRefused.class, () -> leases.grant(buyer, new LeaseRequest(upload(buyer, "org.acme.one"), 1,
                3600, 0.25, 1L << 30, 0, 0, null, null, null)));

        // both hosts came online with their first heartbeat (system time): no history, so availability rises from 0
        LeaseRequest available = new LeaseRequest(upload(buyer, "org.acme.available"), 2, 3600, 0.25, 0, 0, 0, null,
                null, null, 0.6, null);
        LeaseRefused tooNew = assertThrows(LeaseRefused.class, () -> leases.grant(buyer, available));
        assertTrue(tooNew.getMessage().contains("2 availability below minAvailability"), tooNew.getMessage());
        clock.advance(Duration.ofDays(1)); // 1 - e^-1 = 0.63 each
        assertEquals(2, leases.grant(buyer, available).size());

        // hours: day reports 09:00-17:00 UTC and takes nothing outside; night the same but 900,000 outside them
        Account ann = owner("Ann");
        Host day = hoursHost(ann, List.of("09:00-17:00"), 0);
        Host night = hoursHost(ann, List.of("09:00-17:00"), 900_000);
        String windowed = upload(buyer, "org.acme.windowed");
        List<Lease> inside = leases.grant(buyer, new LeaseRequest(windowed, 2, 3600, 0.25, 0, 0, 0, null, null,
                List.of(big.id(), unknown.id()), null, "10:00-12:00"));
        assertEquals(Set.of(day.id(), night.id()), inside.stream().map(Lease::hostId).collect(Collectors.toSet()));
        long posted = PRICES.pricePerHourMicros(0.25, 0);
        inside.forEach(l -> assertEquals(posted, l.pricePerHourMicros(), "inside the hours: the reserve in force (0)"));
        Lease outside = only(leases.grant(buyer, new LeaseRequest(upload(buyer, "org.acme.late"), 1, 3600, 0.25, 0, 0,
                0, null, null, null, null, "16:00-18:00")));
        assertEquals(night.id(), outside.hostId(), "only night takes work after 17:00; big and unknown report no hours");
        assertEquals(Math.max(posted, 900_000), outside.pricePerHourMicros(), "at its reserve outside the hours");
        LeaseRefused tooDear = assertThrows(LeaseRefused.class, () -> leases.grant(buyer, new LeaseRequest(
                upload(buyer, "org.acme.cheap"), 1, 3600, 0.25, 0, 0, 0, 800_000L, null, null, null, "16:00-18:00")));
        assertTrue(tooDear.getMessage().contains("2 allowed hours not reported")
                && tooDear.getMessage().contains("1 allowed hours do not cover the window")
                && tooDear.getMessage().contains("1 reserve outside the allowed hours above maxPricePerHourMicros"),
                tooDear.getMessage());
        assertCommittedAreSums("memory, availability and hours");
    }

    /** An enrolled host whose owner allows work during {@code hours} (UTC), outside them for {@code outside}. */
    private Host hoursHost(Account owner, List<String> hours, long outside) throws Exception {
        Host host = enroll(owner);
        leases.heartbeat(host.id(), host.certificate(), "{}", new ReportedStatus(false, null, 0, transportOf(host.id()),
                new HostPolicy(2, 1L << 40, 1L << 30, Set.of("compute"), 0, hours, outside), 16L << 30), List.of());
        return host;
    }

    /**
     * Over more hosts than the match query reads at first (most of them one owner's, cheaper than the others'), with
     * leases piling up: every grant is what ranking every host by the rules gives, computed here from the leases
     * (not the committed columns) and the policies.
     */
    @Test
    void matchingOverManyHostsIsWhatRankingEveryHostGives() throws Exception {
        java.util.Random random = new java.util.Random(7);
        List<Account> owners = List.of(owner("Big"), owner("Mid"), owner("Small"), owner("Dear"));
        int[] hostsOf = { 320, 40, 8, 3 };
        long[] reserveFrom = { 0, 150_000, 400_000, 2_000_000 };
        Instant now = clock.instant();
        try (Connection c = store.connection(); PreparedStatement insert = c.prepareStatement("INSERT INTO hosts (id, "
                + "owner_id, status, created, last_heartbeat, suspended, transport_address, max_cpu_share, "
                + "storage_quota_bytes, bandwidth_cap_bytes_per_second, accepts_compute, accepts_storage, "
                + "accepts_streaming, minimum_price_per_hour_micros, memory_bytes, availability_clock, allowed_hours, "
                + "allowed_slots, minimum_price_outside_hours_micros) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            int n = 0;
            for (int o = 0; o < owners.size(); o++) {
                for (int i = 0; i < hostsOf[o]; i++, n++) {
                    insert.setString(1, String.format("host-many-%04d", n));
                    insert.setString(2, owners.get(o).id());
                    insert.setString(3, random.nextInt(10) == 0 ? "OFFLINE" : "ONLINE");
                    insert.setObject(4, java.time.OffsetDateTime.ofInstant(now, java.time.ZoneOffset.UTC));
                    insert.setObject(5, java.time.OffsetDateTime.ofInstant(now, java.time.ZoneOffset.UTC));
                    insert.setBoolean(6, random.nextInt(20) == 0);
                    insert.setString(7, "10.0.0." + n % 250 + ":7443");
                    insert.setDouble(8, new double[] { 0.5, 1, 2 }[random.nextInt(3)]);
                    insert.setLong(9, new long[] { 0, 10L << 30, 100L << 30 }[random.nextInt(3)]);
                    insert.setLong(10, new long[] { 0, 1_000_000 }[random.nextInt(2)]);
                    insert.setBoolean(11, random.nextInt(10) < 8);
                    insert.setBoolean(12, random.nextInt(10) < 5);
                    insert.setBoolean(13, random.nextInt(10) < 3);
                    insert.setLong(14, reserveFrom[o] + 1_000L * random.nextInt(100));
                    // memory unknown, 4 or 16 GiB; availability from none (no history) to about 0.98
                    insert.setObject(15, new Long[] { null, 4L << 30, 16L << 30 }[random.nextInt(3)], java.sql.Types.BIGINT);
                    insert.setObject(16, random.nextInt(8) == 0 ? null
                            : org.isos.server.hosts.Availability.seconds(now) - 3600.0 * random.nextInt(96),
                            java.sql.Types.DOUBLE);
                    // hours not reported, any time, the UTC day or night; the reserve outside them
                    List<String> hours = new java.util.ArrayList<List<String>>(java.util.Arrays.asList(null, List.of(),
                            List.of("06:00-18:00"), List.of("22:00-06:00", "12:00-13:00"))).get(random.nextInt(4));
                    insert.setString(17, hours == null ? null : String.join(",", hours));
                    insert.setString(18, hours == null ? null : org.isos.server.hosts.DailyHours.slots(hours));
                    insert.setObject(19, hours == null ? null : new long[] { 0, 300_000, 3_000_000 }[random.nextInt(3)],
                            java.sql.Types.BIGINT);
                    insert.addBatch();
                }
            }
            insert.executeBatch();
        }
        List<String> bundles = List.of(bundle, upload(buyer, "org.acme.b"), upload(buyer, "org.acme.c"));
        String[] categories = { null, "compute", "storage", "streaming" };
        int granted = 0;
        int withNewConditions = 0;
        for (int round = 0; round < 40; round++) {
            double cpu = new double[] { 0.25, 0.5, 1 }[random.nextInt(3)];
            long storage = random.nextBoolean() ? 0 : 5L << 30;
            long bandwidth = random.nextBoolean() ? 0 : 500_000;
            long posted = PRICES.pricePerHourMicros(cpu, storage);
            Long max = random.nextInt(3) == 0 ? null : posted + 1_000L * random.nextInt(600);
            List<String> exclude = random.nextInt(4) == 0 ? List.of(String.format("host-many-%04d", random.nextInt(20)))
                    : List.of();
            long memory = new long[] { 0, 0, 1L << 30, 8L << 30 }[random.nextInt(4)];
            Double availability = new Double[] { null, null, 0.3, 0.8 }[random.nextInt(4)];
            String window = new String[] { null, null, "08:00-12:00", "23:00-01:00", "12:00-13:00" }[random.nextInt(5)];
            LeaseRequest request = new LeaseRequest(bundles.get(random.nextInt(3)), 1 + random.nextInt(5), 60, cpu,
                    memory, storage, bandwidth, max, categories[random.nextInt(4)], exclude, availability, window);
            List<String> expected = rankedByTheRules(request, posted);
            if (expected.size() < request.hosts()) {
                assertEquals(LeaseRefused.Reason.NOT_ENOUGH_HOSTS,
                        assertThrows(LeaseRefused.class, () -> leases.grant(buyer, request), request.toString()).reason());
                continue;
            }
            List<Lease> got = leases.grant(buyer, request);
            assertEquals(expected.subList(0, request.hosts()), got.stream().map(Lease::hostId).toList(), request.toString());
            for (Lease lease : got) {
                assertEquals(Math.max(posted, reserveFor(request, lease.hostId())), lease.pricePerHourMicros(),
                        "the price is the posted one, at least the owner's reserve for the window: " + request);
            }
            granted++;
            if (request.memoryBytes() > 0 || request.minAvailability() != null || request.window() != null) {
                withNewConditions++;
            }
            for (Lease lease : got) {
                if (random.nextInt(4) == 0) {
                    leases.release(buyer, lease.id());
                }
            }
        }
        assertTrue(granted >= 20, granted + " of 40 granted");
        assertTrue(withNewConditions >= 8, withNewConditions + " granted with memory, availability or a window");
        assertCommittedAreSums("many grants");
    }

    /** Every qualifying host, best first, by the rules of matching, from the policies and the running leases. */
    private List<String> rankedByTheRules(LeaseRequest request, long posted) throws Exception {
        record Row(String id, String owner, long reserve, double cpuLeft, long storageLeft, long bandwidthLeft,
                boolean category, boolean runsIt, Long memoryLeft, Double clock, String hours, long outside,
                long indexed) {
        }
        List<Row> rows = new java.util.ArrayList<>();
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement("SELECT h.id, h.owner_id, "
                + "h.minimum_price_per_hour_micros, h.max_cpu_share - (SELECT COALESCE(SUM(l.cpu_share), 0) FROM leases l "
                + "WHERE l.host_id = h.id AND l.state IN ('PENDING', 'ACTIVE')), "
                + "h.storage_quota_bytes - (SELECT COALESCE(SUM(l.storage_bytes), 0) FROM leases l "
                + "WHERE l.host_id = h.id AND l.state IN ('PENDING', 'ACTIVE')), "
                + "h.bandwidth_cap_bytes_per_second - (SELECT COALESCE(SUM(l.bandwidth_bytes_per_second), 0) FROM leases l "
                + "WHERE l.host_id = h.id AND l.state IN ('PENDING', 'ACTIVE')), "
                + (request.category() == null ? "TRUE" : "h.accepts_" + request.category()) + ", "
                + "EXISTS (SELECT 1 FROM leases l WHERE l.host_id = h.id AND l.bundle_sha256 = ? "
                + "AND l.state IN ('PENDING', 'ACTIVE')), "
                + "EXISTS (SELECT 1 FROM leases l WHERE l.owner_id = h.owner_id AND l.bundle_sha256 = ? "
                + "AND l.state IN ('PENDING', 'ACTIVE')), "
                + "h.memory_bytes - (SELECT COALESCE(SUM(l.memory_bytes), 0) FROM leases l "
                + "WHERE l.host_id = h.id AND l.state IN ('PENDING', 'ACTIVE')), h.availability_clock, h.allowed_hours, "
                + "h.minimum_price_outside_hours_micros "
                + "FROM hosts h WHERE h.status = 'ONLINE' AND h.suspended = FALSE")) {
            s.setString(1, request.bundle());
            s.setString(2, request.bundle());
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    if (!r.getBoolean(8)) { // never two copies on one host
                        long memoryLeft = r.getLong(10);
                        Long memory = r.wasNull() ? null : memoryLeft;
                        double clockSeconds = r.getDouble(11);
                        Double clockColumn = r.wasNull() ? null : clockSeconds;
                        String hours = r.getString(12);
                        long outside = r.getLong(13);
                        // the reserve for this request: outside the owner's hours, the reserve there
                        long reserve = request.window() == null || covers(hours, request.window()) ? r.getLong(3)
                                : Math.max(r.getLong(3), outside);
                        rows.add(new Row(r.getString(1), r.getString(2), reserve, r.getDouble(4), r.getLong(5),
                                r.getLong(6), r.getBoolean(7), r.getBoolean(9), memory, clockColumn, hours, outside,
                                r.getLong(3)));
                    }
                }
            }
        }
        List<Row> qualifying = rows.stream().filter(h -> h.cpuLeft() >= request.cpuShare()
                && h.storageLeft() >= request.storageBytes() && h.bandwidthLeft() >= request.bandwidthBytesPerSecond()
                && h.category() && (request.maxPricePerHourMicros() == null || h.reserve() <= request.maxPricePerHourMicros())
                && !request.excludeHosts().contains(h.id())
                && (request.memoryBytes() == 0 || h.memoryLeft() != null && h.memoryLeft() >= request.memoryBytes())
                && (request.minAvailability() == null || org.isos.server.hosts.Availability.at(true, h.clock(),
                        clock.instant()) >= request.minAvailability())
                && (request.window() == null || h.hours() != null && (covers(h.hours(), request.window())
                        || h.outside() > 0 && (request.maxPricePerHourMicros() == null
                                || h.outside() <= request.maxPricePerHourMicros())))).toList();
        Map<String, Integer> rank = new java.util.HashMap<>();
        java.util.Comparator<Row> byReserve = java.util.Comparator.comparingLong(Row::reserve)
                .thenComparingLong(Row::indexed).thenComparing(Row::id);
        Map<String, List<Row>> byOwner = qualifying.stream().collect(Collectors.groupingBy(Row::owner));
        byOwner.values().forEach(list -> {
            List<Row> sorted = list.stream().sorted(byReserve).toList();
            for (int i = 0; i < sorted.size(); i++) {
                rank.put(sorted.get(i).id(), i + 1);
            }
        });
        return qualifying.stream().sorted(java.util.Comparator.<Row>comparingInt(h -> h.runsIt() ? 1 : 0)
                .thenComparingInt(h -> rank.get(h.id())).thenComparingLong(h -> Math.max(h.reserve(), posted))
                .thenComparing(byReserve)).map(Row::id).toList();
    }

    /**
     * Whether the allowed hours (UTC spans, comma-separated; empty: any time) hold every minute of the window,
     * minute by minute (the test's hours and windows lie on quarter-hours, where the store's slots are exact).
     */
    static boolean covers(String hours, String window) {
        if (hours == null) {
            return false;
        }
        if (hours.isEmpty()) {
            return true;
        }
        boolean[] allowed = new boolean[1440];
        for (String span : hours.split(",")) {
            for (int minute : minutesOf(span)) {
                allowed[minute] = true;
            }
        }
        for (int minute : minutesOf(window)) {
            if (!allowed[minute]) {
                return false;
            }
        }
        return true;
    }

    /** The minutes of the day a span HH:MM-HH:MM holds (wrapping past midnight; equal ends: all day). */
    private static List<Integer> minutesOf(String span) {
        int start = Integer.parseInt(span.substring(0, 2)) * 60 + Integer.parseInt(span.substring(3, 5));
        int end = Integer.parseInt(span.substring(6, 8)) * 60 + Integer.parseInt(span.substring(9, 11));
        int length = Math.floorMod(end - start, 1440);
        List<Integer> minutes = new java.util.ArrayList<>();
        for (int i = 0; i < (length == 0 ? 1440 : length); i++) {
            minutes.add((start + i) % 1440);
        }
        return minutes;
    }

    /** The owner's reserve for this request on the host: the one in force, or outside its hours the one there. */
    private long reserveFor(LeaseRequest request, String hostId) throws Exception {
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement("SELECT "
                + "minimum_price_per_hour_micros, allowed_hours, minimum_price_outside_hours_micros FROM hosts WHERE id = ?")) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                return request.window() == null || covers(r.getString(2), request.window()) ? r.getLong(1)
                        : Math.max(r.getLong(1), r.getLong(3));
            }
        }
    }

    private static Lease leaseOn(List<Lease> leases, Host host) {
        return leases.stream().filter(l -> l.hostId().equals(host.id())).findFirst().orElseThrow();
    }

    private double committedCpu(String hostId) throws Exception {
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("SELECT committed_cpu_share FROM hosts WHERE id = ?")) {
            s.setString(1, hostId);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                return r.getDouble(1);
            }
        }
    }

    /** Every host's committed columns equal the sums over its PENDING and ACTIVE leases, recomputed here. */
    private void assertCommittedAreSums(String after) throws Exception {
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement("SELECT h.id, "
                + "h.committed_cpu_share, h.committed_storage_bytes, h.committed_bandwidth_bytes_per_second, "
                + "(SELECT COUNT(*) FROM leases l WHERE l.host_id = h.id AND l.state IN ('PENDING', 'ACTIVE')), "
                + "h.committed_memory_bytes FROM hosts h");
                ResultSet r = s.executeQuery()) {
            int hostsSeen = 0;
            List<Lease> all = leases.leasesOf(buyer, null);
            while (r.next()) {
                hostsSeen++;
                double cpu = 0;
                long storage = 0;
                long bandwidth = 0;
                long memory = 0;
                int running = 0;
                for (Lease lease : all) {
                    if (lease.hostId().equals(r.getString(1)) && lease.running()) {
                        cpu += lease.cpuShare();
                        storage += lease.storageBytes();
                        bandwidth += lease.bandwidthBytesPerSecond();
                        memory += lease.memoryBytes();
                        running++;
                    }
                }
                assertEquals(running, r.getInt(5), "every running lease is the buyer's");
                assertEquals(cpu, r.getDouble(2), 1e-9, "CPU committed on " + r.getString(1) + " after " + after);
                assertEquals(storage, r.getLong(3), "storage committed on " + r.getString(1) + " after " + after);
                assertEquals(bandwidth, r.getLong(4), "bandwidth committed on " + r.getString(1) + " after " + after);
                assertEquals(memory, r.getLong(6), "memory committed on " + r.getString(1) + " after " + after);
            }
            assertTrue(hostsSeen >= 3);
        }
    }

    @Test
    void theSignedTextIsTheKernels() {
        Instant from = Instant.parse("2026-03-04T05:06:07.123456Z");
        UsageRecord kernel = new UsageRecord("lease-1", "host-2", 7, from, from.plusMillis(1500),
                new Usage(123_456_789L, 1.5e12, 42, 43), true, null);
        UsageReport server = new UsageReport("lease-1", "host-2", 7, from, from.plusMillis(1500), 123_456_789L, 1.5e12,
                42, 43, true, "sig");
        assertEquals(kernel.signedText(), server.signedText());
    }

    // ------------------------------------------------------------------ helpers

    private LeaseRequest request(int count) {
        return request(bundle, count, 0.5);
    }

    private static LeaseRequest request(String bundle, int count, double cpuShare) {
        return new LeaseRequest(bundle, count, 3600, cpuShare, 64L << 20, 0, 0, null, null, null);
    }

    private Account owner(String name) throws Exception {
        return accounts.create(AccountKind.OWNER, name).account();
    }

    private String upload(Account buyer, String name) throws Exception {
        return repository.store(buyer, LeaseFixtures.signedBundle(ca, buyer.id(), name)).sha256();
    }

    private Host enroll(Account owner) throws Exception {
        KeyPair keys = LeaseFixtures.ecKeys();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        X509Certificate certificate = hosts.enroll(owner, LeaseFixtures.csr(hostId, keys).getBytes(StandardCharsets.US_ASCII),
                null).certificate().certificate();
        return new Host(hostId, certificate, keys);
    }

    /** An enrolled host that reported its policy with a heartbeat. */
    private Host host(Account owner, double maxCpuShare, long reserve, String... categories) throws Exception {
        Host host = enroll(owner);
        leases.heartbeat(host.id(), host.certificate(), "{}", new ReportedStatus(false, null, 0,
                transportOf(host.id()), policy(maxCpuShare, reserve, categories), 16L << 30), List.of());
        return host;
    }

    private static String transportOf(String hostId) {
        return "127.0.0.1:" + (Math.floorMod(hostId.hashCode(), 1000) + 1000);
    }

    private static HostPolicy policy(double maxCpuShare, long reserve, String... categories) {
        return new HostPolicy(maxCpuShare, 1L << 40, 1L << 30, Set.of(categories), reserve);
    }

    private HostLeases heartbeat(Host host, List<LeaseReport> reports) throws Exception {
        return leases.heartbeat(host.id(), host.certificate(), null, null, reports);
    }

    private void markOffline(String hostId) throws Exception {
        try (Connection c = store.connection();
                PreparedStatement u = c.prepareStatement("UPDATE hosts SET status = 'OFFLINE' WHERE id = ?")) {
            u.setString(1, hostId);
            assertEquals(1, u.executeUpdate());
        }
    }

    private long amountOf(String leaseId, long sequence) throws Exception {
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT amount_micros FROM usage_records WHERE lease_id = ? AND sequence = ?")) {
            s.setString(1, leaseId);
            s.setLong(2, sequence);
            try (ResultSet r = s.executeQuery()) {
                assertTrue(r.next());
                return r.getLong(1);
            }
        }
    }

    private long count(String sql) throws Exception {
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement(sql);
                ResultSet r = s.executeQuery()) {
            r.next();
            return r.getLong(1);
        }
    }

    private static Set<String> hostsOf(List<Lease> leases) {
        return leases.stream().map(Lease::hostId).collect(Collectors.toCollection(HashSet::new));
    }

    private static List<String> ids(List<Lease> leases) {
        return leases.stream().map(Lease::id).toList();
    }

    private static Lease only(List<Lease> list) {
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }

}
