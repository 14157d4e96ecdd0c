-- Portal structure (issue 11, part 6):
-- * Members have a role: `member` sees what is shared with them; `manager` may also add
--   members from the portal's `member_domains`. A membership may carry `expires_at`; it ends
--   on its own then (`ended_reason = 'expired'`), as an administrator's removal ends one
--   (`'removed'`). `added_by` is the staff user who added the member, or NULL when a
--   manager did (`invited_by`, that manager's membership).
-- * Sections: an administrator arranges the items shared in a portal (a document, a
--   package or a project) into ordered, named sections; guests' homes group their shares
--   by them. An item is in at most one section of a portal.
ALTER TABLE portal_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('member', 'manager'));
ALTER TABLE portal_members ALTER COLUMN added_by DROP NOT NULL;
ALTER TABLE portal_members ADD COLUMN invited_by TEXT;
ALTER TABLE portal_members ADD COLUMN expires_at BIGINT;
ALTER TABLE portal_members ADD COLUMN ended_reason TEXT
    CHECK (ended_reason IN ('removed', 'expired'));
UPDATE portal_members SET ended_reason = 'removed' WHERE removed_at IS NOT NULL;
ALTER TABLE portal_members ADD CONSTRAINT portal_members_added_by_someone
    CHECK (added_by IS NOT NULL OR invited_by IS NOT NULL);
CREATE INDEX portal_members_expiry ON portal_members (expires_at)
    WHERE removed_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX portal_members_invited_by ON portal_members (invited_by, added_at);

ALTER TABLE portals ADD COLUMN member_domains TEXT NOT NULL DEFAULT '[]';

CREATE TABLE portal_sections (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    portal_id   TEXT NOT NULL REFERENCES portals(id),
    name        TEXT NOT NULL,
    position    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX portal_sections_name ON portal_sections (portal_id, name);
CREATE INDEX portal_sections_org ON portal_sections (org_id, portal_id, position);

CREATE TABLE portal_section_items (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    portal_id   TEXT NOT NULL REFERENCES portals(id),
    section_id  TEXT NOT NULL REFERENCES portal_sections(id),
    item_kind   TEXT NOT NULL CHECK (item_kind IN ('document', 'package', 'project')),
    item_id     TEXT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (portal_id, item_kind, item_id)
);
CREATE INDEX portal_section_items_section ON portal_section_items (section_id, position);
