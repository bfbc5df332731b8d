package org.isos.server.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

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

    @Test
    void scriptsSplitOutsideQuotesAndWithoutComments() {
        assertEquals(List.of("CREATE TABLE t (a VARCHAR(5) DEFAULT 'x;y')", "INSERT INTO t VALUES ('--')"),
                Migrations.statements("-- a comment; with a semicolon\nCREATE TABLE t (a VARCHAR(5) DEFAULT 'x;y'); -- end\n"
                        + "INSERT INTO t VALUES ('--');\n\n"));
    }

    /**
     * H2 keeps parsed statements per session (QUERY_CACHE_SIZE), and any ROLLBACK empties that cache: the pool's
     * safety rollback on a committed connection did so after every transaction, so each statement was parsed again.
     * The same text in a later transaction on the same physical connection must reuse the parsed command.
     */
    @Test
    void aStatementIsParsedOnceNotAgainInEachTransaction() throws Exception {
        String sql = "SELECT version FROM schema_version WHERE version >= ?";
        try (JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of("poolSize", 1)),
                new ServerHome(data))) {
            Object first = store.transaction(c -> parsedCommand(c.prepareStatement(sql)));
            store.transaction(c -> parsedCommand(c.prepareStatement("SELECT ?")));
            store.serializable(c -> parsedCommand(c.prepareStatement(sql)));
            Object again = store.transaction(c -> parsedCommand(c.prepareStatement(sql)));
            assertSame(first, again, "a later transaction parsed the statement again");
        }
    }

    /**
     * H2 checks before every query whether it may hand back the previous result, walking the query's tables (an
     * eighth of a heartbeat's CPU); the server's queries almost never repeat with the same data, so it is off.
     */
    @Test
    void resultsAreNotCheckedForReuse() throws Exception {
        try (JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, Map.of()), new ServerHome(data))) {
            boolean reuse = store.transaction(c -> ((org.h2.engine.SessionLocal) c.unwrap(org.h2.jdbc.JdbcConnection.class)
                    .getSession()).getDatabase().getOptimizeReuseResults());
            assertFalse(reuse, "H2 still looks for reusable results before each query");
        }
    }

    /** Runs and closes a one-parameter query; returns H2's parsed command behind it. */
    private static Object parsedCommand(PreparedStatement statement) throws java.sql.SQLException {
        try (statement) {
            statement.setInt(1, 0);
            try (ResultSet r = statement.executeQuery()) {
                r.next();
            }
            Field command = org.h2.jdbc.JdbcPreparedStatement.class.getDeclaredField("command");
            command.setAccessible(true);
            return command.get(statement);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("H2's JdbcPreparedStatement has no field 'command' any more", e);
        }
    }
}
