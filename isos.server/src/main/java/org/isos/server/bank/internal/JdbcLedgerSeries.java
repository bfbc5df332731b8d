package org.isos.server.bank.internal;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.isos.server.bank.LedgerSeries;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link LedgerSeries} over the bank's tables (migration V004): one grouped statement, the bucket being the
 * posting time's epoch seconds divided by the bucket's width (UTC, the same on H2 and PostgreSQL).
 */
@Component(service = LedgerSeries.class)
public class JdbcLedgerSeries implements LedgerSeries {

    static final Set<String> KINDS = Set.of("deposit", "withdrawal", "hold", "release", "usage", "view", "fee");

    private final Store store;

    @Activate
    public JdbcLedgerSeries(@Reference Store store) {
        this.store = store;
    }

    @Override
    public List<Point> series(String accountId, String kind, Bucket bucket, Instant since) throws SQLException {
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("kind must be one of " + new java.util.TreeSet<>(KINDS) + ", not " + kind);
        }
        long width = bucket.width().toSeconds();
        String slot = "FLOOR(EXTRACT(EPOCH FROM t.posted) / " + width + ")";
        try (Connection c = store.connection();
                PreparedStatement p = c.prepareStatement("SELECT " + slot + " AS slot, "
                        + "SUM(CASE WHEN e.amount_micros > 0 THEN e.amount_micros ELSE 0 END), "
                        + "SUM(CASE WHEN e.amount_micros < 0 THEN -e.amount_micros ELSE 0 END), COUNT(*) "
                        + "FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id "
                        + "WHERE e.ledger_account IN (SELECT id FROM ledger_accounts WHERE id = ? OR buyer_id = ?) "
                        + "AND e.kind = ? AND t.posted >= ? GROUP BY " + slot + " ORDER BY slot")) {
            p.setString(1, accountId);
            p.setString(2, accountId);
            p.setString(3, kind);
            long first = Math.floorDiv(since.getEpochSecond(), width) * width;
            p.setObject(4, OffsetDateTime.ofInstant(Instant.ofEpochSecond(first), ZoneOffset.UTC));
            List<Point> points = new ArrayList<>();
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    long index = r.getBigDecimal(1).setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
                    points.add(new Point(Instant.ofEpochSecond(index * width), sum(r.getBigDecimal(2)),
                            sum(r.getBigDecimal(3)), r.getLong(4)));
                }
            }
            return points;
        }
    }

    private static long sum(BigDecimal value) {
        return value == null ? 0 : value.longValueExact();
    }
}
