package org.isos.server.bank.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.isos.server.bank.Balance;
import org.isos.server.bank.Bank;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.BankRefused.Reason;
import org.isos.server.bank.LedgerEntry;
import org.isos.server.bank.LedgerTotals;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.Settlement;
import org.isos.server.bank.Transfer;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The bank as a double-entry ledger in the store (tables of migration V004): {@code ledger_accounts} with
 * their balances, {@code ledger_transfers} keyed by the caller's transfer id, and {@code ledger_entries}, each
 * transfer's signed amounts per ledger account, summing to zero. Balances change in the same transaction as
 * the entries, so the ledger and the balances cannot disagree.
 *
 * <p>Concurrency: the rows whose balances decide a transfer (the paying account, the escrow) are read with
 * {@code SELECT ... FOR UPDATE}, and every transaction takes its row locks in one global order (ISOS accounts
 * and escrows by id, then {@code isos:fees}, then {@code external}), so two transfers never wait on each other
 * in a cycle. The two shared rows come last: they are locked for the shortest time. Idempotency: a posted id
 * is found before anything is locked; two concurrent postings of one id meet on the transfer's primary key
 * ({@code INSERT ... ON CONFLICT DO NOTHING} waits for the other and then inserts nothing), and the loser,
 * which has changed nothing yet, answers with the winner's transfer.
 */
@Component(service = Bank.class, configurationPid = PricesConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = PricesConfig.class)
public class JdbcBank implements Bank {

