//! Whom a live channel speaks for, and how it re-checks that they are still admitted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::follows::CommentChanges;
use super::{close, End};
use crate::state::AppState;

/// Content is pushed to a socket only while its session was checked within this long.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Whom a socket speaks for, with what it re-checks their session.
pub(super) enum Viewer {
    /// A guest: the portal session's token, checked like a request from `meta`.
    Guest(Box<GuestViewer>),
    /// A staff member in a console session: as it stood at the last check, and the
    /// session's id (re-read from the store at every check).
    Staff(backend::actor::Staff, tower_sessions::session::Id),
}

pub(super) struct GuestViewer {
    pub jwt: String,
    pub meta: backend::actor::RequestMeta,
    pub guest: backend::actor::Guest,
}

pub(super) struct Session {
    pub state: AppState,
    pub viewer: Viewer,
    /// When the session last passed its checks.
    pub checked_at: Instant,
}

impl Session {
    pub fn org_id(&self) -> &str {
        match &self.viewer {
            Viewer::Guest(g) => &g.guest.org_id,
            Viewer::Staff(s, _) => &s.org_id,
        }
    }

    /// The share whose revocation ends the socket (a guest's).
    pub fn share_id(&self) -> Option<&str> {
        match &self.viewer {
            Viewer::Guest(g) => Some(&g.guest.share_id),
            Viewer::Staff(..) => None,
        }
    }

    /// The changes to `document`'s comments after `after` that the viewer may read, as the
    /// messages that carry them, from a read started at or after `since` (shared with every
    /// channel of this node making the same read: [`super::flights`]). A document the
    /// viewer may not read ends the socket (1008), as does a fault (1011).
    pub async fn comment_changes(
        &self,
        document: &str,
        after: i64,
        since: Instant,
    ) -> Result<Arc<CommentChanges>, End> {
        use backend::services::{comments, ServiceError};
        let reader = self.reader();
        let key = (self.org_id().to_owned(), document.to_owned(), reader, after);
        let read = || async {
            let core = &self.state.core;
            let page = match &self.viewer {
                Viewer::Guest(g) => comments::for_guest(core, &g.guest, document, after).await,
                Viewer::Staff(s, _) => comments::for_staff(core, s, document, None, after).await,
            };
            match page {
                Ok(page) => Ok(Ok(Arc::new(CommentChanges::of(document, &page)))),
                Err(ServiceError::NotFound(_)) => {
                    Ok(Err(Some((close::POLICY, "unknown_document"))))
                }
                Err(e) => {
                    tracing::error!(error = %e, "a live channel could not read comments");
                    Err(Some((close::SERVER_ERROR, "server_error")))
                }
            }
        };
        let shared = self.state.live.comments.get(key, since, read).await;
        shared.and_then(|(changes, _)| changes)
    }

