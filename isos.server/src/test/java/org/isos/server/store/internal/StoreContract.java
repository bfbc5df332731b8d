package org.isos.server.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.isos.server.TestConfigs;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the store must do on every database it supports; subclasses say which database and give
 * each test a fresh one.
 */
abstract class StoreContract {

    @TempDir
    Path data;

    /** The store configuration of this test's fresh database (the same on every call within a test). */
    abstract Map<String, Object> database() throws Exception;

    abstract Store.Dialect expectedDialect();

    JdbcStore open() throws Exception {
        return open(Migrations.bundled());
    }

    JdbcStore open(List<Migration> migrations) throws Exception {
        return new JdbcStore(TestConfigs.of(StoreConfig.class, database()), new ServerHome(data), migrations);
    }

    @Test
    void migrationsApplyOnceAndAgainNothingChanges() throws Exception {
        int latest = Migrations.bundled().size();
        List<String> firstRun;
        try (JdbcStore store = open()) {
            assertEquals(expectedDialect(), store.dialect());
            assertEquals(latest, store.schemaVersion());
            firstRun = versions(store);
            assertEquals(latest, firstRun.size(), "one schema_version row per migration: " + firstRun);
            store.transaction(c -> {
                insertAccount(c, "owner-1", "owner");
                return null;
            });
        }
        try (JdbcStore again = open()) {
            assertEquals(latest, again.schemaVersion());
            assertEquals(firstRun, versions(again), "a restart applies nothing and records nothing");
            try (Connection c = again.connection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT name FROM accounts WHERE id = 'owner-1'")) {
                assertTrue(rs.next(), "data written before the restart is still there");
            }
        }
    }

