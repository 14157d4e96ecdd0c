-- Tamper-evident audit: each organisation's events form a hash chain. `seq` numbers an
-- organisation's events from 1 with no gaps; `hash` is the SHA-256 (hex) of the event's
-- fields together with `prev_hash`, the hash of the event before it (64 zeros for the first).
-- Events written before this migration are chained by the server at start (backend::audit::chain).
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_org_seq ON audit_events (org_id, seq);
CREATE INDEX audit_org_item ON audit_events (org_id, item_id, occurred_at);
CREATE INDEX audit_org_type ON audit_events (org_id, event_type, occurred_at);
CREATE INDEX audit_org_actor ON audit_events (org_id, actor_id, occurred_at);

-- The head of each organisation's chain. Appending an event updates this row first, so
-- concurrent appends for one organisation serialise on it (row lock / SQLite write lock)
-- and can never fork the chain. Deleting trailing events is detected against it.
CREATE TABLE audit_heads (
    org_id  TEXT PRIMARY KEY REFERENCES organizations(id),
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL
);
