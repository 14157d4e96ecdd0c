-- Custom domains of portals. A name (canonical: lower-case ASCII, no trailing dot) belongs
-- to one portal of one organisation only. An admin publishes the TXT record
-- `_liaison-challenge.<domain>` = `challenge`; "verify" looks it up, and verified domains
-- are looked up again daily and suspended when the record is gone.
CREATE TABLE portal_domains (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    portal_id     TEXT NOT NULL REFERENCES portals(id),
    domain        TEXT NOT NULL UNIQUE,
    challenge     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'suspended')),
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    verified_at   BIGINT,
    checked_at    BIGINT,
    suspended_at  BIGINT
);
CREATE INDEX portal_domains_org ON portal_domains (org_id, portal_id);
CREATE INDEX portal_domains_check ON portal_domains (status, checked_at);
