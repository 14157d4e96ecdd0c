//! Creating, listing, revoking and expiring shares (staff side).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use super::{rfc3339, validate, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::crypto::ShareToken;
use crate::domain::{Share, ShareStatus};
use crate::store::shares::{Keyset, ListQuery, ShareListRow, ShareRow, SortKey};
use crate::store::{self, from_millis, new_id, to_millis};
use crate::Liaison;

/// Upper bound on a share's lifetime until org policy (issue: policy) sets its own ceiling.
pub const MAX_EXPIRY: time::Duration = time::Duration::days(365);
pub const MAX_ACCESS_COUNT: i64 = 100_000;
pub const MAX_PAGE: i64 = 200;

#[derive(Clone, Debug)]
pub struct NewShare {
    pub document_id: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub expires_at: Option<OffsetDateTime>,
    /// 0 = unlimited.
    pub max_access_count: i64,
    pub require_acknowledgement: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ItemRef {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserRef {
    pub id: String,
    pub name: String,
}

/// A share as staff see it (never the token or its hash).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ShareView {
    pub id: String,
    pub status: ShareStatus,
    pub method: String,
    pub recipient: Person,
    pub item: ItemRef,
    pub created_by: UserRef,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub max_access_count: i64,
    pub access_count: i64,
    pub require_acknowledgement: bool,
    pub last_activity_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl ShareView {
    fn from_row(r: ShareListRow, now: OffsetDateTime) -> Self {
        let method = r.share.method.clone();
        let share = Share::from(r.share);
        Self {
            status: share.status(now),
            method,
            recipient: Person {
                name: share.recipient_name,
                email: share.recipient_email,
            },
            item: ItemRef {
                kind: "document",
                id: share.document_id,
                title: r.document_title,
            },
            created_by: UserRef {
                id: share.created_by,
                name: r.creator_name,
            },
            created_at: rfc3339(share.created_at),
            expires_at: share.expires_at.map(rfc3339),
            max_access_count: share.max_access_count,
            access_count: share.access_count,
            require_acknowledgement: share.require_acknowledgement,
            last_activity_at: share.last_activity_at.map(rfc3339),
            revoked_at: share.revoked_at.map(rfc3339),
            id: share.id,
        }
    }
}

/// The result of creating a share: the link is shown once and never stored.
pub struct CreatedShare {
    pub share: ShareView,
    pub url: SecretString,
}

pub async fn create(
    core: &Liaison,
    who: &Staff,
    input: NewShare,
    meta: &RequestMeta,
) -> Result<CreatedShare> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not create shares."));
    }
    let recipient_name = validate::text("recipient.name", &input.recipient_name, 200)?;
    let recipient_email = validate::email("recipient.email", &input.recipient_email)?;
    let now = core.now();
    if let Some(at) = input.expires_at {
        if at <= now {
            return Err(ServiceError::invalid(
                "expires_at",
                "the expiry must be in the future",
            ));
        }
        if at > now + MAX_EXPIRY {
            return Err(ServiceError::invalid(
                "expires_at",
                "the expiry must be within 365 days",
            ));
        }
    }
    if !(0..=MAX_ACCESS_COUNT).contains(&input.max_access_count) {
        return Err(ServiceError::invalid(
            "max_access_count",
            format!("the access count must be between 0 (unlimited) and {MAX_ACCESS_COUNT}"),
        ));
    }
    // Tenant check: the document must belong to the creator's organisation.
    let document = store::documents::get(core.db.pool(), &who.org_id, &input.document_id)
        .await?
        .ok_or(ServiceError::NotFound("document"))?;

