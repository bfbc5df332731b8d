-- What a host's owner directs its agent to do (web console / API): a usage policy to run under and whether
-- the host is paused. The agent receives it with every heartbeat answer; revision grows with every change,
-- so the agent and the console can tell a new directive from one already seen. Policy columns are all null
-- when the owner has not set a policy (the agent keeps its own). accepted_categories is a comma-separated
-- subset of compute,storage,streaming (empty: every kind).
-- Each statement can re-run (H2 commits DDL statement by statement).
CREATE TABLE IF NOT EXISTS host_directives (
    host_id                        VARCHAR(64)              PRIMARY KEY REFERENCES hosts (id),
    owner_id                       VARCHAR(64)              NOT NULL REFERENCES accounts (id),
    revision                       BIGINT                   NOT NULL CHECK (revision >= 1),
    paused                         BOOLEAN                  NOT NULL,
    max_cpu_share                  DOUBLE PRECISION,
    storage_quota_bytes            BIGINT,
    bandwidth_cap_bytes_per_second BIGINT,
    accepted_categories            VARCHAR(200),
    minimum_price_per_hour_micros  BIGINT,
    updated                        TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS host_directives_owner ON host_directives (owner_id);
