package org.isos.server.accounts.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Locale;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.AccountRefused;
import org.isos.server.accounts.Accounts;
import org.isos.server.accounts.Invitation;
import org.isos.server.accounts.IssuedToken;
import org.isos.server.accounts.Signup;
import org.isos.server.accounts.SignupRefused;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.Store;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * {@link Signup} over the store's {@code invitations} table (migration V006). The operator token is made on first
 * start and kept in {@code <data directory>/operator.token} (owner-only permissions); the server holds only its
 * SHA-256, so whoever can read that file is the operator.
 */
@Component(service = Signup.class, configurationPid = SignupConfig.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = SignupConfig.class)
public class JdbcSignup implements Signup {

    static final String OPERATOR_FILE = "operator.token";
    private static final Pattern CODE = Pattern.compile(Pattern.quote(INVITATION_PREFIX) + "[A-Za-z0-9_-]{43}");

    private final Store store;
    private final Accounts accounts;
    private final Mode mode;
    private final Duration invitationLife;
    private final byte[] operatorHash;
    private final SecureRandom random = new SecureRandom();

    @Activate
    public JdbcSignup(SignupConfig config, @Reference ServerHome home, @Reference Store store,
            @Reference Accounts accounts) throws IOException {
        this(store, accounts, modeOf(config.signup()), Duration.ofHours(checkedHours(config.invitationHours())),
                operatorToken(home.dataDirectory()));
    }

    JdbcSignup(Store store, Accounts accounts, Mode mode, Duration invitationLife, String operatorToken) {
        this.store = store;
        this.accounts = accounts;
        this.mode = mode;
        this.invitationLife = invitationLife;
        this.operatorHash = sha256(operatorToken);
    }

    static Mode modeOf(String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "open" -> Mode.OPEN;
            case "invite" -> Mode.INVITE;
            default -> throw new IllegalArgumentException(SignupConfig.PID + ": signup must be \"open\" or \"invite\", not \""
                    + value + "\"");
        };
    }

    private static int checkedHours(int hours) {
        if (hours < 1) {
            throw new IllegalArgumentException(SignupConfig.PID + ": invitationHours must be at least 1, not " + hours);
        }
        return hours;
    }

    /** The operator token in {@code <data>/operator.token}, made (owner-only) when there is none yet. */
    static String operatorToken(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve(OPERATOR_FILE);
        if (!Files.exists(file)) {
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            String token = OPERATOR_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            Path temporary = Files.createTempFile(dataDirectory, "operator", ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system: the data directory's own protection is all there is
                }
                Files.writeString(temporary, token + "\n", StandardCharsets.US_ASCII);
                try {
                    Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    // another instance on this data directory made it first: use theirs
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
        }
        String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (!token.startsWith(OPERATOR_PREFIX) || token.length() < OPERATOR_PREFIX.length() + 32) {
            throw new IOException(file + " does not hold an operator token (" + OPERATOR_PREFIX + "...): delete it "
                    + "and restart the server to make a new one");
        }
        return token;
    }

    @Override
    public Mode mode() {
        return mode;
    }

    @Override
    public boolean isOperator(String token) {
        return token != null && token.startsWith(OPERATOR_PREFIX) && MessageDigest.isEqual(sha256(token), operatorHash);
    }

    @Override
    public IssuedToken open(AccountKind kind, String name, String bearer, String invitation)
            throws SignupRefused, AccountRefused, SQLException {
        if (mode == Mode.OPEN || (invitation == null && isOperator(bearer))) {
            return accounts.create(kind, name);
        }
        if (invitation == null) {
            throw new SignupRefused("this server opens accounts by invitation only (signup = invite): send the "
                    + "invitation code an operator or a host owner gave you as field 'invitation'"
                    + (bearer == null ? "" : " (the bearer token is not the operator's)"));
        }
        if (!CODE.matcher(invitation).matches()) {
            throw new SignupRefused("field 'invitation' is not an invitation code (" + INVITATION_PREFIX + "...)");
        }
        if (kind == null) {
            throw new AccountRefused("kind is required: \"owner\" or \"buyer\"");
        }
        String hash = JdbcAccounts.hash(invitation);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        try {
            return store.transaction(c -> {
                String why = unusable(c, hash, kind, now);
                if (why != null) {
                    throw new Refusal(new SignupRefused(why));
                }
                IssuedToken issued;
                try {
                    issued = accounts.create(kind, name); // joins this transaction
                } catch (AccountRefused e) {
                    throw new Refusal(e);
                }
                try (PreparedStatement u = c.prepareStatement("UPDATE invitations SET used_by = ?, used = ? "
                        + "WHERE code_hash = ? AND used IS NULL")) {
                    u.setString(1, issued.account().id());
                    u.setObject(2, at(now));
                    u.setString(3, hash);
                    if (u.executeUpdate() != 1) {
                        // used by a concurrent request since the check: that one won
                        throw new Refusal(new SignupRefused("this invitation has been used already"));
                    }
                }
                return issued;
            });
        } catch (Refusal r) {
            if (r.getCause() instanceof AccountRefused a) {
                throw a;
            }
            throw (SignupRefused) r.getCause();
        }
    }

    /** Why the invitation cannot open an account of this kind now, or null when it can. */
    private static String unusable(Connection c, String hash, AccountKind kind, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT kind, expires, used FROM invitations WHERE code_hash = ? "
                + "FOR UPDATE")) {
            s.setString(1, hash);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return "no such invitation: the code was not issued by this server";
                }
                if (r.getObject(3, OffsetDateTime.class) != null) {
                    return "this invitation has been used already";
                }
                Instant expires = r.getObject(2, OffsetDateTime.class).toInstant();
                if (!expires.isAfter(now)) {
                    return "this invitation expired at " + expires;
                }
                if (!kind.code().equals(r.getString(1))) {
                    return "this invitation opens a " + r.getString(1) + " account, not a " + kind.code() + " account";
                }
                return null;
            }
        }
    }

    @Override
    public Invitation invite(Account issuer, AccountKind kind) throws SignupRefused, SQLException {
        if (issuer != null && issuer.kind() != AccountKind.OWNER) {
            throw new SignupRefused("only the operator and host owners issue invitations (this token is a "
                    + issuer.kind().code() + "'s)");
        }
        if (kind == null) {
            throw new IllegalArgumentException("kind is required");
        }
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String code = INVITATION_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Instant created = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Instant expires = created.plus(invitationLife);
        String issuedBy = issuer == null ? "operator" : issuer.id();
        store.transaction(c -> {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO invitations (code_hash, kind, issued_by, "
                    + "created, expires) VALUES (?, ?, ?, ?, ?)")) {
                insert.setString(1, JdbcAccounts.hash(code));
                insert.setString(2, kind.code());
                insert.setString(3, issuedBy);
                insert.setObject(4, at(created));
                insert.setObject(5, at(expires));
                insert.executeUpdate();
            }
            return null;
        });
        return new Invitation(code, kind, issuedBy, created, expires);
    }

    private static OffsetDateTime at(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Carries a refusal out of the transaction's work (which may throw only SQLException). */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(Exception cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }
}
