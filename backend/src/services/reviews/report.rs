//! A campaign's outcome report: one row per share under review, as CSV (cells that a
//! spreadsheet would run as formulas are defused) or JSON Lines.

use serde_json::json;

use super::super::audit_log::csv_safe;
use super::super::{authorize, Result, ServiceError};
use super::{get, item, QueueItem};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::Action;
use crate::store;
use crate::Liaison;

/// Rows read per query while writing a report.
const BATCH: i64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Csv,
    JsonLines,
}

impl ReportFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(ReportFormat::Csv),
            "jsonl" | "ndjson" => Some(ReportFormat::JsonLines),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::JsonLines => "application/jsonl; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Csv => "csv",
            ReportFormat::JsonLines => "jsonl",
        }
    }
}

const HEADER: [&str; 16] = [
    "share_id",
    "recipient_name",
    "recipient_email",
    "document",
    "created_by",
    "created_at",
    "expires_at",
    "access_count",
    "max_access_count",
    "tlp",
    "flags",
    "reviewer",
    "decision",
    "reason",
    "decided_by",
    "decided_at",
];

fn cells(i: &QueueItem) -> [String; 16] {
    let decided_by = if i.auto_applied && i.decision.is_some() {
        "default action".to_owned()
    } else {
        i.decided_by.clone().unwrap_or_default()
    };
    [
        i.share_id.clone(),
        i.recipient_name.clone(),
        i.recipient_email.clone(),
        i.document_title.clone(),
        i.created_by.clone(),
        i.created_at.clone(),
        i.expires_at.clone().unwrap_or_default(),
        i.access_count.to_string(),
        i.max_access_count.to_string(),
        i.tlp.clone(),
        i.flags.names().join(" "),
        i.reviewer.clone(),
        i.decision
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        i.reason.clone(),
        decided_by,
        i.decided_at.clone().unwrap_or_default(),
    ]
}

/// The outcome of a campaign so far (undecided rows have an empty decision), for
/// administrators and auditors; audited (`audit.exported`: it lists every recipient).
/// Returns the file's bytes and its name.
#[tracing::instrument(skip_all)]
pub async fn report(
    core: &Liaison,
    who: &Staff,
    campaign_id: &str,
    format: ReportFormat,
    meta: &RequestMeta,
) -> Result<(Vec<u8>, String)> {
    if authorize(who, Action::ManageReviews).is_err() {
        authorize(who, Action::ReadAudit)?;
    }
    let campaign = get(core, who, campaign_id).await?;
    let now = core.now_ms();
    let internal = |e: csv::Error| ServiceError::internal_while("writing CSV", e);
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut lines = Vec::new();
    if format == ReportFormat::Csv {
        csv.write_record(HEADER).map_err(internal)?;
    }
    let mut after = None;
    loop {
        let rows = store::reviews::queue(
            core.db.pool(),
            &who.org_id,
            &store::reviews::QueueQuery {
                campaign_id: campaign_id.to_owned(),
                keys: None,
                pending: None,
                after: after.take(),
                limit: BATCH,
            },
        )
        .await?;
        let full = rows.len() as i64 == BATCH;
        for r in rows {
            let i = item(r, now, campaign.no_response_days);
            match format {
                ReportFormat::Csv => csv
                    .write_record(cells(&i).iter().map(|c| csv_safe(c).into_owned()))
                    .map_err(internal)?,
                ReportFormat::JsonLines => {
                    let mut line = serde_json::to_vec(&json!({
                        "campaign": campaign.id,
                        "share_id": i.share_id,
                        "recipient": { "name": i.recipient_name, "email": i.recipient_email },
                        "document": i.document_title,
                        "created_by": i.created_by,
                        "created_at": i.created_at,
                        "expires_at": i.expires_at,
                        "access_count": i.access_count,
                        "max_access_count": i.max_access_count,
                        "tlp": i.tlp,
                        "flags": i.flags.names(),
                        "reviewer": i.reviewer,
                        "decision": i.decision,
                        "reason": i.reason,
                        "decided_by": i.decided_by,
                        "decided_at": i.decided_at,
                        "auto_applied": i.auto_applied,
                    }))
                    .map_err(ServiceError::internal)?;
                    line.push(b'\n');
                    lines.extend_from_slice(&line);
                }
            }
            after = Some(i.share_id);
        }
        if !full {
            break;
        }
    }
    let bytes = match format {
        ReportFormat::Csv => csv
            .into_inner()
            .map_err(|e| ServiceError::internal_while("writing CSV", e))?,
        ReportFormat::JsonLines => lines,
    };
    let name = format!("review-{}.{}", campaign.id, format.extension());
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::AuditExported,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: json!({
                "review": campaign.id,
                "name": campaign.name,
                "format": format.extension(),
                "rows": campaign.items,
            }),
            meta,
            at_ms: now,
        },
    )
    .await?;
    Ok((bytes, name))
}
