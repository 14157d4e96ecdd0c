-- Access reviews (issue 12, part 6): an administrator's campaign over a scope of active
-- shares; each share becomes one item in a reviewer's queue, decided keep / extend /
-- revoke, or given the campaign's default action at its due date. Times are
-- milliseconds since the epoch.
CREATE TABLE review_campaigns (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    -- JSON, backend::domain::review::ReviewScope.
    scope TEXT NOT NULL,
    -- creator | named | project_controllers
    reviewer_rule TEXT NOT NULL,
    -- The named reviewer (reviewer_rule = named).
    reviewer_id TEXT,
    -- keep | revoke: what undecided shares get at the due date.
    default_action TEXT NOT NULL,
    -- once | monthly | quarterly
    recurrence TEXT NOT NULL,
    -- The "no response for N days" flag's N.
    no_response_days BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    -- When reviewers with undecided shares are reminded; NULL once done.
    remind_at BIGINT,
    -- open | closed
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    -- A recurring campaign's runs share the first run's id.
    series_id TEXT NOT NULL,
    item_count BIGINT NOT NULL DEFAULT 0,
    -- Items still undecided, kept with each decision (the progress bar reads it, not a
    -- count over the items).
    pending_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX review_campaigns_by_org ON review_campaigns (org_id, created_at);
CREATE INDEX review_campaigns_due ON review_campaigns (status, due_at);
CREATE INDEX review_campaigns_remind ON review_campaigns (remind_at);

-- One share under review. `reviewer` is a staff user id, or `project:<id>` for the
-- controllers of a project. `pending` is 1 until decided (by a reviewer, or by the
-- default action, when decided_by is NULL).
CREATE TABLE review_items (
    campaign_id TEXT NOT NULL REFERENCES review_campaigns (id),
    share_id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    pending BIGINT NOT NULL DEFAULT 1,
    -- keep | extend | revoke, once decided.
    decision TEXT,
    reason TEXT NOT NULL DEFAULT '',
    decided_by TEXT,
    decided_at BIGINT,
    PRIMARY KEY (campaign_id, share_id)
);
CREATE INDEX review_items_queue ON review_items (campaign_id, reviewer, pending, share_id);
CREATE INDEX review_items_pending ON review_items (campaign_id, pending, share_id);
CREATE INDEX review_items_by_share ON review_items (share_id);

-- The controllers of a project: who reviews its shares when a campaign says so.
CREATE TABLE project_controllers (
    org_id TEXT NOT NULL,
    project_id TEXT NOT NULL REFERENCES projects (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_controllers_by_user ON project_controllers (org_id, user_id);
