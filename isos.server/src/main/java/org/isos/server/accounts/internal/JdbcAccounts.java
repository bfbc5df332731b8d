package org.isos.server.accounts.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.AccountRefused;
import org.isos.server.accounts.Accounts;
import org.isos.server.accounts.IssuedToken;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link Accounts} over the store's {@code accounts} and {@code api_tokens} tables (migration V001).
 * Account ids are {@code <kind>-<32 hex digits>}: random, valid as a certificate CN.
 */
@Component(service = Accounts.class)
public class JdbcAccounts implements Accounts {

    private static final int TOKEN_BYTES = 32;
    /** The prefix and 32 bytes of unpadded base64url (43 characters). */
    private static final Pattern TOKEN = Pattern.compile(Pattern.quote(TOKEN_PREFIX) + "[A-Za-z0-9_-]{43}");
    private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N} ._'@&-]*");
    private static final HexFormat HEX = HexFormat.of();

    private final Store store;
    private final SecureRandom random = new SecureRandom();

    @Activate
    public JdbcAccounts(@Reference Store store) {
        this.store = store;
    }

    @Override
    public IssuedToken create(AccountKind kind, String name) throws AccountRefused, SQLException {
        if (kind == null) {
            throw new AccountRefused("kind is required: \"owner\" or \"buyer\"");
        }
        String checked = validName(name);
        String id = kind.code() + "-" + HEX.formatHex(randomBytes(16));
        String token = newToken();
        OffsetDateTime now = now();
        Account account = new Account(id, kind, checked, now.toInstant());
        store.transaction(c -> {
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO accounts (id, kind, name, created) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, id);
                insert.setString(2, kind.code());
                insert.setString(3, checked);
                insert.setObject(4, now);
                insert.executeUpdate();
            }
            insertToken(c, id, token, now);
            return null;
        });
        return new IssuedToken(account, token, now.toInstant());
    }

    @Override
    public Optional<Account> find(String id) throws SQLException {
        if (id == null || id.length() > 64) {
            return Optional.empty();
        }
        return store.transaction(c -> find(c, id));
    }

    @Override
    public IssuedToken issueToken(String accountId) throws AccountRefused, SQLException {
        String token = newToken();
        OffsetDateTime now = now();
        Optional<Account> account = store.transaction(c -> {
            Optional<Account> found = accountId == null || accountId.length() > 64 ? Optional.empty()
                    : find(c, accountId);
            if (found.isPresent()) {
                insertToken(c, accountId, token, now);
            }
            return found;
        });
        if (account.isEmpty()) {
            throw new AccountRefused("no account " + accountId);
        }
        return new IssuedToken(account.get(), token, now.toInstant());
    }

    @Override
    public Optional<Account> authenticate(String token) throws SQLException {
        if (token == null || !TOKEN.matcher(token).matches()) {
            return Optional.empty();
        }
        String hash = hash(token);
        // The lookup is by the hash, so its timing can tell at most how much of a hash matched, which
        // says nothing about any secret; the row found is then compared in constant time all the same.
        return store.transaction(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT t.token_hash, a.id, a.kind, a.name, a.created "
                    + "FROM api_tokens t JOIN accounts a ON a.id = t.account_id "
                    + "WHERE t.token_hash = ? AND t.revoked IS NULL")) {
                q.setString(1, hash);
                try (ResultSet rs = q.executeQuery()) {
                    if (!rs.next() || !MessageDigest.isEqual(HEX.parseHex(rs.getString(1)), HEX.parseHex(hash))) {
                        return Optional.empty();
                    }
                    return Optional.of(account(rs, 2));
                }
            }
        });
    }

    @Override
    public boolean revoke(String token) throws SQLException {
        if (token == null || !TOKEN.matcher(token).matches()) {
            return false;
        }
        String hash = hash(token);
        return store.transaction(c -> {
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE api_tokens SET revoked = ? WHERE token_hash = ? AND revoked IS NULL")) {
                u.setObject(1, now());
                u.setString(2, hash);
                return u.executeUpdate() == 1;
            }
        });
    }

    // ------------------------------------------------------------------ helpers

    /** The name as stored, or a refusal that names the field and says what is allowed. */
    static String validName(String name) throws AccountRefused {
        if (name == null || name.isEmpty()) {
            throw new AccountRefused("name is required: 1 to " + MAX_NAME_LENGTH + " characters");
        }
        if (name.codePointCount(0, name.length()) > MAX_NAME_LENGTH) {
            throw new AccountRefused("name is longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (!name.equals(name.strip())) {
            throw new AccountRefused("name must not start or end with white space");
        }
        if (!NAME.matcher(name).matches()) {
            throw new AccountRefused("name may hold only letters, digits, spaces and . _ - ' @ & "
                    + "and must start with a letter or digit");
        }
        return name;
    }

    /** The hex SHA-256 of a token's UTF-8 bytes: what {@code api_tokens.token_hash} holds. */
    public static String hash(String token) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private String newToken() {
        return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(TOKEN_BYTES));
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }

    private static void insertToken(Connection c, String accountId, String token, OffsetDateTime now)
            throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO api_tokens (token_hash, account_id, created) VALUES (?, ?, ?)")) {
            insert.setString(1, hash(token));
            insert.setString(2, accountId);
            insert.setObject(3, now);
            insert.executeUpdate();
        }
    }

    private static Optional<Account> find(Connection c, String id) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT id, kind, name, created FROM accounts WHERE id = ?")) {
            q.setString(1, id);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(account(rs, 1)) : Optional.empty();
            }
        }
    }

    private static Account account(ResultSet rs, int first) throws SQLException {
        AccountKind kind;
        try {
            kind = AccountKind.ofCode(rs.getString(first + 1));
        } catch (AccountRefused e) {
            throw new SQLException("account " + rs.getString(first) + " has an unknown kind", e);
        }
        return new Account(rs.getString(first), kind, rs.getString(first + 2),
                rs.getObject(first + 3, OffsetDateTime.class).toInstant());
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }
}
