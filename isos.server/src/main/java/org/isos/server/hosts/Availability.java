package org.isos.server.hosts;

import java.time.Instant;

/**
 * A host's availability: the share of time it was {@code ONLINE} and not suspended, each moment weighted by
 * {@code exp(-age / }{@link #TIME_CONSTANT_SECONDS one day}{@code )}, so the last day or so counts most; a
 * host starts with none (no history counts as unavailable).
 * <p>
 * The registry keeps it in one number per host, its clock {@code c} (epoch seconds), that changes only when the
 * host becomes available or unavailable: while available its availability is {@code 1 - exp(-(now - c) / T)},
 * while unavailable {@code exp(-(now - c) / T)}. At a change at time {@code t} the clock becomes
 * {@code t + T ln(1 - exp(-(t - c) / T))} in both directions ({@link #flip}), which keeps the value at
 * {@code t}. So a request's minimum availability {@code m} is met by an available host exactly when
 * {@code c <= now + T ln(1 - m)} ({@link #latestClock}): a comparison with a column, no per-row arithmetic.
 *
 * @since 1.4
 */
public final class Availability {

    /** The weighting's time constant: one day. */
    public static final double TIME_CONSTANT_SECONDS = 86_400;
    /** How far back a clock may go, in time constants (availability within e^-20 of 1 or 0 is kept as that). */
    public static final double MAX_AGE_CONSTANTS = 20;

    private Availability() {
    }

    /** An instant in epoch seconds, to the microsecond. */
    public static double seconds(Instant at) {
        return at.getEpochSecond() + at.getNano() / 1e9;
    }

    /** The availability at {@code now} of a host with clock {@code clock} (null: no history), available or not. */
    public static double at(boolean available, Double clock, Instant now) {
        if (clock == null) {
            return 0;
        }
        double decay = Math.exp(-Math.max(0, seconds(now) - clock) / TIME_CONSTANT_SECONDS);
        return available ? 1 - decay : decay;
    }

    /** The clock after a change (either way) at {@code now}; null (no history) flips to {@code now}. */
    public static double flip(Double clock, Instant now) {
        double t = seconds(now);
        if (clock == null) {
            return t;
        }
        double stay = 1 - Math.exp(-Math.max(0, t - clock) / TIME_CONSTANT_SECONDS);
        return t + TIME_CONSTANT_SECONDS * Math.log(Math.max(stay, Math.exp(-MAX_AGE_CONSTANTS)));
    }

    /** The latest clock an available host may have at {@code now} to have availability at least {@code minimum}. */
    public static double latestClock(double minimum, Instant now) {
        if (!(minimum >= 0 && minimum <= 1)) {
            throw new IllegalArgumentException("availability must be 0 to 1, not " + minimum);
        }
        return seconds(now) + TIME_CONSTANT_SECONDS * Math.log(Math.max(1 - minimum, Math.exp(-MAX_AGE_CONSTANTS)));
    }
}
