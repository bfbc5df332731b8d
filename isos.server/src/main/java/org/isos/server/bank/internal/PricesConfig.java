package org.isos.server.bank.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The posted prices (PID {@value #PID}); the defaults are {@link org.isos.server.bank.PriceTable#DEFAULT}'s
 * (a test keeps them equal). The bank reads the fee from here; the other attributes are the rest of the table.
 */
@ObjectClassDefinition(id = PricesConfig.PID, name = "ISOS posted prices",
        description = "Prices per resource unit in micro-credits, and the ISOS fee on usage payments")
public @interface PricesConfig {

    String PID = "org.isos.server.prices";

    @AttributeDefinition(description = "Price of one CPU core for one hour, in micro-credits", min = "0")
    long cpuCoreHourMicros() default 1_000_000;

    @AttributeDefinition(description = "Price of storing one GB for one day, in micro-credits", min = "0")
    long storageGbDayMicros() default 100_000;

    @AttributeDefinition(description = "Price of one GB transferred (in or out), in micro-credits", min = "0")
    long transferGbMicros() default 1_000_000;

    @AttributeDefinition(description = "The ISOS fee on each usage payment, in basis points (1000 = 10%)",
            min = "0", max = "10000")
    int feeBasisPoints() default 1_000;
}
