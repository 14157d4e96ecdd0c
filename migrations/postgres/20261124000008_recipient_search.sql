-- Recipient search as index ranges: the email (stored lower-case) and a lower-cased copy
-- of the name, each with an index led by org_id. Both columns compare bytewise
-- (COLLATE "C"), so `>= prefix AND < prefix || U+10FFFF` is exactly "starts with" and an
-- index range, whatever the database's default collation.
ALTER TABLE shares ALTER COLUMN recipient_email TYPE TEXT COLLATE "C";
ALTER TABLE shares ADD COLUMN recipient_name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE shares SET recipient_name_key = LOWER(recipient_name);
CREATE INDEX shares_org_email ON shares (org_id, recipient_email);
CREATE INDEX shares_org_name_key ON shares (org_id, recipient_name_key);
