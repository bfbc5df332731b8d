package org.isos.server.accounts;

import java.sql.SQLException;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Owner and buyer accounts and their API tokens. A token is {@value #TOKEN_PREFIX} followed by 32
 * random bytes in unpadded base64url; the store keeps the hex SHA-256 of the whole token string,
 * never the token. Calls made inside a transaction of the server's store join it.
 */
@ProviderType
public interface Accounts {

    /** Every token starts with this, so a leaked one is recognisable (secret scanners, logs). */
    String TOKEN_PREFIX = "isos_";

    /** The longest account name, in characters. */
    int MAX_NAME_LENGTH = 100;

    /**
     * Creates an account with its first token, in one transaction.
     *
     * @param name a display name: 1 to {@value #MAX_NAME_LENGTH} characters, letters, digits, spaces and
     *        {@code . _ - ' @ &}, starting with a letter or digit, no leading or trailing space; names
     *        need not be unique (the id identifies)
     * @throws AccountRefused naming what is wrong with the name
     */
    IssuedToken create(AccountKind kind, String name) throws AccountRefused, SQLException;

    /** The account with this id. */
    Optional<Account> find(String id) throws SQLException;

    /**
     * A new token for an existing account; its other tokens stay valid.
     *
     * @throws AccountRefused when there is no such account
     */
    IssuedToken issueToken(String accountId) throws AccountRefused, SQLException;

    /**
     * The account a token belongs to, if the token is well formed, was issued here and is not revoked.
     * Tokens are compared by their SHA-256, in constant time.
     */
    Optional<Account> authenticate(String token) throws SQLException;

    /**
     * Revokes a token: it authenticates nothing from now on.
     *
     * @return true if it is revoked now, false if it was unknown or already revoked
     */
    boolean revoke(String token) throws SQLException;
}
