-- Staff accounts managed in the console (issue 12, part 1) and scoped API keys (part 2).
-- * `users.sign_in`: how the account signs in: 'password' (a password set through a
--   one-time link) or 'idp' (only through the organisation's own identity provider).
-- * `users.session_epoch`: console sessions remember the epoch they were opened in; a
--   password reset or a disable moves it on, which ends every earlier session at its next
--   request.
-- * `users.created_by`: who invited the account (NULL for the bootstrap administrator).
-- * `staff_links`: one-time links that let a person set their password (an invitation or
--   a reset). The token is a selector (stored as is) and a verifier (stored only as a
--   PBKDF2 hash); issuing a new link for an account closes its earlier ones.
-- * `api_keys.scope`: 'read' (changes nothing) or 'admin' (everything its owner's role
--   may do). Existing keys were administrators' full keys.
ALTER TABLE users ADD COLUMN sign_in TEXT NOT NULL DEFAULT 'password'
    CHECK (sign_in IN ('password', 'idp'));
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN created_by TEXT REFERENCES users(id);

CREATE TABLE staff_links (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    user_id        TEXT NOT NULL REFERENCES users(id),
    purpose        TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    selector       TEXT NOT NULL UNIQUE,
    verifier_hash  TEXT NOT NULL,
    created_by     TEXT NOT NULL REFERENCES users(id),
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    closed_at      BIGINT
);
CREATE INDEX staff_links_user ON staff_links (org_id, user_id);

ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin'
    CHECK (scope IN ('read', 'admin'));
