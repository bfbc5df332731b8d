package org.isos.server.accounts;

import java.util.Locale;

/** What an account is for: owners enroll hosts and earn, buyers lease hosts and pay. */
public enum AccountKind {
    OWNER, BUYER;

    /** The name used in the store and on the wire: {@code owner}, {@code buyer}. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The kind named by {@code code} ({@code owner} or {@code buyer}, exactly).
     *
     * @throws AccountRefused naming the accepted values
     */
    public static AccountKind ofCode(String code) throws AccountRefused {
        for (AccountKind kind : values()) {
            if (kind.code().equals(code)) {
                return kind;
            }
        }
        throw new AccountRefused("kind must be \"owner\" or \"buyer\"");
    }
}
