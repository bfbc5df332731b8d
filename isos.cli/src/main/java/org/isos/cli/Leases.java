package org.isos.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/** How leases ({@code docs/protocol.md}, "Leases") are shown to people. */
final class Leases {

    /** States a lease does not leave by itself while the verb waits. */
    static final Set<String> SETTLED = Set.of("ACTIVE", "FAILED", "SUSPENDED", "EXPIRED", "RELEASED");

    private Leases() {
    }

    static void print(Iterable<JsonNode> leases, PrintWriter out) {
        Table table = new Table("LEASE", "STATE", "HOST", "APP", "CREDITS/H", "EXPIRY", "TRANSPORT", "REASON");
        for (JsonNode l : leases) {
            table.row(Verb.text(l, "id"), Verb.text(l, "state"), Verb.text(l, "hostId"), Verb.text(l, "app"),
                    Verb.credits(l, "pricePerHourMicros"), Verb.text(l, "expiry"), Verb.text(l, "transportAddress"),
                    Verb.text(l, "reason"));
        }
        if (table.size() == 0) {
            out.println("no leases");
            out.flush();
        } else {
            table.print(out);
        }
    }

    static void printOne(JsonNode lease, PrintWriter out) {
        print(List.of(lease), out);
    }
}
