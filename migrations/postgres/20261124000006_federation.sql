-- Partner federation (issue 4): partner organisations with their email domains and
-- identity providers, sign-ins in flight, the SAML replay cache and the partner staff
-- provisioned just in time. The same statements serve both engines.

CREATE TABLE partners (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    name         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    disabled_at  BIGINT
);
CREATE UNIQUE INDEX partners_org_name ON partners (org_id, name);

-- Home-realm discovery: an email domain belongs to at most one partner per organisation.
CREATE TABLE partner_domains (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    domain      TEXT NOT NULL,
    partner_id  TEXT NOT NULL REFERENCES partners(id),
    PRIMARY KEY (org_id, domain)
);
CREATE INDEX partner_domains_partner ON partner_domains (org_id, partner_id);

-- An IdP of a partner, or (partner_id NULL) the organisation's own IdP for staff sign-in.
-- `config` is JSON (SAML: entity id, SSO URL, signing certificates…; OIDC: issuer, client
-- id, scopes…); the OIDC client secret is sealed under the master key.
CREATE TABLE identity_providers (
    id                    TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES organizations(id),
    partner_id            TEXT REFERENCES partners(id),
    kind                  TEXT NOT NULL CHECK (kind IN ('saml', 'oidc')),
    name                  TEXT NOT NULL,
    config                TEXT NOT NULL,
    attribute_map         TEXT NOT NULL,
    client_secret_sealed  BYTEA,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    disabled_at           BIGINT
);
CREATE INDEX identity_providers_org ON identity_providers (org_id, partner_id);

-- A sign-in in flight (created when the browser is sent to the IdP) and its outcome.
-- Looked up by the SHA-256 of the random state / RelayState; usable once, for 10 minutes.
CREATE TABLE federation_logins (
    state_hash             TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organizations(id),
    idp_id                 TEXT NOT NULL REFERENCES identity_providers(id),
    purpose                TEXT NOT NULL CHECK (purpose IN ('share', 'staff', 'test')),
    share_id               TEXT,
    device_hash            TEXT,
    user_id                TEXT,
    saml_request_id        TEXT,
    oidc_nonce             TEXT,
    pkce_verifier_sealed   BYTEA,
    created_at             BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    completed_at           BIGINT,
    identity               TEXT,
    consumed_at            BIGINT
);
CREATE INDEX federation_logins_device ON federation_logins (org_id, device_hash, completed_at);
CREATE INDEX federation_logins_expiry ON federation_logins (expires_at);

-- SAML one-time use: an assertion id is accepted once per IdP until the assertion expires.
CREATE TABLE saml_replay (
    idp_id        TEXT NOT NULL,
    assertion_id  TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    PRIMARY KEY (idp_id, assertion_id)
);
CREATE INDEX saml_replay_expiry ON saml_replay (expires_at);

-- Partner staff provisioned just in time on their first sign-in.
CREATE TABLE federated_guests (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    partner_id     TEXT NOT NULL REFERENCES partners(id),
    idp_id         TEXT NOT NULL REFERENCES identity_providers(id),
    subject        TEXT NOT NULL,
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    organisation   TEXT,
    groups         TEXT NOT NULL,
    first_seen_at  BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX federated_guests_subject ON federated_guests (org_id, idp_id, subject);
