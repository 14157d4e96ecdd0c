-- Each SAML connection gets its own SP signing key (RSA, sealed under the master key) and
-- self-signed certificate: AuthnRequests are signed (HTTP-Redirect binding) and the
-- certificate is published in the SP metadata.
ALTER TABLE identity_providers ADD COLUMN sp_key_sealed BLOB;
ALTER TABLE identity_providers ADD COLUMN sp_cert TEXT;
