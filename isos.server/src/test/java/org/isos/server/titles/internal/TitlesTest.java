package org.isos.server.titles.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.LedgerEntry;
import org.isos.server.bank.LedgerTotals;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.Settlement;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.leases.LeaseRequest;
import org.isos.server.leases.internal.JdbcLeases;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.server.titles.Title;
import org.isos.server.titles.TitleRefused;
import org.isos.server.titles.TitleRefused.Reason;
import org.isos.server.titles.TicketRefused;
import org.isos.server.titles.TicketRefused.Code;
import org.isos.server.titles.View;
import org.isos.server.titles.ViewTicket;
import org.isos.server.titles.ViewTickets;
import org.isos.testkit.MovableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The title registry and pay-per-view over a real H2 file store ({@link PostgresTitlesTest}: the same on PostgreSQL),
 * with the real bank, leases granted on enrolled hosts, and a clock the test moves.
 */
class TitlesTest {

    /** 10 % ISOS fee, as the default price table. */
    private static final PriceTable PRICES = PriceTable.DEFAULT;
    private static final long PRICE = 250_000;

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
    private JdbcTitles titles;
    private Account acme;
    private Account viewer;
    private List<Lease> acmeLeases;

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
        titles = new JdbcTitles(store, bank, clock);
        acme = accounts.create(AccountKind.BUYER, "Acme Movies").account();
        viewer = accounts.create(AccountKind.BUYER, "Mary's cousin").account();
        bank.deposit("acme-in", acme.id(), 100_000_000);
        bank.deposit("viewer-in", viewer.id(), 1_000_000);
        for (int i = 0; i < 4; i++) {
            host(accounts.create(AccountKind.OWNER, "Owner " + i).account());
        }
        acmeLeases = leases.grant(acme, new LeaseRequest(upload(acme, "org.acme.streaming"), 4, 3600, 0.1, 0, 0,
                32_000, null, "streaming", null));
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
    void aPublishedTitleIsListedAndItsManifestOnlyShownToItsProvider() throws Exception {
        Title published = titles.publish(acme, "big-buck-bunny.ts", manifest("big-buck-bunny.ts", acme, acmeLeases, 2),
                PRICE);
        assertEquals(published.created(), published.updated(), "new");
        assertEquals(acme.id(), published.provider());
        assertEquals("Acme Movies", published.providerName());
        assertEquals(PRICE, published.pricePerViewMicros());
        assertEquals(4, published.leases());
        assertEquals(4, published.runningLeases());
        assertEquals(2, published.neededLeases(), "k of the manifest");
        assertEquals(1_000_003, published.sizeBytes());
        assertTrue(published.available());
        assertTrue(published.manifest().contains("\"leaseId\":\"" + acmeLeases.get(0).id() + "\""));

        List<Title> listed = titles.titles();
        assertEquals(1, listed.size());
        assertNull(listed.get(0).manifest(), "the list never carries manifests");
        assertEquals(published.manifestBytes(), listed.get(0).manifestBytes());
        assertNull(titles.title(viewer, "big-buck-bunny.ts").manifest(), "a viewer pays to see the manifest");
        assertEquals(published.manifest(), titles.title(acme, "big-buck-bunny.ts").manifest());
        assertEquals(Reason.NOT_FOUND, assertThrows(TitleRefused.class, () -> titles.title(viewer, "nope")).reason());

        // published again by its provider: new price and manifest, same creation
        clock.advance(Duration.ofSeconds(5));
        Title again = titles.publish(acme, "big-buck-bunny.ts", manifest("big-buck-bunny.ts", acme,
                acmeLeases.subList(0, 3), 2), PRICE * 2);
        assertEquals(published.created(), again.created());
        assertTrue(again.updated().isAfter(again.created()));
        assertEquals(3, again.leases());
        assertEquals(PRICE * 2, again.pricePerViewMicros());
        assertEquals(1, titles.titles().size());
    }

