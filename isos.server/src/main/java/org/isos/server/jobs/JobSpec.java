package org.isos.server.jobs;

import java.util.List;

/**
 * A job to create.
 *
 * @param appSha256       the buyer's signed app bundle in the repository, which the hosts run
 * @param appKind         the kind of work ({@code mersenne}, {@code genes}, {@code signal}): picks the equivalence
 * @param minQuorum       agreeing results needed for a unit (1-10); adaptive replication may lower it to 1 for a
 *                        trusted host
 * @param maxReplicas     most replicas issued per unit before it is an error (minQuorum-20)
 * @param deadlineSeconds how long a host has for a replica before it is issued again
 * @param units           the work, at least one unit
 * @param spotChecks      units with a known answer ({@link UnitInput#expected()}), mixed in at random
 */
public record JobSpec(String appSha256, String appKind, int minQuorum, int maxReplicas, int deadlineSeconds,
        List<UnitInput> units, List<UnitInput> spotChecks) {
}
