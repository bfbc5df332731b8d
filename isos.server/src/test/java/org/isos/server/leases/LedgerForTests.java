package org.isos.server.leases;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.isos.server.bank.Balance;
import org.isos.server.bank.Bank;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.LedgerEntry;
import org.isos.server.bank.LedgerTotals;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.Settlement;
import org.isos.server.bank.Transfer;
import org.isos.server.store.Store;

/**
 * A small bank for the lease and API tests, until the real one ({@code JdbcBank}) is in this tree: the same
 * contract in tables of its own ({@code test_ledger_*}, made at construction), joining the caller's store
 * transaction, so a refused grant leaves no hold behind. Test code only; it is not the ISOS bank.
 */
public final class LedgerForTests implements Bank {

    private final Store store;
    private final PriceTable prices;

    public LedgerForTests(Store store, PriceTable prices) throws SQLException {
        this.store = store;
        this.prices = prices;
        store.transaction(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS test_ledger_transfers (id VARCHAR(300) PRIMARY KEY, "
                        + "kind VARCHAR(20) NOT NULL, amount BIGINT NOT NULL, posted TIMESTAMP WITH TIME ZONE NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS test_ledger_entries (transfer_id VARCHAR(300) NOT NULL, "
                        + "kind VARCHAR(20) NOT NULL, account VARCHAR(200) NOT NULL, amount BIGINT NOT NULL, "
                        + "posted TIMESTAMP WITH TIME ZONE NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS test_ledger_escrows (lease_id VARCHAR(100) PRIMARY KEY, "
                        + "buyer_id VARCHAR(100) NOT NULL)");
            }
            return null;
        });
    }

    @Override
    public Transfer deposit(String transferId, String accountId, long amountMicros) throws BankRefused, SQLException {
        return post(transferId, "deposit", amountMicros, (c, now) -> {
            entry(c, transferId, "deposit", "external", -amountMicros, now);
            entry(c, transferId, "deposit", accountId, amountMicros, now);
        });
    }

    @Override
    public Transfer withdraw(String transferId, String accountId, long amountMicros) throws BankRefused, SQLException {
        return post(transferId, "withdrawal", amountMicros, (c, now) -> {
            if (sum(c, accountId) < amountMicros) {
                throw new BankRefused(BankRefused.Reason.INSUFFICIENT_FUNDS, "withdrawal of " + amountMicros
                        + " exceeds the available " + sum(c, accountId));
            }
            entry(c, transferId, "withdrawal", accountId, -amountMicros, now);
            entry(c, transferId, "withdrawal", "external", amountMicros, now);
        });
    }

    @Override
    public Transfer hold(String transferId, String buyerId, String leaseId, long amountMicros)
            throws BankRefused, SQLException {
        return post(transferId, "hold", amountMicros, (c, now) -> {
            long available = sum(c, buyerId);
            if (available < amountMicros) {
                throw new BankRefused(BankRefused.Reason.INSUFFICIENT_FUNDS, "the buyer has " + available
                        + " micro-credits available, " + amountMicros + " are needed");
            }
            if (buyerOf(c, leaseId) == null) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO test_ledger_escrows (lease_id, buyer_id) "
                        + "VALUES (?, ?)")) {
                    s.setString(1, leaseId);
                    s.setString(2, buyerId);
                    s.executeUpdate();
                }
            }
            entry(c, transferId, "hold", buyerId, -amountMicros, now);
            entry(c, transferId, "hold", "escrow:" + leaseId, amountMicros, now);
        });
    }

    @Override
    public Transfer releaseHold(String transferId, String leaseId) throws BankRefused, SQLException {
        String buyer = store.transaction(c -> buyerOf(c, leaseId));
        if (buyer == null) {
            throw new BankRefused(BankRefused.Reason.UNKNOWN_ACCOUNT, "no escrow for lease " + leaseId);
        }
        long rest = store.transaction(c -> Math.max(0, sum(c, "escrow:" + leaseId)));
        return post(transferId, "release", rest, (c, now) -> {
            if (rest > 0) {
                entry(c, transferId, "release", "escrow:" + leaseId, -rest, now);
                entry(c, transferId, "release", buyer, rest, now);
            }
        }, true);
    }

    @Override
    public Settlement settle(String transferId, String buyerId, String leaseId, String ownerId, long amountMicros)
            throws BankRefused, SQLException {
        long[] split = new long[3];
        Transfer transfer = post(transferId, "usage", amountMicros, (c, now) -> {
            long escrow = Math.max(0, sum(c, "escrow:" + leaseId));
            long available = Math.max(0, sum(c, buyerId));
            long fromEscrow = Math.min(escrow, amountMicros);
            long fromBuyer = Math.min(available, amountMicros - fromEscrow);
            long paid = fromEscrow + fromBuyer;
            long fee = prices.feeMicros(paid);
            if (fromEscrow > 0) {
                entry(c, transferId, "usage", "escrow:" + leaseId, -fromEscrow, now);
            }
            if (fromBuyer > 0) {
                entry(c, transferId, "usage", buyerId, -fromBuyer, now);
            }
            entry(c, transferId, "usage", ownerId, paid - fee, now);
            entry(c, transferId, "fee", "isos:fees", fee, now);
            split[0] = paid;
            split[1] = fee;
            split[2] = amountMicros - paid;
        });
        if (transfer.repeated()) {
            return new Settlement(transfer, 0, 0, 0, 0);
        }
        return new Settlement(transfer, split[0], split[0] - split[1], split[1], split[2]);
    }

    @Override
    public Balance balance(String accountId) throws SQLException {
        return store.transaction(c -> {
            long held = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(e.amount), 0) FROM test_ledger_entries e "
                    + "JOIN test_ledger_escrows w ON e.account = CONCAT('escrow:', w.lease_id) WHERE w.buyer_id = ?")) {
                s.setString(1, accountId);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    held = r.getLong(1);
                }
            }
            return new Balance(accountId, sum(c, accountId), held);
        });
    }

    @Override
    public List<LedgerEntry> ledger(String accountId, int limit) throws SQLException {
        return store.transaction(c -> {
            List<LedgerEntry> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT transfer_id, kind, account, amount, posted "
                    + "FROM test_ledger_entries WHERE account = ? ORDER BY posted DESC LIMIT ?")) {
                s.setString(1, accountId);
                s.setInt(2, limit);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(new LedgerEntry(r.getString(1), r.getString(2), r.getString(3), r.getLong(4), null,
                                r.getObject(5, OffsetDateTime.class).toInstant()));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public LedgerTotals totals() throws SQLException {
        return store.transaction(c -> {
            long deposits = kindTotal(c, "deposit");
            long withdrawals = kindTotal(c, "withdrawal");
            long all;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT COALESCE(SUM(amount), 0) FROM test_ledger_entries WHERE account <> 'external'")) {
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    all = r.getLong(1);
                }
            }
            return new LedgerTotals(deposits, withdrawals, all, sum(c, "isos:fees"));
        });
    }

    // ------------------------------------------------------------------

    private interface Moves {
        void apply(Connection c, OffsetDateTime now) throws SQLException, BankRefused;
    }

    private Transfer post(String id, String kind, long amount, Moves moves) throws BankRefused, SQLException {
        return post(id, kind, amount, moves, false);
    }

    private Transfer post(String id, String kind, long amount, Moves moves, boolean zeroAllowed)
            throws BankRefused, SQLException {
        if (amount < (zeroAllowed ? 0 : 1)) {
            throw new BankRefused(BankRefused.Reason.BAD_REQUEST, "amount must be > 0, not " + amount);
        }
        try {
            return store.transaction(c -> {
                try (PreparedStatement s = c.prepareStatement("SELECT kind, amount, posted FROM test_ledger_transfers "
                        + "WHERE id = ?")) {
                    s.setString(1, id);
                    try (ResultSet r = s.executeQuery()) {
                        if (r.next()) {
                            return new Transfer(id, r.getString(1), r.getLong(2),
                                    r.getObject(3, OffsetDateTime.class).toInstant(), true);
                        }
                    }
                }
                OffsetDateTime now = OffsetDateTime.ofInstant(Instant.now().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
                try {
                    moves.apply(c, now);
                } catch (BankRefused e) {
                    throw new Carried(e);
                }
                try (PreparedStatement s = c.prepareStatement("INSERT INTO test_ledger_transfers (id, kind, amount, posted) "
                        + "VALUES (?, ?, ?, ?)")) {
                    s.setString(1, id);
                    s.setString(2, kind);
                    s.setLong(3, amount);
                    s.setObject(4, now);
                    s.executeUpdate();
                }
                return new Transfer(id, kind, amount, now.toInstant(), false);
            });
        } catch (Carried e) {
            throw (BankRefused) e.getCause();
        }
    }

    private static void entry(Connection c, String transferId, String kind, String account, long amount,
            OffsetDateTime now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO test_ledger_entries (transfer_id, kind, account, amount, "
                + "posted) VALUES (?, ?, ?, ?, ?)")) {
            s.setString(1, transferId);
            s.setString(2, kind);
            s.setString(3, account);
            s.setLong(4, amount);
            s.setObject(5, now);
            s.executeUpdate();
        }
    }

    private static long sum(Connection c, String account) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT COALESCE(SUM(amount), 0) FROM test_ledger_entries WHERE account = ?")) {
            s.setString(1, account);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private static long kindTotal(Connection c, String kind) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(SUM(amount), 0) FROM test_ledger_transfers "
                + "WHERE kind = ?")) {
            s.setString(1, kind);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private static String buyerOf(Connection c, String leaseId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT buyer_id FROM test_ledger_escrows WHERE lease_id = ?")) {
            s.setString(1, leaseId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    private static final class Carried extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Carried(BankRefused cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
