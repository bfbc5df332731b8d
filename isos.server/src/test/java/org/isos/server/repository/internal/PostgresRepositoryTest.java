package org.isos.server.repository.internal;

import java.util.Map;

import org.isos.server.PostgresCluster;
import org.junit.jupiter.api.BeforeAll;

/** {@link RepositoryTest} on PostgreSQL (BYTEA): a throwaway cluster, a new database per test; skipped without it. */
class PostgresRepositoryTest extends RepositoryTest {

    private static PostgresCluster cluster;

    @BeforeAll
    static void cluster() throws Exception {
        cluster = PostgresCluster.shared();
    }

    @Override
    Map<String, Object> database() throws Exception {
        return Map.of("url", cluster.newDatabase(), "user", "isos", "password", "");
    }
}
