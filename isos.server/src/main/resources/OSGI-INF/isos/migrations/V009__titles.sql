-- Streaming titles (issue 6): a provider's published manifest, the leases that hold its fragments, its price per
-- view, and the views sold. Each statement can re-run (H2 commits DDL statement by statement).

-- A title: the manifest is the publisher's JSON as published (UTF-8, compact), opaque but for the leases it names
-- (title_leases), its k (needed_leases: how many of them must run for it to play) and its size.
CREATE TABLE IF NOT EXISTS titles (
    name                  VARCHAR(100)             PRIMARY KEY,
    provider_id           VARCHAR(64)              NOT NULL REFERENCES accounts (id),
    price_per_view_micros BIGINT                   NOT NULL CHECK (price_per_view_micros >= 0),
    needed_leases         INTEGER                  NOT NULL CHECK (needed_leases >= 1),
    size_bytes            BIGINT                   NOT NULL CHECK (size_bytes >= 0),
    manifest_bytes        INTEGER                  NOT NULL,
    manifest              BYTEA                    NOT NULL,
    created               TIMESTAMP WITH TIME ZONE NOT NULL,
    updated               TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS titles_provider ON titles (provider_id);

-- The leases a title's manifest names (its holders), for its availability.
CREATE TABLE IF NOT EXISTS title_leases (
    title    VARCHAR(100) NOT NULL REFERENCES titles (name),
    lease_id VARCHAR(64)  NOT NULL REFERENCES leases (id),
    PRIMARY KEY (title, lease_id)
);

-- A view sold: one per viewer and view id (the viewer's, or the server's), paid by the bank transfer
-- transfer_id ('view:<viewer>:<view id>') in the same transaction.
CREATE TABLE IF NOT EXISTS title_views (
    viewer_id    VARCHAR(64)              NOT NULL REFERENCES accounts (id),
    view_id      VARCHAR(100)             NOT NULL,
    title        VARCHAR(100)             NOT NULL REFERENCES titles (name),
    transfer_id  VARCHAR(200)             NOT NULL,
    price_micros BIGINT                   NOT NULL,
    fee_micros   BIGINT                   NOT NULL,
    posted       TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (viewer_id, view_id)
);
CREATE INDEX IF NOT EXISTS title_views_title ON title_views (title);
