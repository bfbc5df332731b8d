-- Jobs (issue 4): a buyer's job of work units for its app, the replicas issued to hosts, and each host's
-- trust per app. Each statement can re-run (H2 commits DDL statement by statement), hence IF NOT EXISTS.

-- A job: the buyer's signed app (bundle SHA-256) and its kind of work, the replication policy
-- (min_quorum agreeing results, at most max_replicas issued per unit) and the per-replica deadline;
-- remaining: the buyer's units not yet VALIDATED or ERROR (the job is DONE at 0).
CREATE TABLE IF NOT EXISTS jobs (
    id               VARCHAR(64)  PRIMARY KEY,
    buyer_id         VARCHAR(200) NOT NULL,
    app_sha256       CHAR(64)     NOT NULL,
    app_kind         VARCHAR(32)  NOT NULL,
    min_quorum       INTEGER      NOT NULL CHECK (min_quorum >= 1),
    max_replicas     INTEGER      NOT NULL CHECK (max_replicas >= min_quorum),
    deadline_seconds INTEGER      NOT NULL CHECK (deadline_seconds >= 1),
    units            INTEGER      NOT NULL,
    remaining        INTEGER      NOT NULL,
    state            VARCHAR(16)  NOT NULL CHECK (state IN ('RUNNING', 'DONE')),
    created          TIMESTAMP WITH TIME ZONE NOT NULL,
    finished         TIMESTAMP WITH TIME ZONE
);
CREATE INDEX IF NOT EXISTS jobs_buyer ON jobs (buyer_id);

-- A work unit. seq is the dispatch order (spot checks are placed among the buyer's units at random);
-- position is the buyer's index (-1 for a spot check, whose expected result is known). wanted: replicas
-- the unit needs now; active: replicas issued and not yet reported, failed or timed out; issued: all ever.
CREATE TABLE IF NOT EXISTS job_units (
    job_id          VARCHAR(64)  NOT NULL,
    seq             INTEGER      NOT NULL,
    position        INTEGER      NOT NULL,
    name            VARCHAR(200) NOT NULL,
    input           BYTEA        NOT NULL,
    estimated_cost  BIGINT       NOT NULL CHECK (estimated_cost >= 0),
    expected        BYTEA,
    state           VARCHAR(16)  NOT NULL CHECK (state IN ('READY', 'IN_PROGRESS', 'VALIDATED', 'ERROR')),
    quorum          INTEGER      NOT NULL,
    wanted          INTEGER      NOT NULL,
    active          INTEGER      NOT NULL,
    issued          INTEGER      NOT NULL,
    result          BYTEA,
    error           VARCHAR(1000),
    PRIMARY KEY (job_id, seq)
);
-- state first: a lookup by (job_id, seq) must take the primary key, not walk this index over a whole job
CREATE INDEX IF NOT EXISTS job_units_ready ON job_units (state, job_id, seq);

-- One copy of a unit issued to a host. credit: the unit's estimated cost, granted only once validated.
CREATE TABLE IF NOT EXISTS job_replicas (
    id           VARCHAR(64)  PRIMARY KEY,
    job_id       VARCHAR(64)  NOT NULL,
    seq          INTEGER      NOT NULL,
    host_id      VARCHAR(200) NOT NULL,
    state        VARCHAR(16)  NOT NULL CHECK (state IN ('IN_PROGRESS', 'REPORTED', 'VALID', 'INVALID', 'FAILED', 'TIMED_OUT')),
    issued       TIMESTAMP WITH TIME ZONE NOT NULL,
    deadline     TIMESTAMP WITH TIME ZONE NOT NULL,
    reported     TIMESTAMP WITH TIME ZONE,
    result       BYTEA,
    credit       BIGINT       NOT NULL,
    credit_state VARCHAR(16)  NOT NULL CHECK (credit_state IN ('PENDING', 'GRANTED', 'FORFEITED'))
);
CREATE INDEX IF NOT EXISTS job_replicas_unit ON job_replicas (job_id, seq);
CREATE INDEX IF NOT EXISTS job_replicas_host ON job_replicas (host_id, job_id, state);

-- A host's record with one app (bundle): consecutive valid results (streak, reset by any invalid one),
-- totals, the quota of replicas it may hold at once (halved per invalid result), a ban, and its credit.
CREATE TABLE IF NOT EXISTS job_host_trust (
    host_id        VARCHAR(200) NOT NULL,
    app_sha256     CHAR(64)     NOT NULL,
    streak         INTEGER      NOT NULL,
    valid_total    INTEGER      NOT NULL,
    invalid_total  INTEGER      NOT NULL,
    timed_out      INTEGER      NOT NULL,
    quota          INTEGER      NOT NULL,
    banned         BOOLEAN      NOT NULL,
    credit         BIGINT       NOT NULL,
    forfeited      BIGINT       NOT NULL,
    PRIMARY KEY (host_id, app_sha256)
);
