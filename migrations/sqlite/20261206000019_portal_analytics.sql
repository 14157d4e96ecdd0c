-- Portal analytics (issue 11, part 7): per-day counts of what guests did, kept up to date
-- as audit events are written (`audit::activity`), so an analytics page reads at most one
-- row per day instead of scanning the log.
-- * `activity_daily`: for a portal or a share (`scope_id`; ids are UUIDs, never shared
--   between the two), on a day (days since 1970-01-01 UTC): opens (`share.accessed`),
--   unique guests (distinct recipients who opened that day), downloads (`item.downloaded`),
--   responses (`share.response_submitted`) and denials (`share.denied` of a known share).
-- * `activity_guests`: who opened in a scope on a day (the recipient's address), so that
--   `unique_guests` counts each once.
-- * `activity_last_seen`: the last day each guest opened in a scope: the distinct guests of
--   the last N days are those seen on or after the window's first day.
-- Existing events are counted once here.
CREATE TABLE activity_daily (
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    scope_id       TEXT NOT NULL,
    day            BIGINT NOT NULL,
    opens          BIGINT NOT NULL DEFAULT 0,
    unique_guests  BIGINT NOT NULL DEFAULT 0,
    downloads      BIGINT NOT NULL DEFAULT 0,
    responses      BIGINT NOT NULL DEFAULT 0,
    denials        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope_id, day)
);
CREATE TABLE activity_guests (
    scope_id  TEXT NOT NULL,
    day       BIGINT NOT NULL,
    guest     TEXT NOT NULL,
    PRIMARY KEY (scope_id, day, guest)
);
CREATE TABLE activity_last_seen (
    scope_id  TEXT NOT NULL,
    guest     TEXT NOT NULL,
    last_day  BIGINT NOT NULL,
    PRIMARY KEY (scope_id, guest)
);
CREATE INDEX activity_last_seen_day ON activity_last_seen (scope_id, last_day);

-- Counting the events written before this migration; `liaison bench` runs the statements
-- after the next line to count the events it generates.
-- (counting)

INSERT INTO activity_daily (org_id, scope_id, day, opens, downloads, responses, denials)
SELECT a.org_id, s.portal_id, a.occurred_at / 86400000,
    SUM(CASE WHEN a.event_type = 'share.accessed' THEN 1 ELSE 0 END),
    SUM(CASE WHEN a.event_type = 'item.downloaded' THEN 1 ELSE 0 END),
    SUM(CASE WHEN a.event_type = 'share.response_submitted' THEN 1 ELSE 0 END),
    SUM(CASE WHEN a.event_type = 'share.denied' THEN 1 ELSE 0 END)
FROM audit_events a JOIN shares s ON s.id = a.share_id AND s.org_id = a.org_id
WHERE a.event_type IN ('share.accessed', 'item.downloaded', 'share.response_submitted',
    'share.denied')
GROUP BY a.org_id, s.portal_id, a.occurred_at / 86400000;
INSERT INTO activity_daily (org_id, scope_id, day, opens, downloads, responses, denials)
SELECT a.org_id, a.share_id, a.occurred_at / 86400000,
    SUM(CASE WHEN a.event_type = 'share.accessed' THEN 1 ELSE 0 END),
    SUM(CASE WHEN a.event_type = 'item.downloaded' THEN 1 ELSE 0 END),
    SUM(CASE WHEN a.event_type = 'share.response_submitted' THEN 1 ELSE 0 END),
    SUM(CASE WHEN a.event_type = 'share.denied' THEN 1 ELSE 0 END)
FROM audit_events a JOIN shares s ON s.id = a.share_id AND s.org_id = a.org_id
WHERE a.event_type IN ('share.accessed', 'item.downloaded', 'share.response_submitted',
    'share.denied')
GROUP BY a.org_id, a.share_id, a.occurred_at / 86400000;
INSERT INTO activity_guests (scope_id, day, guest)
SELECT DISTINCT s.portal_id, a.occurred_at / 86400000, LOWER(s.recipient_email)
FROM audit_events a JOIN shares s ON s.id = a.share_id AND s.org_id = a.org_id
WHERE a.event_type = 'share.accessed';
INSERT INTO activity_guests (scope_id, day, guest)
SELECT DISTINCT a.share_id, a.occurred_at / 86400000, LOWER(s.recipient_email)
FROM audit_events a JOIN shares s ON s.id = a.share_id AND s.org_id = a.org_id
WHERE a.event_type = 'share.accessed';
UPDATE activity_daily SET unique_guests = (
    SELECT COUNT(*) FROM activity_guests g
    WHERE g.scope_id = activity_daily.scope_id AND g.day = activity_daily.day);
INSERT INTO activity_last_seen (scope_id, guest, last_day)
SELECT scope_id, guest, MAX(day) FROM activity_guests GROUP BY scope_id, guest;
