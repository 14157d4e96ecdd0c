-- Custom domains, second form (issue 11 review):
-- * A name is unique among *verified* domains only (and once per organisation): a pending or
--   suspended row no longer holds a name against the organisation that really controls it.
--   Each row has its own challenge, so only the holder of the DNS zone can verify.
-- * The daily re-check is scheduled by `next_check_at` (claimed by moving it forward, so one
--   node checks each domain) and a lookup that keeps failing is remembered in
--   `failing_since` (retried hourly; suspended after a week).
ALTER TABLE portal_domains DROP CONSTRAINT portal_domains_domain_key;
ALTER TABLE portal_domains ADD COLUMN next_check_at BIGINT;
ALTER TABLE portal_domains ADD COLUMN failing_since BIGINT;
UPDATE portal_domains SET next_check_at = COALESCE(checked_at, verified_at, 0) + 86400000
    WHERE status = 'verified';
CREATE UNIQUE INDEX portal_domains_served ON portal_domains (domain) WHERE status = 'verified';
CREATE UNIQUE INDEX portal_domains_org_name ON portal_domains (org_id, domain);
DROP INDEX portal_domains_check;
CREATE INDEX portal_domains_check ON portal_domains (status, next_check_at);
