package org.isos.server.directives;

import java.sql.SQLException;
import java.util.List;

import org.isos.server.accounts.Account;
import org.isos.server.hosts.HostPolicy;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The owners' directives to their hosts, in the store. Changes are made by the host's owner only; reads for
 * heartbeats are by host id (the heartbeat's TLS client certificate has already proved the host).
 */
@ProviderType
public interface HostDirectives {

    /**
     * Sets the policy the host's agent is to run under. The policy must be one the agent accepts: CPU share
     * in (0, 1], bandwidth above 0 ({@link #check}).
     */
    HostDirective setPolicy(Account owner, String hostId, HostPolicy policy) throws DirectiveRefused, SQLException;

    /** Pauses ({@code true}) or resumes ({@code false}) ISOS work on the host; the same state again changes nothing. */
    HostDirective pause(Account owner, String hostId, boolean paused) throws DirectiveRefused, SQLException;

    /** The host's directive; {@link HostDirective#none} when its owner never gave one. */
    HostDirective directive(String hostId) throws SQLException;

    /** The directives the owner gave, by host id order (hosts without one are not listed). */
    List<HostDirective> directivesOf(Account owner) throws DirectiveRefused, SQLException;

    /**
     * What the agent would refuse in {@code policy} (its {@code UsagePolicy} checks), or null when it is fine:
     * CPU share in (0, 1] of the machine, storage quota 0 or more, bandwidth cap above 0, reserve 0 or more.
     */
    static String check(HostPolicy policy) {
        StringBuilder problems = new StringBuilder();
        if (!(policy.maxCpuShare() > 0 && policy.maxCpuShare() <= 1)) {
            problems.append("maxCpuShare ").append(policy.maxCpuShare())
                    .append(" must be more than 0 and at most 1 (a share of the machine's CPU)");
        }
        if (policy.storageQuotaBytes() < 0) {
            problems.append(problems.isEmpty() ? "" : "; ").append("storageQuotaBytes must be 0 or more");
        }
        if (policy.bandwidthCapBytesPerSecond() <= 0) {
            problems.append(problems.isEmpty() ? "" : "; ").append("bandwidthCapBytesPerSecond must be more than 0");
        }
        if (policy.minimumPricePerHourMicros() < 0) {
            problems.append(problems.isEmpty() ? "" : "; ").append("minimumPricePerHourMicros must be 0 or more");
        }
        return problems.isEmpty() ? null : problems.toString();
    }
}