    let token = ShareToken::generate();
    let verifier_hash = core.kdf.hash(token.verifier_secret()).await?;
    let row = ShareRow {
        id: new_id(),
        org_id: who.org_id.clone(),
        selector: token.selector().to_owned(),
        verifier_hash: verifier_hash.as_stored().to_owned(),
        method: "link".into(),
        document_id: document.id.clone(),
        recipient_name,
        recipient_email,
        created_by: who.user_id.clone(),
        created_at: to_millis(now),
        expires_at: input.expires_at.map(to_millis),
        max_access_count: input.max_access_count,
        access_count: 0,
        require_acknowledgement: i64::from(input.require_acknowledgement),
        last_activity_at: None,
        revoked_at: None,
        revoked_by: None,
        expired_at: None,
    };
    let mut tx = core.db.begin().await?;
    store::shares::insert(&mut *tx, &row).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::ShareCreated,
            actor: AuditActor::Staff(who),
            share_id: Some(&row.id),
            item_id: Some(&document.id),
            details: json!({
                "method": "link",
                "recipient": { "name": row.recipient_name, "email": row.recipient_email },
                "scope": { "kind": "document", "id": document.id, "title": document.title },
                "expires_at": input.expires_at.map(rfc3339),
                "max_access_count": row.max_access_count,
                "require_acknowledgement": input.require_acknowledgement,
            }),
            meta,
            at_ms: row.created_at,
        },
    )
    .await?;
    tx.commit().await?;
    let share = get(core, who, &row.id).await?;
    let url = SecretString::from(core.settings.share_url(token.expose().expose_secret()));
    Ok(CreatedShare { share, url })
}

#[derive(Clone, Debug, Default)]
pub struct ShareFilter {
    pub status: Option<ShareStatus>,
    pub document_id: Option<String>,
    pub sort: Option<String>,
    pub descending: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn parse_sort(s: Option<&str>) -> Result<SortKey> {
    match s.unwrap_or("created_at") {
        "created_at" => Ok(SortKey::CreatedAt),
        "expires_at" => Ok(SortKey::ExpiresAt),
        "access_count" => Ok(SortKey::AccessCount),
        other => Err(ServiceError::invalid(
            "sort",
            format!("cannot sort by {other:?}; use created_at, expires_at or access_count"),
        )),
    }
}

fn sort_name(k: SortKey) -> &'static str {
    match k {
        SortKey::CreatedAt => "created_at",
        SortKey::ExpiresAt => "expires_at",
        SortKey::AccessCount => "access_count",
    }
}

/// Cursors are opaque to clients: base64url of `sort:direction:value:id`, so a cursor
/// from one ordering cannot be replayed against another.
fn encode_cursor(sort: SortKey, descending: bool, k: &Keyset) -> String {
    let dir = if descending { "desc" } else { "asc" };
    B64URL.encode(format!("{}:{dir}:{}:{}", sort_name(sort), k.value, k.id))
}

fn decode_cursor(text: &str, sort: SortKey, descending: bool) -> Result<Keyset> {
    let bad = || {
        ServiceError::invalid(
            "cursor",
            "the cursor is malformed or belongs to another sort order",
        )
    };
    let raw = B64URL.decode(text).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = raw.splitn(4, ':');
    let (Some(s), Some(d), Some(v), Some(id)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let dir = if descending { "desc" } else { "asc" };
    if s != sort_name(sort) || d != dir || uuid::Uuid::parse_str(id).is_err() {
        return Err(bad());
    }
    Ok(Keyset {
        value: v.parse().map_err(|_| bad())?,
        id: id.to_owned(),
    })
}

/// The active shares table. Admins and auditors see the organisation's shares; controllers
/// see the ones they created.
pub async fn list(core: &Liaison, who: &Staff, f: ShareFilter) -> Result<Page<ShareView>> {
    let sort = parse_sort(f.sort.as_deref())?;
    let descending = f.descending.unwrap_or(true);
    let limit = f.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let after = f
        .cursor
        .as_deref()
        .map(|c| decode_cursor(c, sort, descending))
        .transpose()?;
    let now = core.now();
    let q = ListQuery {
        org_id: who.org_id.clone(),
        status: f.status,
        document_id: f.document_id,
        created_by: (!who.role.sees_all_shares()).then(|| who.user_id.clone()),
        sort,
        descending,
        after,
        id: None,
        limit: limit + 1,
        now_ms: to_millis(now),
    };
    let mut rows = store::shares::list(core.db.pool(), &q).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| {
            rows.last().map(|r| {
                encode_cursor(
                    sort,
                    descending,
                    &Keyset {
                        value: r.sort_value,
                        id: r.share.id.clone(),
                    },
                )
            })
        })
        .flatten();
    Ok(Page {
        items: rows
            .into_iter()
            .map(|r| ShareView::from_row(r, now))
            .collect(),
        next_cursor,
    })
}

