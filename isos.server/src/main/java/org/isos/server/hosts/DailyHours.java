package org.isos.server.hosts;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Spans of the UTC day, {@code HH:MM-HH:MM}: the start inclusive, the end exclusive; a span wraps past midnight
 * when its end is not after its start ({@code 22:00-06:00}), equal ends mean the whole day, {@code 24:00} is
 * midnight at the end. The store keeps hours as {@value #SLOTS} quarter-hours ({@link #slots}) so that "a host's
 * hours cover a window" is one {@code LIKE} against a row ({@link #coverPattern}): a host's quarter-hour counts
 * only when the whole of it is allowed, a window's when any of it is asked, so a match is never wrong (hours
 * that start or end inside a quarter-hour lose that quarter-hour).
 *
 * @since 1.4
 */
public final class DailyHours {

    /** Quarter-hours in a day. */
    public static final int SLOTS = 96;
    /** Most spans in a list of hours. */
    public static final int MAX_SPANS = 24;
    private static final Pattern SPAN = Pattern.compile("([01][0-9]|2[0-4]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])");

    private DailyHours() {
    }

    /** A span's start and end in minutes of the day (0 to 1440), or an exception that says what is wrong. */
    public static int[] minutes(String span) {
        Matcher m = span == null ? null : SPAN.matcher(span);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("a span must be HH:MM-HH:MM (e.g. 22:00-06:00), not "
                    + (span == null ? "null" : "\"" + (span.length() > 40 ? span.substring(0, 40) + "…" : span) + "\""));
        }
        int start = Integer.parseInt(m.group(1)) * 60 + Integer.parseInt(m.group(2));
        int end = Integer.parseInt(m.group(3)) * 60 + Integer.parseInt(m.group(4));
        if (start > 1440 || end > 1440) {
            throw new IllegalArgumentException("24:00 is the latest time of a span, in " + span);
        }
        return new int[] { start, end };
    }

    /** The spans, checked ({@link #minutes}); at most {@value #MAX_SPANS}. */
    public static List<String> checked(List<String> spans) {
        if (spans.size() > MAX_SPANS) {
            throw new IllegalArgumentException("at most " + MAX_SPANS + " spans, not " + spans.size());
        }
        List<String> out = new ArrayList<>();
        for (String span : spans) {
            minutes(span);
            out.add(span);
        }
        return List.copyOf(out);
    }

    /** The minutes of the day a span holds, {@code [from, to)} pieces that do not wrap. */
    private static List<int[]> pieces(String span) {
        int[] m = minutes(span);
        int start = m[0] % 1440;
        int end = m[1] % 1440;
        if (start == end) {
            return List.of(new int[] { 0, 1440 });
        }
        return start < end ? List.of(new int[] { start, end })
                : List.of(new int[] { start, 1440 }, new int[] { 0, end });
    }

    /**
     * The quarter-hours wholly inside the spans, {@code '1'} or {@code '0'} each; an empty list is the whole day
     * (an owner who set no hours takes work at any time).
     */
    public static String slots(List<String> spans) {
        if (spans.isEmpty()) {
            return "1".repeat(SLOTS);
        }
        char[] slots = "0".repeat(SLOTS).toCharArray();
        for (String span : spans) {
            for (int[] p : pieces(span)) {
                for (int q = 0; q < SLOTS; q++) {
                    if (q * 15 >= p[0] && q * 15 + 15 <= p[1]) {
                        slots[q] = '1';
                    }
                }
            }
        }
        return new String(slots);
    }

    /**
     * The {@code LIKE} pattern that hosts' {@link #slots} meet when they cover {@code window}: {@code '1'} at each
     * quarter-hour the window touches, {@code '_'} elsewhere.
     */
    public static String coverPattern(String window) {
        char[] pattern = "_".repeat(SLOTS).toCharArray();
        for (int[] p : pieces(window)) {
            for (int q = 0; q < SLOTS; q++) {
                if (q * 15 < p[1] && q * 15 + 15 > p[0]) {
                    pattern[q] = '1';
                }
            }
        }
        return new String(pattern);
    }
}
