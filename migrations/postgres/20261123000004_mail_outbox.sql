-- Transactional mail outbox: a mail is enqueued in the transaction of the change that
-- causes it, and a worker delivers it. Bodies can carry a link or a code, so they are
-- sealed (AES-256-GCM) under the master key and erased once delivered; the database never
-- holds a usable link or code in plaintext.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    kind             TEXT NOT NULL,
    share_id         TEXT REFERENCES shares(id),
    to_address       TEXT NOT NULL,
    to_name          TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_sealed      BYTEA,
    -- Stable RFC 5322 Message-ID: a resend after a crash carries the same id.
    message_id       TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'local')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_org_created ON mail_outbox (org_id, created_at, id);
