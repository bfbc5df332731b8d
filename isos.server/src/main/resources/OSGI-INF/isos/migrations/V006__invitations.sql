-- Invitations to open an account when signup is 'invite' (org.isos.server.signup): one account of the kind
-- named, once, before expires. Codes are stored as the hex SHA-256 of the code, as tokens are. And an index for matching.
-- issued_by: the inviting owner's account id, or 'operator'. Every statement can re-run.
CREATE TABLE IF NOT EXISTS invitations (
    code_hash   VARCHAR(64)              PRIMARY KEY,
    kind        VARCHAR(16)              NOT NULL CHECK (kind IN ('owner', 'buyer')),
    issued_by   VARCHAR(64)              NOT NULL,
    created     TIMESTAMP WITH TIME ZONE NOT NULL,
    expires     TIMESTAMP WITH TIME ZONE NOT NULL,
    used_by     VARCHAR(64)              REFERENCES accounts (id),
    used        TIMESTAMP WITH TIME ZONE
);
CREATE INDEX IF NOT EXISTS invitations_issued_by ON invitations (issued_by, created);

-- Matching asks, per candidate host and per owner, whether a running lease of the requested bundle is there:
-- without this index PostgreSQL scanned the whole leases table for it (RegistryBench, 100,000 hosts).
CREATE INDEX IF NOT EXISTS leases_bundle_state ON leases (bundle_sha256, state, owner_id);
