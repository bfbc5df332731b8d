package org.isos.server.bank;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The posted prices, per resource unit, in micro-credits: a CPU core-hour, a GB-day of storage, a GB
 * transferred (in or out), and the ISOS fee in basis points of each usage payment. A lease's hourly
 * price is what its reserved resources cost at these prices; usage is priced from what was metered.
 */
public record PriceTable(long cpuCoreHourMicros, long storageGbDayMicros, long transferGbMicros, int feeBasisPoints) {

    /** The defaults the server posts when its configuration names none. */
    public static final PriceTable DEFAULT = new PriceTable(1_000_000, 100_000, 1_000_000, 1_000);

    private static final BigDecimal GB = BigDecimal.valueOf(1_000_000_000L);
    private static final BigDecimal NANOS_PER_HOUR = BigDecimal.valueOf(3_600_000_000_000L);
    private static final BigDecimal GB_SECONDS_PER_DAY = GB.multiply(BigDecimal.valueOf(86_400));

    public PriceTable {
        if (cpuCoreHourMicros < 0 || storageGbDayMicros < 0 || transferGbMicros < 0) {
            throw new IllegalArgumentException("prices must be >= 0");
        }
        if (feeBasisPoints < 0 || feeBasisPoints > 10_000) {
            throw new IllegalArgumentException("feeBasisPoints must be 0 to 10000, not " + feeBasisPoints);
        }
    }

    /** The hourly price of reserving {@code cpuShare} of a core and {@code storageBytes}, rounded up. */
    public long pricePerHourMicros(double cpuShare, long storageBytes) {
        BigDecimal cpu = BigDecimal.valueOf(cpuShare).multiply(BigDecimal.valueOf(cpuCoreHourMicros));
        BigDecimal storage = BigDecimal.valueOf(storageBytes).multiply(BigDecimal.valueOf(storageGbDayMicros))
                .divide(GB.multiply(BigDecimal.valueOf(24)), 9, RoundingMode.HALF_UP);
        return cpu.add(storage).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** What metered use costs, rounded up to a whole micro-credit (any use costs at least one). */
    public long usageMicros(long cpuNanos, double storageByteSeconds, long bytesTransferred) {
        BigDecimal cpu = BigDecimal.valueOf(cpuNanos).multiply(BigDecimal.valueOf(cpuCoreHourMicros))
                .divide(NANOS_PER_HOUR, 9, RoundingMode.HALF_UP);
        BigDecimal storage = BigDecimal.valueOf(storageByteSeconds).multiply(BigDecimal.valueOf(storageGbDayMicros))
                .divide(GB_SECONDS_PER_DAY, 9, RoundingMode.HALF_UP);
        BigDecimal transfer = BigDecimal.valueOf(bytesTransferred).multiply(BigDecimal.valueOf(transferGbMicros))
                .divide(GB, 9, RoundingMode.HALF_UP);
        return cpu.add(storage).add(transfer).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** The ISOS fee on a payment of {@code amountMicros}, rounded down (the owner is never short-changed by rounding). */
    public long feeMicros(long amountMicros) {
        return Math.multiplyExact(amountMicros, (long) feeBasisPoints) / 10_000;
    }
}
