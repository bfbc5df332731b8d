package org.isos.server.bank;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An account's ledger summed per hour or per day: what an owner earned (usage credited to it) or a buyer
 * spent (usage debited from its escrows and balance) over time, for charts. Computed in the store, so the
 * series covers every entry in its range, however many.
 *
 * @since 1.1
 */
@ProviderType
public interface LedgerSeries {

    /** The width of one point. */
    enum Bucket {
        HOUR(Duration.ofHours(1)), DAY(Duration.ofDays(1));

        private final Duration width;

        Bucket(Duration width) {
            this.width = width;
        }

        public Duration width() {
            return width;
        }
    }

    /**
     * The sums of one bucket (UTC, starting at {@code start}): {@code inMicros} came into the account's ledger
     * accounts (its own and its leases' escrows), {@code outMicros} (positive) left them; {@code entries} counted.
     */
    record Point(Instant start, long inMicros, long outMicros, long entries) {
    }

    /**
     * The buckets from the one holding {@code since} up to now that hold entries of {@code kind} (deposit,
     * withdrawal, hold, release, usage, fee) touching {@code accountId}, oldest first.
     */
    List<Point> series(String accountId, String kind, Bucket bucket, Instant since) throws SQLException;
}
