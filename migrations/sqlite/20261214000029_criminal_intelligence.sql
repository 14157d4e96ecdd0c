-- 28 CFR Part 23: documents and records flagged as criminal intelligence, their
-- five-yearly reviews, and the dissemination record, which outlives a purge.

-- A partner organisation registered as a law-enforcement agency may receive criminal
-- intelligence.
ALTER TABLE partners ADD COLUMN law_enforcement INTEGER NOT NULL DEFAULT 0 CHECK (law_enforcement IN (0, 1));

-- One flag per item: a document family or a record. `title` is the item's title when last
-- flagged or reviewed, kept for the reports after the item is purged. `review_due` is five
-- years after submission, or after the last review that retained it.
CREATE TABLE intel_flags (
    org_id            TEXT NOT NULL REFERENCES organizations(id),
    item_kind         TEXT NOT NULL CHECK (item_kind IN ('document', 'record')),
    item_id           TEXT NOT NULL,
    title             TEXT NOT NULL,
    submitting_agency TEXT NOT NULL,
    reliability       TEXT NOT NULL CHECK (reliability IN ('A', 'B', 'C', 'D')),
    validity          TEXT NOT NULL CHECK (validity IN ('1', '2', '3', '4')),
    submitted_at      BIGINT NOT NULL,
    review_due        BIGINT NOT NULL,
    flagged_by        TEXT NOT NULL REFERENCES users(id),
    updated_at        BIGINT NOT NULL,
    purged_at         BIGINT,
    PRIMARY KEY (org_id, item_kind, item_id)
);
CREATE INDEX intel_flags_due ON intel_flags (org_id, review_due);

-- Each review's decision: retained (for five more years) or purged, with the reason.
CREATE TABLE intel_reviews (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    item_kind   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('retained', 'purged')),
    reason      TEXT NOT NULL,
    reviewer    TEXT NOT NULL REFERENCES users(id),
    decided_at  BIGINT NOT NULL,
    next_due    BIGINT
);
CREATE INDEX intel_reviews_item ON intel_reviews (org_id, item_kind, item_id, decided_at);

-- Who received what, when, why and under which justification: one row per recipient of a
-- share that carried a flagged item. No foreign key to the share or the item: the record
-- is kept when they are purged, so it names them as they were.
CREATE TABLE disseminations (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES organizations(id),
    share_id          TEXT NOT NULL,
    item_kind         TEXT NOT NULL,
    item_id           TEXT NOT NULL,
    item_title        TEXT NOT NULL,
    submitting_agency TEXT NOT NULL,
    reliability       TEXT NOT NULL,
    validity          TEXT NOT NULL,
    recipient_name    TEXT NOT NULL,
    recipient_email   TEXT NOT NULL,
    partner_id        TEXT NOT NULL,
    partner_name      TEXT NOT NULL,
    justification     TEXT NOT NULL,
    shared_by         TEXT NOT NULL,
    shared_by_name    TEXT NOT NULL,
    shared_at         BIGINT NOT NULL
);
CREATE INDEX disseminations_org ON disseminations (org_id, shared_at);
CREATE INDEX disseminations_item ON disseminations (org_id, item_kind, item_id);