    @Test
    void schemaHasWhatTheIssueNeedsFirst() throws Exception {
        try (JdbcStore store = open()) {
            store.transaction(c -> {
                insertAccount(c, "owner-1", "owner");
                insertAccount(c, "buyer-1", "buyer");
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO api_tokens (token_hash, account_id, created) VALUES (?, ?, ?)")) {
                    p.setString(1, "ab".repeat(32));
                    p.setString(2, "owner-1");
                    p.setObject(3, now());
                    p.executeUpdate();
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO certificates (serial, subject, common_name, "
                        + "kind, issued, expires, pem) VALUES ('1f', 'CN=host-1', 'host-1', 'host', ?, ?, 'PEM')")) {
                    p.setObject(1, now());
                    p.setObject(2, now().plusDays(1));
                    p.executeUpdate();
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO hosts (id, owner_id, certificate_serial, "
                        + "description, created) VALUES ('host-1', 'owner-1', '1f', ?, ?)")) {
                    p.setString(1, "{\"cpu\":{\"cores\":8},\"memory\":" + "1".repeat(20000) + "}");
                    p.setObject(2, now());
                    p.executeUpdate();
                }
                return null;
            });
            try (Connection c = store.connection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT status, last_heartbeat, description FROM hosts")) {
                assertTrue(rs.next());
                assertEquals("ENROLLING", rs.getString("status"));
                assertEquals(null, rs.getObject("last_heartbeat"));
                assertTrue(rs.getString("description").startsWith("{\"cpu\""));
            }
            SQLException badKind = assertThrows(SQLException.class, () -> store.transaction(c -> {
                insertAccount(c, "robot-1", "robot");
                return null;
            }));
            assertEquals("23", badKind.getSQLState().substring(0, 2), "a check constraint: " + badKind);
            assertThrows(SQLException.class, () -> store.transaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO hosts (id, owner_id, created) VALUES ('h', 'nobody', CURRENT_TIMESTAMP)");
                }
                return null;
            }), "a host needs an existing owner");
        }
    }

    @Test
    void aNewerSchemaIsRefused() throws Exception {
        try (JdbcStore store = open()) {
            store.transaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO schema_version (version, description, checksum, applied) "
                            + "VALUES (99, 'from the future', 'x', CURRENT_TIMESTAMP)");
                }
                return null;
            });
        }
        IllegalStateException refused = assertThrows(IllegalStateException.class, this::open);
        assertTrue(refused.getMessage().contains("at version 99, newer than this server"), refused.getMessage());
        assertTrue(refused.getMessage().contains("versions up to " + Migrations.bundled().size()), refused.getMessage());
    }

    @Test
    void v011TurnsPastViewPaymentsIntoTheViewKindAndAllowsItFromThenOn() throws Exception {
        List<Migration> all = Migrations.bundled();
        assertEquals("V011__ledger_view_kind.sql", all.get(10).file());
        try (JdbcStore before = open(all.subList(0, 10))) {
            before.transaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("INSERT INTO ledger_accounts (id, kind, balance_micros, created) VALUES "
                            + "('viewer', 'account', 0, CURRENT_TIMESTAMP), ('acme', 'account', 0, CURRENT_TIMESTAMP)");
                    s.executeUpdate("INSERT INTO ledger_transfers (id, kind, request, amount_micros, paid_micros, "
                            + "fee_micros, short_micros, memo, posted) VALUES ('view:viewer:v1', 'usage', "
                            + "'view title=t viewer=viewer provider=acme amount=10', 10, 10, 1, 0, 'm', CURRENT_TIMESTAMP), "
                            + "('usage:l1:1', 'usage', 'usage buyer=viewer lease=l1', 5, 5, 0, 0, 'm', CURRENT_TIMESTAMP)");
                    s.executeUpdate("INSERT INTO ledger_entries (transfer_id, ledger_account, kind, amount_micros) "
                            + "VALUES ('view:viewer:v1', 'viewer', 'usage', -10), ('view:viewer:v1', 'acme', 'usage', 9), "
                            + "('view:viewer:v1', 'isos:fees', 'fee', 1), ('usage:l1:1', 'acme', 'usage', 5)");
                }
                return null;
            });
            try (Connection c = before.connection(); Statement s = c.createStatement()) {
                assertThrows(SQLException.class, () -> s.executeUpdate("INSERT INTO ledger_entries (transfer_id, "
                        + "ledger_account, kind, amount_micros) VALUES ('usage:l1:1', 'acme', 'view', 1)"),
                        "V004 knows no 'view'");
            }
        }
        try (JdbcStore after = open(all.subList(0, 11)); Connection c = after.connection();
                Statement s = c.createStatement()) {
            assertEquals(11, after.schemaVersion());
            List<String> kinds = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT t.kind, e.kind, e.amount_micros FROM ledger_entries e JOIN "
                    + "ledger_transfers t ON t.id = e.transfer_id ORDER BY e.id")) {
                while (rs.next()) {
                    kinds.add(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getLong(3));
                }
            }
            assertEquals(List.of("view/view/-10", "view/view/9", "view/fee/1", "usage/usage/5"), kinds);
            s.executeUpdate("INSERT INTO ledger_entries (transfer_id, ledger_account, kind, amount_micros) VALUES "
                    + "('view:viewer:v1', 'acme', 'view', 1)");
            assertThrows(SQLException.class, () -> s.executeUpdate("INSERT INTO ledger_entries (transfer_id, "
                    + "ledger_account, kind, amount_micros) VALUES ('usage:l1:1', 'acme', 'bribe', 1)"));
            assertThrows(SQLException.class, () -> s.executeUpdate("UPDATE ledger_transfers SET kind = 'fee' WHERE "
                    + "id = 'usage:l1:1'"), "a transfer is never of kind fee");
            assertThrows(SQLException.class, () -> s.executeUpdate("UPDATE ledger_transfers SET kind = NULL WHERE "
                    + "id = 'usage:l1:1'"));
        }
    }

    @Test
    void anAppliedMigrationThatChangedIsRefused() throws Exception {
        open().close();
        List<Migration> edited = new ArrayList<>(Migrations.bundled());
        Migration first = edited.get(0);
        edited.set(0, new Migration(1, first.description(), first.file(), first.statements(), "0".repeat(64)));
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> open(edited));
        assertTrue(refused.getMessage().contains(first.file() + " was changed after it was applied"), refused.getMessage());
    }

    @Test
    void aLaterMigrationIsAppliedOnTopAndAFailedOneLeavesNoTrace() throws Exception {
        open().close();
        List<Migration> more = new ArrayList<>(Migrations.bundled());
        int next = more.size() + 1;
        List<Migration> broken = new ArrayList<>(more);
        broken.add(new Migration(next, "broken", "V" + next + "__broken.sql",
                List.of("CREATE TABLE half_done (id INTEGER PRIMARY KEY)", "INSERT INTO no_such_table VALUES (1)"),
                "b".repeat(64)));
        SQLException failed = assertThrows(SQLException.class, () -> open(broken));
        assertTrue(failed.getMessage().contains("V" + next + "__broken.sql failed at: INSERT INTO no_such_table"),
                failed.getMessage());
        more.add(new Migration(next, "widgets", "V" + next + "__widgets.sql",
                List.of("CREATE TABLE widgets (id INTEGER PRIMARY KEY)", "INSERT INTO widgets VALUES (1)"),
                "c".repeat(64)));
        try (JdbcStore store = open(more)) {
            assertEquals(next, store.schemaVersion());
            assertEquals(next, versions(store).size());
            assertEquals(1, count(store, "widgets"));
        }
    }

    @Test
    void aFailedTransactionLeavesNothingBehind() throws Exception {
        try (JdbcStore store = open()) {
            RuntimeException boom = assertThrows(RuntimeException.class, () -> store.transaction(c -> {
                insertAccount(c, "a-1", "owner");
                insertAccount(c, "a-2", "owner");
                throw new RuntimeException("boom");
            }));
            assertEquals("boom", boom.getMessage());
            assertThrows(SQLException.class, () -> store.transaction(c -> {
                insertAccount(c, "a-3", "owner");
                insertAccount(c, "a-3", "owner"); // duplicate key
                return null;
            }));
            assertEquals(0, count(store, "accounts"), "both transactions rolled back entirely");
            store.transaction(c -> {
                insertAccount(c, "a-4", "owner");
                insertAccount(c, "a-5", "buyer");
                return null;
            });
            assertEquals(2, count(store, "accounts"));
        }
    }

    @Test
    void nestedTransactionsJoinTheOuterOne() throws Exception {
        try (JdbcStore store = open()) {
            assertThrows(IllegalStateException.class, () -> store.transaction(outer -> {
                insertAccount(outer, "n-1", "owner");
                store.transaction(inner -> {
                    assertTrue(inner == outer, "the same connection");
                    insertAccount(inner, "n-2", "owner");
                    return null;
                });
                throw new IllegalStateException("outer fails after the inner one returned");
            }));
            assertEquals(0, count(store, "accounts"), "the inner work rolled back with the outer");
            assertThrows(IllegalStateException.class, () -> store.transaction(outer -> store.serializable(inner -> null)),
                    "SERIALIZABLE cannot join READ COMMITTED");
        }
    }

    @Test
    void serializationFailuresAreRetriedOtherErrorsAreNot() throws Exception {
        try (JdbcStore store = open()) {
            AtomicInteger attempts = new AtomicInteger();
            String result = store.transaction(c -> {
                insertAccount(c, "r-" + attempts.get(), "buyer");
                if (attempts.incrementAndGet() < 3) {
                    throw new SQLException("could not serialize access", "40001");
                }
                return "done";
            });
            assertEquals("done", result);
            assertEquals(3, attempts.get());
            assertEquals(1, count(store, "accounts"), "only the successful attempt's row is left");

            AtomicInteger once = new AtomicInteger();
            assertThrows(SQLException.class, () -> store.transaction(c -> {
                once.incrementAndGet();
                throw new SQLException("duplicate key", "23505");
            }));
            assertEquals(1, once.get());
        }
    }

    @Test
    void concurrentSerializableUpdatesAreAllCounted() throws Exception {
        try (JdbcStore store = open()) {
            store.transaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE counter_test (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
                    s.execute("INSERT INTO counter_test VALUES (1, 0)");
                }
                return null;
            });
            int threads = 4;
            int each = 25;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < each; i++) {
                            store.serializable(c -> {
                                int n;
                                try (Statement s = c.createStatement();
                                        ResultSet rs = s.executeQuery("SELECT n FROM counter_test WHERE id = 1")) {
                                    rs.next();
                                    n = rs.getInt(1);
                                }
                                try (PreparedStatement u = c.prepareStatement("UPDATE counter_test SET n = ? WHERE id = 1")) {
                                    u.setInt(1, n + 1);
                                    u.executeUpdate();
                                }
                                return null;
                            });
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            try (Connection c = store.connection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT n FROM counter_test WHERE id = 1")) {
                rs.next();
                assertEquals(threads * each, rs.getInt(1), "no lost update");
            }
        }
    }

    @Test
    void connectionsGoBackToThePoolAndThePoolIsBounded() throws Exception {
        Map<String, Object> small = new java.util.HashMap<>(database());
        small.put("poolSize", 2);
        small.put("connectionTimeoutSeconds", 1);
        try (JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, small), new ServerHome(data),
                Migrations.bundled())) {
            Connection a = store.connection();
            Connection b = store.connection();
            SQLException exhausted = assertThrows(SQLException.class, store::connection);
            assertTrue(exhausted.getMessage().contains("no database connection became free"), exhausted.getMessage());
            a.setAutoCommit(false);
            a.close();
            a.close(); // twice is harmless
            assertTrue(a.isClosed());
            assertThrows(SQLException.class, a::createStatement);
            try (Connection c = store.connection()) {
                assertTrue(c.getAutoCommit(), "a returned connection is reset to auto-commit");
                assertFalse(c.isClosed());
            }
            b.close();
        }
    }

    static void insertAccount(Connection c, String id, String kind) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO accounts (id, kind, name, created) VALUES (?, ?, ?, ?)")) {
            p.setString(1, id);
            p.setString(2, kind);
            p.setString(3, "Account " + id);
            p.setObject(4, now());
            p.executeUpdate();
        }
    }

    static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    static int count(Store store, String table) throws SQLException {
        try (Connection c = store.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    static List<String> versions(Store store) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = store.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT version, checksum, applied FROM schema_version ORDER BY version")) {
            while (rs.next()) {
                rows.add(rs.getInt(1) + " " + rs.getString(2) + " " + rs.getObject(3, OffsetDateTime.class).toInstant());
            }
        }
        return rows;
    }
}
