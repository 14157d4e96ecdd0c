-- The protected viewer (issue 15): documents are shown to guests as page images rendered
-- on the server, never as the original file where the share is view-only.

-- What a document revision looks like as pages, learnt once by a renderer: each page's size
-- in points (`sizes`, JSON `[[w, h], …]`), or why it cannot be shown (`failure`, JSON), so a
-- hostile file is not rendered again and again.
CREATE TABLE document_pages (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    sizes       TEXT,
    failure     TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, document_id),
    CHECK ((sizes IS NULL) <> (failure IS NULL))
);

-- The page cache: one clean page image (no watermark) per revision, page and width, kept in
-- the blob store under `blob_key`. Least recently used first out when the cache is over its
-- size (`used_at` is touched at most once a minute).
CREATE TABLE page_renders (
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    document_id TEXT NOT NULL,
    page        BIGINT NOT NULL,
    width       BIGINT NOT NULL,
    blob_key    TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    used_at     BIGINT NOT NULL,
    PRIMARY KEY (org_id, document_id, page, width)
);
CREATE INDEX page_renders_used ON page_renders (used_at);

-- A guest opening a document in the viewer: the id every page they are served carries in
-- its marks, and the watermark baked into them (its line, the organisation's opacity in percent
-- and density at the opening), so a leaked page names its view.
CREATE TABLE page_views (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    share_id        TEXT NOT NULL REFERENCES shares(id),
    document_id     TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    recipient_name  TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    watermark       TEXT NOT NULL,
    opacity         BIGINT NOT NULL,
    density         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX page_views_share ON page_views (org_id, share_id, created_at);
