-- Record shares (issue 14, part 2): a share covers documents (`document_id`, the first of
-- `share_documents`) or one data record (`record_id`), never both. SQLite cannot drop a
-- NOT NULL, so `shares` is rebuilt. The tables that refer to it keep their rows: foreign
-- keys are checked at the end of this migration's transaction (`defer_foreign_keys`), and
-- SQLite counts a reference as broken when its parent row is deleted and as mended when a
-- parent row with its key is inserted. So the rows are copied aside, the old table dropped,
-- the new one renamed into its place and only then filled: every reference is mended.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE shares_copy AS SELECT * FROM shares;

CREATE TABLE shares_v3 (
    id                       TEXT PRIMARY KEY,
    org_id                   TEXT NOT NULL REFERENCES organizations(id),
    selector                 TEXT NOT NULL UNIQUE,
    verifier_hash            TEXT NOT NULL,
    -- The whole link token sealed (AES-256-GCM) under the master key, which is not in the
    -- database: staff can copy the link again, yet the database holds no usable token.
    token_sealed             BLOB,
    method                   TEXT NOT NULL CHECK (method IN ('link', 'invitation', 'portal', 'federated')),
    document_id              TEXT REFERENCES documents(id),
    record_id                TEXT REFERENCES records(id),
    recipient_name           TEXT NOT NULL,
    recipient_email          TEXT NOT NULL,
    created_by               TEXT NOT NULL REFERENCES users(id),
    created_at               BIGINT NOT NULL,
    expires_at               BIGINT,
    max_access_count         BIGINT NOT NULL CHECK (max_access_count >= 0),
    access_count             BIGINT NOT NULL DEFAULT 0,
    require_acknowledgement  INTEGER NOT NULL CHECK (require_acknowledgement IN (0, 1)),
    tlp                      TEXT NOT NULL DEFAULT 'AMBER'
                             CHECK (tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')),
    -- JSON, backend::domain::ShareSettings.
    settings                 TEXT NOT NULL DEFAULT '{}',
    password_hash            TEXT,
    terms_id                 TEXT REFERENCES legal_terms(id),
    last_activity_at         BIGINT,
    revoked_at               BIGINT,
    revoked_by               TEXT REFERENCES users(id),
    expired_at               BIGINT,
    remind_at                BIGINT,
    reminder_sent_at         BIGINT,
    recipient_name_key       TEXT NOT NULL DEFAULT '',
    response_count           BIGINT NOT NULL DEFAULT 0,
    portal_id                TEXT REFERENCES portals(id),
    may_respond              BIGINT NOT NULL DEFAULT 0,
    comment_digest_due       BIGINT,
    comment_digest_sent_at   BIGINT,
    CHECK ((document_id IS NULL) <> (record_id IS NULL))
);
DROP TABLE shares;
ALTER TABLE shares_v3 RENAME TO shares;
INSERT INTO shares (id, org_id, selector, verifier_hash, token_sealed, method, document_id,
    recipient_name, recipient_email, created_by, created_at, expires_at, max_access_count,
    access_count, require_acknowledgement, tlp, settings, password_hash, terms_id,
    last_activity_at, revoked_at, revoked_by, expired_at, remind_at, reminder_sent_at,
    recipient_name_key, response_count, portal_id, may_respond, comment_digest_due,
    comment_digest_sent_at)
SELECT id, org_id, selector, verifier_hash, token_sealed, method, document_id,
    recipient_name, recipient_email, created_by, created_at, expires_at, max_access_count,
    access_count, require_acknowledgement, tlp, settings, password_hash, terms_id,
    last_activity_at, revoked_at, revoked_by, expired_at, remind_at, reminder_sent_at,
    recipient_name_key, response_count, portal_id, may_respond, comment_digest_due,
    comment_digest_sent_at
FROM shares_copy;
DROP TABLE shares_copy;

CREATE INDEX shares_org_created ON shares (org_id, created_at, id);
CREATE INDEX shares_org_expiry ON shares (org_id, (COALESCE(expires_at, 9223372036854775807)), id);
CREATE INDEX shares_org_count ON shares (org_id, access_count, id);
CREATE INDEX shares_org_document ON shares (org_id, document_id);
CREATE INDEX shares_org_record ON shares (org_id, record_id);
CREATE INDEX shares_org_creator ON shares (org_id, created_by, created_at, id);
CREATE INDEX shares_org_recipient ON shares (org_id, recipient_email);
CREATE INDEX shares_remind ON shares (remind_at);
CREATE INDEX shares_org_email ON shares (org_id, recipient_email);
CREATE INDEX shares_org_name_key ON shares (org_id, recipient_name_key);
CREATE INDEX shares_org_portal ON shares (org_id, portal_id, recipient_email);
CREATE INDEX shares_awaiting_response ON shares (org_id, may_respond, response_count, created_at);
CREATE INDEX shares_comment_digest ON shares (comment_digest_due);
