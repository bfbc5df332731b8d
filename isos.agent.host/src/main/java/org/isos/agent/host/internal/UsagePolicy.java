package org.isos.agent.host.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The owner's usage policy (PID {@value #PID}), set through Config Admin; checked by {@link PolicyCheck}. */
@ObjectClassDefinition(id = UsagePolicy.PID, name = "ISOS usage policy",
        description = "When and how much of this machine ISOS may use")
public @interface UsagePolicy {

    String PID = "org.isos.agent.policy";

    @AttributeDefinition(description = "Local hours when app work may run, as HH:MM-HH:MM (wrapping past midnight "
            + "when the end is earlier, e.g. 22:00-07:00); empty means at any time")
    String[] allowedHours() default {};

    @AttributeDefinition(description = "Credits per core-hour a lease must pay to run outside the allowed hours; "
            + "0 means no work outside them")
    double minimumPriceOutsideHours() default 0;

    @AttributeDefinition(description = "Share of the machine's CPU app work may use, in (0, 1]")
    double maxCpuShare() default 0.5;

    @AttributeDefinition(description = "Disk space offered to app stores, in bytes; 0 offers none")
    long storageQuotaBytes() default 10L * 1024 * 1024 * 1024;

    @AttributeDefinition(description = "Transfer rate offered to apps, in bytes per second, in and out each")
    long bandwidthCapBytesPerSecond() default 1024 * 1024;

    @AttributeDefinition(description = "Kinds of application accepted (compute, storage, streaming, ...); "
            + "empty accepts every kind")
    String[] acceptedCategories() default {};

    @AttributeDefinition(description = "Share of the machine's CPU used by other processes above which the "
            + "owner counts as using the machine, in (0, 1]")
    double activityThreshold() default 0.25;

    @AttributeDefinition(description = "Seconds without owner activity before app work resumes")
    double idlePeriodSeconds() default 60;

    @AttributeDefinition(description = "Milliseconds between activity samples")
    long sampleMillis() default 1000;
}
