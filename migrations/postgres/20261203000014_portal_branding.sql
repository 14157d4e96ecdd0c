-- Branded portals. Every portal carries its brand (JSON, backend::domain::branding::Branding,
-- validated when saved) and optionally its own legal terms. Every organisation has exactly
-- one default portal, and every share belongs to a portal: the default one when the share
-- names none. A portal-access share's portal moves from its settings to the column.
ALTER TABLE portals ADD COLUMN is_default BIGINT NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1));
ALTER TABLE portals ADD COLUMN branding TEXT NOT NULL DEFAULT '{}';
ALTER TABLE portals ADD COLUMN terms_id TEXT REFERENCES legal_terms(id);
CREATE UNIQUE INDEX portals_one_default ON portals (org_id) WHERE is_default = 1;

INSERT INTO portals (id, org_id, name, created_by, created_at, is_default)
SELECT md5(random()::text || clock_timestamp()::text || o.id), o.id,
       CASE WHEN EXISTS (SELECT 1 FROM portals p WHERE p.org_id = o.id AND p.name = 'Default portal')
            THEN 'Default portal ' || o.created_at ELSE 'Default portal' END,
       (SELECT u.id FROM users u WHERE u.org_id = o.id ORDER BY u.created_at, u.id LIMIT 1),
       o.created_at, 1
FROM organizations o
WHERE EXISTS (SELECT 1 FROM users u WHERE u.org_id = o.id);

ALTER TABLE shares ADD COLUMN portal_id TEXT REFERENCES portals(id);
UPDATE shares SET
    portal_id = COALESCE(settings::jsonb ->> 'portal_id',
        (SELECT p.id FROM portals p WHERE p.org_id = shares.org_id AND p.is_default = 1)),
    settings = (settings::jsonb - 'portal_id')::text;
ALTER TABLE shares ALTER COLUMN portal_id SET NOT NULL;
CREATE INDEX shares_org_portal ON shares (org_id, portal_id, recipient_email);
