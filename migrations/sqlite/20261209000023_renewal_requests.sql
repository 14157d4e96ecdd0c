-- Renewal requests (issue 12, part 7): a guest whose share expired or used up its opens
-- asks for more time; the share's owner (or an administrator) approves or declines.
-- At most one open request per share (the partial unique index); `requested_at`,
-- `decided_at` are milliseconds since the epoch.
CREATE TABLE renewal_requests (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    share_id TEXT NOT NULL REFERENCES shares (id),
    reason TEXT NOT NULL,
    -- open | approved | declined
    status TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    requested_ip TEXT,
    decided_at BIGINT,
    decided_by TEXT,
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX renewal_requests_one_open ON renewal_requests (share_id) WHERE status = 'open';
CREATE INDEX renewal_requests_by_org ON renewal_requests (org_id, status, requested_at);
CREATE INDEX renewal_requests_by_share ON renewal_requests (share_id, requested_at);
