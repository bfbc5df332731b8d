-- What matching needs beside CPU, storage and bandwidth: memory, availability and the owner's hours.
-- memory_bytes: the host's physical memory as its description reports it (memoryBytes), null until known;
-- committed_memory_bytes: what its running leases (PENDING, ACTIVE) hold of it, kept like the other committed_*.
-- availability_clock (epoch seconds): the host's availability, an exponentially weighted share of time it was
-- ONLINE and not suspended (time constant one day), in one number: while it is available its availability is
-- 1 - exp(-(now - clock) / 1 day), while not exp(-(now - clock) / 1 day); only status changes rewrite it (null:
-- no history, availability 0).
-- allowed_hours: the owner's allowed hours in UTC as reported (e.g. "22:00-06:00,12:00-13:00"; "" any time);
-- allowed_slots: the same as 96 quarter-hours of the UTC day, '1' where the whole quarter-hour is allowed;
-- minimum_price_outside_hours_micros: the owner's reserve outside those hours (0: no work there). All three
-- null until the host reports them.
-- Each statement can re-run (H2 commits DDL statement by statement).
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS memory_bytes BIGINT;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS committed_memory_bytes BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS availability_clock DOUBLE PRECISION;
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS allowed_hours VARCHAR(1000);
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS allowed_slots VARCHAR(96);
ALTER TABLE hosts ADD COLUMN IF NOT EXISTS minimum_price_outside_hours_micros BIGINT;
UPDATE hosts SET committed_memory_bytes = COALESCE((SELECT SUM(l.memory_bytes) FROM leases l
    WHERE l.host_id = hosts.id AND l.state IN ('PENDING', 'ACTIVE')), 0);
-- hosts available now start their history now (availability 0, rising)
UPDATE hosts SET availability_clock = EXTRACT(EPOCH FROM CURRENT_TIMESTAMP)
    WHERE availability_clock IS NULL AND status = 'ONLINE' AND suspended IS NOT TRUE;
