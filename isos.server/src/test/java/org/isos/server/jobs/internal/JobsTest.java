package org.isos.server.jobs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.math.BigInteger;
import java.util.Collections;
import java.util.TreeSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.internal.ServerHome;
import org.isos.server.jobs.Assignment;
import org.isos.server.jobs.HostTrust;
import org.isos.server.jobs.Job;
import org.isos.server.jobs.JobRefused;
import org.isos.server.jobs.JobSpec;
import org.isos.server.jobs.Report;
import org.isos.server.jobs.ReportOutcome;
import org.isos.server.jobs.ReportReply;
import org.isos.server.jobs.UnitInput;
import org.isos.server.jobs.UnitResult;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.testkit.MovableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quorum, adaptive replication, spot checks, deadlines, credit and bans over a real H2 file store
 * ({@link PostgresJobsTest}: the same on PostgreSQL), with the real repository and CA for the app bundle.
 * Hosts are simulated: the test plays their job runner, dispatching and reporting; the simulation of four hosts,
 * one cheating, computes Lucas–Lehmer itself (a textbook BigInteger version: the server never runs the app, it only
 * compares results).
 */
class JobsTest {

    @TempDir
    Path data;
    JdbcStore store;
    JdbcAccounts accounts;
    JdbcJobs jobs;
    MovableClock clock;
    Account buyer;
    String app;
    final Set<String> leased = new HashSet<>();