    @Test
    void aViewIsChargedOnceAndTheProviderIsPaidLessTheFee() throws Exception {
        titles.publish(acme, "movie", manifest("movie", acme, acmeLeases, 2), PRICE);
        long acmeBefore = bank.balance(acme.id()).availableMicros();
        long feesBefore = bank.totals().feesMicros();

        View view = titles.buyView(viewer, "movie", "evening-1");
        assertFalse(view.repeated());
        assertEquals("evening-1", view.id());
        assertEquals(PRICE, view.priceMicros());
        assertEquals(PRICES.feeMicros(PRICE), view.feeMicros());
        assertEquals(25_000, view.feeMicros(), "10 % of 250 000");
        assertEquals(PRICE - view.feeMicros(), view.providerMicros());
        assertEquals(acme.id(), view.provider());
        assertTrue(view.manifest().contains("\"title\":\"movie\""), "the manifest comes with the view");
        assertEquals(1_000_000 - PRICE, bank.balance(viewer.id()).availableMicros());
        assertEquals(acmeBefore + view.providerMicros(), bank.balance(acme.id()).availableMicros());
        assertEquals(feesBefore + view.feeMicros(), bank.totals().feesMicros());

        // the same view id again (a retried request): nothing more moves, the first sale answers
        View repeated = titles.buyView(viewer, "movie", "evening-1");
        assertTrue(repeated.repeated());
        assertEquals(view.posted(), repeated.posted());
        assertEquals(PRICE, repeated.priceMicros());
        assertEquals(1_000_000 - PRICE, bank.balance(viewer.id()).availableMicros());
        assertEquals(acmeBefore + view.providerMicros(), bank.balance(acme.id()).availableMicros());

        // a second view is a second charge; the server chooses an id when the viewer gives none
        View second = titles.buyView(viewer, "movie", null);
        assertFalse(second.repeated());
        assertEquals(36, second.id().length());
        assertEquals(1_000_000 - 2 * PRICE, bank.balance(viewer.id()).availableMicros());
        assertEquals(2, titles.titles().get(0).views());

        // the viewer's ledger shows the payment; the double entries balance
        List<LedgerEntry> ledger = bank.ledger(viewer.id(), 10);
        assertEquals("view:" + viewer.id() + ":evening-1", ledger.get(ledger.size() - 2).transferId());
        assertEquals(-PRICE, ledger.get(0).amountMicros());
        assertTrue(ledger.get(0).memo().startsWith("view of title movie by " + viewer.id() + " paid to " + acme.id()),
                ledger.get(0).memo());
        assertEquals(0, entrySum("view:" + viewer.id() + ":evening-1"), "a transfer's entries sum to zero");
        assertEquals("view", ledger.get(0).kind(), "a view is its own ledger kind (V011), not metered usage");
        LedgerTotals totals = bank.totals();
        assertTrue(totals.balanced(), totals.toString());

        // the view id used for another title: refused, nothing charged
        titles.publish(acme, "other", manifest("other", acme, acmeLeases, 2), PRICE);
        TitleRefused reused = assertThrows(TitleRefused.class, () -> titles.buyView(viewer, "other", "evening-1"));
        assertEquals(Reason.CONFLICT, reused.reason());
        assertEquals("view id evening-1 was used for title movie, not other: choose a new view id", reused.getMessage());
        assertEquals(1_000_000 - 2 * PRICE, bank.balance(viewer.id()).availableMicros());

        // the provider's own view is free
        View own = titles.buyView(acme, "movie", "check");
        assertEquals(0, own.priceMicros());
        assertTrue(bank.totals().balanced());
    }

