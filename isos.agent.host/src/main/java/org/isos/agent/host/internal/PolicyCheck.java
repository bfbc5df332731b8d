package org.isos.agent.host.internal;

import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.isos.agent.host.OwnerPolicy;
import org.isos.agent.host.OwnerPolicy.AllowedHours;

/** Turns a configured {@link UsagePolicy} into an {@link OwnerPolicy}, or names everything wrong with it. */
final class PolicyCheck {

    private static final Pattern SPAN = Pattern.compile("(\\d{1,2}):(\\d{2})\\s*-\\s*(\\d{1,2}):(\\d{2})");
    private static final Pattern CATEGORY = Pattern.compile("[a-z0-9][a-z0-9._-]*");

    private PolicyCheck() {
    }

    static OwnerPolicy check(UsagePolicy p) throws PolicyRefused {
        List<String> problems = new ArrayList<>();

        List<AllowedHours> hours = new ArrayList<>();
        for (String entry : nullSafe(p.allowedHours())) {
            // Config Admin tools often deliver a list as one comma-separated string
            for (String span : entry.split(",")) {
                if (span.isBlank()) {
                    continue;
                }
                try {
                    hours.add(hours(span.trim()));
                } catch (IllegalArgumentException e) {
                    problems.add("allowedHours '" + span.trim() + "': " + e.getMessage());
                }
            }
        }
        if (!(p.minimumPriceOutsideHours() >= 0) || Double.isInfinite(p.minimumPriceOutsideHours())) {
            problems.add("minimumPriceOutsideHours " + p.minimumPriceOutsideHours() + ": must be 0 or more");
        }
        if (!(p.maxCpuShare() > 0 && p.maxCpuShare() <= 1)) {
            problems.add("maxCpuShare " + p.maxCpuShare() + ": must be in (0, 1]");
        }
        if (p.storageQuotaBytes() < 0) {
            problems.add("storageQuotaBytes " + p.storageQuotaBytes() + ": must be 0 or more");
        }
        if (p.bandwidthCapBytesPerSecond() <= 0) {
            problems.add("bandwidthCapBytesPerSecond " + p.bandwidthCapBytesPerSecond() + ": must be more than 0");
        }
        Set<String> categories = new LinkedHashSet<>();
        for (String entry : nullSafe(p.acceptedCategories())) {
            for (String c : entry.split(",")) {
                String category = c.trim();
                if (category.isEmpty()) {
                    continue;
                }
                if (!CATEGORY.matcher(category).matches()) {
                    problems.add("acceptedCategories '" + category + "': lower-case letters, digits, '.', '_' and '-' only");
                }
                categories.add(category);
            }
        }
        if (!(p.activityThreshold() > 0 && p.activityThreshold() <= 1)) {
            problems.add("activityThreshold " + p.activityThreshold() + ": must be in (0, 1]");
        }
        if (!(p.idlePeriodSeconds() >= 0) || p.idlePeriodSeconds() > 86_400) {
            problems.add("idlePeriodSeconds " + p.idlePeriodSeconds() + ": must be between 0 and 86400");
        }
        if (p.sampleMillis() < 10 || p.sampleMillis() > 60_000) {
            problems.add("sampleMillis " + p.sampleMillis() + ": must be between 10 and 60000");
        }
        if (!problems.isEmpty()) {
            throw new PolicyRefused(problems);
        }
        return new OwnerPolicy(hours, p.minimumPriceOutsideHours(), p.maxCpuShare(), p.storageQuotaBytes(),
                p.bandwidthCapBytesPerSecond(), categories, p.activityThreshold(),
                Duration.ofMillis(Math.round(p.idlePeriodSeconds() * 1000)), Duration.ofMillis(p.sampleMillis()));
    }

    static AllowedHours hours(String span) {
        Matcher m = SPAN.matcher(span);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected HH:MM-HH:MM");
        }
        return new AllowedHours(time(m.group(1), m.group(2)), time(m.group(3), m.group(4)));
    }

    private static LocalTime time(String hh, String mm) {
        int h = Integer.parseInt(hh);
        int m = Integer.parseInt(mm);
        if (h == 24 && m == 0) {
            return LocalTime.MIDNIGHT;
        }
        if (h > 23 || m > 59) {
            throw new IllegalArgumentException(hh + ":" + mm + " is not a time of day");
        }
        return LocalTime.of(h, m);
    }

    private static String[] nullSafe(String[] values) {
        return values == null ? new String[0] : values;
    }

    /** A usage policy the agent will not run under; app work stays suspended until a good one arrives. */
    static final class PolicyRefused extends Exception {
        private static final long serialVersionUID = 1L;
        private final List<String> problems;

        PolicyRefused(List<String> problems) {
            super("usage policy " + UsagePolicy.PID + " refused: " + String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        List<String> problems() {
            return problems;
        }
    }
}
