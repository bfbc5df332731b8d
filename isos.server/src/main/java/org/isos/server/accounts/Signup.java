package org.isos.server.accounts;

import java.sql.SQLException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Who may open an account ({@code POST /v1/accounts}). In {@link Mode#OPEN} anyone may; in {@link Mode#INVITE} (a
 * real server's default) only the operator — whoever holds the token the server wrote to
 * {@code <data directory>/operator.token} — or someone with an invitation code that the operator or a host owner
 * issued. An invitation opens one account of the kind it names, once, before it expires.
 */
@ProviderType
public interface Signup {

    /** Every invitation code starts with this. */
    String INVITATION_PREFIX = "isos_inv_";
    /** The operator's token starts with this. */
    String OPERATOR_PREFIX = "isos_op_";

    enum Mode {
        OPEN, INVITE;

        public String code() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    Mode mode();

    /** Whether {@code token} is this server's operator token (compared in constant time). */
    boolean isOperator(String token);

    /**
     * Opens an account: in {@link Mode#INVITE} the caller must be the operator ({@code bearer} is its token) or give
     * an unused, unexpired {@code invitation} for this kind, which is used up in the same transaction.
     *
     * @param bearer the request's bearer token, or null
     * @param invitation an invitation code, or null
     * @throws SignupRefused when neither credential allows it (the message says what is missing or wrong)
     * @throws AccountRefused when the name or kind is not valid
     */
    IssuedToken open(AccountKind kind, String name, String bearer, String invitation)
            throws SignupRefused, AccountRefused, SQLException;

    /**
     * An invitation to open one account of {@code kind}, issued by the operator ({@code issuer} null) or by a host
     * owner.
     *
     * @throws SignupRefused when the issuer is not an owner
     */
    Invitation invite(Account issuer, AccountKind kind) throws SignupRefused, SQLException;
}
