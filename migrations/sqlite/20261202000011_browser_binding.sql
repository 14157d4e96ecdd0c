-- A SAML answer arrives as a cross-site POST, where the browser's SameSite cookies are not
-- sent: the ACS records the verified identity as *delivered* to the browser that posted it
-- (the SHA-256 of a one-time delivery cookie set on its response) and the same-site
-- continuation step completes the sign-in only for a browser holding both that cookie and
-- the device the sign-in was started from.
ALTER TABLE federation_logins ADD COLUMN delivery_hash TEXT;
ALTER TABLE federation_logins ADD COLUMN delivered_at BIGINT;