pub async fn get(core: &Liaison, who: &Staff, id: &str) -> Result<ShareView> {
    let now = core.now();
    let q = ListQuery {
        org_id: who.org_id.clone(),
        status: None,
        document_id: None,
        created_by: (!who.role.sees_all_shares()).then(|| who.user_id.clone()),
        sort: SortKey::CreatedAt,
        descending: true,
        after: None,
        id: Some(id.to_owned()),
        limit: 1,
        now_ms: to_millis(now),
    };
    let row = store::shares::list(core.db.pool(), &q)
        .await?
        .into_iter()
        .next()
        .ok_or(ServiceError::NotFound("share"))?;
    Ok(ShareView::from_row(row, now))
}

/// Revokes a share at once: the next request on any path (page, API, download) fails.
/// Revoking an already revoked share is a no-op that returns the share unchanged.
pub async fn revoke(
    core: &Liaison,
    who: &Staff,
    id: &str,
    meta: &RequestMeta,
) -> Result<ShareView> {
    if !who.role.can_manage_content() {
        return Err(ServiceError::Forbidden("Your role may not revoke shares."));
    }
    let current = get(core, who, id).await?;
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if store::shares::revoke(&mut *tx, &who.org_id, id, &who.user_id, now).await? {
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &who.org_id,
                event_type: EventType::ShareRevoked,
                actor: AuditActor::Staff(who),
                share_id: Some(id),
                item_id: Some(&current.item.id),
                details: json!({
                    "revoked_by": { "id": who.user_id, "name": who.name, "email": who.email },
                    "recipient": current.recipient,
                    "access_count": current.access_count,
                }),
                meta,
                at_ms: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    get(core, who, id).await
}

/// Marks a share expired and writes "share expired" once (by whichever of the sweeper or
/// an access check notices first). Access checks never depend on this having run.
pub async fn record_expiry(core: &Liaison, share: &Share, meta: &RequestMeta) -> Result<()> {
    let now = core.now_ms();
    let mut tx = core.db.begin().await?;
    if store::shares::mark_expired(&mut *tx, &share.org_id, &share.id, now).await? {
        let reason = if share.is_date_expired(from_millis(now)) {
            "expiry_date"
        } else {
            "access_count"
        };
        audit::record(
            &mut tx,
            NewEvent {
                org_id: &share.org_id,
                event_type: EventType::ShareExpired,
                actor: AuditActor::System,
                share_id: Some(&share.id),
                item_id: Some(&share.document_id),
                details: json!({ "reason": reason, "access_count": share.access_count }),
                meta,
                at_ms: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One sweep: records expiry for up to `batch` shares. Returns how many were processed.
pub async fn sweep_expired(core: &Liaison, batch: i64) -> Result<usize> {
    let due = store::shares::due_for_expiry(core.db.pool(), core.now_ms(), batch).await?;
    let meta = RequestMeta::default();
    for (org_id, id) in &due {
        if let Some(share) = store::shares::get(core.db.pool(), org_id, id).await? {
            record_expiry(core, &share, &meta).await?;
        }
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_order() {
        let k = Keyset {
            value: 42,
            id: uuid::Uuid::now_v7().to_string(),
        };
        let c = encode_cursor(SortKey::AccessCount, true, &k);
        assert_eq!(decode_cursor(&c, SortKey::AccessCount, true).unwrap(), k);
        assert!(decode_cursor(&c, SortKey::ExpiresAt, true).is_err());
        assert!(decode_cursor(&c, SortKey::AccessCount, false).is_err());
        for junk in [
            "",
            "!!",
            "YWJj",
            &B64URL.encode("access_count:desc:1:' OR 1=1 --"),
        ] {
            assert!(
                decode_cursor(junk, SortKey::AccessCount, true).is_err(),
                "{junk}"
            );
        }
    }

    #[test]
    fn sort_names() {
        assert!(parse_sort(Some("recipient; DROP TABLE shares")).is_err());
        assert_eq!(parse_sort(None).unwrap(), SortKey::CreatedAt);
    }
}
