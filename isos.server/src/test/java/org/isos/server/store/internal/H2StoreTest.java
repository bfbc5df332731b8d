package org.isos.server.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.isos.server.TestConfigs;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.Store;
import org.junit.jupiter.api.Test;

/** The store on its default: an embedded H2 file database in the data directory. */
class H2StoreTest extends StoreContract {

    @Override
    Map<String, Object> database() {
        return Map.of(); // every default: jdbc:h2:file:<data>/store/isos
    }

    @Override
    Store.Dialect expectedDialect() {
        return Store.Dialect.H2;
    }

    @Test
    void theDefaultDatabaseIsAnH2FileInTheDataDirectory() throws Exception {
        try (JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), new ServerHome(data))) {
            assertTrue(store.url().startsWith("jdbc:h2:file:" + data.resolve("store").resolve("isos")), store.url());
            assertTrue(store.url().contains("MODE=PostgreSQL"), store.url());
        }
        assertTrue(Files.exists(data.resolve("store").resolve("isos.mv.db")), "the database file is there");
    }

    @Test
    void theMigrationIndexNamesEveryMigrationFile() throws Exception {
        Path dir = Path.of("src/main/resources", Migrations.LOCATION);
        List<String> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).sorted()
                    .collect(Collectors.toList());
        }
        assertEquals(files, Migrations.bundled().stream().map(Migration::file).collect(Collectors.toList()));
    }

    /**
     * H2 empties a session's cache of parsed statements on any rollback, and the pool rolled back every connection
     * given back in manual-commit mode, so each transaction parsed all its statements again: a committed
     * transaction must hand its connection back with nothing to roll back. H2's parsed command behind a prepared
     * statement is read by reflection: the same object again means it came from the cache.
     */
    @Test
    void statementsParsedInOneTransactionAreReusedByTheNext() throws Exception {
        try (JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), new ServerHome(data))) {
            java.lang.reflect.Field command = org.h2.jdbc.JdbcPreparedStatement.class.getDeclaredField("command");
            command.setAccessible(true);
            String sql = "SELECT COUNT(*) FROM accounts WHERE kind = ?";
            List<Object> parsed = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                parsed.add(store.transaction(c -> {
                    try (java.sql.PreparedStatement s = c.prepareStatement(sql)) {
                        s.setString(1, "BUYER");
                        s.executeQuery().close();
                        return command.get(s.unwrap(org.h2.jdbc.JdbcPreparedStatement.class));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            assertSame(parsed.get(0), parsed.get(1), "parsed once, then taken from the session's cache");
            assertSame(parsed.get(1), parsed.get(2));
        }
    }

    @Test
    void scriptsSplitOutsideQuotesAndWithoutComments() {
        assertEquals(List.of("CREATE TABLE t (a VARCHAR(5) DEFAULT 'x;y')", "INSERT INTO t VALUES ('--')"),
                Migrations.statements("-- a comment; with a semicolon\nCREATE TABLE t (a VARCHAR(5) DEFAULT 'x;y'); -- end\n"
                        + "INSERT INTO t VALUES ('--');\n\n"));
    }
}
