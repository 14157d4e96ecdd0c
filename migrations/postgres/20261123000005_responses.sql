-- Guest responses (decision, comment, attachments) and expiry reminders.
CREATE TABLE share_responses (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    share_id        TEXT NOT NULL REFERENCES shares(id),
    decision        TEXT NOT NULL CHECK (decision IN ('approve', 'approve_with_comments', 'reject')),
    comment         TEXT NOT NULL,
    portal_session  TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX share_responses_org_share ON share_responses (org_id, share_id, created_at);

CREATE TABLE response_attachments (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    response_id   TEXT NOT NULL REFERENCES share_responses(id),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    blob_key      TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX response_attachments_response ON response_attachments (org_id, response_id);

-- Expiry reminders: when to send ("expiry_reminder_days" before the expiry, set at
-- creation) and when it went out (once per share).
ALTER TABLE shares ADD COLUMN remind_at BIGINT;
ALTER TABLE shares ADD COLUMN reminder_sent_at BIGINT;
CREATE INDEX shares_remind ON shares (remind_at);
