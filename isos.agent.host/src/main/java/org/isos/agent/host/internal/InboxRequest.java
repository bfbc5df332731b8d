package org.isos.agent.host.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.isos.kernel.api.Lease;

/**
 * One {@code <name>.lease} file of the agent's inbox, parsed and checked: what to do ({@link Action})
 * with which lease and which bundle. Everything wrong with a file is named in one
 * {@link BadInput} message, so a developer fixes it in one go.
 *
 * <p>
 * Fields (java.util.Properties): {@code action} (host, the default; renew; end; update), {@code id},
 * {@code buyer}, {@code app}, {@code expiry} (ISO instant) or {@code seconds} (lifetime from now),
 * {@code cpuShare}, {@code memoryBytes}, {@code storageQuotaBytes}, {@code bandwidthBytesPerSecond},
 * {@code bundle} (a jar file name in the inbox), optional {@code bundleSha256} (the digest the grant
 * names; by default the jar's own) and {@code reason} (for end).
 */
record InboxRequest(Action action, String leaseId, Lease lease, Instant expiry, String bundle, String bundleSha256,
        String reason) {

    enum Action {
        HOST, RENEW, END, UPDATE
    }

    static final Set<String> FIELDS = Set.of("action", "id", "buyer", "app", "expiry", "seconds", "cpuShare",
            "memoryBytes", "storageQuotaBytes", "bandwidthBytesPerSecond", "bundle", "bundleSha256", "reason");

    /** The prefix of every refusal of a file the agent could not make sense of. */
    static final String BAD_INPUT = "BAD_INPUT";

    /** A lease file that cannot be acted on; the message says every reason why. */
    static final class BadInput extends Exception {
        private static final long serialVersionUID = 1L;

        BadInput(List<String> problems) {
            super(BAD_INPUT + ": " + String.join("; ", problems));
        }
    }

    static InboxRequest parse(Properties p, Instant now) throws BadInput {
        List<String> problems = new ArrayList<>();
        Set<String> unknown = new TreeSet<>(p.stringPropertyNames());
        unknown.removeAll(FIELDS);
        if (!unknown.isEmpty()) {
            problems.add("unknown field(s) " + unknown + " (known: " + new TreeSet<>(FIELDS) + ")");
        }
        Action action = Action.HOST;
        String actionName = value(p, "action");
        if (actionName != null) {
            try {
                action = Action.valueOf(actionName.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add("action '" + actionName + "' is not one of host, renew, end, update");
            }
        }
        String id = required(p, "id", problems);
        checkId(id, problems);
        Instant expiry = null;
        if (action == Action.HOST || action == Action.RENEW) {
            expiry = expiry(p, now, problems);
        }
        String bundle = null;
        String sha256 = value(p, "bundleSha256");
        if (action == Action.HOST || action == Action.UPDATE) {
            bundle = required(p, "bundle", problems);
            if (bundle != null && (bundle.contains("/") || bundle.contains("\\") || bundle.startsWith(".")
                    || !bundle.endsWith(".jar"))) {
                problems.add("bundle '" + bundle + "' must be the name of a .jar file in the inbox, without a path");
            }
            if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
                problems.add("bundleSha256 '" + sha256 + "' must be 64 lower-case hex digits");
            }
        }
        Lease lease = null;
        if (action == Action.HOST) {
            String buyer = required(p, "buyer", problems);
            String app = required(p, "app", problems);
            Double cpu = number(p, "cpuShare", problems);
            Long memory = bytes(p, "memoryBytes", problems);
            Long storage = bytes(p, "storageQuotaBytes", problems);
            Long bandwidth = bytes(p, "bandwidthBytesPerSecond", problems);
            lease = terms(id, buyer, app, expiry, cpu, memory, storage, bandwidth, problems);
        }
        if (!problems.isEmpty()) {
            throw new BadInput(problems);
        }
        String reason = value(p, "reason");
        return new InboxRequest(action, id, lease, expiry, bundle, sha256,
                reason == null ? "ended through the agent's inbox" : reason);
    }

    /** A lease id the kernel accepts (its lease files are named after it); else a problem. */
    static void checkId(String id, List<String> problems) {
        if (id != null && !id.matches("[A-Za-z0-9._\\-]{1,100}")) {
            problems.add("id '" + id + "' must be 1-100 characters of A-Z a-z 0-9 . _ -");
        }
    }

    /**
     * A lease's terms checked, whoever hands them over (an inbox file, the server's heartbeat answer):
     * the lease, or null with every problem added to {@code problems}. A null argument is a problem
     * already named by the caller (missing or unreadable); it only stops the lease being made.
     */
    static Lease terms(String id, String buyer, String app, Instant expiry, Double cpuShare, Long memoryBytes,
            Long storageQuotaBytes, Long bandwidthBytesPerSecond, List<String> problems) {
        if (cpuShare != null && !(cpuShare > 0 && cpuShare <= 1)) {
            problems.add("cpuShare " + cpuShare + " must be in (0, 1]");
        }
        if (bandwidthBytesPerSecond != null && bandwidthBytesPerSecond == 0) {
            problems.add("bandwidthBytesPerSecond must be more than 0");
        }
        if (!problems.isEmpty() || id == null || buyer == null || app == null
                || expiry == null || cpuShare == null || memoryBytes == null || storageQuotaBytes == null
                || bandwidthBytesPerSecond == null) {
            return null;
        }
        try {
            return new Lease(id, buyer, app, expiry, cpuShare, memoryBytes, storageQuotaBytes, bandwidthBytesPerSecond);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    private static Instant expiry(Properties p, Instant now, List<String> problems) {
        String expiry = value(p, "expiry");
        String seconds = value(p, "seconds");
        if (expiry != null && seconds != null) {
            problems.add("give expiry or seconds, not both");
            return null;
        }
        if (expiry == null && seconds == null) {
            problems.add("expiry (an ISO instant such as 2030-01-01T00:00:00Z) or seconds (lifetime from now) missing");
            return null;
        }
        if (expiry != null) {
            try {
                Instant at = Instant.parse(expiry);
                if (!at.isAfter(now)) {
                    problems.add("expiry " + at + " is not in the future");
                }
                return at;
            } catch (DateTimeParseException e) {
                problems.add("expiry '" + expiry + "' is not an ISO instant such as 2030-01-01T00:00:00Z");
                return null;
            }
        }
        try {
            double s = Double.parseDouble(seconds);
            if (!(s > 0) || Double.isInfinite(s) || s > 100L * 365 * 86_400) {
                problems.add("seconds " + seconds + " must be more than 0 (and less than a century)");
                return null;
            }
            return now.plus(Duration.ofMillis(Math.round(s * 1000)));
        } catch (NumberFormatException e) {
            problems.add("seconds '" + seconds + "' is not a number");
            return null;
        }
    }

    private static String value(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static String required(Properties p, String key, List<String> problems) {
        String v = value(p, key);
        if (v == null) {
            problems.add(key + " missing");
        }
        return v;
    }

    private static Double number(Properties p, String key, List<String> problems) {
        String v = required(p, key, problems);
        if (v == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(v);
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            problems.add(key + " '" + v + "' is not a number");
            return null;
        }
    }

    private static Long bytes(Properties p, String key, List<String> problems) {
        String v = required(p, key, problems);
        if (v == null) {
            return null;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                problems.add(key + " " + v + " must be 0 or more");
                return null;
            }
            return n;
        } catch (NumberFormatException e) {
            problems.add(key + " '" + v + "' is not a whole number of bytes");
            return null;
        }
    }
}
