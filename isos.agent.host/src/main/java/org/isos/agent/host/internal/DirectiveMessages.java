package org.isos.agent.host.internal;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Reads the heartbeat answer's {@code directives} (docs/protocol.md, "Owner directives"): all of it or
 * nothing. A directive with any unusable value is skipped and named, so the agent never runs half of what
 * the owner asked; the values are checked as {@link PolicyCheck} checks a configured policy.
 */
final class DirectiveMessages {

    private DirectiveMessages() {
    }

    /** The directive in {@code root}, or null when there is none or it is unusable (then named in {@code problems}). */
    static OwnerDirectives.Directives directives(JsonNode root, List<String> problems) {
        JsonNode d = root.path("directives");
        if (d.isMissingNode() || d.isNull()) {
            return null;
        }
        List<String> wrong = new ArrayList<>();
        if (!d.isObject()) {
            problems.add("directives: " + HeartbeatMessages.abbreviate(d) + " is not an object");
            return null;
        }
        JsonNode revision = d.path("revision");
        if (!revision.isIntegralNumber() || !revision.canConvertToLong() || revision.asLong() < 0) {
            wrong.add("revision " + HeartbeatMessages.abbreviate(revision) + " is not a whole number >= 0");
        }
        JsonNode paused = d.path("paused");
        if (!paused.isBoolean()) {
            wrong.add("paused " + HeartbeatMessages.abbreviate(paused) + " is not a boolean");
        }
        OwnerDirectives.Policy policy = null;
        JsonNode p = d.path("policy");
        if (p.isObject()) {
            policy = policy(p, wrong);
        } else if (!p.isMissingNode() && !p.isNull()) {
            wrong.add("policy " + HeartbeatMessages.abbreviate(p) + " is not an object");
        }
        if (!wrong.isEmpty()) {
            problems.add("directives skipped: " + String.join("; ", wrong));
            return null;
        }
        return new OwnerDirectives.Directives(revision.asLong(), paused.asBoolean(), policy);
    }

    private static OwnerDirectives.Policy policy(JsonNode p, List<String> wrong) {
        JsonNode cpu = p.path("maxCpuShare");
        if (!cpu.isNumber() || !(cpu.asDouble() > 0 && cpu.asDouble() <= 1)) {
            wrong.add("policy.maxCpuShare " + HeartbeatMessages.abbreviate(cpu) + " is not in (0, 1]");
        }
        long storage = whole(p, "storageQuotaBytes", 0, wrong);
        long bandwidth = whole(p, "bandwidthCapBytesPerSecond", 1, wrong);
        long reserve = whole(p, "minimumPricePerHourMicros", 0, wrong);
        List<String> categories = new ArrayList<>();
        JsonNode c = p.path("acceptedCategories");
        if (!c.isArray()) {
            wrong.add("policy.acceptedCategories " + HeartbeatMessages.abbreviate(c) + " is not an array");
        } else {
            for (JsonNode category : c) {
                if (!category.isTextual() || !category.asText().matches("[a-z0-9][a-z0-9._-]*")) {
                    wrong.add("policy.acceptedCategories: " + HeartbeatMessages.abbreviate(category) + " is not a category");
                } else {
                    categories.add(category.asText());
                }
            }
        }
        return wrong.isEmpty() ? new OwnerDirectives.Policy(cpu.asDouble(), storage, bandwidth, List.copyOf(categories), reserve)
                : null;
    }

    private static long whole(JsonNode p, String name, long min, List<String> wrong) {
        JsonNode v = p.path(name);
        if (v.isIntegralNumber() && v.canConvertToLong() && v.asLong() >= min) {
            return v.asLong();
        }
        wrong.add("policy." + name + " " + HeartbeatMessages.abbreviate(v) + " is not a whole number >= " + min);
        return 0;
    }
}
