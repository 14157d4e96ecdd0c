//! Whom a live channel speaks for, and how it re-checks that they are still admitted.

use super::{close, End};
use crate::state::AppState;

/// Whom a socket speaks for, with what it re-checks their session.
pub(super) enum Viewer {
    /// A guest: the portal session's token, checked like a request from `meta`.
    Guest(Box<GuestViewer>),
    /// A staff member in a console session.
    Staff(backend::actor::Staff),
}

pub(super) struct GuestViewer {
    pub jwt: String,
    pub meta: backend::actor::RequestMeta,
    pub guest: backend::actor::Guest,
}

pub(super) struct Session {
    pub state: AppState,
    pub viewer: Viewer,
}

impl Session {
    pub fn org_id(&self) -> &str {
        match &self.viewer {
            Viewer::Guest(g) => &g.guest.org_id,
            Viewer::Staff(s) => &s.org_id,
        }
    }

    /// The share whose revocation ends the socket (a guest's).
    pub fn share_id(&self) -> Option<&str> {
        match &self.viewer {
            Viewer::Guest(g) => Some(&g.guest.share_id),
            Viewer::Staff(_) => None,
        }
    }

    /// The changes to `document`'s comments after `after` that the viewer may read.
    pub async fn comments(
        &self,
        document: &str,
        after: i64,
    ) -> Result<backend::services::comments::CommentsPage, backend::services::ServiceError> {
        use backend::services::comments;
        let core = &self.state.core;
        match &self.viewer {
            Viewer::Guest(g) => comments::for_guest(core, &g.guest, document, after).await,
            Viewer::Staff(s) => comments::for_staff(core, s, document, None, after).await,
        }
    }

    /// How the comments and presence services see the viewer.
    pub fn reader(&self) -> backend::services::comments::Reader {
        use backend::services::comments::Reader;
        match &self.viewer {
            Viewer::Guest(g) => Reader::of_guest(&g.guest),
            Viewer::Staff(s) => Reader::of_staff(s),
        }
    }

    /// The viewer as presence records them.
    pub fn present(&self) -> backend::services::presence::Present<'_> {
        use backend::services::presence::Present;
        match &self.viewer {
            Viewer::Guest(g) => Present::Guest(&g.guest),
            Viewer::Staff(s) => Present::Staff(s),
        }
    }

    /// `None` while the session still admits its viewer; else why the socket ends.
    pub async fn recheck(&self) -> End {
        match &self.viewer {
            Viewer::Guest(g) => self.recheck_guest(&g.jwt, &g.meta).await,
            Viewer::Staff(s) => self.recheck_staff(s).await,
        }
    }

    /// A staff member's account must still be enabled and in the session's epoch (a
    /// password reset or a disable ends their sessions).
    async fn recheck_staff(&self, staff: &backend::actor::Staff) -> End {
        use backend::actor::StaffCredential;
        let StaffCredential::Session { epoch } = staff.credential else {
            return Some((close::NOT_ALLOWED, "not_allowed"));
        };
        match backend::services::auth::staff_for_session(&self.state.core, &staff.user_id, epoch)
            .await
        {
            Ok(Some(_)) => None,
            Ok(None) => Some((close::SIGNED_OUT, "signed_out")),
            Err(e) => {
                tracing::error!(error = %e, "a live channel could not re-check its session");
                Some((close::SERVER_ERROR, "server_error"))
            }
        }
    }

    async fn recheck_guest(&self, jwt: &str, meta: &backend::actor::RequestMeta) -> End {
        use backend::domain::Denial;
        use backend::services::access::{session_standing, SessionEnd};
        match session_standing(&self.state.core, jwt, meta).await {
            Ok(Ok(_)) => None,
            Ok(Err(SessionEnd::Token(_))) => Some((close::SESSION_ENDED, "session_ended")),
            Ok(Err(SessionEnd::SignedOut)) => Some((close::SIGNED_OUT, "signed_out")),
            Ok(Err(SessionEnd::Denied(Denial::Revoked))) => Some((close::REVOKED, "revoked")),
            Ok(Err(SessionEnd::Denied(Denial::Expired | Denial::AccessCountExceeded))) => {
                Some((close::EXPIRED, "expired"))
            }
            Ok(Err(SessionEnd::Denied(_) | SessionEnd::Gone)) => {
                Some((close::NOT_ALLOWED, "not_allowed"))
            }
            Err(e) => {
                tracing::error!(error = %e, "a live channel could not re-check its session");
                Some((close::SERVER_ERROR, "server_error"))
            }
        }
    }
}
