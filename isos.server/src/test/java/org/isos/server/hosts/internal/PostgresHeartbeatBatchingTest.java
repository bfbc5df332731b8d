package org.isos.server.hosts.internal;

import java.util.Map;

import org.isos.server.PostgresCluster;
import org.junit.jupiter.api.BeforeAll;

/** {@link HeartbeatBatchingTest} on PostgreSQL: a throwaway cluster, a new database per test; skipped without PostgreSQL. */
class PostgresHeartbeatBatchingTest extends HeartbeatBatchingTest {

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
