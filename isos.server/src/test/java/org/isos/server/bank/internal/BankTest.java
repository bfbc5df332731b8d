package org.isos.server.bank.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.isos.server.TestConfigs;
import org.isos.server.bank.Balance;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.BankRefused.Reason;
import org.isos.server.bank.LedgerEntry;
import org.isos.server.bank.LedgerTotals;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.Settlement;
import org.isos.server.bank.Transfer;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The bank over a real H2 file store ({@link PostgresBankTest}: the same on PostgreSQL). */
class BankTest {

    private static final String BUYER = "buyer-1";
    private static final String OWNER = "owner-1";

    @TempDir
    Path data;
    JdbcStore store;
    JdbcBank bank;

    @BeforeEach
    void start() throws Exception {
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), new ServerHome(data));
        bank = new JdbcBank(store, TestConfigs.of(PricesConfig.class, Map.of()));
    }

    /** The store's configuration: the default H2 file store in the data directory. */
    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void theDefaultPricesAreThePostedDefaults() {
        assertEquals(PriceTable.DEFAULT, bank.prices());
        JdbcBank configured = new JdbcBank(store, TestConfigs.of(PricesConfig.class, Map.of("feeBasisPoints", 250)));
        assertEquals(250, configured.prices().feeBasisPoints());
        assertThrows(IllegalArgumentException.class,
                () -> new JdbcBank(store, TestConfigs.of(PricesConfig.class, Map.of("feeBasisPoints", 10_001))));
    }

    @Test
    void depositsComeFromOutsideAndWithdrawalsReturnThere() throws Exception {
        Transfer in = bank.deposit("dep-1", BUYER, 1_000);
        assertEquals("dep-1", in.id());
        assertEquals("deposit", in.kind());
        assertEquals(1_000, in.amountMicros());
        assertFalse(in.repeated());
        assertNotNull(in.posted());
        assertEquals(new Balance(BUYER, 1_000, 0), bank.balance(BUYER));

        Transfer out = bank.withdraw("wd-1", BUYER, 300);
        assertEquals("withdrawal", out.kind());
        assertEquals(new Balance(BUYER, 700, 0), bank.balance(BUYER));
        assertEquals(-700, ledgerBalance(JdbcBank.EXTERNAL), "the outside world is what came in and stayed");

        LedgerTotals totals = bank.totals();
        assertEquals(new LedgerTotals(1_000, 300, 700, 0), totals);
        assertTrue(totals.balanced());

        List<LedgerEntry> entries = bank.ledger(BUYER, 10);
        assertEquals(2, entries.size());
        assertEquals("wd-1", entries.get(0).transferId(), "newest first");
        assertEquals("withdrawal", entries.get(0).kind());
        assertEquals(-300, entries.get(0).amountMicros());
        assertEquals(BUYER, entries.get(0).ledgerAccount());
        assertEquals("dep-1", entries.get(1).transferId());
        assertEquals(1_000, entries.get(1).amountMicros());
        assertTrue(entries.get(1).memo().contains(BUYER), entries.get(1).memo());
        assertEquals(1, bank.ledger(BUYER, 1).size(), "at most limit");
        assertLedgerConsistent();
    }

    @Test
    void anUnknownAccountHasNothing() throws Exception {
        assertEquals(new Balance("buyer-nobody", 0, 0), bank.balance("buyer-nobody"));
        assertEquals(List.of(), bank.ledger("buyer-nobody", 100));
        assertEquals(new LedgerTotals(0, 0, 0, 0), bank.totals());
    }

    @Test
    void aWithdrawalBeyondTheAvailableBalanceIsRefusedAndNotRecorded() throws Exception {
        refused(Reason.INSUFFICIENT_FUNDS, () -> bank.withdraw("wd-1", BUYER, 1));
        bank.deposit("dep-1", BUYER, 500);
        BankRefused refused = refused(Reason.INSUFFICIENT_FUNDS, () -> bank.withdraw("wd-1", BUYER, 501));
        assertTrue(refused.getMessage().contains("only 500 available"), refused.getMessage());
        assertFalse(bank.withdraw("wd-1", BUYER, 500).repeated(), "a refused id was not used up");
        assertEquals(new Balance(BUYER, 0, 0), bank.balance(BUYER));
        assertLedgerConsistent();
    }

    @Test
    void aHoldMovesMoneyIntoTheLeasesEscrowAndTheReleaseReturnsWhatIsLeft() throws Exception {
        bank.deposit("dep-1", BUYER, 1_000);
        Transfer hold = bank.hold("hold:lease-1", BUYER, "lease-1", 600);
        assertEquals("hold", hold.kind());
        assertEquals(600, hold.amountMicros());
        assertEquals(new Balance(BUYER, 400, 600), bank.balance(BUYER));
        assertEquals(600, ledgerBalance("escrow:lease-1"));

        bank.hold("hold:lease-1:renewal", BUYER, "lease-1", 100);
        assertEquals(new Balance(BUYER, 300, 700), bank.balance(BUYER));

        Settlement paid = bank.settle("usage:lease-1:1", BUYER, "lease-1", OWNER, 250);
        assertEquals(250, paid.paidMicros());
        assertEquals(25, paid.feeMicros(), "10% by default");
        assertEquals(225, paid.ownerMicros());
        assertEquals(0, paid.shortMicros());
        assertEquals(new Balance(BUYER, 300, 450), bank.balance(BUYER), "paid from the escrow");
        assertEquals(new Balance(OWNER, 225, 0), bank.balance(OWNER));

        Transfer release = bank.releaseHold("release:lease-1", "lease-1");
        assertEquals("release", release.kind());
        assertEquals(450, release.amountMicros(), "what was left");
        assertEquals(new Balance(BUYER, 750, 0), bank.balance(BUYER));
        Transfer again = bank.releaseHold("release:lease-1:again", "lease-1");
        assertEquals(0, again.amountMicros(), "an empty escrow releases nothing");
        assertFalse(again.repeated());

        List<LedgerEntry> entries = bank.ledger(BUYER, 100);
        List<String> seen = new ArrayList<>();
        for (LedgerEntry e : entries) {
            seen.add(e.transferId() + " " + e.ledgerAccount() + " " + e.amountMicros());
        }
        assertEquals(List.of("release:lease-1 buyer-1 450", "release:lease-1 escrow:lease-1 -450",
                "usage:lease-1:1 escrow:lease-1 -250", "hold:lease-1:renewal buyer-1 -100",
                "hold:lease-1:renewal escrow:lease-1 100", "hold:lease-1 buyer-1 -600", "hold:lease-1 escrow:lease-1 600",
                "dep-1 buyer-1 1000").stream().sorted().toList(), seen.stream().sorted().toList(),
                "the buyer's ledger has its escrow's entries too");
        assertEquals("release:lease-1", entries.get(0).transferId(), "newest first");
        assertEquals(new LedgerTotals(1_000, 0, 1_000, 25), bank.totals());
        assertLedgerConsistent();
    }

    @Test
    void holdsAndReleasesRefuseWhatCannotBe() throws Exception {
        refused(Reason.INSUFFICIENT_FUNDS, () -> bank.hold("hold:l1", BUYER, "l1", 1));
        bank.deposit("dep-1", BUYER, 100);
        refused(Reason.INSUFFICIENT_FUNDS, () -> bank.hold("hold:l1", BUYER, "l1", 101));
        bank.hold("hold:l1", BUYER, "l1", 100);
        bank.deposit("dep-2", "buyer-2", 100);
        BankRefused foreign = refused(Reason.BAD_REQUEST, () -> bank.hold("hold:l1:b2", "buyer-2", "l1", 10));
        assertTrue(foreign.getMessage().contains("belongs to buyer buyer-1"), foreign.getMessage());
        refused(Reason.BAD_REQUEST, () -> bank.settle("usage:l1:1", "buyer-2", "l1", OWNER, 10));
        refused(Reason.UNKNOWN_ACCOUNT, () -> bank.releaseHold("release:l2", "l2"));
        assertEquals(new Balance(BUYER, 0, 100), bank.balance(BUYER));
        assertEquals(new Balance("buyer-2", 100, 0), bank.balance("buyer-2"));
        assertLedgerConsistent();
    }

    @Test
    void aSettlementPaysFromTheEscrowThenTheBalanceAndIsShortWhenBothRunOut() throws Exception {
        bank.deposit("dep-1", BUYER, 1_000);
        bank.hold("hold:l1", BUYER, "l1", 300);

        Settlement first = bank.settle("usage:l1:1", BUYER, "l1", OWNER, 500);
        assertEquals(500, first.paidMicros());
        assertEquals(0, first.shortMicros());
        assertEquals(new Balance(BUYER, 500, 0), bank.balance(BUYER), "300 from the escrow, 200 from the balance");

        Settlement second = bank.settle("usage:l1:2", BUYER, "l1", OWNER, 800);
        assertEquals(500, second.paidMicros(), "all that was left");
        assertEquals(300, second.shortMicros());
        assertEquals(50, second.feeMicros());
        assertEquals(450, second.ownerMicros());
        assertEquals(500, second.transfer().amountMicros(), "a transfer's amount is what moved");
        assertFalse(second.transfer().repeated());
        assertEquals(new Balance(BUYER, 0, 0), bank.balance(BUYER), "never below zero");

        Settlement nothing = bank.settle("usage:l1:3", BUYER, "l1", OWNER, 100);
        assertEquals(new Settlement(nothing.transfer(), 0, 0, 0, 100), nothing);

        Settlement zero = bank.settle("usage:l1:4", BUYER, "l1", OWNER, 0);
        assertEquals(0, zero.paidMicros());
        assertEquals(0, zero.shortMicros());
        assertTrue(bank.settle("usage:l1:4", BUYER, "l1", OWNER, 0).transfer().repeated(),
                "a settlement of nothing is still recorded under its id");

        Settlement noEscrow = bank.settle("usage:l9:1", BUYER, "l9", OWNER, 10);
        assertEquals(10, noEscrow.shortMicros(), "a lease without escrow pays from the balance, here empty");

        assertEquals(new Balance(OWNER, 900, 0), bank.balance(OWNER));
        assertEquals(new LedgerTotals(1_000, 0, 1_000, 100), bank.totals());
        assertLedgerConsistent();
    }

    @Test
    void theFeeIsTheConfiguredShareRoundedDown() throws Exception {
        JdbcBank quarter = new JdbcBank(store, TestConfigs.of(PricesConfig.class, Map.of("feeBasisPoints", 250)));
        quarter.deposit("dep-1", BUYER, 10_000);
        Settlement s = quarter.settle("usage:l1:1", BUYER, "l1", OWNER, 999);
        assertEquals(24, s.feeMicros(), "999 x 2.5% = 24.975, rounded down");
        assertEquals(975, s.ownerMicros());
        assertEquals(new Balance(OWNER, 975, 0), quarter.balance(OWNER));
        assertEquals(24, quarter.totals().feesMicros());
        List<LedgerEntry> fee = quarter.ledger(OWNER, 10);
        assertEquals(1, fee.size());
        assertEquals("usage", fee.get(0).kind());

        Settlement free = new JdbcBank(store, TestConfigs.of(PricesConfig.class, Map.of("feeBasisPoints", 0)))
                .settle("usage:l1:2", BUYER, "l1", OWNER, 1_000);
        assertEquals(0, free.feeMicros());
        assertEquals(1_000, free.ownerMicros());
        assertLedgerConsistent();
    }

    @Test
    void aTransferIdPostedTwiceMovesMoneyOnce() throws Exception {
        Transfer first = bank.deposit("dep-1", BUYER, 1_000);
        Transfer second = bank.deposit("dep-1", BUYER, 1_000);
        assertTrue(second.repeated());
        assertEquals(first.posted(), second.posted(), "the first posting is the answer");
        assertEquals(first.amountMicros(), second.amountMicros());
        assertEquals(new Balance(BUYER, 1_000, 0), bank.balance(BUYER));

        bank.hold("hold:l1", BUYER, "l1", 400);
        assertTrue(bank.hold("hold:l1", BUYER, "l1", 400).repeated());
        assertEquals(new Balance(BUYER, 600, 400), bank.balance(BUYER));

        Settlement paid = bank.settle("usage:l1:1", BUYER, "l1", OWNER, 1_500);
        bank.deposit("dep-2", BUYER, 5_000);
        Settlement repeated = bank.settle("usage:l1:1", BUYER, "l1", OWNER, 1_500);
        assertTrue(repeated.transfer().repeated());
        assertEquals(paid.paidMicros(), repeated.paidMicros(), "the outcome of the first posting, though funds came since");
        assertEquals(paid.shortMicros(), repeated.shortMicros());
        assertEquals(paid.feeMicros(), repeated.feeMicros());
        assertEquals(new Balance(BUYER, 5_000, 0), bank.balance(BUYER));

        Transfer released = bank.releaseHold("release:l1", "l1");
        assertTrue(bank.releaseHold("release:l1", "l1").repeated());
        assertEquals(released.amountMicros(), bank.releaseHold("release:l1", "l1").amountMicros());

        assertEquals(Reason.CONFLICT, refused(Reason.CONFLICT, () -> bank.deposit("dep-1", BUYER, 999)).reason());
        refused(Reason.CONFLICT, () -> bank.deposit("dep-1", "buyer-2", 1_000));
        refused(Reason.CONFLICT, () -> bank.withdraw("dep-1", BUYER, 1_000));
        refused(Reason.CONFLICT, () -> bank.settle("usage:l1:1", BUYER, "l1", "owner-2", 1_500));
        refused(Reason.CONFLICT, () -> bank.releaseHold("hold:l1", "l1"));
        assertEquals(new Balance(BUYER, 5_000, 0), bank.balance(BUYER));
        assertEquals(new LedgerTotals(6_000, 0, 6_000, 100), bank.totals());
        assertLedgerConsistent();
    }

    @Test
    void malformedRequestsAreRefusedWithTheReason() throws Exception {
        refused(Reason.BAD_REQUEST, () -> bank.deposit("d", BUYER, 0));
        refused(Reason.BAD_REQUEST, () -> bank.deposit("d", BUYER, -5));
        assertTrue(refused(Reason.BAD_REQUEST, () -> bank.deposit("d", BUYER, JdbcBank.MAX_AMOUNT_MICROS + 1))
                .getMessage().contains("amount must be 1 to 1000000000000000 micros"));
        bank.deposit("d-max", BUYER, JdbcBank.MAX_AMOUNT_MICROS);
        refused(Reason.BAD_REQUEST, () -> bank.settle("u", BUYER, "l", OWNER, -1));
        refused(Reason.BAD_REQUEST, () -> bank.hold("h", BUYER, "l", 0));
        refused(Reason.BAD_REQUEST, () -> bank.withdraw("w", BUYER, 0));
        refused(Reason.BAD_REQUEST, () -> bank.deposit("", BUYER, 1));
        refused(Reason.BAD_REQUEST, () -> bank.deposit(null, BUYER, 1));
        refused(Reason.BAD_REQUEST, () -> bank.deposit("x".repeat(201), BUYER, 1));
        bank.deposit("x".repeat(200), BUYER, 1);
        refused(Reason.BAD_REQUEST, () -> bank.deposit("dep 1", BUYER, 1));
        refused(Reason.BAD_REQUEST, () -> bank.deposit("dep-ü", BUYER, 1));
        refused(Reason.BAD_REQUEST, () -> bank.deposit("d", "buyer/1", 1));
        refused(Reason.BAD_REQUEST, () -> bank.deposit("d", null, 1));
        for (String reserved : List.of("external", "isos:fees", "isos:other", "escrow:l1")) {
            BankRefused r = refused(Reason.BAD_REQUEST, () -> bank.deposit("d", reserved, 1));
            assertTrue(r.getMessage().contains("reserved"), r.getMessage());
        }
        refused(Reason.BAD_REQUEST, () -> bank.settle("u", BUYER, "l", "external", 1));
        refused(Reason.BAD_REQUEST, () -> bank.hold("h", BUYER, "lease one", 1));
        refused(Reason.BAD_REQUEST, () -> bank.releaseHold("r", ""));
        assertThrows(IllegalArgumentException.class, () -> bank.balance("a b"));
        assertThrows(IllegalArgumentException.class, () -> bank.ledger(BUYER, 0));
        assertThrows(IllegalArgumentException.class, () -> bank.ledger(BUYER, JdbcBank.MAX_LEDGER_LIMIT + 1));
        assertEquals(new Balance(BUYER, JdbcBank.MAX_AMOUNT_MICROS + 1, 0), bank.balance(BUYER));
        assertLedgerConsistent();
    }

    @Test
    void aTransactionTheCallerRollsBackLeavesNoTrace() throws Exception {
        bank.deposit("dep-0", BUYER, 50);
        RuntimeException thrown = assertThrows(IllegalStateException.class, () -> store.transaction(c -> {
            made(() -> bank.deposit("dep-1", BUYER, 1_000));
            made(() -> bank.hold("hold:l1", BUYER, "l1", 700));
            Settlement s = made(() -> bank.settle("usage:l1:1", BUYER, "l1", OWNER, 100));
            assertEquals(100, s.paidMicros());
            assertEquals(new Balance(BUYER, 350, 600), bank.balance(BUYER), "the caller sees its own changes");
            throw new IllegalStateException("the caller changed its mind");
        }));
        assertEquals("the caller changed its mind", thrown.getMessage());
        assertEquals(new Balance(BUYER, 50, 0), bank.balance(BUYER));
        assertEquals(new Balance(OWNER, 0, 0), bank.balance(OWNER));
        assertEquals(1, bank.ledger(BUYER, 100).size());
        assertEquals(new LedgerTotals(50, 0, 50, 0), bank.totals());
        assertFalse(bank.deposit("dep-1", BUYER, 1_000).repeated(), "the rolled-back id was never posted");
        assertLedgerConsistent();
    }

    @Test
    void aTransferJoinsTheCallersTransactionAndARefusalLeavesItUsable() throws Exception {
        Transfer hold = store.transaction(c -> {
            made(() -> bank.deposit("dep-1", BUYER, 100));
            try {
                bank.hold("hold:l1", BUYER, "l1", 1_000);
                throw new AssertionError("a hold beyond the balance was made");
            } catch (BankRefused refused) {
                assertEquals(Reason.INSUFFICIENT_FUNDS, refused.reason());
            }
            try {
                return bank.hold("hold:l1", BUYER, "l1", 100);
            } catch (BankRefused refused) {
                throw new AssertionError(refused);
            }
        });
        assertFalse(hold.repeated());
        assertEquals(new Balance(BUYER, 0, 100), bank.balance(BUYER), "both committed with the caller");
        assertLedgerConsistent();
    }

    /**
     * 1,000 random operations (repeated ids among them) against a model of what each must do; the ledger
     * matches the model and stays balanced throughout.
     */
    @Test
    void aThousandRandomOperationsKeepTheLedgerBalanced() throws Exception {
        Random random = new Random(20261128);
        String[] accounts = { "buyer-a", "buyer-b", "buyer-c", "owner-a", "owner-b" };
        Map<String, Long> available = new HashMap<>();
        Map<String, String> escrowBuyer = new HashMap<>();
        Map<String, Long> escrow = new HashMap<>();
        long fees = 0;
        long deposits = 0;
        long withdrawals = 0;
        List<Runnable> repeats = new ArrayList<>();
        int refusals = 0;
        for (int i = 0; i < 1_000; i++) {
            String account = accounts[random.nextInt(3)];
            String owner = accounts[3 + random.nextInt(2)];
            String lease = "lease-" + random.nextInt(12);
            long amount = 1 + random.nextInt(5_000);
            String id = "t" + i;
            int op = random.nextInt(100);
            try {
                if (op < 25) {
                    Transfer t = bank.deposit(id, account, amount);
                    available.merge(account, amount, Long::sum);
                    deposits += amount;
                    assertFalse(t.repeated());
                    repeats.add(() -> assertRepeated(() -> bank.deposit(id, account, amount)));
                } else if (op < 35) {
                    long has = available.getOrDefault(account, 0L);
                    if (amount > has) {
                        refused(Reason.INSUFFICIENT_FUNDS, () -> bank.withdraw(id, account, amount));
                        refusals++;
                    } else {
                        bank.withdraw(id, account, amount);
                        available.merge(account, -amount, Long::sum);
                        withdrawals += amount;
                    }
                } else if (op < 55) {
                    long has = available.getOrDefault(account, 0L);
                    String holder = escrowBuyer.get(lease);
                    if (holder != null && !holder.equals(account)) {
                        refused(Reason.BAD_REQUEST, () -> bank.hold(id, account, lease, amount));
                        refusals++;
                    } else if (amount > has) {
                        refused(Reason.INSUFFICIENT_FUNDS, () -> bank.hold(id, account, lease, amount));
                        refusals++;
                    } else {
                        bank.hold(id, account, lease, amount);
                        available.merge(account, -amount, Long::sum);
                        escrow.merge(lease, amount, Long::sum);
                        escrowBuyer.put(lease, account);
                        repeats.add(() -> assertRepeated(() -> bank.hold(id, account, lease, amount)));
                    }
                } else if (op < 65) {
                    if (!escrowBuyer.containsKey(lease)) {
                        refused(Reason.UNKNOWN_ACCOUNT, () -> bank.releaseHold(id, lease));
                        refusals++;
                    } else {
                        Transfer t = bank.releaseHold(id, lease);
                        long left = escrow.put(lease, 0L);
                        assertEquals(left, t.amountMicros());
                        available.merge(escrowBuyer.get(lease), left, Long::sum);
                    }
                } else {
                    String buyer = escrowBuyer.getOrDefault(lease, account);
                    long ask = random.nextInt(10) == 0 ? 0 : amount;
                    Settlement s = bank.settle(id, buyer, lease, owner, ask);
                    long fromEscrow = Math.min(ask, escrow.getOrDefault(lease, 0L));
                    long fromAvailable = Math.min(ask - fromEscrow, available.getOrDefault(buyer, 0L));
                    long paid = fromEscrow + fromAvailable;
                    long fee = PriceTable.DEFAULT.feeMicros(paid);
                    assertEquals(new Settlement(s.transfer(), paid, paid - fee, fee, ask - paid), s, "operation " + i);
                    escrow.merge(lease, -fromEscrow, Long::sum);
                    available.merge(buyer, -fromAvailable, Long::sum);
                    available.merge(owner, paid - fee, Long::sum);
                    fees += fee;
                    repeats.add(() -> {
                        Settlement again = assertRepeated(() -> bank.settle(id, buyer, lease, owner, ask));
                        assertEquals(s.paidMicros(), again.paidMicros());
                    });
                }
            } catch (BankRefused unexpected) {
                throw new AssertionError("operation " + i + " refused: " + unexpected.getMessage(), unexpected);
            }
            if (i % 7 == 0 && !repeats.isEmpty()) {
                repeats.get(random.nextInt(repeats.size())).run();
            }
            if (i % 100 == 99) {
                assertTrue(bank.totals().balanced(), "after operation " + i + ": " + bank.totals());
            }
        }
        for (String account : accounts) {
            long held = 0;
            for (Map.Entry<String, String> e : escrowBuyer.entrySet()) {
                if (e.getValue().equals(account)) {
                    held += escrow.get(e.getKey());
                }
            }
            assertEquals(new Balance(account, available.getOrDefault(account, 0L), held), bank.balance(account));
        }
        assertEquals(new LedgerTotals(deposits, withdrawals, deposits - withdrawals, fees), bank.totals());
        assertTrue(bank.totals().balanced());
        assertTrue(refusals > 0 && fees > 0, "the sequence exercised refusals and fees");
        assertLedgerConsistent();
    }

    /**
     * Four threads settle 200 usage records each against one buyer whose money runs out; every record id is
     * settled by two threads at once. Each id is paid once, the buyer never goes below zero, the ledger balances.
     */
    @Test
    void concurrentSettlementsNeitherOverdrawNorPayTwice() throws Exception {
        int threads = 4;
        int perThread = 200;
        int records = threads * perThread / 2;
        long funds = 40_000;
        bank.deposit("dep-1", BUYER, funds - 10_000);
        bank.hold("hold:l1", BUYER, "l1", 10_000);
        bank.deposit("dep-2", BUYER, 10_000); // escrow 10,000 and available 30,000
        // amounts 1..250, about 50,000 asked in all: more than the buyer has
        long[] asked = new long[records];
        Random random = new Random(42);
        long askedInAll = 0;
        for (int n = 0; n < records; n++) {
            asked[n] = 1 + random.nextInt(250);
            askedInAll += asked[n];
        }
        assertTrue(askedInAll > funds, "the buyer runs out: " + askedInAll);

        ConcurrentHashMap<String, List<Settlement>> outcomes = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                // thread t settles records t*100 .. t*100+199 (mod 400): each record by two threads
                List<Integer> mine = new ArrayList<>();
                for (int k = 0; k < perThread; k++) {
                    mine.add((t * perThread / 2 + k) % records);
                }
                Collections.shuffle(mine, new Random(t));
                running.add(pool.submit(() -> {
                    go.await();
                    for (int n : mine) {
                        String id = "usage:l1:" + n;
                        Settlement s = bank.settle(id, BUYER, "l1", OWNER, asked[n]);
                        outcomes.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(s);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : running) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        long paidInAll = 0;
        long feesInAll = 0;
        int short_ = 0;
        assertEquals(records, outcomes.size());
        for (Map.Entry<String, List<Settlement>> e : outcomes.entrySet()) {
            List<Settlement> both = e.getValue();
            assertEquals(2, both.size(), e.getKey());
            assertEquals(1, both.stream().filter(s -> !s.transfer().repeated()).count(), "paid once: " + e.getKey());
            Settlement first = both.get(0);
            Settlement second = both.get(1);
            assertEquals(first.paidMicros(), second.paidMicros(), e.getKey());
            assertEquals(first.shortMicros(), second.shortMicros(), e.getKey());
            assertEquals(first.transfer().posted(), second.transfer().posted(), e.getKey());
            paidInAll += first.paidMicros();
            feesInAll += first.feeMicros();
            if (first.shortMicros() > 0) {
                short_++;
            }
        }
        assertEquals(funds, paidInAll, "everything the buyer had was paid, nothing more");
        assertTrue(short_ > 0, "some records found the buyer out of money");
        assertEquals(new Balance(BUYER, 0, 0), bank.balance(BUYER));
        assertEquals(new Balance(OWNER, funds - feesInAll, 0), bank.balance(OWNER));
        LedgerTotals totals = bank.totals();
        assertEquals(new LedgerTotals(funds, 0, funds, feesInAll), totals);
        assertTrue(totals.balanced());
        assertEquals(records + 3, count("SELECT COUNT(*) FROM ledger_transfers"));
        assertLedgerConsistent();
    }

    /** Four threads post the same ids at the same moment (a barrier before each): each id is posted once. */
    @Test
    void theSameIdPostedAtTheSameMomentIsPostedOnce() throws Exception {
        int threads = 4;
        int ids = 50;
        CyclicBarrier together = new CyclicBarrier(threads);
        ConcurrentHashMap<String, List<Boolean>> repeated = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                running.add(pool.submit(() -> {
                    for (int i = 0; i < ids; i++) {
                        together.await(1, TimeUnit.MINUTES);
                        Transfer deposit = bank.deposit("race-dep-" + i, BUYER, 10);
                        repeated.computeIfAbsent(deposit.id(), k -> new CopyOnWriteArrayList<>()).add(deposit.repeated());
                        together.await(1, TimeUnit.MINUTES);
                        Settlement usage = bank.settle("race-usage-" + i, BUYER, "l1", OWNER, 7);
                        repeated.computeIfAbsent(usage.transfer().id(), k -> new CopyOnWriteArrayList<>())
                                .add(usage.transfer().repeated());
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(2 * ids, repeated.size());
        for (Map.Entry<String, List<Boolean>> e : repeated.entrySet()) {
            assertEquals(threads, e.getValue().size(), e.getKey());
            assertEquals(1, e.getValue().stream().filter(r -> !r).count(), "posted once: " + e.getKey());
        }
        assertEquals(new Balance(BUYER, ids * 3, 0), bank.balance(BUYER));
        assertEquals(new LedgerTotals(ids * 10, 0, ids * 10, 0), bank.totals(), "7 micros carry no fee (0.7)");
        assertLedgerConsistent();
    }

    // ------------------------------------------------------------------------------------------- helpers

    private static BankRefused refused(Reason reason, Executable call) {
        BankRefused refused = assertThrows(BankRefused.class, call);
        assertEquals(reason, refused.reason(), refused.getMessage());
        return refused;
    }

    @FunctionalInterface
    private interface Call<T> {
        T call() throws Exception;
    }

    /** The answer of a call that must not be refused (inside a store transaction, which takes SQLException only). */
    private static <T> T made(Call<T> call) throws SQLException {
        try {
            return call.call();
        } catch (SQLException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static <T> T assertRepeated(Call<T> call) {
        try {
            T answer = call.call();
            Transfer t = answer instanceof Settlement s ? s.transfer() : (Transfer) answer;
            assertTrue(t.repeated(), t.id() + " repeated");
            return answer;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private long ledgerBalance(String ledgerAccount) throws SQLException {
        return count("SELECT balance_micros FROM ledger_accounts WHERE id = '" + ledgerAccount + "'");
    }

    private long count(String sql) throws SQLException {
        try (Connection c = store.connection(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            assertTrue(r.next(), sql);
            return r.getLong(1);
        }
    }

    /** Every transfer's entries sum to zero, every balance is the sum of its entries, none but external negative. */
    private void assertLedgerConsistent() throws SQLException {
        assertEquals(0, count("SELECT COUNT(*) FROM (SELECT transfer_id FROM ledger_entries GROUP BY transfer_id "
                + "HAVING SUM(amount_micros) <> 0) unbalanced"), "transfers whose entries do not sum to zero");
        assertEquals(0, count("SELECT COUNT(*) FROM ledger_accounts a LEFT JOIN (SELECT ledger_account, "
                + "SUM(amount_micros) AS total FROM ledger_entries GROUP BY ledger_account) e "
                + "ON e.ledger_account = a.id WHERE a.balance_micros <> COALESCE(e.total, 0)"),
                "balances that are not the sum of their entries");
        assertEquals(0, count("SELECT COUNT(*) FROM ledger_accounts WHERE balance_micros < 0 AND kind <> 'external'"));
        assertEquals(0, count("SELECT SUM(balance_micros) FROM ledger_accounts"), "all ledger accounts sum to zero");
        assertTrue(bank.totals().balanced(), bank.totals().toString());
    }
}
