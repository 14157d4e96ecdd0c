-- Share controls and policy (issue 3). SQLite cannot alter a CHECK constraint, so `shares`
-- is rebuilt with the new methods and columns; PostgreSQL alters in place.

-- Projects group documents; a project's policy override may only tighten the organisation's.
CREATE TABLE projects (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    -- JSON, backend::domain::PolicyOverride.
    policy_override  TEXT NOT NULL DEFAULT '{}',
    created_at       BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
ALTER TABLE documents ADD COLUMN project_id TEXT REFERENCES projects(id);

-- An organisation's External Access policy (JSON, backend::domain::Policy); no row = defaults.
CREATE TABLE org_policies (
    org_id      TEXT PRIMARY KEY REFERENCES organizations(id),
    policy      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT REFERENCES users(id)
);

-- Versioned legal terms; the SHA-256 of the accepted text goes into the audit event.
CREATE TABLE legal_terms (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    version     TEXT NOT NULL,
    body        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, version)
);

CREATE TABLE shares_v2 (
    id                       TEXT PRIMARY KEY,
    org_id                   TEXT NOT NULL REFERENCES organizations(id),
    selector                 TEXT NOT NULL UNIQUE,
    verifier_hash            TEXT NOT NULL,
    -- The whole link token sealed (AES-256-GCM) under the master key, which is not in the
    -- database: staff can copy the link again, yet the database holds no usable token.
    token_sealed             BLOB,
    method                   TEXT NOT NULL CHECK (method IN ('link', 'invitation', 'portal', 'federated')),
    document_id              TEXT NOT NULL REFERENCES documents(id),
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
    expired_at               BIGINT
);
INSERT INTO shares_v2 (id, org_id, selector, verifier_hash, method, document_id,
    recipient_name, recipient_email, created_by, created_at, expires_at, max_access_count,
    access_count, require_acknowledgement, last_activity_at, revoked_at, revoked_by, expired_at)
SELECT id, org_id, selector, verifier_hash, method, document_id,
    recipient_name, recipient_email, created_by, created_at, expires_at, max_access_count,
    access_count, require_acknowledgement, last_activity_at, revoked_at, revoked_by, expired_at
FROM shares;
DROP TABLE shares;
ALTER TABLE shares_v2 RENAME TO shares;
CREATE INDEX shares_org_created ON shares (org_id, created_at, id);
CREATE INDEX shares_org_expiry ON shares (org_id, (COALESCE(expires_at, 9223372036854775807)), id);
CREATE INDEX shares_org_count ON shares (org_id, access_count, id);
CREATE INDEX shares_org_document ON shares (org_id, document_id);
CREATE INDEX shares_org_creator ON shares (org_id, created_by, created_at, id);
CREATE INDEX shares_org_recipient ON shares (org_id, recipient_email);

-- Failed secret attempts (share password, verification code) per share and per client IP.
-- Shared by every node through the database, so a lockout holds across the cluster.
CREATE TABLE attempt_counters (
    scope         TEXT NOT NULL,
    subject       TEXT NOT NULL,
    failures      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL,
    locked_until  BIGINT,
    PRIMARY KEY (scope, subject)
);

-- Browsers that have passed a share's checks. The cookie holds a random id; only its SHA-256
-- is stored. A bound browser re-opens without PBKDF2; with "approved devices only", a new
-- browser waits ('pending') until the share's owner approves it.
CREATE TABLE share_devices (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    share_id       TEXT NOT NULL REFERENCES shares(id),
    device_hash    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('approved', 'pending', 'rejected')),
    first_seen_at  BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    ip             TEXT,
    user_agent     TEXT,
    decided_by     TEXT REFERENCES users(id),
    decided_at     BIGINT,
    UNIQUE (share_id, device_hash)
);
CREATE INDEX share_devices_org_share ON share_devices (org_id, share_id);

-- One-time email verification codes for invitations: PBKDF2 hash only, short-lived.
CREATE TABLE verification_codes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    share_id    TEXT NOT NULL REFERENCES shares(id),
    code_hash   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX verification_codes_share ON verification_codes (share_id, created_at);