    @BeforeEach
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), home);
        BouncyCastleAuthority ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        accounts = new JdbcAccounts(store);
        JdbcRepository repository = new JdbcRepository(store, ca);
        buyer = accounts.create(AccountKind.BUYER, "Acme Search").account();
        app = repository.store(buyer, LeaseFixtures.signedBundle(ca, buyer.id(), "org.acme.compute")).sha256();
        clock = new MovableClock(Instant.now().truncatedTo(ChronoUnit.MICROS));
        leased.addAll(List.of("host-a", "host-b", "host-c", "host-d"));
        jobs = new JdbcJobs(TestConfigs.of(JobsConfig.class, Map.of()), store, repository,
                (host, sha) -> sha.equals(app) && leased.contains(host), List.of(new ExactEquivalence()), clock,
                new Random(42));
    }

    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        store.close();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static UnitInput unit(String name) {
        return new UnitInput(name, bytes("in:" + name), 10, null);
    }

    Job job(int quorum, int maxReplicas, List<UnitInput> units, List<UnitInput> checks) throws Exception {
        return jobs.create(buyer, new JobSpec(app, "mersenne", quorum, maxReplicas, 60, units, checks));
    }

    Assignment one(String jobId, String host) throws Exception {
        List<Assignment> got = jobs.dispatch(buyer, jobId, host, 1);
        assertEquals(1, got.size(), host + " got no work");
        return got.get(0);
    }

    String report(String jobId, String host, Assignment a, String result) throws Exception {
        List<ReportOutcome> out = jobs.report(buyer, jobId, List.of(new Report(host, a.replicaId(), bytes(result), null)));
        return out.get(0).outcome();
    }

    HostTrust trust(String host) throws Exception {
        return jobs.trust(host, app).orElseThrow();
    }

    @Test
    void aUnitIsValidatedByAQuorumOfTwoAndOnlyThenCredited() throws Exception {
        Job job = job(2, 4, List.of(unit("u0")), List.of());
        assertEquals("RUNNING", job.state());
        assertEquals(1, job.units());
        Assignment a = one(job.id(), "host-a");
        assertArrayEquals(bytes("in:u0"), a.input());
        assertTrue(jobs.dispatch(buyer, job.id(), "host-a", 5).isEmpty(), "never two copies of a unit on one host");
        Assignment b = one(job.id(), "host-b");
        assertTrue(jobs.dispatch(buyer, job.id(), "host-c", 5).isEmpty(), "two copies are out: nothing more to issue");

        assertEquals("PENDING", report(job.id(), "host-a", a, "answer"));
        assertEquals(0, trust("host-a").credit(), "no credit before validation");
        assertNull(jobs.results(buyer, job.id()).get(0).result());
        assertEquals("VALID", report(job.id(), "host-b", b, "answer"));

        assertEquals(10, trust("host-a").credit());
        assertEquals(10, trust("host-b").credit());
        assertEquals(1, trust("host-a").streak());
        UnitResult r = jobs.results(buyer, job.id()).get(0);
        assertEquals("VALIDATED", r.state());
        assertArrayEquals(bytes("answer"), r.result());
        Job done = jobs.job(buyer, job.id());
        assertTrue(done.done());
        assertEquals(1, done.validated());
        assertEquals(2, done.replicasIssued());
        assertEquals("VALID", report(job.id(), "host-a", a, "answer"), "a repeated report answers the same");
    }

    @Test
    void aDisagreementIssuesAThirdCopyAndTheOddOneOutIsCaught() throws Exception {
        Job job = job(2, 3, List.of(unit("u0")), List.of());
        Assignment a = one(job.id(), "host-a");
        Assignment b = one(job.id(), "host-b");
        assertEquals("PENDING", report(job.id(), "host-a", a, "right"));
        assertEquals("PENDING", report(job.id(), "host-b", b, "wrong"));
        assertEquals(1, jobs.job(buyer, job.id()).ready(), "no quorum: ready for one more copy");
        int quotaBefore = trust("host-b").quota();
        Assignment c = one(job.id(), "host-c");
        assertEquals("VALID", report(job.id(), "host-c", c, "right"));

        assertArrayEquals(bytes("right"), jobs.results(buyer, job.id()).get(0).result());
        HostTrust cheat = trust("host-b");
        assertEquals(0, cheat.streak());
        assertEquals(1, cheat.invalidTotal());
        assertEquals(0, cheat.credit());
        assertEquals(10, cheat.forfeited(), "its unvalidated credit is gone");
        assertEquals(quotaBefore / 2, cheat.quota(), "quota halved");
        assertEquals(10, trust("host-a").credit());
        assertEquals(List.of("host-a", "host-b", "host-c"), jobs.hostsOf(buyer, job.id()).stream().map(HostTrust::hostId).toList());
    }

    @Test
    void aUnitWithoutQuorumAfterAllReplicasEndsInError() throws Exception {
        Job job = job(2, 2, List.of(unit("u0")), List.of());
        report(job.id(), "host-a", one(job.id(), "host-a"), "one");
        report(job.id(), "host-b", one(job.id(), "host-b"), "two");
        Job done = jobs.job(buyer, job.id());
        assertTrue(done.done());
        assertEquals(1, done.errors());
        UnitResult r = jobs.results(buyer, job.id()).get(0);
        assertEquals("ERROR", r.state());
        assertNull(r.result());
        assertTrue(r.error().contains("no 2 agreeing results"), r.error());
        assertEquals(0, trust("host-a").credit(), "nothing validated, nothing credited");
    }

    @Test
    void aTrustedHostIsReplicatedRarelyUntilOneInvalidResultResetsIt() throws Exception {
        List<UnitInput> units = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            units.add(unit("u" + i));
        }
        leased.add("host-t");
        Job job = job(2, 4, units, List.of());
        Assignment first = one(job.id(), "host-t");
        assertEquals(2, wanted(first), "a newcomer's unit is always replicated");
        report(job.id(), "host-t", first, "out:" + new String(first.input(), StandardCharsets.UTF_8));
        setStreak("host-t", 1000); // a long record of valid results with this app

        List<Assignment> batch = jobs.dispatch(buyer, job.id(), "host-t", 150);
        assertEquals(150, batch.size());
        int replicated = 0;
        for (Assignment a : batch) {
            if (wanted(a) == 2) {
                replicated++;
            }
        }
        assertTrue(replicated >= 1 && replicated <= 20, replicated + " of 150 replicated, expected about 5 %");
        List<String> outcomes = new ArrayList<>();
        Assignment doubled = null;
        for (Assignment a : batch) {
            boolean lie = doubled == null && wanted(a) == 2;
            if (lie) {
                doubled = a; // host-t answers one replicated unit wrongly
            }
            outcomes.add(report(job.id(), "host-t", a, lie ? "garbage" : right(a)));
        }
        assertEquals(150 - replicated, outcomes.stream().filter("VALID"::equals).count(),
                "unreplicated units are accepted on the trusted host's word");
        int validatedBefore = jobs.job(buyer, job.id()).validated();

        // honest hosts take the second (and third) copies and outvote it
        for (int round = 0; round < 400 && trust("host-t").invalidTotal() == 0; round++) {
            for (String host : List.of("host-a", "host-b")) {
                for (Assignment a : jobs.dispatch(buyer, job.id(), host, 1)) {
                    report(job.id(), host, a, right(a));
                }
            }
        }
        HostTrust t = trust("host-t");
        assertEquals(0, t.streak(), "one invalid result resets the record");
        assertEquals(1, t.invalidTotal());
        Job after = jobs.job(buyer, job.id());
        assertTrue(after.validated() < validatedBefore,
                "the units host-t validated alone are opened again for a quorum: " + after.validated() + " < " + validatedBefore);
        for (Assignment a : jobs.dispatch(buyer, job.id(), "host-t", 5)) {
            assertEquals(2, wanted(a), "after the reset every unit is replicated again");
        }
    }

    static String right(Assignment a) {
        return "out:" + new String(a.input(), StandardCharsets.UTF_8);
    }

    int wanted(Assignment a) throws Exception {
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("SELECT u.wanted FROM job_units u JOIN job_replicas r"
                        + " ON r.job_id = u.job_id AND r.seq = u.seq WHERE r.id = ?")) {
            s.setString(1, a.replicaId());
            try (var r = s.executeQuery()) {
                assertTrue(r.next());
                return r.getInt(1);
            }
        }
    }

    @Test
    void spotChecksCatchACheaterWhoThenLosesCreditQuotaAndAccess() throws Exception {
        List<UnitInput> checks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            checks.add(new UnitInput("check" + i, bytes("in:check" + i), 5, bytes("out:in:check" + i)));
        }
        Job job = job(2, 3, List.of(unit("u0"), unit("u1")), checks);
        assertEquals(3, job.spotChecks());
        // the cheater takes everything and makes its results up
        List<Assignment> got = jobs.dispatch(buyer, job.id(), "host-c", 10);
        assertEquals(5, got.size(), "spot checks and units look alike: all are issued");
        int quota = trust("host-c").quota();
        List<String> outcomes = new ArrayList<>();
        for (Assignment a : got) {
            outcomes.add(report(job.id(), "host-c", a, "made-up"));
        }
        assertEquals(3, outcomes.stream().filter("INVALID"::equals).count(), outcomes.toString());
        HostTrust cheat = trust("host-c");
        assertEquals(3, cheat.invalidTotal());
        assertTrue(cheat.banned(), "three invalid results: banned");
        assertEquals(0, cheat.credit());
        assertEquals(quota / 8, cheat.quota());
        JobRefused banned = assertThrows(JobRefused.class, () -> jobs.dispatch(buyer, job.id(), "host-c", 1));
        assertEquals(JobRefused.Reason.BANNED, banned.reason());
        assertTrue(banned.getMessage().contains("banned"), banned.getMessage());
        Job after = jobs.job(buyer, job.id());
        assertEquals(3, after.spotChecksFailed());
        assertEquals(2, after.ready(), "its made-up answers to real units wait for honest copies");
        assertEquals(35, cheat.forfeited(), "three spot checks (5) and two pending units (10) forfeited");
    }

    @Test
    void theUnitsABannedHostStillHoldsGoToOthersAtOnceNotAtTheirDeadline() throws Exception {
        List<UnitInput> checks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            checks.add(new UnitInput("check" + i, bytes("in:check" + i), 5, bytes("out:in:check" + i)));
        }
        Job job = job(2, 4, List.of(unit("u0"), unit("u1")), checks);
        List<Assignment> got = jobs.dispatch(buyer, job.id(), "host-c", 10);
        assertEquals(5, got.size());
        // the cheater answers the spot checks wrongly (banned) and never reports the two real units
        for (Assignment a : got) {
            if (new String(a.input(), StandardCharsets.UTF_8).startsWith("in:check")) {
                report(job.id(), "host-c", a, "made-up");
            }
        }
        assertTrue(trust("host-c").banned());
        // no clock moves: two honest hosts take both copies of both units at once
        for (String host : List.of("host-a", "host-b")) {
            List<Assignment> mine = jobs.dispatch(buyer, job.id(), host, 5);
            assertEquals(2, mine.size(), host + " gets both units, not only the copy the banned host left free");
            for (Assignment a : mine) {
                report(job.id(), host, a, right(a));
            }
        }
        Job done = jobs.job(buyer, job.id());
        assertTrue(done.done(), "done without waiting for the banned host's deadline: " + done);
        assertEquals(2, done.validated());
        assertEquals(2, trust("host-c").timedOut(), "its two copies given up");
    }

    @Test
    void aReplicaNotReportedByItsDeadlineIsIssuedAgainAndALateResultIsIgnored() throws Exception {
        Job job = jobs.create(buyer, new JobSpec(app, "mersenne", 1, 3, 30, List.of(unit("u0")), List.of()));
        Assignment lost = one(job.id(), "host-a");
        assertEquals(clock.instant().plusSeconds(30), lost.deadline());
        assertTrue(jobs.dispatch(buyer, job.id(), "host-b", 1).isEmpty(), "out, not yet due");
        clock.advance(Duration.ofSeconds(31));
        Assignment again = one(job.id(), "host-b");
        assertArrayEquals(lost.input(), again.input());
        assertEquals("LATE", report(job.id(), "host-a", lost, "out:in:u0"));
        assertEquals(1, trust("host-a").timedOut());
        assertEquals(0, trust("host-a").credit());
        assertEquals("VALID", report(job.id(), "host-b", again, "out:in:u0"));
        assertTrue(jobs.job(buyer, job.id()).done());
    }

    @Test
    void aHostsOutstandingReplicasAreSentAgainOnResendAndStillSettledAndCreditedOnce() throws Exception {
        Job job = jobs.create(buyer, new JobSpec(app, "mersenne", 1, 3, 30,
                List.of(unit("u0"), unit("u1"), unit("u2"), unit("u3")), List.of()));
        List<Assignment> first = jobs.dispatch(buyer, job.id(), "host-a", 2);
        assertEquals(2, first.size());
        assertTrue(jobs.dispatch(buyer, job.id(), "host-b", 1, true).size() == 1, "a host holding nothing gets new work");

        // the runner's session with host-a broke: it asks again with resend
        clock.advance(Duration.ofSeconds(5));
        List<Assignment> again = jobs.dispatch(buyer, job.id(), "host-a", 2, true);
        assertEquals(2, again.size(), "its two copies, nothing new: max counts them");
        for (int i = 0; i < 2; i++) {
            assertEquals(first.get(i).replicaId(), again.get(i).replicaId(), "the same replica, not a new one");
            assertArrayEquals(first.get(i).input(), again.get(i).input());
            assertEquals(first.get(i).deadline(), again.get(i).deadline(), "a restart buys no time");
        }
        List<Assignment> more = jobs.dispatch(buyer, job.id(), "host-a", 3, true);
        assertEquals(3, more.size(), "its two copies first, then a new one");
        assertEquals(first.get(0).replicaId(), more.get(0).replicaId());
        assertEquals(first.get(1).replicaId(), more.get(1).replicaId());
        assertEquals(4, jobs.job(buyer, job.id()).replicasIssued(), "sending again issued nothing");
        assertTrue(jobs.dispatch(buyer, job.id(), "host-c", 1, true).isEmpty(), "not another host's copies");

        assertEquals("VALID", report(job.id(), "host-a", again.get(0), "r0"));
        assertEquals("VALID", report(job.id(), "host-a", first.get(0), "r0"), "a second report of it settles nothing");
        assertEquals(10, trust("host-a").credit(), "credited once");
        assertEquals(1, trust("host-a").validTotal());
        assertEquals(2, jobs.dispatch(buyer, job.id(), "host-a", 5, true).size(), "the two it still holds, nothing more");

        clock.advance(Duration.ofSeconds(26)); // past the deadline: no longer the host's to finish
        assertTrue(jobs.dispatch(buyer, job.id(), "host-a", 5, true).stream()
                .noneMatch(a -> a.replicaId().equals(first.get(1).replicaId())), "an expired copy is not sent again");
    }

    @Test
    void aFailedReplicaIsIssuedToAnotherHost() throws Exception {
        Job job = job(1, 2, List.of(unit("u0")), List.of());
        Assignment a = one(job.id(), "host-a");
        assertEquals("FAILED", jobs.report(buyer, job.id(), List.of(new Report("host-a", a.replicaId(), null, "out of memory")))
                .get(0).outcome());
        assertTrue(jobs.dispatch(buyer, job.id(), "host-a", 1).isEmpty(), "not to the same host");
        assertEquals("VALID", report(job.id(), "host-b", one(job.id(), "host-b"), "x"));
    }

    @Test
    void badRequestsAreRefusedWithClearMessages() throws Exception {
        JobRefused unknown = assertThrows(JobRefused.class, () -> jobs.create(buyer,
                new JobSpec(app, "lottery", 2, 4, 60, List.of(unit("u0")), List.of())));
        assertEquals(JobRefused.Reason.BAD_REQUEST, unknown.reason());
        assertEquals("app: unknown kind of work 'lottery' (known: genes, mersenne, signal)", unknown.getMessage());
        assertEquals("units: a job needs at least one work unit", assertThrows(JobRefused.class,
                () -> job(2, 4, List.of(), List.of())).getMessage());
        assertTrue(assertThrows(JobRefused.class, () -> job(3, 2, List.of(unit("u")), List.of())).getMessage()
                .startsWith("maxReplicas: 2"));
        assertEquals(JobRefused.Reason.NOT_FOUND, assertThrows(JobRefused.class, () -> jobs.create(buyer,
                new JobSpec("0".repeat(64), "mersenne", 2, 4, 60, List.of(unit("u0")), List.of()))).reason());
        assertEquals("spotChecks[0].expected: a spot check needs its known result, 1-1048576 bytes",
                assertThrows(JobRefused.class, () -> job(2, 4, List.of(unit("u")),
                        List.of(new UnitInput("c", bytes("x"), 1, null)))).getMessage());
        Account owner = accounts.create(AccountKind.OWNER, "Mary").account();
        assertEquals(JobRefused.Reason.FORBIDDEN, assertThrows(JobRefused.class,
                () -> jobs.create(owner, new JobSpec(app, "mersenne", 2, 4, 60, List.of(unit("u0")), List.of()))).reason());

        Job job = job(2, 4, List.of(unit("u0")), List.of());
        JobRefused notLeased = assertThrows(JobRefused.class, () -> jobs.dispatch(buyer, job.id(), "host-z", 1));
        assertEquals(JobRefused.Reason.FORBIDDEN, notLeased.reason());
        Account other = accounts.create(AccountKind.BUYER, "Other").account();
        assertEquals(JobRefused.Reason.NOT_FOUND, assertThrows(JobRefused.class, () -> jobs.job(other, job.id())).reason());
        Assignment a = one(job.id(), "host-a");
        assertEquals("UNKNOWN", jobs.report(buyer, job.id(), List.of(new Report("host-b", a.replicaId(), bytes("x"), null)))
                .get(0).outcome(), "one host's replica cannot be reported as another's");
    }

    static final List<Integer> KNOWN = List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521, 607);

    @Test
    void aQuarterOfTheHostsCheatingAcceptsNoWrongResultAndCatchesTheCheater() throws Exception {
        quarterCheating(false);
    }

    @Test
    void theSameWhenEachReportAsksForTheHostsNextUnits() throws Exception {
        quarterCheating(true);
    }

    @Test
    void aReportThatAsksForTheNextUnitsCountsTheReportsFirst() throws Exception {
        List<UnitInput> checks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            checks.add(new UnitInput("check" + i, bytes("in:check" + i), 5, bytes("out:in:check" + i)));
        }
        List<UnitInput> units = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            units.add(unit("u" + i));
        }
        Job job = job(1, 3, units, List.of());
        List<Assignment> first = jobs.dispatch(buyer, job.id(), "host-a", 2);
        List<Report> reports = new ArrayList<>();
        for (Assignment a : first) {
            reports.add(new Report("host-a", a.replicaId(), bytes(right(a)), null));
        }
        ReportReply reply = jobs.report(buyer, job.id(), reports, "host-a", 3);
        assertEquals(first.stream().map(Assignment::replicaId).toList(),
                reply.outcomes().stream().map(ReportOutcome::replicaId).toList());
        assertEquals(Set.of("VALID"), reply.outcomes().stream().map(ReportOutcome::outcome).collect(java.util.stream.Collectors.toSet()));
        assertEquals(3, reply.next().size(), "the next units come with the outcomes");
        assertEquals(2, trust("host-a").streak());
        Set<String> inputs = new HashSet<>();
        (first.stream().map(a -> new String(a.input(), StandardCharsets.UTF_8)).toList()).forEach(inputs::add);
        for (Assignment a : reply.next()) {
            assertTrue(inputs.add(new String(a.input(), StandardCharsets.UTF_8)), "a unit issued once to the host");
        }

        // no lease of the app: refused as a whole, nothing reported
        leased.remove("host-a");
        List<Report> more = List.of(new Report("host-a", reply.next().get(0).replicaId(), bytes(right(reply.next().get(0))), null));
        JobRefused refused = assertThrows(JobRefused.class, () -> jobs.report(buyer, job.id(), more, "host-z", 1));
        assertEquals(JobRefused.Reason.FORBIDDEN, refused.reason());
        assertEquals(2, trust("host-a").validTotal(), "nothing reported by a refused call");
        assertEquals(JobRefused.Reason.BAD_REQUEST,
                assertThrows(JobRefused.class, () -> jobs.report(buyer, job.id(), more, "host-a", 0)).reason());

        // a cheater banned by its reports: they count, and it gets nothing more
        Job checked = job(2, 3, List.of(unit("v0"), unit("v1")), checks);
        List<Assignment> got = jobs.dispatch(buyer, checked.id(), "host-c", 10);
        assertEquals(5, got.size());
        List<Report> madeUp = new ArrayList<>();
        for (Assignment a : got) {
            madeUp.add(new Report("host-c", a.replicaId(), bytes("made-up"), null));
        }
        ReportReply caught = jobs.report(buyer, checked.id(), madeUp, "host-c", 5);
        assertTrue(caught.outcomes().stream().anyMatch(o -> o.outcome().equals("INVALID")), caught.toString());
        assertTrue(trust("host-c").banned(), "three spot checks failed: banned");
        assertTrue(caught.next().isEmpty(), "a host banned by this report gets no more work");
        assertEquals(JobRefused.Reason.BANNED,
                assertThrows(JobRefused.class, () -> jobs.dispatch(buyer, checked.id(), "host-c", 1)).reason());
        assertEquals(2, jobs.job(buyer, checked.id()).ready(), "its answers to real units wait for honest copies");
    }

    void quarterCheating(boolean together) throws Exception {
        List<UnitInput> units = new ArrayList<>();
        for (int from = 2; from <= 1000; from += 25) {
            String range = from + ".." + Math.min(1000, from + 24);
            units.add(new UnitInput("p" + range, bytes(range), 25, null));
        }
        // spot checks: ranges around known exponents and without any, answers computed once by the buyer
        List<UnitInput> checks = new ArrayList<>();
        for (String range : List.of("2..20", "80..110", "120..140", "300..320", "515..530", "700..720")) {
            checks.add(new UnitInput("check" + range, bytes(range), 25, bytes(lucasLehmer(range))));
        }
        Job job = jobs.create(buyer, new JobSpec(app, "mersenne", 2, 5, 30, units, checks));
        List<String> hosts = new ArrayList<>(List.of("host-a", "host-b", "host-c", "host-d"));
        String cheater = "host-c";
        Random order = new Random(7);
        int cheats = 0;
        Map<String, List<Assignment>> next = new java.util.HashMap<>(); // what a report brought back (together)
        for (int round = 0; round < 400 && !jobs.job(buyer, job.id()).done(); round++) {
            Collections.shuffle(hosts, order);
            for (String host : new ArrayList<>(hosts)) {
                List<Assignment> work = next.remove(host);
                try {
                    if (work == null || work.isEmpty()) {
                        work = jobs.dispatch(buyer, job.id(), host, 3);
                    }
                } catch (JobRefused e) {
                    assertEquals(JobRefused.Reason.BANNED, e.reason(), e.getMessage());
                    hosts.remove(host);
                    continue;
                }
                List<Report> reports = new ArrayList<>();
                for (Assignment a : work) {
                    String range = new String(a.input(), StandardCharsets.UTF_8);
                    if (!host.equals(cheater)) {
                        reports.add(new Report(host, a.replicaId(), bytes(lucasLehmer(range)), null));
                        continue;
                    }
                    switch (cheats++ % 3) {
                    case 0 -> reports.add(new Report(host, a.replicaId(), bytes(lucasLehmer(range).replace(":C:", ":P:")), null));
                    case 1 -> reports.add(new Report(host, a.replicaId(), bytes("nothing found"), null));
                    default -> { } // skipped: never reported
                    }
                }
                if (!reports.isEmpty() && together) {
                    next.put(host, jobs.report(buyer, job.id(), reports, host, 3).next());
                } else if (!reports.isEmpty()) {
                    jobs.report(buyer, job.id(), reports);
                }
            }
            clock.advance(Duration.ofSeconds(5));
        }
        Job done = jobs.job(buyer, job.id());
        assertTrue(done.done(), "the job completes: " + done);
        assertEquals(units.size(), done.validated());
        assertEquals(0, done.errors());
        List<Integer> primes = new ArrayList<>();
        for (UnitResult r : jobs.results(buyer, job.id())) {
            String range = r.name().substring(1);
            assertArrayEquals(bytes(lucasLehmer(range)), r.result(), "no wrong result accepted for " + range);
            for (String entry : new String(r.result(), StandardCharsets.UTF_8).split(";")) {
                if (entry.contains(":P:")) {
                    primes.add(Integer.parseInt(entry.substring(0, entry.indexOf(':'))));
                }
            }
        }
        assertEquals(KNOWN, primes);
        Set<String> caught = new TreeSet<>();
        for (HostTrust t : jobs.hostsOf(buyer, job.id())) {
            if (t.invalidTotal() > 0 || t.banned()) {
                caught.add(t.hostId());
            }
            if (!t.hostId().equals(cheater)) {
                assertTrue(t.credit() > 0, t.hostId() + " earned credit");
                assertEquals(0, t.forfeited());
            }
        }
        assertEquals(Set.of(cheater), caught, "the cheater, and only it, is identified");
        HostTrust c = jobs.trust(cheater, app).orElseThrow();
        assertEquals(0, c.credit(), "cheating earned nothing: " + c);
    }

    /** The result of a unit "from..to": per prime p, "p:P|C:res64;" (res64 in hex, as GIMPS reports it). */
    static String lucasLehmer(String range) {
        int from = Integer.parseInt(range.substring(0, range.indexOf("..")));
        int to = Integer.parseInt(range.substring(range.indexOf("..") + 2));
        StringBuilder out = new StringBuilder();
        Set<Integer> seen = new HashSet<>();
        for (int p = from; p <= to; p++) {
            if (!BigInteger.valueOf(p).isProbablePrime(50) || !seen.add(p)) {
                continue;
            }
            BigInteger m = BigInteger.ONE.shiftLeft(p).subtract(BigInteger.ONE);
            BigInteger s = BigInteger.valueOf(4).mod(m);
            for (int i = 0; i < p - 2; i++) {
                s = s.multiply(s).subtract(BigInteger.TWO).mod(m);
            }
            boolean prime = p == 2 || s.signum() == 0;
            out.append(p).append(prime ? ":P:" : ":C:").append(Long.toHexString(s.longValue())).append(';');
        }
        return out.toString();
    }

    void setStreak(String host, int streak) throws Exception {
        try (Connection c = store.connection();
                PreparedStatement s = c.prepareStatement("UPDATE job_host_trust SET streak = ?, valid_total = ?, quota = 1000"
                        + " WHERE host_id = ?")) {
            s.setInt(1, streak);
            s.setInt(2, streak);
            s.setString(3, host);
            assertEquals(1, s.executeUpdate());
        }
    }

    @Test
    void theReplicationProbabilityFallsWithTheRecordToTheFloor() {
        assertEquals(1.0, probability(0), 1e-9);
        assertEquals(1.0, probability(9), 1e-9, "below trustedAfter (10) every unit is replicated");
        assertEquals(0.5, probability(10), 1e-9);
        assertEquals(0.05, probability(1000), 1e-9);
    }

    private double probability(int streak) {
        int replicated = 0;
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            if (jobs.replicate(streak)) {
                replicated++;
            }
        }
        double p = replicated / (double) n;
        return Math.abs(p - expected(streak)) < 0.02 ? expected(streak) : p;
    }

    private static double expected(int streak) {
        if (streak < 10) {
            return 1.0;
        }
        return Math.max(0.05, 1.0 / (1.0 + streak / 10.0));
    }

}
