package org.isos.server.jobs.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The job service's limits and its trust rules (PID {@value #PID}). */
@ObjectClassDefinition(name = "ISOS jobs", description = "Job queues, replication and trust")
public @interface JobsConfig {

    String PID = "org.isos.server.jobs";

    @AttributeDefinition(description = "Replicas a new host may hold at once per job")
    int initialQuota() default 16;

    @AttributeDefinition(description = "The most a host's quota grows to (by one per valid result)")
    int maxQuota() default 64;

    @AttributeDefinition(description = "Invalid results (wrong against a quorum or a spot check) after which a host is banned from an app")
    int banAfterInvalid() default 3;

    @AttributeDefinition(description = "Consecutive valid results a host needs before any of its units may go unreplicated"
            + " (below it every unit is replicated, as BOINC's adaptive replication does for hosts it does not yet trust)")
    int trustedAfter() default 10;

    @AttributeDefinition(description = "Trust scale: a host with streak s valid results is replicated with probability 1/(1 + s/scale)")
    int trustScale() default 10;

    @AttributeDefinition(description = "The least probability, in percent, that a trusted host's unit is still replicated")
    int replicationFloorPercent() default 5;

    @AttributeDefinition(description = "Ready units read from the store into a job's dispatch cache at a time")
    int cacheBatch() default 512;

    @AttributeDefinition(description = "Most units (spot checks included) in one job")
    int maxUnits() default 100_000;

    @AttributeDefinition(description = "Most bytes in one unit's input or expected result")
    int maxUnitBytes() default 1_048_576;
}
