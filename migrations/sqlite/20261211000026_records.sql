-- Data records (issue 14, part 1): structured JSON with typed fields, an ordered custody
-- history, links to other records (locations and organisations are records of those
-- kinds) and attached documents. What a guest sees of them is decided by
-- backend::domain::records::redaction alone.
--
-- `fields` and every `redacted` column are JSON: an object of named fields, and an array
-- of field paths (backend::domain::records::FieldPath) withheld from guests. `version`
-- counts edits of the record's own data, so two editors cannot overwrite each other.
CREATE TABLE records (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    kind         TEXT NOT NULL CHECK (kind IN ('item', 'location', 'organisation')),
    record_type  TEXT NOT NULL,
    title        TEXT NOT NULL,
    reference    TEXT,
    fields       TEXT NOT NULL,
    redacted     TEXT NOT NULL DEFAULT '[]',
    project_id   TEXT REFERENCES projects(id),
    version      BIGINT NOT NULL,
    created_by   TEXT NOT NULL REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (org_id, reference)
);
CREATE INDEX records_org_updated ON records (org_id, updated_at, id);
CREATE INDEX records_org_kind ON records (org_id, kind, title);

-- Custody history, oldest first by (occurred_at, position); `position` is the order events
-- were recorded in, unique per record.
CREATE TABLE record_events (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    record_id    TEXT NOT NULL REFERENCES records(id),
    position     BIGINT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    process      TEXT NOT NULL,
    actor        TEXT,
    holder_id    TEXT REFERENCES records(id),
    location_id  TEXT REFERENCES records(id),
    notes        TEXT,
    fields       TEXT NOT NULL DEFAULT '{}',
    redacted     TEXT NOT NULL DEFAULT '[]',
    UNIQUE (record_id, position)
);
CREATE INDEX record_events_org_record ON record_events (org_id, record_id, occurred_at);

CREATE TABLE record_links (
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    record_id  TEXT NOT NULL REFERENCES records(id),
    target_id  TEXT NOT NULL REFERENCES records(id),
    relation   TEXT NOT NULL,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (record_id, target_id, relation)
);

-- Documents attached by family: a guest is served the family's current revision. A private
-- document never reaches a guest.
CREATE TABLE record_documents (
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    record_id  TEXT NOT NULL REFERENCES records(id),
    family_id  TEXT NOT NULL REFERENCES documents(id),
    private    INTEGER NOT NULL CHECK (private IN (0, 1)),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (record_id, family_id)
);

-- Field names withheld from guests wherever they occur (compared folded: lower case, "-"
-- and spaces as "_"; `folded` holds that form).
CREATE TABLE redaction_rules (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    folded      TEXT NOT NULL,
    field_name  TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, folded)
);
