-- The status a host reported in its last heartbeat (all null until its first heartbeat): whether it is
-- suspended, why (the agent's text, at most 1000 characters) and how many apps it runs; and an index for
-- the liveness sweep (ONLINE hosts whose last_heartbeat is too old become OFFLINE).
-- Each statement can re-run (H2 commits DDL statement by statement).
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS suspended BOOLEAN;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS suspended_reason VARCHAR(1000);
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS apps INTEGER;
CREATE INDEX IF NOT EXISTS hosts_status_heartbeat ON hosts (status, last_heartbeat);
