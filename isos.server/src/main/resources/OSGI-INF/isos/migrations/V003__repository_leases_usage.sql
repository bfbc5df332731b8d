-- Bundles in the repository, leases and the usage records paid under them.
-- Every statement can re-run (H2 commits DDL statement by statement).

-- What a host reported with its last heartbeat, in columns so that matching is one indexed query:
-- its kernel transport address (host:port, for app clients) and its owner's policy. A host that has not
-- reported a policy (all null) is never matched.
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS transport_address VARCHAR(300);
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS max_cpu_share DOUBLE PRECISION;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS storage_quota_bytes BIGINT;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS bandwidth_cap_bytes_per_second BIGINT;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS accepts_compute BOOLEAN;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS accepts_storage BOOLEAN;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS accepts_streaming BOOLEAN;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS minimum_price_per_hour_micros BIGINT;
-- matching: ONLINE, not suspended, with room for the CPU share, cheapest reserve first
CREATE INDEX IF NOT EXISTS hosts_matching ON hosts (status, suspended, max_cpu_share, minimum_price_per_hour_micros);

-- The repository: admitted jars by digest. The bytes are in the row (BYTEA: PostgreSQL's binary type, an
-- alias of BINARY VARYING in H2, up to 1 GB there; uploads are at most 64 MiB), so a bundle and its row
-- commit together on every store; listings never select the content column.
CREATE TABLE IF NOT EXISTS bundles (
    sha256        CHAR(64)                 PRIMARY KEY,
    buyer_id      VARCHAR(64)              NOT NULL REFERENCES accounts (id),
    symbolic_name VARCHAR(255)             NOT NULL,
    version       VARCHAR(255)             NOT NULL,
    size_bytes    BIGINT                   NOT NULL,
    uploaded      TIMESTAMP WITH TIME ZONE NOT NULL,
    content       BYTEA                    NOT NULL
);
CREATE INDEX IF NOT EXISTS bundles_buyer ON bundles (buyer_id, uploaded);

-- Leases: a bundle run by one host for one buyer at a price per hour until expiry.
CREATE TABLE IF NOT EXISTS leases (
    id                          VARCHAR(64)              PRIMARY KEY,
    buyer_id                    VARCHAR(64)              NOT NULL REFERENCES accounts (id),
    host_id                     VARCHAR(64)              NOT NULL REFERENCES hosts (id),
    owner_id                    VARCHAR(64)              NOT NULL REFERENCES accounts (id),
    bundle_sha256               CHAR(64)                 NOT NULL REFERENCES bundles (sha256),
    app                         VARCHAR(255)             NOT NULL,
    state                       VARCHAR(16)              NOT NULL,
    reason                      VARCHAR(1000),
    category                    VARCHAR(16),
    cpu_share                   DOUBLE PRECISION         NOT NULL,
    memory_bytes                BIGINT                   NOT NULL,
    storage_bytes               BIGINT                   NOT NULL,
    bandwidth_bytes_per_second  BIGINT                   NOT NULL,
    price_per_hour_micros       BIGINT                   NOT NULL,
    renewals                    INTEGER                  NOT NULL DEFAULT 0,
    created                     TIMESTAMP WITH TIME ZONE NOT NULL,
    expiry                      TIMESTAMP WITH TIME ZONE NOT NULL,
    ended                       TIMESTAMP WITH TIME ZONE,
    CONSTRAINT leases_state CHECK (state IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'EXPIRED', 'RELEASED', 'FAILED'))
);
-- a host's running leases (matching, heartbeats) and the ones it should end (heartbeats)
CREATE INDEX IF NOT EXISTS leases_host_state ON leases (host_id, state);
CREATE INDEX IF NOT EXISTS leases_host_ended ON leases (host_id, ended);
CREATE INDEX IF NOT EXISTS leases_buyer ON leases (buyer_id, created);
CREATE INDEX IF NOT EXISTS leases_owner ON leases (owner_id, created);
-- the expiry sweep
CREATE INDEX IF NOT EXISTS leases_state_expiry ON leases (state, expiry);

-- Usage records as the host signed them, and what was paid for each (transfer usage:<lease>:<sequence>).
CREATE TABLE IF NOT EXISTS usage_records (
    lease_id             VARCHAR(64)              NOT NULL REFERENCES leases (id),
    sequence             BIGINT                   NOT NULL,
    host_id              VARCHAR(64)              NOT NULL,
    period_from          TIMESTAMP WITH TIME ZONE NOT NULL,
    period_to            TIMESTAMP WITH TIME ZONE NOT NULL,
    cpu_nanos            BIGINT                   NOT NULL,
    storage_byte_seconds DOUBLE PRECISION         NOT NULL,
    bytes_in             BIGINT                   NOT NULL,
    bytes_out            BIGINT                   NOT NULL,
    last_record          BOOLEAN                  NOT NULL,
    capped               BOOLEAN                  NOT NULL,
    signature            VARCHAR(1000)            NOT NULL,
    amount_micros        BIGINT                   NOT NULL,
    paid_micros          BIGINT                   NOT NULL,
    short_micros         BIGINT                   NOT NULL,
    settled              TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (lease_id, sequence)
);
