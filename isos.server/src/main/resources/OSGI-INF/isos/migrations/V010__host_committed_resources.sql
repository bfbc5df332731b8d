-- What each host's running leases (PENDING and ACTIVE: the states that hold resources) take of its policy,
-- kept on the host's row so that matching compares policy - committed without summing leases per host.
-- JdbcLeases sets them, in the transaction that changes the host's leases, to the sums over those leases.
-- The matching index: the qualifying hosts in reserve-price order (the query reads the cheapest few hundred);
-- hosts_matching (max_cpu_share before the price) served the old query, which had to rank every host.
-- Each statement can re-run (H2 commits DDL statement by statement).
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS committed_cpu_share DOUBLE PRECISION DEFAULT 0 NOT NULL;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS committed_storage_bytes BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS committed_bandwidth_bytes_per_second BIGINT DEFAULT 0 NOT NULL;
UPDATE hosts SET
    committed_cpu_share = COALESCE((SELECT SUM(l.cpu_share) FROM leases l
        WHERE l.host_id = hosts.id AND l.state IN ('PENDING', 'ACTIVE')), 0),
    committed_storage_bytes = COALESCE((SELECT SUM(l.storage_bytes) FROM leases l
        WHERE l.host_id = hosts.id AND l.state IN ('PENDING', 'ACTIVE')), 0),
    committed_bandwidth_bytes_per_second = COALESCE((SELECT SUM(l.bandwidth_bytes_per_second) FROM leases l
        WHERE l.host_id = hosts.id AND l.state IN ('PENDING', 'ACTIVE')), 0);
DROP INDEX IF EXISTS hosts_matching;
CREATE INDEX IF NOT EXISTS hosts_match_price ON hosts (status, suspended, minimum_price_per_hour_micros, id);
