-- Issue 6: view payments get their own ledger kind, 'view', instead of passing for metered 'usage'.
-- V004 declared the kinds as unnamed column CHECKs, which H2 and PostgreSQL name differently, so the column is
-- swapped for a new one with a named CHECK: dropping a column drops its own CHECK in both (and its index here).
-- Views paid before this (kind 'usage', request 'view title=...') become 'view' too, fees stay 'fee'.

ALTER TABLE ledger_transfers ADD COLUMN IF NOT EXISTS kind_v011 VARCHAR(16);
UPDATE ledger_transfers SET kind_v011 = CASE WHEN kind = 'usage' AND request LIKE 'view title=%' THEN 'view'
    ELSE kind END;
DROP INDEX IF EXISTS ledger_transfers_kind;
ALTER TABLE ledger_transfers DROP COLUMN IF EXISTS kind;
ALTER TABLE ledger_transfers RENAME COLUMN kind_v011 TO kind;
ALTER TABLE ledger_transfers ALTER COLUMN kind SET NOT NULL;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_v011
    CHECK (kind IN ('deposit', 'withdrawal', 'hold', 'release', 'usage', 'view'));
CREATE INDEX IF NOT EXISTS ledger_transfers_kind ON ledger_transfers (kind);

ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS kind_v011 VARCHAR(16);
UPDATE ledger_entries SET kind_v011 = CASE WHEN kind = 'usage' AND transfer_id IN
    (SELECT id FROM ledger_transfers WHERE kind = 'view') THEN 'view' ELSE kind END;
ALTER TABLE ledger_entries DROP COLUMN IF EXISTS kind;
ALTER TABLE ledger_entries RENAME COLUMN kind_v011 TO kind;
ALTER TABLE ledger_entries ALTER COLUMN kind SET NOT NULL;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_v011
    CHECK (kind IN ('deposit', 'withdrawal', 'hold', 'release', 'usage', 'view', 'fee'));
