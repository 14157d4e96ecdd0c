-- End-to-end encrypted secrets (issue 14, points 4–5). The creator's browser encrypts the
-- content with AES-256-GCM; this table holds the ciphertext, its nonce and, for access
-- code delivery, the PBKDF2 salt the recipient's browser needs — never a key or a code.
--
-- `selector` finds the secret from its link; `verifier_hash` is the SHA-256 of the link's
-- 256-bit verifier; `proof_hash` proves the key or code (SHA-256 of a key-derived proof
-- for link-key delivery, a PBKDF2 hash of the code-derived proof for access codes).
-- Only an active secret keeps its ciphertext: burning, revoking and expiring delete it.
CREATE TABLE secrets (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    created_by      TEXT NOT NULL REFERENCES users(id),
    kind            TEXT NOT NULL CHECK (kind IN ('password', 'note', 'api_secret', 'file')),
    label           TEXT NOT NULL,
    tlp             TEXT NOT NULL,
    delivery        TEXT NOT NULL CHECK (delivery IN ('link_key', 'access_code')),
    recipient_email TEXT,
    selector        TEXT NOT NULL UNIQUE,
    verifier_hash   TEXT NOT NULL,
    proof_hash      TEXT NOT NULL,
    ciphertext      BYTEA,
    nonce           BYTEA NOT NULL,
    salt            BYTEA,
    size            BIGINT NOT NULL,
    max_views       BIGINT NOT NULL CHECK (max_views >= 1),
    views           BIGINT NOT NULL DEFAULT 0,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('active', 'burned', 'revoked', 'expired')),
    ended_at        BIGINT,
    CHECK ((state = 'active') = (ciphertext IS NOT NULL)),
    CHECK (views <= max_views),
    CHECK ((delivery = 'access_code') = (salt IS NOT NULL))
);
CREATE INDEX secrets_org_created ON secrets (org_id, created_at, id);
CREATE INDEX secrets_state_expiry ON secrets (state, expires_at);
