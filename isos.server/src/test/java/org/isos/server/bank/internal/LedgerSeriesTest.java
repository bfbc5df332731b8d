package org.isos.server.bank.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import org.isos.server.TestConfigs;
import org.isos.server.bank.LedgerSeries.Bucket;
import org.isos.server.bank.LedgerSeries.Point;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger summed per hour and day over real settlements in an H2 file store ({@link PostgresLedgerSeriesTest}:
 * the same on PostgreSQL); postings are moved back in time in the store to spread them over buckets.
 */
class LedgerSeriesTest {

    private static final String BUYER = "buyer-1";
    private static final String OWNER = "owner-1";

    @TempDir
    Path data;
    JdbcStore store;
    JdbcBank bank;
    JdbcLedgerSeries series;

    @BeforeEach
    void start() throws Exception {
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), new ServerHome(data));
        bank = new JdbcBank(store, TestConfigs.of(PricesConfig.class, Map.of()));
        series = new JdbcLedgerSeries(store);
    }

    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void earningsAndSpendArePerBucketAndAddUpToTheLedger() throws Exception {
        bank.deposit("d1", BUYER, 10_000_000);
        bank.hold("hold:l1", BUYER, "l1", 5_000_000);
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
        long[] amounts = { 1_000, 2_000, 4_000 };
        long owner = 0;
        for (int i = 0; i < amounts.length; i++) {
            owner += bank.settle("usage:l1:" + i, BUYER, "l1", OWNER, amounts[i]).ownerMicros();
        }
        // the first settlement two hours ago, the second one hour ago, the third now
        postedAt("usage:l1:0", hour.minus(2, ChronoUnit.HOURS).plusSeconds(5));
        postedAt("usage:l1:1", hour.minus(1, ChronoUnit.HOURS).plusSeconds(59 * 60));

        List<Point> earned = series.series(OWNER, "usage", Bucket.HOUR, hour.minus(3, ChronoUnit.HOURS));
        assertEquals(List.of(hour.minus(2, ChronoUnit.HOURS), hour.minus(1, ChronoUnit.HOURS), hour),
                earned.stream().map(Point::start).toList());
        assertEquals(owner, earned.stream().mapToLong(Point::inMicros).sum(), "the owner's earnings, after the fee");
        assertEquals(0, earned.stream().mapToLong(Point::outMicros).sum());
        earned.forEach(p -> assertEquals(1, p.entries()));

        List<Point> spent = series.series(BUYER, "usage", Bucket.HOUR, hour.minus(3, ChronoUnit.HOURS));
        assertEquals(List.of(1_000L, 2_000L, 4_000L), spent.stream().map(Point::outMicros).toList(),
                "the buyer's escrow paid each settlement in full");

        List<Point> daily = series.series(BUYER, "usage", Bucket.DAY, hour.minus(3, ChronoUnit.HOURS));
        assertEquals(7_000, daily.stream().mapToLong(Point::outMicros).sum());
        assertEquals(3, daily.stream().mapToLong(Point::entries).sum());
        assertEquals(List.of(), series.series(OWNER, "usage", Bucket.HOUR, hour.plus(1, ChronoUnit.HOURS)),
                "nothing after the last posting");
        assertEquals(10_000_000, series.series(BUYER, "deposit", Bucket.DAY, hour.minus(1, ChronoUnit.DAYS)).get(0).inMicros());
        assertThrows(IllegalArgumentException.class, () -> series.series(OWNER, "bribes", Bucket.DAY, hour));
    }

    private void postedAt(String transferId, Instant posted) throws Exception {
        store.transaction(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE ledger_transfers SET posted = ? WHERE id = ?")) {
                p.setObject(1, OffsetDateTime.ofInstant(posted, ZoneOffset.UTC));
                p.setString(2, transferId);
                return p.executeUpdate();
            }
        });
    }
}
