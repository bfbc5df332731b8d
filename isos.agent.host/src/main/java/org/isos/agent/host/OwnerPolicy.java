package org.isos.agent.host;

import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Set;

/**
 * The owner's usage policy, checked: what the agent enforces on this host and offers to the server.
 *
 * @param allowedHours              when app work may run; empty means at any time
 * @param minimumPriceOutsideHours  0: no work outside the allowed hours (the agent suspends it); above 0:
 *                                  work outside them is for leases paying at least this much per core-hour,
 *                                  which the server selects, so the agent does not suspend for the hour
 * @param maxCpuShare               share of the machine's CPU app work may use, in (0, 1]
 * @param storageQuotaBytes         disk space offered to app stores; 0 offers none
 * @param bandwidthCapBytesPerSecond transfer rate offered to apps, in and out each
 * @param acceptedCategories        kinds of application accepted; empty accepts every kind
 * @param activityThreshold         share of the machine's CPU used by other processes above which the
 *                                  owner counts as using the machine, in (0, 1]
 * @param idlePeriod                how long the machine must be free of owner activity before work resumes
 * @param samplePeriod              how often activity is sampled
 */
public record OwnerPolicy(List<AllowedHours> allowedHours, double minimumPriceOutsideHours, double maxCpuShare,
        long storageQuotaBytes, long bandwidthCapBytesPerSecond, Set<String> acceptedCategories,
        double activityThreshold, Duration idlePeriod, Duration samplePeriod) {

    public OwnerPolicy {
        allowedHours = List.copyOf(allowedHours);
        acceptedCategories = Set.copyOf(acceptedCategories);
    }

    /** Whether the allowed hours include {@code time} (local time of the host). */
    public boolean withinHours(LocalTime time) {
        return allowedHours.isEmpty() || allowedHours.stream().anyMatch(h -> h.contains(time));
    }

    /** Whether the agent itself must hold app work outside the allowed hours. */
    public boolean hoursEnforcedByHost() {
        return !allowedHours.isEmpty() && minimumPriceOutsideHours <= 0;
    }

    public boolean accepts(String category) {
        return acceptedCategories.isEmpty() || acceptedCategories.contains(category);
    }

    /**
     * A daily span of local time, {@code start} inclusive, {@code end} exclusive; it wraps past
     * midnight when {@code end} is not after {@code start} ({@code 22:00-07:00}). Equal ends mean the
     * whole day ({@code 00:00-24:00} is written that way too).
     */
    public record AllowedHours(LocalTime start, LocalTime end) {

        public boolean contains(LocalTime t) {
            if (start.equals(end)) {
                return true;
            }
            return start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
        }

        @Override
        public String toString() {
            return start + "-" + end;
        }
    }
}