    @Test
    void aViewComesWithATicketTheHostsCanCheckAndAReplayGetsOneWithoutASecondCharge() throws Exception {
        titles.publish(acme, "movie", manifest("movie", acme, acmeLeases, 2), PRICE);
        ViewTickets tickets = new ViewTickets(ca, clock);
        View view = titles.buyView(viewer, "movie", "night-1");
        ViewTickets.Issued issued = tickets.issue(view);
        PublicKey root = ca.root().getPublicKey();
        ViewTicket ticket = ViewTickets.verify(issued.text(), root, "movie", clock.instant());
        assertEquals(issued.ticket(), ticket);
        assertEquals("movie", ticket.title());
        assertEquals(viewer.id(), ticket.viewer());
        assertEquals("night-1", ticket.viewId());
        assertEquals(ViewTickets.manifestSha256(view.manifest()), ticket.manifestSha256());
        assertEquals(ViewTickets.LIFETIME, Duration.between(ticket.issued(), ticket.expires()));
        assertTrue(issued.text().matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"), issued.text());

        // a replay of the view id: a fresh ticket, no second charge
        clock.advance(Duration.ofHours(1));
        View again = titles.buyView(viewer, "movie", "night-1");
        assertTrue(again.repeated());
        ViewTicket fresh = ViewTickets.verify(tickets.issue(again).text(), root, "movie", clock.instant());
        assertEquals(ticket.expires().plus(Duration.ofHours(1)), fresh.expires());
        assertEquals(1_000_000 - PRICE, bank.balance(viewer.id()).availableMicros(), "charged once");
        assertEquals(1, bank.ledger(viewer.id(), 10).stream().filter(e -> e.kind().equals("view")).count());

        // wrong title, expired, forged, tampered, none
        assertTicketRefused(Code.BAD_TICKET, "BAD_TICKET: the ticket is for movie, not other",
                () -> ViewTickets.verify(issued.text(), root, "other", clock.instant()));
        assertTicketRefused(Code.EXPIRED_TICKET, "EXPIRED_TICKET: view night-1 of movie expired at "
                + ticket.expires() + "; buy the view again (the same view id is not charged twice)",
                () -> ViewTickets.verify(issued.text(), root, "movie", ticket.expires()));
        String payload = issued.text().substring(0, issued.text().indexOf('.'));
        java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        java.security.Signature forger = java.security.Signature.getInstance("SHA256withECDSA");
        forger.initSign(generator.generateKeyPair().getPrivate());
        forger.update(("ISOS view-ticket\n" + payload).getBytes(StandardCharsets.US_ASCII));
        String forged = payload + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(forger.sign());
        assertTicketRefused(Code.BAD_TICKET, "BAD_TICKET: its signature is not the ISOS CA's",
                () -> ViewTickets.verify(forged, root, "movie", clock.instant()));
        String longer = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(java.util.Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8)
                        .replace("\"exp\":" + ticket.expires().getEpochSecond(), "\"exp\":9999999999")
                        .getBytes(StandardCharsets.UTF_8));
        assertTicketRefused(Code.BAD_TICKET, "BAD_TICKET: its signature is not the ISOS CA's", () -> ViewTickets
                .verify(longer + issued.text().substring(issued.text().indexOf('.')), root, "movie", clock.instant()));
        assertTicketRefused(Code.BAD_TICKET, "BAD_TICKET: not a view ticket (base64url payload '.' base64url signature)",
                () -> ViewTickets.verify("not-a-ticket", root, "movie", clock.instant()));
        assertTicketRefused(Code.NO_TICKET, "NO_TICKET: a view ticket is needed to watch movie (POST"
                + " /v1/titles/movie/views)", () -> ViewTickets.verify("", root, "movie", clock.instant()));
        // the CA signs statements only under a purpose: a ticket's signature is no certificate's
        assertThrows(IllegalArgumentException.class, () -> ca.signStatement("Bad Purpose", new byte[] { 1 }));
        assertThrows(IllegalArgumentException.class, () -> ca.signStatement("view-ticket", new byte[0]));
    }

    private static void assertTicketRefused(Code code, String message, TicketCall call) {
        TicketRefused refused = assertThrows(TicketRefused.class, call::run);
        assertEquals(code, refused.code());
        assertEquals(message, refused.getMessage());
    }

    @FunctionalInterface
    interface TicketCall {
        void run() throws Exception;
    }

