-- Responses in the shares table (issue 12, part 5): whether a share's guest may respond
-- at all (its permission is "comment" or "edit"), so "awaiting a response" means a share
-- that could have one and has none. Kept by the store on insert and on every change of
-- the share's settings.
ALTER TABLE shares ADD COLUMN may_respond BIGINT NOT NULL DEFAULT 0;
UPDATE shares SET may_respond = 1
 WHERE settings LIKE '%"permission":"comment"%' OR settings LIKE '%"permission":"edit"%';
CREATE INDEX shares_awaiting_response ON shares (org_id, may_respond, response_count, created_at);
