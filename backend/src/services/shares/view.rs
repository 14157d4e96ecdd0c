//! Listing and reading shares: filters and keyset pages with opaque cursors. Every staff
//! role that may view shares sees all of the organisation's (the role matrix).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde::Serialize;

use super::{ShareView, MAX_PAGE};
use crate::actor::Staff;
use crate::domain::ShareStatus;
use crate::services::{Result, ServiceError};
use crate::store::shares::{Keyset, ListQuery, ResponseFilter, SortKey};
use crate::store::{self, to_millis};
use crate::Liaison;

#[derive(Clone, Debug, Default)]
pub struct ShareFilter {
    pub status: Option<ShareStatus>,
    /// Shares of the record this id names, or covering any revision of the document it
    /// names (packages included).
    pub document_id: Option<String>,
    /// The creator's user id.
    pub created_by: Option<String>,
    /// Prefix of the recipient's email or name.
    pub recipient: Option<String>,
    /// `responded`, or `awaiting` (the guest may respond and has not).
    pub response: Option<String>,
    /// With `awaiting`: only shares made at least this many days ago.
    pub days: Option<u32>,
    /// Only active shares that expire within this many days.
    pub expiring_within_days: Option<u32>,
    pub sort: Option<String>,
    pub descending: Option<bool>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
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

/// The response filter: `responded`, or `awaiting` with an optional age in days.
fn parse_response(response: Option<&str>, days: Option<u32>) -> Result<Option<ResponseFilter>> {
    match (response.filter(|r| !r.is_empty()), days) {
        (None, None) => Ok(None),
        (Some("responded"), None) => Ok(Some(ResponseFilter::Responded)),
        (Some("awaiting"), days) => {
            let days = days.unwrap_or(0);
            if days > 3650 {
                return Err(ServiceError::invalid(
                    "days",
                    "days must be between 0 and 3650",
                ));
            }
            Ok(Some(ResponseFilter::Awaiting {
                older_than_ms: i64::from(days) * 86_400_000,
            }))
        }
        (Some("responded"), Some(_)) | (None, Some(_)) => Err(ServiceError::invalid(
            "days",
            "days counts only with response=awaiting (no response after that many days)",
        )),
        (Some(other), _) => Err(ServiceError::invalid(
            "response",
            format!("response must be responded or awaiting, not {other:?}"),
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

/// The active shares table: the organisation's shares, filtered and sorted.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff, f: ShareFilter) -> Result<Page<ShareView>> {
    crate::services::authorize(who, crate::domain::Action::ViewShares)?;
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
    let response = parse_response(f.response.as_deref(), f.days)?;
    let expires_before = match f.expiring_within_days {
        None => None,
        Some(d) if (1..=3650).contains(&d) => Some(to_millis(now) + i64::from(d) * 86_400_000),
        Some(_) => {
            return Err(ServiceError::invalid(
                "expiring",
                "expiring counts days ahead: between 1 and 3650",
            ))
        }
    };
    let q = ListQuery {
        org_id: who.org_id.clone(),
        response,
        expires_before,
        status: f.status,
        document_id: f.document_id,
        created_by: f.created_by,
        recipient: f.recipient.filter(|r| !r.trim().is_empty()),
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
            .collect::<Result<_>>()?,
        next_cursor,
    })
}

#[tracing::instrument(skip_all)]
pub async fn get(core: &Liaison, who: &Staff, id: &str) -> Result<ShareView> {
    crate::services::authorize(who, crate::domain::Action::ViewShares)?;
    let now = core.now();
    let q = ListQuery {
        org_id: who.org_id.clone(),
        status: None,
        document_id: None,
        created_by: None,
        recipient: None,
        sort: SortKey::CreatedAt,
        descending: true,
        after: None,
        response: None,
        expires_before: None,
        id: Some(id.to_owned()),
        limit: 1,
        now_ms: to_millis(now),
    };
    let row = store::shares::list(core.db.pool(), &q)
        .await?
        .into_iter()
        .next()
        .ok_or(ServiceError::NotFound("share"))?;
    ShareView::from_row(row, now)
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
