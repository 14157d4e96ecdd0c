-- Recipient search as index ranges: the email (stored lower-case) and a lower-cased copy
-- of the name, each with an index led by org_id. The name key is written by the
-- application (Unicode lower-casing); rows from before this migration get SQLite's ASCII
-- LOWER, which is what their search used before.
ALTER TABLE shares ADD COLUMN recipient_name_key TEXT NOT NULL DEFAULT '';
UPDATE shares SET recipient_name_key = LOWER(recipient_name);
CREATE INDEX shares_org_email ON shares (org_id, recipient_email);
CREATE INDEX shares_org_name_key ON shares (org_id, recipient_name_key);
