-- Bundle updates of running leases (hot-swap, issue 7). leases.bundle_sha256 is the bundle the buyer wants
-- the lease to run; what its host runs is reported in heartbeats. Each statement can re-run.

-- the digest the host last reported running (null until it reports one: older agents never do)
ALTER TABLE leases ADD COLUMN IF NOT EXISTS running_bundle_sha256 CHAR(64);
-- why the host refused the latest update (the kernel's message; null when none was refused): the old version runs on
ALTER TABLE leases ADD COLUMN IF NOT EXISTS update_reason VARCHAR(1000);
-- when the buyer last asked for another bundle (null: never)
ALTER TABLE leases ADD COLUMN IF NOT EXISTS bundle_requested TIMESTAMP WITH TIME ZONE;

-- Every bundle a lease has been asked to run, so that a host may still fetch the one it runs and a job
-- created for an earlier version of the app keeps its hosts after an update.
CREATE TABLE IF NOT EXISTS lease_bundles (
    lease_id  VARCHAR(64)              NOT NULL REFERENCES leases (id),
    sha256    CHAR(64)                 NOT NULL REFERENCES bundles (sha256),
    requested TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (lease_id, sha256)
);
CREATE INDEX IF NOT EXISTS lease_bundles_sha256 ON lease_bundles (sha256, lease_id);
