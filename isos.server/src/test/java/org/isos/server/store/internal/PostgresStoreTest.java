package org.isos.server.store.internal;

import java.util.HashMap;
import java.util.Map;

import org.isos.server.PostgresCluster;
import org.isos.server.store.Store;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The same contract on PostgreSQL: a throwaway cluster in a temporary directory, one new database per
 * test. Skipped (with the reason) where PostgreSQL is not installed.
 */
class PostgresStoreTest extends StoreContract {

    private static PostgresCluster cluster;
    private Map<String, Object> database;

    @BeforeAll
    static void cluster() throws Exception {
        cluster = PostgresCluster.shared();
    }

    @BeforeEach
    void newDatabase() throws Exception {
        database = new HashMap<>(Map.of("url", cluster.newDatabase(), "user", "isos", "password", ""));
    }

    @Override
    Map<String, Object> database() {
        return database;
    }

    @Override
    Store.Dialect expectedDialect() {
        return Store.Dialect.POSTGRESQL;
    }
}
