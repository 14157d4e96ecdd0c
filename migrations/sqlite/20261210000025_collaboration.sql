-- Comments between staff and guests on shared documents (issue 13, part 3).
--
-- A thread is a root comment and its replies (`thread_id` is the root's id, also on the
-- root itself). Who may read a thread is fixed when it starts, in `comment_audiences`: one
-- share (a guest's thread, or staff writing to one share's guest), several named shares (an
-- item-wide thread an administrator opened), or none (staff only). A deleted comment keeps
-- its row, with its text cleared, so that live readers catching up learn of the deletion.
--
-- `rev` orders every change on a document: each post, edit or deletion takes the next value
-- of the document's counter (`comment_counters`, bumped first in the writing transaction,
-- which also serialises writers of one document), so "everything after rev N" is exact.
CREATE TABLE comments (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    document_id     TEXT NOT NULL REFERENCES documents(id),
    thread_id       TEXT NOT NULL,
    page            BIGINT,
    author_kind     TEXT NOT NULL CHECK (author_kind IN ('staff', 'guest')),
    author_user     TEXT,
    author_share    TEXT,
    author_session  TEXT,
    author_name     TEXT NOT NULL,
    author_email    TEXT NOT NULL,
    author_org      TEXT NOT NULL,
    body            TEXT NOT NULL,
    rev             BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    edited_at       BIGINT,
    deleted_at      BIGINT,
    deleted_by      TEXT CHECK (deleted_by IN ('author', 'moderator')),
    -- How often its author changed it (capped), and whether a guest's comment was counted
    -- in the owner's digest (each exactly once).
    edits           BIGINT NOT NULL DEFAULT 0,
    in_digest       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX comments_document_rev ON comments (org_id, document_id, rev);
CREATE INDEX comments_thread ON comments (org_id, thread_id, created_at);
CREATE INDEX comments_author_share ON comments (org_id, author_share, document_id);

CREATE TABLE comment_audiences (
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    thread_id  TEXT NOT NULL,
    share_id   TEXT NOT NULL REFERENCES shares(id),
    PRIMARY KEY (org_id, thread_id, share_id)
);
CREATE INDEX comment_audiences_share ON comment_audiences (org_id, share_id);

CREATE TABLE comment_counters (
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    document_id  TEXT NOT NULL,
    rev          BIGINT NOT NULL,
    PRIMARY KEY (org_id, document_id)
);

-- The owner's digest of new guest comments, at most one per 15 minutes per share: due when
-- a guest comments and none is pending; it counts the guest comments not yet in a digest.
ALTER TABLE shares ADD COLUMN comment_digest_due BIGINT;
ALTER TABLE shares ADD COLUMN comment_digest_sent_at BIGINT;
CREATE INDEX shares_comment_digest ON shares (comment_digest_due);

-- Who is viewing a shared document now (issue 13, part 2): one row per live channel that
-- follows the document, kept alive by its node's heartbeat (`expires_at`, pushed forward by
-- one UPDATE per node); the rows of a node that died expire within a minute.
CREATE TABLE live_presence (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    document_id   TEXT NOT NULL,
    node_id       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('staff', 'guest')),
    user_id       TEXT,
    share_id      TEXT,
    name          TEXT NOT NULL,
    organisation  TEXT NOT NULL,
    since         BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX live_presence_document ON live_presence (org_id, document_id, expires_at);
CREATE INDEX live_presence_node ON live_presence (node_id);
CREATE INDEX live_presence_expiry ON live_presence (expires_at);
