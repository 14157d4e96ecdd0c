-- Organisations (tenants). Every other row carries org_id and every query filters on it.
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Internal staff. Emails are stored lower-cased and are unique across the installation,
-- so sign-in by email needs no organisation picker.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'controller', 'auditor')),
    password_hash  TEXT,
    created_at     BIGINT NOT NULL,
    disabled_at    BIGINT
);
CREATE INDEX users_org ON users (org_id);

-- Admin API keys: only the SHA-256 of the key is stored.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    user_id       TEXT NOT NULL REFERENCES users(id),
    name          TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);

CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    title         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    blob_key      TEXT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX documents_org_created ON documents (org_id, created_at);

-- Shares. The link token is selector ‖ verifier: the selector is a lookup key, the verifier
-- is stored only as a PBKDF2-HMAC-SHA-256 hash.
CREATE TABLE shares (
    id                       TEXT PRIMARY KEY,
    org_id                   TEXT NOT NULL REFERENCES organizations(id),
    selector                 TEXT NOT NULL UNIQUE,
    verifier_hash            TEXT NOT NULL,
    method                   TEXT NOT NULL CHECK (method IN ('link')),
    document_id              TEXT NOT NULL REFERENCES documents(id),
    recipient_name           TEXT NOT NULL,
    recipient_email          TEXT NOT NULL,
    created_by               TEXT NOT NULL REFERENCES users(id),
    created_at               BIGINT NOT NULL,
    expires_at               BIGINT,
    max_access_count         BIGINT NOT NULL CHECK (max_access_count >= 0),
    access_count             BIGINT NOT NULL DEFAULT 0,
    require_acknowledgement  INTEGER NOT NULL CHECK (require_acknowledgement IN (0, 1)),
    last_activity_at         BIGINT,
    revoked_at               BIGINT,
    revoked_by               TEXT REFERENCES users(id),
    expired_at               BIGINT
);
-- Keyset pagination for the active shares table, per sort order.
CREATE INDEX shares_org_created ON shares (org_id, created_at, id);
-- Shares without an expiry date sort last: the expression matches store::shares.
CREATE INDEX shares_org_expiry ON shares (org_id, (COALESCE(expires_at, 9223372036854775807)), id);
CREATE INDEX shares_org_count ON shares (org_id, access_count, id);
CREATE INDEX shares_org_document ON shares (org_id, document_id);

CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    occurred_at  BIGINT NOT NULL,
    event_type   TEXT NOT NULL,
    actor_type   TEXT NOT NULL CHECK (actor_type IN ('user', 'guest', 'system')),
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    credential   TEXT NOT NULL,
    share_id     TEXT,
    item_id      TEXT,
    ip           TEXT,
    user_agent   TEXT,
    details      TEXT NOT NULL
);
CREATE INDEX audit_org_time ON audit_events (org_id, occurred_at, id);
CREATE INDEX audit_org_share ON audit_events (org_id, share_id, occurred_at);

-- Portal JWT signing keys (RS256). The private key is sealed (AES-256-GCM) under the
-- master key, which lives outside the database.
CREATE TABLE signing_keys (
    kid                  TEXT PRIMARY KEY,
    private_key_sealed   BLOB NOT NULL,
    public_n             TEXT NOT NULL,
    public_e             TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    retired_at           BIGINT
);

-- Console sessions (tower-sessions). The key is the SHA-256 of the session id.
CREATE TABLE console_sessions (
    id_hash     TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
