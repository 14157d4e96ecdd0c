-- Responses a share has received, counted by a conditional UPDATE so the cap per share
-- (services::responses::MAX_RESPONSES_PER_SHARE) holds under concurrency on every engine.
ALTER TABLE shares ADD COLUMN response_count BIGINT NOT NULL DEFAULT 0;
