package org.isos.server.accounts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.Invitation;
import org.isos.server.accounts.IssuedToken;
import org.isos.server.accounts.Signup;
import org.isos.server.accounts.Signup.Mode;
import org.isos.server.accounts.SignupRefused;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may open accounts, over a real H2 file store ({@link PostgresSignupTest}: the same on PostgreSQL). */
class SignupTest {

    @TempDir
    Path data;
    private JdbcStore store;
    private JdbcAccounts accounts;
    private JdbcSignup invite;
    private String operator;

    @BeforeEach
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), home);
        accounts = new JdbcAccounts(store);
        invite = new JdbcSignup(TestConfigs.of(SignupConfig.class, Map.of()), home, store, accounts);
        operator = Files.readString(data.resolve("operator.token")).strip();
    }

    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void theDefaultIsInviteWithAnOperatorTokenOnlyItsOwnerCanRead() throws Exception {
        assertEquals(Mode.INVITE, invite.mode());
        assertTrue(operator.matches("isos_op_[A-Za-z0-9_-]{43}"), operator);
        assertEquals(PosixFilePermissions.fromString("rw-------"),
                Files.getPosixFilePermissions(data.resolve("operator.token")));
        assertTrue(invite.isOperator(operator));
        assertFalse(invite.isOperator(operator.substring(0, operator.length() - 1) + "x"));
        assertFalse(invite.isOperator(null));
        // a restart keeps the token
        JdbcSignup again = new JdbcSignup(TestConfigs.of(SignupConfig.class, Map.of()), new ServerHome(data), store,
                accounts);
        assertTrue(again.isOperator(operator));
    }

    @Test
    void withoutOperatorOrInvitationNoAccountOpens() throws Exception {
        SignupRefused anonymous = assertThrows(SignupRefused.class, () -> invite.open(AccountKind.OWNER, "Mary", null, null));
        assertTrue(anonymous.getMessage().contains("invitation only"), anonymous.getMessage());
        IssuedToken someone = accounts.create(AccountKind.OWNER, "Someone");
        SignupRefused notOperator = assertThrows(SignupRefused.class,
                () -> invite.open(AccountKind.OWNER, "Mary", someone.secret(), null));
        assertTrue(notOperator.getMessage().contains("not the operator's"), notOperator.getMessage());
        SignupRefused forged = assertThrows(SignupRefused.class,
                () -> invite.open(AccountKind.OWNER, "Mary", null, "isos_inv_" + "A".repeat(43)));
        assertEquals("no such invitation: the code was not issued by this server", forged.getMessage());
        SignupRefused garbage = assertThrows(SignupRefused.class, () -> invite.open(AccountKind.OWNER, "Mary", null, "x"));
        assertTrue(garbage.getMessage().contains("not an invitation code"), garbage.getMessage());

        IssuedToken mary = invite.open(AccountKind.OWNER, "Mary", operator, null);
        assertEquals(AccountKind.OWNER, mary.account().kind());
        assertEquals(mary.account(), accounts.authenticate(mary.secret()).orElseThrow());
    }

    @Test
    void anInvitationOpensOneAccountOfItsKind() throws Exception {
        IssuedToken mary = invite.open(AccountKind.OWNER, "Mary", operator, null);
        Invitation invitation = invite.invite(mary.account(), AccountKind.BUYER);
        assertTrue(invitation.code().matches("isos_inv_[A-Za-z0-9_-]{43}"), invitation.code());
        assertEquals(mary.account().id(), invitation.issuedBy());
        assertEquals(Duration.ofDays(7), Duration.between(invitation.created(), invitation.expires()));

        SignupRefused wrongKind = assertThrows(SignupRefused.class,
                () -> invite.open(AccountKind.OWNER, "Bob", null, invitation.code()));
        assertEquals("this invitation opens a buyer account, not a owner account", wrongKind.getMessage());
        IssuedToken bob = invite.open(AccountKind.BUYER, "Bob", null, invitation.code());
        assertEquals(AccountKind.BUYER, bob.account().kind());
        SignupRefused again = assertThrows(SignupRefused.class,
                () -> invite.open(AccountKind.BUYER, "Eve", null, invitation.code()));
        assertEquals("this invitation has been used already", again.getMessage());

        // a buyer does not invite; the operator does
        SignupRefused buyerInvites = assertThrows(SignupRefused.class, () -> invite.invite(bob.account(), AccountKind.BUYER));
        assertTrue(buyerInvites.getMessage().startsWith("only the operator and host owners issue invitations"));
        assertEquals("operator", invite.invite(null, AccountKind.OWNER).issuedBy());
    }

    @Test
    void anExpiredInvitationIsRefusedAndABadNameUsesNothingUp() throws Exception {
        Invitation invitation = invite.invite(null, AccountKind.BUYER);
        assertThrows(org.isos.server.accounts.AccountRefused.class,
                () -> invite.open(AccountKind.BUYER, " bad name", null, invitation.code()));
        assertEquals(AccountKind.BUYER, invite.open(AccountKind.BUYER, "Good Name", null, invitation.code()).account().kind());

        Invitation old = invite.invite(null, AccountKind.BUYER);
        try (Connection c = store.connection();
                PreparedStatement u = c.prepareStatement("UPDATE invitations SET expires = ? WHERE code_hash = ?")) {
            u.setObject(1, OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(1));
            u.setString(2, JdbcAccounts.hash(old.code()));
            assertEquals(1, u.executeUpdate());
        }
        SignupRefused expired = assertThrows(SignupRefused.class, () -> invite.open(AccountKind.BUYER, "Late", null, old.code()));
        assertTrue(expired.getMessage().startsWith("this invitation expired at "), expired.getMessage());
    }

    @Test
    void openSignupLetsAnyoneIn() throws Exception {
        Signup open = new JdbcSignup(TestConfigs.of(SignupConfig.class, Map.of("signup", "open")), new ServerHome(data),
                store, accounts);
        assertEquals(Mode.OPEN, open.mode());
        assertEquals("Anyone", open.open(AccountKind.BUYER, "Anyone", null, null).account().name());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new JdbcSignup(
                TestConfigs.of(SignupConfig.class, Map.of("signup", "closed")), new ServerHome(data), store, accounts));
        assertEquals("org.isos.server.signup: signup must be \"open\" or \"invite\", not \"closed\"", bad.getMessage());
    }
}