    @Test
    void aViewerWithoutFundsIsRefusedAndNothingIsRecorded() throws Exception {
        titles.publish(acme, "movie", manifest("movie", acme, acmeLeases, 2), 2_000_000);
        long acmeBefore = bank.balance(acme.id()).availableMicros();
        BankRefused refused = assertThrows(BankRefused.class, () -> titles.buyView(viewer, "movie", "v1"));
        assertEquals(BankRefused.Reason.INSUFFICIENT_FUNDS, refused.reason());
        assertEquals("a view of movie costs 2000000 micros; " + viewer.id() + " has only 1000000 available (deposit"
                + " at least 1000000 more)", refused.getMessage());
        assertEquals(1_000_000, bank.balance(viewer.id()).availableMicros());
        assertEquals(acmeBefore, bank.balance(acme.id()).availableMicros());
        assertEquals(0, titles.titles().get(0).views(), "no view recorded");
        // an account with no money at all
        Account broke = accounts.create(AccountKind.OWNER, "Broke").account();
        assertEquals(BankRefused.Reason.INSUFFICIENT_FUNDS,
                assertThrows(BankRefused.class, () -> titles.buyView(broke, "movie", "v1")).reason());
        // once funded, the same view id buys the view
        bank.deposit("viewer-more", viewer.id(), 1_000_000);
        assertFalse(titles.buyView(viewer, "movie", "v1").repeated());
        assertEquals(0, bank.balance(viewer.id()).availableMicros());
        assertTrue(bank.totals().balanced());
    }

