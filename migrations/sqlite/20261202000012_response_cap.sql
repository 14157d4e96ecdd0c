-- Responses a share has received, counted by a conditional UPDATE so the cap per share
-- (services::responses::MAX_RESPONSES_PER_SHARE) holds under concurrency on every engine.
ALTER TABLE shares ADD COLUMN response_count BIGINT NOT NULL DEFAULT 0;
UPDATE shares SET response_count = (
    SELECT COUNT(*) FROM share_responses r WHERE r.org_id = shares.org_id AND r.share_id = shares.id
);
