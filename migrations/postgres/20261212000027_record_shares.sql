-- Record shares (issue 14, part 2): a share covers documents (`document_id`, the first of
-- `share_documents`) or one data record (`record_id`), never both.
ALTER TABLE shares ALTER COLUMN document_id DROP NOT NULL;
ALTER TABLE shares ADD COLUMN record_id TEXT REFERENCES records(id);
ALTER TABLE shares ADD CONSTRAINT shares_one_item
    CHECK ((document_id IS NULL) <> (record_id IS NULL));
CREATE INDEX shares_org_record ON shares (org_id, record_id);
