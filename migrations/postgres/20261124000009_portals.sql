-- Branded portals, as far as sharing needs them: a named group of external members. A
-- "portal access" share admits only an active member of its portal; removing a member
-- revokes their portal shares.
CREATE TABLE portals (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX portals_org_name ON portals (org_id, name);

-- Emails are stored lower-cased; a member removed and added again is the same row.
CREATE TABLE portal_members (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    portal_id   TEXT NOT NULL REFERENCES portals(id),
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    added_by    TEXT NOT NULL REFERENCES users(id),
    added_at    BIGINT NOT NULL,
    removed_at  BIGINT
);
CREATE UNIQUE INDEX portal_members_email ON portal_members (org_id, portal_id, email);
