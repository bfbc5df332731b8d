package org.isos.server.leases.internal;

import org.isos.server.bank.PriceTable;

/**
 * The posted prices as the lease component reads them (PID {@value #PID}, the bank's too: one table for
 * escrow, usage and fees). The metatype (the OCD) is the bank's; this is only the component property type.
 * The defaults are {@link PriceTable#DEFAULT}'s (a test checks they agree: annotation defaults must be
 * constants).
 */
public @interface PriceConfig {

    String PID = "org.isos.server.prices";

    /** A CPU core for an hour. */
    long cpuCoreHourMicros() default 1_000_000;

    /** A GB (10^9 bytes) of storage for a day. */
    long storageGbDayMicros() default 100_000;

    /** A GB transferred, in or out. */
    long transferGbMicros() default 1_000_000;

    /** The ISOS fee on each usage payment, in basis points (1000 = 10 %). */
    int feeBasisPoints() default 1_000;
}