    /// What the channel listens for on the bus: the guest's share or the staff member,
    /// `documents` and the `activity` feeds it watches.
    pub fn interest<'a>(
        &'a self,
        documents: &'a [backend::revocation::DocumentRef],
        activity: &'a [backend::revocation::Watched],
    ) -> backend::revocation::Interest<'a> {
        backend::revocation::Interest {
            share_id: self.share_id(),
            guests_of: match &self.viewer {
                Viewer::Guest(g) => Some(g.guest.org_id.as_str()),
                Viewer::Staff(..) => None,
            },
            staff: match &self.viewer {
                Viewer::Staff(s, _) => Some((s.org_id.as_str(), s.user_id.as_str())),
                Viewer::Guest(_) => None,
            },
            documents,
            skip_guest_presence: matches!(self.viewer, Viewer::Guest(_)),
            activity,
        }
    }

    /// Whether the viewer may write comments now (staff per role; a guest per their share's
    /// permission).
    pub async fn may_comment(&self) -> Result<bool, backend::services::ServiceError> {
        match &self.viewer {
            Viewer::Staff(s, _) => Ok(s.role.permits(backend::domain::Action::Comment)),
            Viewer::Guest(g) => Ok(backend::store::shares::get(
                self.state.core.db.pool(),
                &g.guest.org_id,
                &g.guest.share_id,
            )
            .await?
            .is_some_and(|share| share.settings.permission.may_respond())),
        }
    }

    /// How the comments and presence services see the viewer.
    pub fn reader(&self) -> backend::services::comments::Reader {
        use backend::services::comments::Reader;
        match &self.viewer {
            Viewer::Guest(g) => Reader::of_guest(&g.guest),
            Viewer::Staff(s, _) => Reader::of_staff(s),
        }
    }

    /// The viewer as presence records them.
    pub fn present(&self) -> backend::services::presence::Present<'_> {
        use backend::services::presence::Present;
        match &self.viewer {
            Viewer::Guest(g) => Present::Guest(&g.guest),
            Viewer::Staff(s, _) => Present::Staff(s),
        }
    }

    /// `None` while the session still admits its viewer; else why the socket ends. Checked
    /// afresh: called when something that admits the viewer changed.
    pub async fn recheck(&mut self) -> End {
        self.check_since(Instant::now()).await
    }

    /// [`recheck`](Self::recheck), unless the session passed its checks within
    /// [`FRESH_FOR`]: called before content is pushed, so expiry and other changes that no
    /// announcement reports stop the pushes within a second. The check is shared with the
    /// node's other channels of the same session (a comment reaching a thousand sockets of
    /// one portal session checks it once).
    pub async fn recheck_if_stale(&mut self) -> End {
        let now = Instant::now();
        if now.duration_since(self.checked_at) < FRESH_FOR {
            return None;
        }
        self.check_since(now.checked_sub(FRESH_FOR).unwrap_or(now))
            .await
    }

    /// The session's standing from a check started at or after `since`, shared with the
    /// node's other channels of the same session ([`super::flights`]).
    async fn check_since(&mut self, since: Instant) -> End {
        let live = &self.state.live;
        let checked = match &self.viewer {
            Viewer::Guest(g) => {
                let key = (g.jwt.clone(), g.meta.clone());
                live.guests
                    .get(key, since, || self.recheck_guest(&g.jwt, &g.meta))
                    .await
            }
            Viewer::Staff(was, id) => {
                let key = (*id, was.user_id.clone());
                match live.staff.get(key, since, || self.reload_staff(*id)).await {
                    Ok((Ok(staff), at)) => {
                        if let Viewer::Staff(s, _) = &mut self.viewer {
                            *s = staff;
                        }
                        Ok((None, at))
                    }
                    Ok((Err(end), at)) => Ok((end, at)),
                    Err(fault) => Err(fault),
                }
            }
        };
        let (end, checked_at) = match checked {
            Ok(checked) => checked,
            Err(fault) => return fault,
        };
        if end.is_none() {
            self.checked_at = checked_at;
        }
        end
    }

    /// The staff member the console session `id` names now, re-read from the session
    /// store: signed out or expired (the session is gone), disabled or reset (the epoch
    /// moved on) or another person end the socket (`Ok(Err)`). A new role applies from here
    /// on. `Err`: the store could not be read (the socket ends with 1011).
    async fn reload_staff(
        &self,
        id: tower_sessions::session::Id,
    ) -> Result<Result<backend::actor::Staff, End>, End> {
        let Viewer::Staff(was, _) = &self.viewer else {
            return Ok(Err(Some((close::NOT_ALLOWED, "not_allowed"))));
        };
        let store = std::sync::Arc::new(backend::store::sessions::SqlSessionStore::new(
            self.state.core.db.clone(),
        ));
        let session = tower_sessions::Session::new(Some(id), store, None);
        match app::ssr::session_staff(&self.state.core, &session).await {
            Ok(Some((now, _))) if now.user_id == was.user_id => Ok(Ok(now)),
            Ok(_) => Ok(Err(Some((close::SIGNED_OUT, "signed_out")))),
            Err(e) => {
                tracing::error!(error = %e, "a live channel could not re-check its session");
                Err(Some((close::SERVER_ERROR, "server_error")))
            }
        }
    }

    /// Why the guest's session no longer admits them (`Ok(None)`: it does). `Err`: it could
    /// not be checked (the socket ends with 1011).
    async fn recheck_guest(
        &self,
        jwt: &str,
        meta: &backend::actor::RequestMeta,
    ) -> Result<End, End> {
        use backend::domain::Denial;
        use backend::services::access::{session_standing, SessionEnd};
        Ok(match session_standing(&self.state.core, jwt, meta).await {
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
                return Err(Some((close::SERVER_ERROR, "server_error")));
            }
        })
    }
}
