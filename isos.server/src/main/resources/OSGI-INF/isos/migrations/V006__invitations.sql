-- Invitations to open an account when signup is 'invite' (org.isos.server.signup): one account of the kind
-- named, once, before expires. Codes are stored as the hex SHA-256 of the code, as tokens are.
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