    @Test
    void concurrentRequestsWithOneViewIdAreChargedOnce() throws Exception {
        titles.publish(acme, "movie", manifest("movie", acme, acmeLeases, 2), PRICE);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<View>> sales = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sales.add(threads.submit(() -> titles.buyView(viewer, "movie", "same")));
            }
            int fresh = 0;
            for (Future<View> sale : sales) {
                View view = sale.get(60, TimeUnit.SECONDS);
                assertEquals(PRICE, view.priceMicros());
                fresh += view.repeated() ? 0 : 1;
            }
            assertEquals(1, fresh, "one sale, the others repeats");
        } finally {
            threads.shutdownNow();
        }
        assertEquals(1_000_000 - PRICE, bank.balance(viewer.id()).availableMicros());
        assertEquals(1, titles.titles().get(0).views());
        assertTrue(bank.totals().balanced());
    }

    @Test
    void aTitleWhoseLeasesEndedIsUnavailableAndSellsNoViews() throws Exception {
        titles.publish(acme, "movie", manifest("movie", acme, acmeLeases, 2), PRICE);
        titles.buyView(viewer, "movie", "before");
        leases.release(acme, acmeLeases.get(0).id());
        leases.release(acme, acmeLeases.get(1).id());
        Title two = titles.titles().get(0);
        assertEquals(2, two.runningLeases());
        assertTrue(two.available(), "k = 2 of 4 still run");
        leases.release(acme, acmeLeases.get(2).id());
        Title one = titles.titles().get(0);
        assertFalse(one.available());
        TitleRefused refused = assertThrows(TitleRefused.class, () -> titles.buyView(viewer, "movie", "after"));
        assertEquals(Reason.UNAVAILABLE, refused.reason());
        assertEquals("title movie is unavailable: only 1 of its 4 leases run and it needs 2 (nothing was charged)",
                refused.getMessage());
        assertEquals(1_000_000 - PRICE, bank.balance(viewer.id()).availableMicros());
        assertTrue(titles.buyView(viewer, "movie", "before").repeated(), "a view bought before still answers");

        // and past their expiry, leases that were never released do not count either
        titles.publish(acme, "late", manifest("late", acme, acmeLeases.subList(3, 4), 1), PRICE);
        assertTrue(titles.title(viewer, "late").available());
        clock.advance(Duration.ofHours(2));
        assertFalse(titles.title(viewer, "late").available());
    }

    @Test
    void publishingIsCheckedAndOnlyOntoThePublishersOwnRunningLeases() throws Exception {
        String good = manifest("movie", acme, acmeLeases, 2);
        assertRefused(Reason.BAD_REQUEST, "a title name is 1 to 100 of A-Z a-z 0-9 . _ -, not starting with '.' and"
                + " without '..', not \"../etc\"", () -> titles.publish(acme, "../etc", good, PRICE));
        assertRefused(Reason.BAD_REQUEST, "pricePerViewMicros must be 0 to 1000000000000000, not -1",
                () -> titles.publish(acme, "movie", good, -1));
        assertRefused(Reason.BAD_REQUEST, "the manifest must be a JSON object",
                () -> titles.publish(acme, "movie", "[1, 2]", PRICE));
        assertTrue(assertThrows(TitleRefused.class, () -> titles.publish(acme, "movie", "{\"holders\": [", PRICE))
                .getMessage().startsWith("the manifest is not JSON: "));
        assertRefused(Reason.BAD_REQUEST, "the manifest must name its holders: \"holders\": [{\"leaseId\": ...}, ...]",
                () -> titles.publish(acme, "movie", "{\"title\": \"movie\"}", PRICE));
        assertRefused(Reason.BAD_REQUEST, "the manifest is of title \"other\", not movie",
                () -> titles.publish(acme, "movie", manifest("other", acme, acmeLeases, 2), PRICE));
        assertRefused(Reason.BAD_REQUEST, "the manifest's dataFragments must be 1 to its 4 holders, not 5",
                () -> titles.publish(acme, "movie", manifest("movie", acme, acmeLeases, 5), PRICE));
        String big = "{\"holders\": [{\"leaseId\": \"" + acmeLeases.get(0).id() + "\"}], \"pad\": \""
                + "x".repeat(1_000_000) + "\"}";
        assertTrue(assertThrows(TitleRefused.class, () -> titles.publish(acme, "movie", big, PRICE)).getMessage()
                .endsWith("bytes of JSON; at most 1000000 are kept (longer segments make it shorter)"));

        // not a buyer; someone else's leases; a manifest naming another provider
        Account owner = accounts.create(AccountKind.OWNER, "Mary").account();
        assertEquals(Reason.FORBIDDEN, assertThrows(TitleRefused.class,
                () -> titles.publish(owner, "movie", good, PRICE)).reason());
        assertRefused(Reason.FORBIDDEN, "lease " + acmeLeases.get(0).id() + " is not a lease of " + viewer.id()
                + ": a title is published onto the publisher's own leases",
                () -> titles.publish(viewer, "movie", manifest("movie", null, acmeLeases, 2), PRICE));
        assertRefused(Reason.FORBIDDEN, "lease lease-unknown is not a lease of " + acme.id()
                + ": a title is published onto the publisher's own leases",
                () -> titles.publish(acme, "movie", "{\"holders\": [{\"leaseId\": \"lease-unknown\"}]}", PRICE));
        assertEquals(Reason.FORBIDDEN, assertThrows(TitleRefused.class,
                () -> titles.publish(viewer, "movie", manifest("movie", acme, List.of(), 1), PRICE)).reason());
        assertTrue(titles.titles().isEmpty(), "nothing published by any refusal");

        // a name is its provider's
        titles.publish(acme, "movie", good, PRICE);
        Lease viewersLease = viewerLease();
        assertRefused(Reason.CONFLICT, "title movie is published by another provider: choose another name",
                () -> titles.publish(viewer, "movie", manifest("movie", viewer, List.of(viewersLease), 1), PRICE));

        // an ended lease
        leases.release(acme, acmeLeases.get(3).id());
        assertRefused(Reason.UNAVAILABLE, "lease " + acmeLeases.get(3).id() + " has ended (RELEASED): publish onto"
                + " running leases", () -> titles.publish(acme, "movie", good, PRICE));
        assertEquals(4, titles.titles().get(0).leases(), "the refused publication changed nothing");
    }

    @Test
    void theBankRefusesMalformedViewPayments() throws Exception {
        assertEquals(BankRefused.Reason.BAD_REQUEST, assertThrows(BankRefused.class,
                () -> bank.payForView("t1", acme.id(), acme.id(), "movie", 10)).reason());
        assertEquals(BankRefused.Reason.BAD_REQUEST, assertThrows(BankRefused.class,
                () -> bank.payForView("t1", viewer.id(), acme.id(), "movie", -1)).reason());
        assertEquals(BankRefused.Reason.BAD_REQUEST, assertThrows(BankRefused.class,
                () -> bank.payForView("t1", "escrow:x", acme.id(), "movie", 1)).reason());
        Settlement paid = bank.payForView("t1", viewer.id(), acme.id(), "movie", 1_000);
        assertEquals(100, paid.feeMicros());
        assertEquals(900, paid.ownerMicros());
        assertEquals(0, paid.shortMicros());
        // the same id for another payment is a conflict
        assertEquals(BankRefused.Reason.CONFLICT, assertThrows(BankRefused.class,
                () -> bank.payForView("t1", viewer.id(), acme.id(), "movie", 2_000)).reason());
        Settlement free = bank.payForView("t2", viewer.id(), acme.id(), "movie", 0);
        assertEquals(0, free.paidMicros());
        assertTrue(bank.totals().balanced());
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private interface Call {
        void run() throws Exception;
    }

    private static void assertRefused(Reason reason, String message, Call call) {
        TitleRefused refused = assertThrows(TitleRefused.class, call::run);
        assertEquals(message, refused.getMessage());
        assertEquals(reason, refused.reason());
    }

    /**
     * A manifest as the publisher writes it ({@code {"format": 1, "manifest": {...}}}), reduced to what the registry
     * reads (and a little more).
     */
    private static String manifest(String title, Account provider, List<Lease> holders, int k) {
        StringBuilder json = new StringBuilder("{\"format\": 1, \"manifest\": {\"title\": \"" + title + "\", ");
        if (provider != null) {
            json.append("\"provider\": \"").append(provider.id()).append("\", ");
        }
        json.append("\"sizeBytes\": 1000003, \"segmentBytes\": 262144, \"dataFragments\": ").append(k)
                .append(", \"totalFragments\": ").append(holders.size()).append(", \"holders\": [");
        for (int i = 0; i < holders.size(); i++) {
            Lease lease = holders.get(i);
            json.append(i == 0 ? "" : ", ").append("{\"hostId\": \"").append(lease.hostId())
                    .append("\", \"leaseId\": \"").append(lease.id()).append("\", \"transportAddress\": \"127.0.0.1:")
                    .append(2000 + i).append("\"}");
        }
        return json.append("], \"segments\": []}}").toString();
    }

    private Lease viewerLease() throws Exception {
        bank.deposit("viewer-lease", viewer.id(), 10_000_000);
        host(accounts.create(AccountKind.OWNER, "Owner 5").account());
        return leases.grant(viewer, new LeaseRequest(upload(viewer, "org.viewer.app"), 1, 3600, 0.1, 0, 0, 32_000,
                null, "streaming", null)).get(0);
    }

    private long entrySum(String transferId) throws Exception {
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement(
                "SELECT SUM(amount_micros), COUNT(*) FROM ledger_entries WHERE transfer_id = ?")) {
            s.setString(1, transferId);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                assertEquals(3, r.getInt(2), "viewer, provider, fee");
                return r.getLong(1);
            }
        }
    }

    private String upload(Account buyer, String name) throws Exception {
        return repository.store(buyer, LeaseFixtures.signedBundle(ca, buyer.id(), name)).sha256();
    }

    /** An enrolled host that reported a streaming policy with a heartbeat. */
    private void host(Account owner) throws Exception {
        KeyPair keys = LeaseFixtures.ecKeys();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        X509Certificate certificate = hosts.enroll(owner, LeaseFixtures.csr(hostId, keys)
                .getBytes(StandardCharsets.US_ASCII), null).certificate().certificate();
        leases.heartbeat(hostId, certificate, "{}", new ReportedStatus(false, null, 0, "127.0.0.1:1000",
                new HostPolicy(1.0, 1L << 40, 1L << 30, Set.of("streaming"), 0)), List.of());
    }

}
