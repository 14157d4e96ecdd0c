-- Portal signing key rotation: a new key is published in the JWKS at once but signs only
-- from `activates_at`; the key it replaces keeps verifying until every token it signed
-- has expired, then is retired (services::keys).
ALTER TABLE signing_keys ADD COLUMN activates_at BIGINT NOT NULL DEFAULT 0;

-- Admin API keys: an optional expiry, and where the last use came from.
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
ALTER TABLE api_keys ADD COLUMN last_used_ip TEXT;
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
