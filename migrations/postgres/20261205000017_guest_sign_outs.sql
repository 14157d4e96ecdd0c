-- Guests signing out (issue 11, the guest home). Portal sessions are stateless JWTs; these
-- two tables are what ends one before its token expires:
-- * `portal_session_ends`: a session (its `sid`, kept across renewals) that signed out, and
--   the browser it was bound to (`device_hash`); kept until no token of it can still be
--   renewed or used (`forget_after`).
-- * `guest_sign_outs`: "sign out everywhere" — every session of that recipient address in
--   the organisation that passed its checks at or before `signed_out_at` (Unix seconds, as
--   the JWT's `auth_time`) is over.
-- * `share_devices.proven_at`: when the browser last proved the share's secrets (link,
--   password, code). A bound browser skips them on a later open only if it has not signed
--   out since: after a sign-out the same browser proves them again.
CREATE TABLE portal_session_ends (
    sid           TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    device_hash   TEXT,
    ended_at      BIGINT NOT NULL,
    forget_after  BIGINT NOT NULL
);
CREATE INDEX portal_session_ends_forget ON portal_session_ends (forget_after);
CREATE INDEX portal_session_ends_device ON portal_session_ends (org_id, device_hash);
CREATE TABLE guest_sign_outs (
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    email          TEXT NOT NULL,
    signed_out_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, email)
);
CREATE INDEX guest_sign_outs_age ON guest_sign_outs (signed_out_at);
ALTER TABLE share_devices ADD COLUMN proven_at BIGINT;
