package org.isos.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The human forms of what a lease asks for, turned into the protocol's units: durations in seconds,
 * sizes in bytes, rates in bytes per second, money in micro-credits. Every parser refuses with an
 * {@link IllegalArgumentException} whose message says what was expected, shown to the user as is.
 */
public final class Quantities {

    /** Ten years: longer than any lease, short enough that seconds never overflow anything downstream. */
    static final long MAX_SECONDS = 10L * 366 * 24 * 3600;
    static final long MICROS_PER_CREDIT = 1_000_000L;

    private static final Pattern DURATION_PART = Pattern.compile("(\\d{1,9})([dhms])");
    private static final Pattern NUMBER_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z/]*)");

    /** Sizes: SI units are powers of 1000, IEC units and the bare letters (as in -Xmx) powers of 1024. */
    private static final Map<String, Long> SIZE_UNITS = Map.ofEntries(Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("kb", 1000L), Map.entry("mb", 1000L * 1000), Map.entry("gb", 1000L * 1000 * 1000),
            Map.entry("tb", 1000L * 1000 * 1000 * 1000), Map.entry("k", 1L << 10), Map.entry("m", 1L << 20),
            Map.entry("g", 1L << 30), Map.entry("t", 1L << 40), Map.entry("kib", 1L << 10), Map.entry("mib", 1L << 20),
            Map.entry("gib", 1L << 30), Map.entry("tib", 1L << 40));

    /** Rates given in bits per second (network style); 8 bits to the byte. */
    private static final Map<String, Long> BIT_RATE_UNITS = Map.of("bit", 1L, "kbit", 1000L, "mbit", 1000L * 1000,
            "gbit", 1000L * 1000 * 1000, "bps", 1L, "kbps", 1000L, "mbps", 1000L * 1000, "gbps", 1000L * 1000 * 1000);

    private Quantities() {
    }

    /** {@code 90s}, {@code 10m}, {@code 2h}, {@code 1d}, {@code 1h30m} or plain seconds ({@code 90}). */
    public static long seconds(String text) {
        String t = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (t.isEmpty()) {
            throw new IllegalArgumentException("a duration is needed, e.g. 90s, 10m, 2h or 1h30m");
        }
        long total;
        if (t.chars().allMatch(Character::isDigit)) {
            total = t.length() > 12 ? Long.MAX_VALUE : Long.parseLong(t);
        } else {
            Matcher m = DURATION_PART.matcher(t);
            int at = 0;
            int lastUnit = -1;
            total = 0;
            while (at < t.length() && m.find(at) && m.start() == at) {
                int unit = "dhms".indexOf(m.group(2));
                if (unit <= lastUnit) {
                    throw new IllegalArgumentException("'" + text + "' is not a duration: give units from largest to"
                            + " smallest, each once (e.g. 1h30m)");
                }
                lastUnit = unit;
                total += Long.parseLong(m.group(1)) * new long[] { 86400L, 3600L, 60L, 1L }[unit];
                at = m.end();
            }
            if (at != t.length()) {
                throw new IllegalArgumentException("'" + text + "' is not a duration: use e.g. 90s, 10m, 2h, 1d or 1h30m");
            }
        }
        if (total <= 0) {
            throw new IllegalArgumentException("a duration must be longer than 0 seconds, not '" + text + "'");
        }
        if (total > MAX_SECONDS) {
            throw new IllegalArgumentException("'" + text + "' is longer than ten years");
        }
        return total;
    }

    /** {@code 64MiB}, {@code 1.5GiB}, {@code 100MB}, {@code 512k} or plain bytes; at least 1 byte. */
    public static long bytes(String text) {
        Matcher m = NUMBER_UNIT.matcher(text == null ? "" : text.strip().toLowerCase(Locale.ROOT));
        Long unit = m.matches() ? SIZE_UNITS.get(m.group(2)) : null;
        if (unit == null) {
            throw new IllegalArgumentException("'" + text + "' is not a size: use bytes or e.g. 64MiB, 1GiB, 100MB, 512KiB");
        }
        return wholePositive(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)), text, "byte");
    }

    /**
     * Bytes per second: a size ({@code 1MiB}, optionally {@code /s}: {@code 1MiB/s}) or bits per second
     * ({@code 256kbit}, {@code 10Mbit}, {@code 2mbps}).
     */
    public static long bytesPerSecond(String text) {
        Matcher m = NUMBER_UNIT.matcher(text == null ? "" : text.strip().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            String unit = m.group(2);
            BigDecimal n = new BigDecimal(m.group(1));
            String perSecond = unit.endsWith("/s") ? unit.substring(0, unit.length() - 2) : unit;
            Long bits = BIT_RATE_UNITS.get(perSecond);
            if (bits != null) {
                // a fraction of a byte per second is no rate a host can meter: round down
                BigDecimal bytes = n.multiply(BigDecimal.valueOf(bits)).divide(BigDecimal.valueOf(8), 0, RoundingMode.DOWN);
                return wholePositive(bytes, text, "byte per second");
            }
            Long size = SIZE_UNITS.get(perSecond);
            if (size != null) {
                return wholePositive(n.multiply(BigDecimal.valueOf(size)), text, "byte per second");
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a rate: use bytes per second or e.g. 256kbit, 10Mbit,"
                + " 1MiB/s");
    }

    /** A CPU share of the host's cores: {@code 0.25} or {@code 25%}, more than 0 and at most 1. */
    public static double cpuShare(String text) {
        BigDecimal share = share(text, "a CPU share", "0.25 or 25%");
        if (share.signum() <= 0 || share.compareTo(BigDecimal.ONE) > 0) {
            throw new IllegalArgumentException("a CPU share is more than 0 and at most 1 (100%), not '" + text + "'");
        }
        return share.doubleValue();
    }

    /** A share of time, {@code 0.9} or {@code 90%}, from 0 to 1. */
    public static double availability(String text) {
        BigDecimal share = share(text, "an availability", "0.9 or 90%");
        if (share.signum() < 0 || share.compareTo(BigDecimal.ONE) > 0) {
            throw new IllegalArgumentException("an availability is from 0 to 1 (100%), not '" + text + "'");
        }
        return share.doubleValue();
    }

    /** A fraction written as a decimal or a percentage ({@code 0.25}, {@code 25%}), not yet range-checked. */
    private static BigDecimal share(String text, String what, String example) {
        String t = text == null ? "" : text.strip();
        try {
            return t.endsWith("%") ? new BigDecimal(t.substring(0, t.length() - 1).strip()).movePointLeft(2)
                    : new BigDecimal(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not " + what + ": use e.g. " + example);
        }
    }

    /** Daily UTC hours {@code HH:MM-HH:MM} (24:00 the latest), as given. */
    public static String window(String text) {
        String t = text == null ? "" : text.strip();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")
                .matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a window of UTC hours: use HH:MM-HH:MM, e.g. "
                    + "22:00-06:00");
        }
        for (int g = 1; g <= 3; g += 2) {
            int minutes = Integer.parseInt(m.group(g)) * 60 + Integer.parseInt(m.group(g + 1));
            if (Integer.parseInt(m.group(g + 1)) > 59 || minutes > 24 * 60) {
                throw new IllegalArgumentException("'" + text + "' is not a window of UTC hours: times run from "
                        + "00:00 to 24:00");
            }
        }
        return t;
    }

    /** Credits as a decimal ({@code 10.5}) to micro-credits; more than 0, at most 6 decimal places. */
    public static long micros(String credits) {
        BigDecimal amount;
        try {
            amount = new BigDecimal(credits == null ? "" : credits.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + credits + "' is not an amount of credits: use e.g. 10 or 10.5");
        }
        if (amount.signum() <= 0) {
            throw new IllegalArgumentException("an amount of credits must be more than 0, not '" + credits + "'");
        }
        BigDecimal micros = amount.movePointRight(6);
        if (micros.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + credits + "' has more than 6 decimal places (a micro-credit is"
                    + " the smallest amount)");
        }
        if (micros.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + credits + "' is too large an amount");
        }
        return micros.longValueExact();
    }

    /** Micro-credits as credits, without trailing zeros: {@code 10500000} is {@code 10.5}. */
    public static String credits(long micros) {
        BigDecimal c = BigDecimal.valueOf(micros).movePointLeft(6).stripTrailingZeros();
        return c.scale() < 0 ? c.setScale(0).toPlainString() : c.toPlainString();
    }

    /** Bytes for people: {@code 67108864} is {@code 64MiB}. */
    public static String size(long bytes) {
        String[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return (v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + units[u];
    }

    private static long wholePositive(BigDecimal value, String text, String what) {
        if (value.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of " + what + "s");
        }
        if (value.signum() <= 0) {
            throw new IllegalArgumentException("'" + text + "' must be at least 1 " + what);
        }
        if (value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return value.longValueExact();
    }
}
