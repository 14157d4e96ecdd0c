-- Document packages: curated, named sets of documents, shared as one item.
CREATE TABLE packages (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    name        TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX packages_org_name ON packages (org_id, name);

CREATE TABLE package_documents (
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    package_id   TEXT NOT NULL REFERENCES packages(id),
    document_id  TEXT NOT NULL REFERENCES documents(id),
    added_at     BIGINT NOT NULL,
    PRIMARY KEY (package_id, document_id)
);

-- The documents each share covers, fixed when it is created: one for a single revision,
-- every document a package or work package held at that moment otherwise (documents
-- added later need a new share). `shares.document_id` stays the first of them.
CREATE TABLE share_documents (
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    share_id     TEXT NOT NULL REFERENCES shares(id),
    document_id  TEXT NOT NULL REFERENCES documents(id),
    position     BIGINT NOT NULL,
    PRIMARY KEY (share_id, document_id)
);
CREATE INDEX share_documents_document ON share_documents (org_id, document_id);
INSERT INTO share_documents (org_id, share_id, document_id, position)
    SELECT org_id, id, document_id, 0 FROM shares;