    /** The ISOS fee account. */
    public static final String FEES = "isos:fees";
    /** The outside world: deposits come from here (it goes negative), withdrawals return here. */
    public static final String EXTERNAL = "external";
    /** Prefix of a lease's escrow ledger account. */
    public static final String ESCROW = "escrow:";
    /** The largest amount one transfer may move: 10^9 credits. */
    public static final long MAX_AMOUNT_MICROS = 1_000_000_000_000_000L;
    /** The most entries one {@link #ledger} call returns. */
    public static final int MAX_LEDGER_LIMIT = 10_000;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9:._-]{1,200}");

    /** ISOS accounts and escrows by id, then the fee account, then the outside world: the lock order. */
    private static final Comparator<String> LOCK_ORDER = Comparator.comparingInt(JdbcBank::lockRank)
            .thenComparing(Comparator.naturalOrder());

    private final Store store;
    private final PriceTable prices;

    @Activate
    public JdbcBank(@Reference Store store, PricesConfig config) {
        this(store, new PriceTable(config.cpuCoreHourMicros(), config.storageGbDayMicros(), config.transferGbMicros(),
                config.feeBasisPoints()));
    }

    /** A bank that takes its fee from {@code prices} (tests, benchmarks). */
    public JdbcBank(Store store, PriceTable prices) {
        if (store == null || prices == null) {
            throw new IllegalArgumentException("the bank needs a store and a price table");
        }
        this.store = store;
        this.prices = prices;
    }

    /** The prices whose fee the bank charges on usage payments. */
    public PriceTable prices() {
        return prices;
    }

    // ---------------------------------------------------------------------------------------------- transfers

    @Override
    public Transfer deposit(String transferId, String accountId, long amountMicros) throws BankRefused, SQLException {
        checkId("transfer id", transferId);
        checkAccount(accountId);
        checkAmount(amountMicros, false);
        String request = "deposit account=" + accountId + " amount=" + amountMicros;
        return transaction(c -> {
            Posted earlier = find(c, transferId);
            if (earlier != null) {
                return earlier.repeat("deposit", request).transfer();
            }
            // created before the claim, in lock order; a deposit needs no balance to decide
            lockOrCreate(c, accountId, null);
            Posting posting = new Posting(transferId, "deposit", request, amountMicros,
                    "deposit into " + accountId);
            posting.move(EXTERNAL, accountId, "deposit", amountMicros);
            return post(c, posting).transfer();
        });
    }

    @Override
    public Transfer withdraw(String transferId, String accountId, long amountMicros) throws BankRefused, SQLException {
        checkId("transfer id", transferId);
        checkAccount(accountId);
        checkAmount(amountMicros, false);
        String request = "withdrawal account=" + accountId + " amount=" + amountMicros;
        return transaction(c -> {
            Posted earlier = find(c, transferId);
            if (earlier != null) {
                return earlier.repeat("withdrawal", request).transfer();
            }
            Row account = lock(c, accountId);
            long available = account == null ? 0 : account.balance();
            if (available < amountMicros) {
                throw new BankRefused(Reason.INSUFFICIENT_FUNDS, "withdrawal of " + amountMicros + " micros from "
                        + accountId + " refused: only " + available + " available");
            }
            Posting posting = new Posting(transferId, "withdrawal", request, amountMicros,
                    "withdrawal from " + accountId);
            posting.move(accountId, EXTERNAL, "withdrawal", amountMicros);
            return post(c, posting).transfer();
        });
    }

    @Override
    public Transfer hold(String transferId, String buyerId, String leaseId, long amountMicros)
            throws BankRefused, SQLException {
        checkId("transfer id", transferId);
        checkAccount(buyerId);
        checkId("lease id", leaseId);
        checkAmount(amountMicros, false);
        String escrow = ESCROW + leaseId;
        String request = "hold buyer=" + buyerId + " lease=" + leaseId + " amount=" + amountMicros;
        return transaction(c -> {
            Posted earlier = find(c, transferId);
            if (earlier != null) {
                return earlier.repeat("hold", request).transfer();
            }
            Map<String, Row> rows = lockAll(c, buyerId, escrow);
            Row escrowRow = rows.get(escrow);
            if (escrowRow != null && !buyerId.equals(escrowRow.buyer())) {
                throw new BankRefused(Reason.BAD_REQUEST, "the escrow of lease " + leaseId + " belongs to buyer "
                        + escrowRow.buyer() + ", not " + buyerId);
            }
            Row buyer = rows.get(buyerId);
            long available = buyer == null ? 0 : buyer.balance();
            if (available < amountMicros) {
                throw new BankRefused(Reason.INSUFFICIENT_FUNDS, "hold of " + amountMicros + " micros for lease "
                        + leaseId + " refused: buyer " + buyerId + " has only " + available + " available");
            }
            if (escrowRow == null) {
                lockOrCreate(c, escrow, buyerId);
            }
            Posting posting = new Posting(transferId, "hold", request, amountMicros,
                    "escrow for lease " + leaseId + " from " + buyerId);
            posting.move(buyerId, escrow, "hold", amountMicros);
            return post(c, posting).transfer();
        });
    }

    @Override
    public Transfer releaseHold(String transferId, String leaseId) throws BankRefused, SQLException {
        checkId("transfer id", transferId);
        checkId("lease id", leaseId);
        String escrow = ESCROW + leaseId;
        String request = "release lease=" + leaseId;
        return transaction(c -> {
            Posted earlier = find(c, transferId);
            if (earlier != null) {
                return earlier.repeat("release", request).transfer();
            }
            // an escrow's buyer never changes: read it unlocked to lock both rows in order
            String buyerId = buyerOf(c, escrow);
            if (buyerId == null) {
                throw new BankRefused(Reason.UNKNOWN_ACCOUNT, "lease " + leaseId + " has no escrow");
            }
            Map<String, Row> rows = lockAll(c, buyerId, escrow);
            if (rows.get(buyerId) == null) {
                lockOrCreate(c, buyerId, null);
            }
            long remainder = rows.get(escrow).balance();
            Posting posting = new Posting(transferId, "release", request, remainder,
                    "escrow of lease " + leaseId + " returned to " + buyerId);
            posting.move(escrow, buyerId, "release", remainder);
            return post(c, posting).transfer();
        });
    }

    @Override
    public Settlement settle(String transferId, String buyerId, String leaseId, String ownerId, long amountMicros)
            throws BankRefused, SQLException {
        checkId("transfer id", transferId);
        checkAccount(buyerId);
        checkId("lease id", leaseId);
        checkAccount(ownerId);
        checkAmount(amountMicros, true);
        String escrow = ESCROW + leaseId;
        String request = "usage buyer=" + buyerId + " lease=" + leaseId + " owner=" + ownerId + " amount="
                + amountMicros;
        return transaction(c -> {
            Posted earlier = find(c, transferId);
            if (earlier != null) {
                return earlier.repeat("usage", request);
            }
            String escrowBuyer = buyerOf(c, escrow);
            if (escrowBuyer != null && !escrowBuyer.equals(buyerId)) {
                throw new BankRefused(Reason.BAD_REQUEST, "the escrow of lease " + leaseId + " belongs to buyer "
                        + escrowBuyer + ", not " + buyerId);
            }
            Map<String, Row> rows = escrowBuyer == null ? lockAll(c, buyerId, ownerId)
                    : lockAll(c, buyerId, escrow, ownerId);
            Row escrowRow = rows.get(escrow);
            Row buyer = rows.get(buyerId);
            long fromEscrow = Math.min(amountMicros, escrowRow == null ? 0 : escrowRow.balance());
            long fromAvailable = Math.min(amountMicros - fromEscrow, buyer == null ? 0 : buyer.balance());
            long paid = fromEscrow + fromAvailable;
            long fee = prices.feeMicros(paid);
            long toOwner = paid - fee;
            if (toOwner > 0 && rows.get(ownerId) == null) {
                lockOrCreate(c, ownerId, null);
            }
            Posting posting = new Posting(transferId, "usage", request, paid,
                    "usage of lease " + leaseId + " by " + buyerId + " paid to " + ownerId + ", ISOS fee "
                            + prices.feeBasisPoints() + " bp" + (paid < amountMicros
                                    ? ", " + (amountMicros - paid) + " of " + amountMicros + " micros unpaid" : ""));
            posting.settlement(paid, fee, amountMicros - paid);
            posting.entry(escrow, "usage", -fromEscrow);
            posting.entry(buyerId, "usage", -fromAvailable);
            posting.entry(ownerId, "usage", toOwner);
            posting.entry(FEES, "fee", fee);
            return post(c, posting);
        });
    }

    @Override
    public Settlement payForView(String transferId, String viewerId, String providerId, String title,
            long amountMicros) throws BankRefused, SQLException {
        checkId("transfer id", transferId);
        checkAccount(viewerId);
        checkAccount(providerId);
        checkId("title", title);
        checkAmount(amountMicros, true);
        if (viewerId.equals(providerId) && amountMicros > 0) {
            throw new BankRefused(Reason.BAD_REQUEST, "provider " + providerId + " does not pay itself for a view of "
                    + title);
        }
        // kind 'view' (V011): told apart from metered 'usage' in listings and series; the fee stays 'fee'
        String request = "view title=" + title + " viewer=" + viewerId + " provider=" + providerId + " amount="
                + amountMicros;
        return transaction(c -> {
            Posted earlier = find(c, transferId);
            if (earlier != null) {
                return earlier.repeat("view", request);
            }
            Map<String, Row> rows = lockAll(c, viewerId, providerId);
            Row viewer = rows.get(viewerId);
            long available = viewer == null ? 0 : viewer.balance();
            if (available < amountMicros) {
                throw new BankRefused(Reason.INSUFFICIENT_FUNDS, "a view of " + title + " costs " + amountMicros
                        + " micros; " + viewerId + " has only " + available + " available (deposit at least "
                        + (amountMicros - available) + " more)");
            }
            long fee = prices.feeMicros(amountMicros);
            long toProvider = amountMicros - fee;
            if (toProvider > 0 && rows.get(providerId) == null) {
                lockOrCreate(c, providerId, null);
            }
            Posting posting = new Posting(transferId, "view", request, amountMicros, "view of title " + title
                    + " by " + viewerId + " paid to " + providerId + ", ISOS fee " + prices.feeBasisPoints() + " bp");
            posting.settlement(amountMicros, fee, 0);
            posting.entry(viewerId, "view", -amountMicros);
            posting.entry(providerId, "view", toProvider);
            posting.entry(FEES, "fee", fee);
            return post(c, posting);
        });
    }

    // ---------------------------------------------------------------------------------------------- reads

    @Override
    public Balance balance(String accountId) throws SQLException {
        checkReadId(accountId);
        return store.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT "
                    + "(SELECT balance_micros FROM ledger_accounts WHERE id = ?), "
                    + "(SELECT SUM(balance_micros) FROM ledger_accounts WHERE buyer_id = ?)")) {
                p.setString(1, accountId);
                p.setString(2, accountId);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return new Balance(accountId, r.getLong(1), r.getLong(2)); // NULL (no row yet) reads as 0
                }
            }
        });
    }

    @Override
    public List<LedgerEntry> ledger(String accountId, int limit) throws SQLException {
        checkReadId(accountId);
        if (limit < 1 || limit > MAX_LEDGER_LIMIT) {
            throw new IllegalArgumentException("ledger limit must be 1 to " + MAX_LEDGER_LIMIT + ", not " + limit);
        }
        return store.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT e.transfer_id, e.kind, e.ledger_account, "
                    + "e.amount_micros, t.memo, t.posted FROM ledger_entries e "
                    + "JOIN ledger_transfers t ON t.id = e.transfer_id "
                    + "WHERE e.ledger_account IN (SELECT id FROM ledger_accounts WHERE id = ? OR buyer_id = ?) "
                    + "ORDER BY e.id DESC LIMIT ?")) {
                p.setString(1, accountId);
                p.setString(2, accountId);
                p.setInt(3, limit);
                List<LedgerEntry> entries = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        entries.add(new LedgerEntry(r.getString(1), r.getString(2), r.getString(3), r.getLong(4),
                                r.getString(5), r.getObject(6, OffsetDateTime.class).toInstant()));
                    }
                }
                return entries;
            }
        });
    }

    @Override
    public LedgerTotals totals() throws SQLException {
        // one statement: one snapshot of transfers and balances together
        return store.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT "
                    + "(SELECT SUM(amount_micros) FROM ledger_transfers WHERE kind = 'deposit'), "
                    + "(SELECT SUM(amount_micros) FROM ledger_transfers WHERE kind = 'withdrawal'), "
                    + "(SELECT SUM(balance_micros) FROM ledger_accounts WHERE kind <> 'external'), "
                    + "(SELECT balance_micros FROM ledger_accounts WHERE id = ?)");
                    ) {
                p.setString(1, FEES);
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return new LedgerTotals(r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4));
                }
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- posting

    /** A ledger account's row as read under its lock. */
    private record Row(String id, String buyer, long balance) {
    }

    /** A transfer as stored, for answering a repeated id. */
    private record Posted(String id, String kind, String request, long amount, long paid, long fee, long shortfall,
            Instant posted) {

        /** The stored transfer, marked repeated, when {@code kind} and {@code request} are what was posted. */
        Settlement repeat(String kind, String request) throws BankRefused {
            if (!this.kind.equals(kind) || !this.request.equals(request)) {
                throw new BankRefused(Reason.CONFLICT, "transfer id " + id + " was used before for another transfer ("
                        + this.request + "); this one is " + request);
            }
            return new Settlement(new Transfer(id, kind, amount, posted, true), paid, paid - fee, fee, shortfall);
        }
    }

    /** A transfer about to be posted: its row and its entries. */
    private static final class Posting {
        final String id;
        final String kind;
        final String request;
        final long amount;
        final String memo;
        long paid;
        long fee;
        long shortfall;
        final List<String> accounts = new ArrayList<>();
        final List<String> kinds = new ArrayList<>();
        final List<Long> amounts = new ArrayList<>();

        Posting(String id, String kind, String request, long amount, String memo) {
            this.id = id;
            this.kind = kind;
            this.request = request;
            this.amount = amount;
            this.memo = memo.length() > 1000 ? memo.substring(0, 1000) : memo;
        }

        void move(String from, String to, String entryKind, long micros) {
            entry(from, entryKind, -micros);
            entry(to, entryKind, micros);
        }

        /** One side; zero amounts make no entry (a settlement of nothing still records its id). */
        void entry(String ledgerAccount, String entryKind, long micros) {
            if (micros != 0) {
                accounts.add(ledgerAccount);
                kinds.add(entryKind);
                amounts.add(micros);
            }
        }

        void settlement(long paid, long fee, long shortfall) {
            this.paid = paid;
            this.fee = fee;
            this.shortfall = shortfall;
        }
    }

    /**
     * Claims the transfer id and, if it was free, writes the entries and changes the balances, in lock order.
     * If another transaction posted the id meanwhile (the insert waited for it), nothing is written and its
     * transfer is the answer.
     */
    private Settlement post(Connection c, Posting posting) throws SQLException, BankRefused {
        Instant posted = Instant.now().truncatedTo(ChronoUnit.MICROS);
        try (PreparedStatement p = c.prepareStatement("INSERT INTO ledger_transfers (id, kind, request, amount_micros, "
                + "paid_micros, fee_micros, short_micros, memo, posted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                + "ON CONFLICT DO NOTHING")) {
            p.setString(1, posting.id);
            p.setString(2, posting.kind);
            p.setString(3, posting.request);
            p.setLong(4, posting.amount);
            p.setLong(5, posting.paid);
            p.setLong(6, posting.fee);
            p.setLong(7, posting.shortfall);
            p.setString(8, posting.memo);
            p.setObject(9, OffsetDateTime.ofInstant(posted, ZoneOffset.UTC));
            if (p.executeUpdate() == 0) {
                Posted winner = find(c, posting.id);
                if (winner == null) {
                    throw new SQLException("transfer " + posting.id + " was neither inserted nor found", "40001");
                }
                return winner.repeat(posting.kind, posting.request);
            }
        }
        if (!posting.accounts.isEmpty()) {
            try (PreparedStatement p = c.prepareStatement(
                    "INSERT INTO ledger_entries (transfer_id, ledger_account, kind, amount_micros) VALUES (?, ?, ?, ?)")) {
                for (int i = 0; i < posting.accounts.size(); i++) {
                    p.setString(1, posting.id);
                    p.setString(2, posting.accounts.get(i));
                    p.setString(3, posting.kinds.get(i));
                    p.setLong(4, posting.amounts.get(i));
                    p.addBatch();
                }
                p.executeBatch();
            }
            Map<String, Long> deltas = new TreeMap<>(LOCK_ORDER);
            long sum = 0;
            for (int i = 0; i < posting.accounts.size(); i++) {
                deltas.merge(posting.accounts.get(i), posting.amounts.get(i), Math::addExact);
                sum = Math.addExact(sum, posting.amounts.get(i));
            }
            if (sum != 0) {
                throw new IllegalStateException("transfer " + posting.id + " does not balance: its entries sum to " + sum);
            }
            try (PreparedStatement p = c.prepareStatement(
                    "UPDATE ledger_accounts SET balance_micros = balance_micros + ? WHERE id = ?")) {
                for (Map.Entry<String, Long> delta : deltas.entrySet()) {
                    if (delta.getValue() == 0) {
                        continue;
                    }
                    p.setLong(1, delta.getValue());
                    p.setString(2, delta.getKey());
                    if (p.executeUpdate() != 1) {
                        throw new IllegalStateException("ledger account " + delta.getKey() + " vanished while "
                                + "transfer " + posting.id + " was posted");
                    }
                }
            }
        }
        return new Settlement(new Transfer(posting.id, posting.kind, posting.amount, posted, false), posting.paid,
                posting.paid - posting.fee, posting.fee, posting.shortfall);
    }

    private static Posted find(Connection c, String transferId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT kind, request, amount_micros, paid_micros, fee_micros, "
                + "short_micros, posted FROM ledger_transfers WHERE id = ?")) {
            p.setString(1, transferId);
            try (ResultSet r = p.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                return new Posted(transferId, r.getString(1), r.getString(2), r.getLong(3), r.getLong(4), r.getLong(5),
                        r.getLong(6), r.getObject(7, OffsetDateTime.class).toInstant());
            }
        }
    }

    private static String buyerOf(Connection c, String escrow) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT buyer_id FROM ledger_accounts WHERE id = ?")) {
            p.setString(1, escrow);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    /** Locks the existing ones of {@code ids} in lock order; the missing ones are absent from the answer. */
    private static Map<String, Row> lockAll(Connection c, String... ids) throws SQLException {
        TreeSet<String> ordered = new TreeSet<>(LOCK_ORDER);
        ordered.addAll(List.of(ids));
        Map<String, Row> rows = new HashMap<>();
        for (String id : ordered) {
            Row row = lock(c, id);
            if (row != null) {
                rows.put(id, row);
            }
        }
        return rows;
    }

    private static Row lock(Connection c, String id) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(
                "SELECT buyer_id, balance_micros FROM ledger_accounts WHERE id = ? FOR UPDATE")) {
            p.setString(1, id);
            try (ResultSet r = p.executeQuery()) {
                return r.next() ? new Row(id, r.getString(1), r.getLong(2)) : null;
            }
        }
    }

    /**
     * The locked row of {@code id}, created first if missing: an ISOS account ({@code buyer} null) or an
     * escrow of {@code buyer}. A concurrent creation of the same row makes the insert wait and do nothing.
     */
    private static Row lockOrCreate(Connection c, String id, String buyer) throws SQLException {
        Row row = lock(c, id);
        if (row != null) {
            return row;
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO ledger_accounts (id, kind, buyer_id, balance_micros, "
                + "created) VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING")) {
            p.setString(1, id);
            p.setString(2, buyer == null ? "account" : "escrow");
            p.setString(3, buyer);
            p.setObject(4, OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS));
            p.executeUpdate();
        }
        row = lock(c, id);
        if (row == null) {
            throw new SQLException("ledger account " + id + " could not be created", "40001");
        }
        return row;
    }

    private static int lockRank(String ledgerAccount) {
        return switch (ledgerAccount) {
            case FEES -> 1;
            case EXTERNAL -> 2;
            default -> 0;
        };
    }

    // ---------------------------------------------------------------------------------------------- plumbing

    @FunctionalInterface
    private interface BankWork<T> {
        T run(Connection c) throws SQLException, BankRefused;
    }

    /** Runs {@code work} in a store transaction (joining the caller's), letting a refusal through unwrapped. */
    private <T> T transaction(BankWork<T> work) throws SQLException, BankRefused {
        try {
            return store.transaction(c -> {
                try {
                    return work.run(c);
                } catch (BankRefused refused) {
                    throw new Refusal(refused);
                }
            });
        } catch (Refusal refusal) {
            throw refusal.refused;
        }
    }

    /** Carries a refusal through {@link Store.Work}, which may throw only SQLException; rolls the transaction back. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final BankRefused refused;

        Refusal(BankRefused refused) {
            super(refused.getMessage(), refused, false, false);
            this.refused = refused;
        }
    }

    private static void checkId(String what, String id) throws BankRefused {
        if (id == null || !ID.matcher(id).matches()) {
            throw new BankRefused(Reason.BAD_REQUEST, what + " must be 1 to 200 characters of A-Z a-z 0-9 : . _ -, not "
                    + shown(id));
        }
    }

    /** An ISOS account id: an id that is not one of the ledger's own accounts. */
    private static void checkAccount(String accountId) throws BankRefused {
        checkId("account id", accountId);
        if (accountId.equals(EXTERNAL) || accountId.startsWith(ESCROW) || accountId.startsWith("isos:")) {
            throw new BankRefused(Reason.BAD_REQUEST, "account id " + accountId + " is reserved for the ledger "
                    + "(external, escrow:*, isos:*)");
        }
    }

    private static void checkReadId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("account id must be 1 to 200 characters of A-Z a-z 0-9 : . _ -, not "
                    + shown(id));
        }
    }

    private static void checkAmount(long micros, boolean zeroAllowed) throws BankRefused {
        if (micros < 0 || (micros == 0 && !zeroAllowed) || micros > MAX_AMOUNT_MICROS) {
            throw new BankRefused(Reason.BAD_REQUEST, "amount must be " + (zeroAllowed ? "0" : "1") + " to "
                    + MAX_AMOUNT_MICROS + " micros, not " + micros);
        }
    }

    private static String shown(String s) {
        if (s == null) {
            return "nothing";
        }
        return "\"" + (s.length() > 40 ? s.substring(0, 40) + "...\" (" + s.length() + " characters)" : s + "\"");
    }
}
