package org.isos.server.accounts.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.AccountRefused;
import org.isos.server.accounts.IssuedToken;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Accounts and tokens over a real H2 file store ({@link PostgresAccountsTest}: the same on PostgreSQL). */
class AccountsTest {

    @TempDir
    Path data;
    private JdbcStore store;
    private JdbcAccounts accounts;

    @BeforeEach
    void start() throws Exception {
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), new ServerHome(data));
        accounts = new JdbcAccounts(store);
    }

    /** The store's configuration: the default H2 file store in the data directory. */
    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void anAccountComesWithATokenThatAuthenticatesIt() throws Exception {
        IssuedToken owner = accounts.create(AccountKind.OWNER, "Mary");
        IssuedToken buyer = accounts.create(AccountKind.BUYER, "Acme Movies & Co.");
        Account mary = owner.account();
        assertEquals(AccountKind.OWNER, mary.kind());
        assertEquals("Mary", mary.name());
        assertTrue(mary.id().matches("owner-[0-9a-f]{32}"), mary.id());
        assertTrue(buyer.account().id().matches("buyer-[0-9a-f]{32}"), buyer.account().id());
        assertTrue(owner.secret().matches("isos_[A-Za-z0-9_-]{43}"), "isos_ and 32 bytes of base64url");
        assertFalse(owner.toString().contains(owner.secret()), "toString keeps the secret out of logs");

        assertEquals(Optional.of(mary), accounts.authenticate(owner.secret()));
        assertEquals(Optional.of(buyer.account()), accounts.authenticate(buyer.secret()));
        assertEquals(Optional.of(mary), accounts.find(mary.id()));
        assertEquals(Optional.empty(), accounts.find("owner-nobody"));
    }

    @Test
    void onlyTheHashOfATokenIsStored() throws Exception {
        IssuedToken issued = accounts.create(AccountKind.BUYER, "Lab");
        List<String> stored = column("SELECT token_hash FROM api_tokens");
        assertEquals(List.of(JdbcAccounts.hash(issued.secret())), stored);
        assertTrue(stored.get(0).matches("[0-9a-f]{64}"), "hex SHA-256");
        for (String row : column("SELECT token_hash || account_id FROM api_tokens")) {
            assertFalse(row.contains(issued.secret().substring(5)));
        }
    }

    @Test
    void moreTokensAndRevocation() throws Exception {
        IssuedToken first = accounts.create(AccountKind.BUYER, "Biotech Lab");
        IssuedToken second = accounts.issueToken(first.account().id());
        assertNotEquals(first.secret(), second.secret());
        assertEquals(first.account(), second.account());

        assertTrue(accounts.revoke(first.secret()));
        assertFalse(accounts.revoke(first.secret()), "already revoked");
        assertEquals(Optional.empty(), accounts.authenticate(first.secret()));
        assertEquals(Optional.of(first.account()), accounts.authenticate(second.secret()), "the other token stays valid");

        AccountRefused unknown = assertThrows(AccountRefused.class, () -> accounts.issueToken("buyer-nobody"));
        assertEquals("no account buyer-nobody", unknown.getMessage());
        assertEquals(List.of("1"), column("SELECT COUNT(*) FROM api_tokens WHERE revoked IS NOT NULL"));
    }

    @Test
    void forgedAndMalformedTokensAuthenticateNothing() throws Exception {
        IssuedToken issued = accounts.create(AccountKind.OWNER, "Mary");
        String secret = issued.secret();
        char last = secret.charAt(secret.length() - 1);
        List<String> forged = new ArrayList<>(List.of("", "isos_", "Bearer " + secret, secret + "x", secret.substring(5),
                secret.substring(0, secret.length() - 1) + (last == 'A' ? 'B' : 'A'), secret.toUpperCase(),
                "isos_" + "A".repeat(43), "isos_" + "!".repeat(43), "' OR '1'='1"));
        forged.add(null);
        for (String token : forged) {
            assertEquals(Optional.empty(), accounts.authenticate(token), String.valueOf(token));
            assertFalse(accounts.revoke(token), String.valueOf(token));
        }
        assertEquals(Optional.of(issued.account()), accounts.authenticate(secret), "nothing above revoked it");
    }

    @Test
    void namesAreValidated() throws Exception {
        Map<String, String> refused = Map.of(
                "", "name is required",
                " Mary", "white space",
                "Mary ", "white space",
                "-Mary", "start with a letter or digit",
                "Ma\nry", "may hold only",
                "Robert'); DROP TABLE accounts;--", "may hold only",
                "x".repeat(101), "longer than 100");
        for (Map.Entry<String, String> entry : refused.entrySet()) {
            AccountRefused e = assertThrows(AccountRefused.class, () -> accounts.create(AccountKind.OWNER, entry.getKey()));
            assertTrue(e.getMessage().contains(entry.getValue()), e.getMessage());
            assertTrue(e.getMessage().startsWith("name "), "names the field: " + e.getMessage());
        }
        assertThrows(AccountRefused.class, () -> accounts.create(AccountKind.OWNER, null));
        assertThrows(AccountRefused.class, () -> accounts.create(null, "Mary"));
        assertEquals(List.of("0"), column("SELECT COUNT(*) FROM accounts"), "nothing created");

        for (String good : List.of("Mary", "Zoë Müller", "李明", "acme.movies_2@example.com", "O'Brien & Sons",
                "x".repeat(100))) {
            assertEquals(good, accounts.create(AccountKind.BUYER, good).account().name());
        }
        assertEquals(AccountKind.BUYER, AccountKind.ofCode("buyer"));
        assertThrows(AccountRefused.class, () -> AccountKind.ofCode("BUYER"));
    }

    @Test
    void aFailedTransactionLeavesNoAccountBehind() throws Exception {
        assertThrows(SQLException.class, () -> store.transaction(c -> {
            try {
                accounts.create(AccountKind.OWNER, "Mary");
            } catch (AccountRefused e) {
                throw new AssertionError(e);
            }
            throw new SQLException("the caller's later step fails");
        }));
        assertEquals(List.of("0"), column("SELECT COUNT(*) FROM accounts"));
        assertEquals(List.of("0"), column("SELECT COUNT(*) FROM api_tokens"));
    }

    private List<String> column(String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = store.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
