package org.isos.agent.host.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;

import org.isos.agent.host.OwnerPolicy;

/**
 * Decides, from one moment's signals, whether app work must be held and why. Pure state and time
 * arithmetic, no threads, so the window and idle logic can be tested against any clock.
 */
final class OwnerPresence {

    private OwnerPolicy policy;
    private String refusal;
    private Instant lastActivity;
    private String lastActivityReason;

    OwnerPresence(OwnerPolicy policy) {
        this.policy = policy;
    }

    /** A new policy; the owner's recent activity still counts against the idle period. */
    void policy(OwnerPolicy policy) {
        this.policy = policy;
        this.refusal = null;
    }

    /** The configured policy was refused: everything is held until a good one arrives. */
    void refuse(String why) {
        this.policy = null;
        this.refusal = why;
    }

    OwnerPolicy policy() {
        return policy;
    }

    void ownerActive(Instant now, String why) {
        lastActivity = now;
        lastActivityReason = why;
    }

    /**
     * @param othersCpu     share of the machine's CPU used by processes other than this agent, NaN when unknown
     * @param activeSources names of the activity sources that report the owner active now
     * @return why app work must be held now, or null when it may run
     */
    String holdReason(Instant now, ZoneId zone, double othersCpu, List<String> activeSources) {
        if (policy == null) {
            return refusal;
        }
        if (othersCpu > policy.activityThreshold()) {
            ownerActive(now, String.format(Locale.ROOT, "other processes use %.0f%% of the CPU (threshold %.0f%%)",
                    othersCpu * 100, policy.activityThreshold() * 100));
        }
        if (!activeSources.isEmpty()) {
            ownerActive(now, "owner activity reported by " + String.join(", ", activeSources));
        }
        if (policy.hoursEnforcedByHost()) {
            LocalTime local = LocalTime.ofInstant(now, zone);
            if (!policy.withinHours(local)) {
                return "outside the owner's hours " + policy.allowedHours();
            }
        }
        if (lastActivity != null) {
            Duration quiet = Duration.between(lastActivity, now);
            if (quiet.compareTo(policy.idlePeriod()) < 0) {
                return lastActivityReason;
            }
        }
        return null;
    }
}
