-- Accounts, their API tokens, the hosts owners enroll, and the certificates the CA issues.
-- Times are TIMESTAMP WITH TIME ZONE (UTC, microseconds); ids are strings the server assigns.

CREATE TABLE accounts (
    id          VARCHAR(64)  PRIMARY KEY,
    kind        VARCHAR(16)  NOT NULL CHECK (kind IN ('owner', 'buyer')),
    name        VARCHAR(200) NOT NULL,
    created     TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Tokens are stored as the hex SHA-256 of the secret; the secret itself is shown once and never kept.
CREATE TABLE api_tokens (
    token_hash  VARCHAR(64)  PRIMARY KEY,
    account_id  VARCHAR(64)  NOT NULL REFERENCES accounts (id),
    created     TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked     TIMESTAMP WITH TIME ZONE
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- Every certificate the CA issued, the root included. serial is lower-case hex without leading zeros.
CREATE TABLE certificates (
    serial      VARCHAR(40)  PRIMARY KEY,
    subject     VARCHAR(400) NOT NULL,
    common_name VARCHAR(200) NOT NULL,
    kind        VARCHAR(16)  NOT NULL CHECK (kind IN ('root', 'host', 'buyer', 'server')),
    issued      TIMESTAMP WITH TIME ZONE NOT NULL,
    expires     TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at  TIMESTAMP WITH TIME ZONE,
    revocation_reason VARCHAR(200),
    pem         VARCHAR(8000) NOT NULL
);
CREATE INDEX certificates_common_name ON certificates (common_name);
CREATE INDEX certificates_revoked_at ON certificates (revoked_at);

-- Hosts: description is the agent's JSON (OSHI) as text; status ENROLLING until the first heartbeat.
CREATE TABLE hosts (
    id                 VARCHAR(64)  PRIMARY KEY,
    owner_id           VARCHAR(64)  NOT NULL REFERENCES accounts (id),
    certificate_serial VARCHAR(40)  REFERENCES certificates (serial),
    description        VARCHAR(1000000),
    status             VARCHAR(16)  NOT NULL DEFAULT 'ENROLLING'
                       CHECK (status IN ('ENROLLING', 'ONLINE', 'OFFLINE', 'SUSPENDED', 'RETIRED')),
    last_heartbeat     TIMESTAMP WITH TIME ZONE,
    created            TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX hosts_owner ON hosts (owner_id);
CREATE INDEX hosts_status ON hosts (status);
