//! Reading, exporting and verifying the audit trail (admins and auditors).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use serde::Serialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{rfc3339, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, chain, AuditActor, EventType, NewEvent};
use crate::store::{self, audit::AuditQuery, audit::AuditRow};
use crate::Liaison;

pub const MAX_PAGE: i64 = 1000;
/// Rows fetched per round trip while streaming an export.
const EXPORT_BATCH: i64 = 1000;

#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AuditActorView {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub name: String,
    pub credential: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: String,
    pub seq: Option<i64>,
    pub occurred_at: String,
    pub event_type: String,
    pub actor: AuditActorView,
    pub share_id: Option<String>,
    pub item_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub hash: Option<String>,
}

impl From<AuditRow> for AuditEventView {
    fn from(r: AuditRow) -> Self {
        Self {
            occurred_at: rfc3339(store::from_millis(r.occurred_at)),
            actor: AuditActorView {
                kind: r.actor_type,
                id: r.actor_id,
                name: r.actor_name,
                credential: r.credential,
            },
            details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            id: r.id,
            seq: r.seq,
            event_type: r.event_type,
            share_id: r.share_id,
            item_id: r.item_id,
            ip: r.ip,
            user_agent: r.user_agent,
            hash: r.hash,
        }
    }
}

/// Filters as the caller gives them (query string or form); validated by [`list`] and
/// [`export`] alike.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub share_id: Option<String>,
    pub item_id: Option<String>,
    /// Events about any revision of the document this id names (any of its revisions).
    pub document: Option<String>,
    /// An event type (`share.revoked`) or a group of them (`guest_share`).
    pub event_type: Option<String>,
    pub actor_id: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    pub next_cursor: Option<String>,
}

pub(super) fn require_reader(who: &Staff) -> Result<()> {
    super::authorize(who, crate::domain::Action::ReadAudit)
}

fn parse_time(field: &'static str, text: Option<&str>) -> Result<Option<i64>> {
    text.map(|t| {
        OffsetDateTime::parse(t, &Rfc3339)
            .map(store::to_millis)
            .map_err(|_| {
                ServiceError::invalid(
                    field,
                    format!("{field} must be an RFC 3339 time such as 2026-11-23T10:00:00Z"),
                )
            })
    })
    .transpose()
}

fn id_filter(field: &'static str, value: Option<String>) -> Result<Option<String>> {
    match value {
        Some(v) if uuid::Uuid::parse_str(&v).is_err() => Err(ServiceError::invalid(
            field,
            format!("{field} must be an id (UUID)"),
        )),
        other => Ok(other),
    }
}

fn encode_cursor(at: i64, id: &str) -> String {
    B64URL.encode(format!("{at}:{id}"))
}

fn decode_cursor(text: &str) -> Result<(i64, String)> {
    let bad = || ServiceError::invalid("cursor", "the cursor is not valid; start from page one");
    let raw = String::from_utf8(B64URL.decode(text).map_err(|_| bad())?).map_err(|_| bad())?;
    let (at, id) = raw.split_once(':').ok_or_else(bad)?;
    uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((at.parse().map_err(|_| bad())?, id.to_owned()))
}

/// The store's query for `f`, the `document` filter resolved to its revisions.
pub(super) async fn query(
    core: &Liaison,
    who: &Staff,
    f: AuditFilter,
    limit: i64,
) -> Result<AuditQuery> {
    let document = id_filter("document", f.document.clone())?;
    let mut q = to_query(f, limit)?;
    if let Some(id) = document {
        if !q.item_ids.is_empty() {
            return Err(ServiceError::invalid(
                "document",
                "filter by item_id or by document, not both",
            ));
        }
        let named = store::documents::get(core.db.pool(), &who.org_id, &id)
            .await?
            .ok_or_else(|| ServiceError::invalid("document", "no such document"))?;
        q.item_ids = store::documents::revisions(core.db.pool(), &who.org_id, &named.family_id)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
    }
    Ok(q)
}

/// The store's query for `f`, but for its `document` filter ([`query`] resolves it).
fn to_query(f: AuditFilter, limit: i64) -> Result<AuditQuery> {
    let event_types = match &f.event_type {
        None => Vec::new(),
        Some(t) => EventType::parse_filter(t)
            .ok_or_else(|| {
                ServiceError::invalid("event_type", format!("unknown event type {t:?}"))
            })?
            .into_iter()
            .map(|e| e.as_str().to_owned())
            .collect(),
    };
    Ok(AuditQuery {
        share_id: id_filter("share_id", f.share_id)?,
        item_ids: id_filter("item_id", f.item_id)?.into_iter().collect(),
        actor_id: id_filter("actor_id", f.actor_id)?,
        event_types,
        from_ms: parse_time("from", f.from.as_deref())?,
        to_ms: parse_time("to", f.to.as_deref())?,
        before: f.cursor.as_deref().map(decode_cursor).transpose()?,
        after_seq: None,
        limit,
    })
}

