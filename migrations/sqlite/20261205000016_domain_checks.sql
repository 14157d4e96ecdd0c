-- Custom domains, second form (issue 11 review):
-- * A name is unique among *verified* domains only (and once per organisation): a pending or
--   suspended row no longer holds a name against the organisation that really controls it.
--   Each row has its own challenge, so only the holder of the DNS zone can verify.
-- * The daily re-check is scheduled by `next_check_at` (claimed by moving it forward, so one
--   node checks each domain) and a lookup that keeps failing is remembered in
--   `failing_since` (retried hourly; suspended after a week).
-- SQLite cannot drop an inline UNIQUE constraint: the table is rebuilt.
CREATE TABLE portal_domains_v2 (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    portal_id      TEXT NOT NULL REFERENCES portals(id),
    domain         TEXT NOT NULL,
    challenge      TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'suspended')),
    created_by     TEXT NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    verified_at    BIGINT,
    checked_at     BIGINT,
    suspended_at   BIGINT,
    next_check_at  BIGINT,
    failing_since  BIGINT
);
INSERT INTO portal_domains_v2 (id, org_id, portal_id, domain, challenge, status, created_by,
    created_at, verified_at, checked_at, suspended_at, next_check_at, failing_since)
SELECT id, org_id, portal_id, domain, challenge, status, created_by, created_at, verified_at,
    checked_at, suspended_at,
    CASE WHEN status = 'verified' THEN COALESCE(checked_at, verified_at, 0) + 86400000 END, NULL
FROM portal_domains;
DROP TABLE portal_domains;
ALTER TABLE portal_domains_v2 RENAME TO portal_domains;
CREATE UNIQUE INDEX portal_domains_served ON portal_domains (domain) WHERE status = 'verified';
CREATE UNIQUE INDEX portal_domains_org_name ON portal_domains (org_id, domain);
CREATE INDEX portal_domains_org ON portal_domains (org_id, portal_id);
CREATE INDEX portal_domains_check ON portal_domains (status, next_check_at);
