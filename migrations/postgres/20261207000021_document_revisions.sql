-- The document register (issue 12, part 3): a document is a family of revisions. Each row
-- of `documents` is one revision; `family_id` names the family (the id of its first
-- revision), `revision` counts from 1. A share pins the revision it was made of (its
-- `document_id`), so a newer revision never widens an existing share. `number` is the
-- organisation's own document number ("DOC-0042"), kept by every revision.
ALTER TABLE documents ADD COLUMN family_id TEXT;
ALTER TABLE documents ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE documents ADD COLUMN number TEXT;
UPDATE documents SET family_id = id;
CREATE UNIQUE INDEX documents_family_revision ON documents (org_id, family_id, revision);