/// One page of the organisation's audit log, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(core: &Liaison, who: &Staff, f: AuditFilter) -> Result<AuditPage> {
    require_reader(who)?;
    let limit = f.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let q = query(core, who, f, limit + 1).await?;
    let mut rows = store::audit::list(core.db.pool(), &who.org_id, &q).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode_cursor(r.occurred_at, &r.id))
    } else {
        None
    };
    Ok(AuditPage {
        items: rows.into_iter().map(AuditEventView::from).collect(),
        next_cursor,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

impl ExportFormat {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "csv" => Ok(ExportFormat::Csv),
            "jsonl" | "ndjson" => Ok(ExportFormat::JsonLines),
            other => Err(ServiceError::invalid(
                "format",
                format!("unknown export format {other:?}; use csv or jsonl"),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::JsonLines => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        }
    }
}

const CSV_HEADER: [&str; 14] = [
    "seq",
    "id",
    "occurred_at",
    "event_type",
    "actor_type",
    "actor_id",
    "actor_name",
    "credential",
    "share_id",
    "item_id",
    "ip",
    "user_agent",
    "details",
    "hash",
];

/// A spreadsheet would run a cell starting with one of these as a formula (CSV injection);
/// such cells are prefixed with a quote character.
pub(crate) fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn csv_rows(rows: &[AuditRow], header: bool) -> Result<Bytes> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 256));
    let internal = |e: csv::Error| ServiceError::internal_while("writing CSV", e);
    if header {
        w.write_record(CSV_HEADER).map_err(internal)?;
    }
    for r in rows {
        let seq = r.seq.map(|s| s.to_string()).unwrap_or_default();
        let at = rfc3339(store::from_millis(r.occurred_at));
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let record = [
            seq,
            r.id.clone(),
            at,
            r.event_type.clone(),
            r.actor_type.clone(),
            o(&r.actor_id),
            r.actor_name.clone(),
            r.credential.clone(),
            o(&r.share_id),
            o(&r.item_id),
            o(&r.ip),
            o(&r.user_agent),
            r.details.clone(),
            o(&r.hash),
        ];
        w.write_record(record.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ServiceError::internal_while("writing CSV", e))?;
    Ok(Bytes::from(bytes))
}

fn jsonl_rows(rows: Vec<AuditRow>) -> Result<Bytes> {
    let mut out = Vec::with_capacity(rows.len() * 384);
    for r in rows {
        serde_json::to_writer(&mut out, &AuditEventView::from(r))
            .map_err(|e| ServiceError::internal_while("writing JSON", e))?;
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

/// The organisation's audit events matching `f`, newest first, as CSV or JSON Lines.
/// Streamed a batch at a time: memory stays constant however large the export. The export
/// itself is audited before the first byte is produced.
#[tracing::instrument(skip_all)]
pub async fn export(
    core: Arc<Liaison>,
    who: &Staff,
    f: AuditFilter,
    format: ExportFormat,
    meta: &RequestMeta,
) -> Result<BoxStream<'static, Result<Bytes>>> {
    require_reader(who)?;
    let filter_echo = json!({
        "format": format.extension(),
        "share_id": f.share_id, "item_id": f.item_id, "document": f.document,
        "event_type": f.event_type,
        "actor_id": f.actor_id, "from": f.from, "to": f.to,
    });
    let q = query(&core, who, f, EXPORT_BATCH).await?;
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::AuditExported,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: filter_echo,
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    let org_id = who.org_id.clone();
    struct State {
        core: Arc<Liaison>,
        org_id: String,
        q: AuditQuery,
        first: bool,
        done: bool,
    }
    let state = State {
        core,
        org_id,
        q,
        first: true,
        done: false,
    };
    Ok(stream::unfold(state, move |mut s| async move {
        if s.done {
            return None;
        }
        let rows = match store::audit::list(s.core.db.pool(), &s.org_id, &s.q).await {
            Ok(rows) => rows,
            Err(e) => {
                s.done = true;
                return Some((Err(e.into()), s));
            }
        };
        s.done = (rows.len() as i64) < EXPORT_BATCH;
        s.q.before = rows.last().map(|r| (r.occurred_at, r.id.clone()));
        let chunk = match format {
            ExportFormat::Csv => csv_rows(&rows, s.first),
            ExportFormat::JsonLines => jsonl_rows(rows),
        };
        s.first = false;
        Some((chunk, s))
    })
    .boxed())
}

/// Verifies the caller's organisation's chain.
#[tracing::instrument(skip_all)]
pub async fn verify(core: &Liaison, who: &Staff) -> Result<chain::Report> {
    require_reader(who)?;
    Ok(chain::verify(&core.db, &who.org_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("Ada Lovelace"), "Ada Lovelace");
    }

    #[test]
    fn bad_filters_are_named() {
        let bad = [
            AuditFilter {
                event_type: Some("share.deleted".into()),
                ..Default::default()
            },
            AuditFilter {
                share_id: Some("' OR 1=1 --".into()),
                ..Default::default()
            },
            AuditFilter {
                from: Some("yesterday".into()),
                ..Default::default()
            },
            AuditFilter {
                cursor: Some("!!".into()),
                ..Default::default()
            },
        ];
        for f in bad {
            assert!(matches!(to_query(f, 10), Err(ServiceError::Invalid { .. })));
        }
        let c = encode_cursor(5, "0190a3c4-0000-7000-8000-000000000000");
        assert_eq!(decode_cursor(&c).unwrap().0, 5);
    }
}
