package org.isos.admission;

import java.util.Objects;

/**
 * A bundle broke an admission rule. The message is {@code "<RULE>: <detail>"}, and the detail says
 * precisely what was wrong, because it goes back to the buyer who has to fix the bundle.
 */
public final class AdmissionRefused extends Exception {

    private static final long serialVersionUID = 1L;

    private final Rule rule;
    private final String detail;

    public AdmissionRefused(Rule rule, String detail) {
        this(rule, detail, null);
    }

    public AdmissionRefused(Rule rule, String detail, Throwable cause) {
        super(Objects.requireNonNull(rule, "rule").name() + ": " + Objects.requireNonNull(detail, "detail"), cause);
        this.rule = rule;
        this.detail = detail;
    }

    /** The rule the bundle broke (the first one, in {@link Rule} order). */
    public Rule rule() {
        return rule;
    }

    /** What exactly was wrong, without the rule name. */
    public String detail() {
        return detail;
    }
}
