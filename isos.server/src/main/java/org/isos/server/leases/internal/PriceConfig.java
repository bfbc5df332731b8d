package org.isos.server.leases.internal;

import org.isos.server.bank.PriceTable;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The posted prices (PID {@value #PID}); the defaults are {@link PriceTable#DEFAULT}'s (a test checks they
 * agree: annotation defaults must be constants).
 */
@ObjectClassDefinition(id = PriceConfig.PID, name = "ISOS posted prices",
        description = "What leases and metered use cost, in micro-credits")
public @interface PriceConfig {

    String PID = "org.isos.server.prices";

    @AttributeDefinition(description = "A CPU core for an hour", min = "0")
    long cpuCoreHourMicros() default 1_000_000;

    @AttributeDefinition(description = "A GB (10^9 bytes) of storage for a day", min = "0")
    long storageGbDayMicros() default 100_000;

    @AttributeDefinition(description = "A GB transferred, in or out", min = "0")
    long transferGbMicros() default 1_000_000;

    @AttributeDefinition(description = "The ISOS fee on each usage payment, in basis points (1000 = 10 %)",
            min = "0", max = "10000")
    int feeBasisPoints() default 1_000;
}
