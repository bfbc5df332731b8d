package org.isos.server.leases;

import java.util.List;

/** What became of a delivery of usage records: accepted ones (paid, now or before) and refused ones. */
public record UsageOutcome(List<Accepted> accepted, List<Refused> refused) {

    public UsageOutcome {
        accepted = List.copyOf(accepted);
        refused = List.copyOf(refused);
    }

    public record Accepted(String leaseId, long sequence) {
    }

    public record Refused(String leaseId, long sequence, String reason) {
    }
}
