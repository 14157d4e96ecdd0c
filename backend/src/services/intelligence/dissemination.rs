//! Sharing criminal intelligence: a new share is screened before anything is written
//! ([`screen`]), and each recipient's receipt of each flagged item is recorded in the same
//! transaction as the share ([`Screened::record`]). The dissemination record is read as a
//! console report ([`disseminations`]) and leaves as an audited export
//! ([`export_disseminations`]).

use serde::Serialize;
use serde_json::json;

use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::controls::Method;
use crate::domain::intelligence::{justification_problem, IntelItemKind};
use crate::domain::Action;
use crate::services::{authorize, rfc3339, Result, ServiceError};
use crate::store::{
    self, from_millis, intelligence::DisseminationRow, intelligence::FlagRow, new_id, Tx,
};
use crate::Liaison;

use super::clearance::flags_on;
pub(crate) use super::clearance::Carried;

/// The law-enforcement partner a recipient belongs to.
#[derive(Clone, Debug)]
struct Receiver {
    partner_id: String,
    partner_name: String,
}

/// A share of flagged items that may go ahead: the flags, the justification and each
/// recipient's partner, in the recipients' order.
pub(crate) struct Screened {
    flags: Vec<FlagRow>,
    justification: String,
    receivers: Vec<Receiver>,
}

/// Screens a new share. Nothing flagged: `None`, and the share goes ahead as any other.
/// Something flagged: the share needs a justification ([`justification_problem`]), a
/// method that proves the recipient's identity (not "anyone with the link"), and every
/// recipient's email domain must belong to an enabled partner registered as a
/// law-enforcement agency. A purged item is never shared, nor one whose review is overdue.
pub(crate) async fn screen(
    core: &Liaison,
    org_id: &str,
    carried: &Carried<'_>,
    settings: &crate::domain::ShareSettings,
    method: Method,
    recipients: &[(String, String)],
    justification: Option<&str>,
) -> Result<Option<Screened>> {
    let flags = flags_on(core, org_id, carried).await?;
    if flags.is_empty() {
        return Ok(None);
    }
    if flags.iter().any(|f| f.purged_at.is_some()) {
        return Err(ServiceError::invalid(
            "item",
            "it holds an item purged under 28 CFR Part 23",
        ));
    }
    // Past its five-year review an item is kept only by a decision to retain it
    // (28 CFR 23.20(h)): until an administrator decides, it is not disseminated.
    let now = core.now_ms();
    if let Some(f) = flags.iter().find(|f| f.review_due <= now) {
        return Err(ServiceError::invalid(
            "item",
            format!(
                "\"{}\" was due for its five-year review on {}: an administrator retains or \
                 purges it before it is shared again",
                f.title,
                &rfc3339(from_millis(f.review_due))[..10]
            ),
        ));
    }
    let justification = justification.unwrap_or_default().trim().to_owned();
    if let Some(problem) = justification_problem(&justification) {
        return Err(ServiceError::invalid("justification", problem));
    }
    let anyone_at_partner = settings
        .federation
        .as_ref()
        .is_some_and(|f| f.any_partner_user);
    if method == Method::Link || anyone_at_partner {
        return Err(ServiceError::invalid(
            "method",
            "criminal intelligence goes only to a recipient whose identity the share proves: \
             choose an invitation, portal members or a named partner user's sign-in",
        ));
    }
    let pool = core.db.pool();
    let mut receivers = Vec::with_capacity(recipients.len());
    for (_, email) in recipients {
        let domain = crate::federation::email_domain(email).unwrap_or_default();
        let partner = match store::partners::partner_for_domain(pool, org_id, &domain).await? {
            Some(id) => store::partners::get_partner(pool, org_id, &id).await?,
            None => None,
        };
        match partner {
            Some(p) if p.law_enforcement != 0 && p.disabled_at.is_none() => {
                receivers.push(Receiver {
                    partner_id: p.id,
                    partner_name: p.name,
                })
            }
            Some(p) => {
                return Err(ServiceError::invalid(
                    "recipients",
                    format!(
                        "{email}: {} is not an enabled partner registered as a law-enforcement \
                         agency, so it may not receive criminal intelligence",
                        p.name
                    ),
                ))
            }
            None => {
                return Err(ServiceError::invalid(
                    "recipients",
                    format!(
                        "{email}: criminal intelligence goes only to a partner registered as a \
                         law-enforcement agency, and {domain} belongs to none"
                    ),
                ))
            }
        }
    }
    Ok(Some(Screened {
        flags,
        justification,
        receivers,
    }))
}

/// One share's recipient, as [`Screened::record`] needs them.
pub(crate) struct Receipt<'a> {
    /// The recipient's place in the screened list.
    pub index: usize,
    pub share_id: &'a str,
    pub recipient_name: &'a str,
    pub recipient_email: &'a str,
}

impl Screened {
    /// Records the recipient's receipt of every flagged item, with one audit event, inside
    /// the share's own transaction.
    pub(crate) async fn record(
        &self,
        tx: &mut Tx,
        who: &Staff,
        r: Receipt<'_>,
        meta: &RequestMeta,
        now_ms: i64,
    ) -> Result<()> {
        let receiver = &self.receivers[r.index];
        let mut items = Vec::with_capacity(self.flags.len());
        for f in &self.flags {
            store::intelligence::insert_dissemination(
                &mut **tx,
                &DisseminationRow {
                    id: new_id(),
                    org_id: who.org_id.clone(),
                    share_id: r.share_id.to_owned(),
                    item_kind: f.item_kind.clone(),
                    item_id: f.item_id.clone(),
                    item_title: f.title.clone(),
                    submitting_agency: f.submitting_agency.clone(),
                    reliability: f.reliability.clone(),
                    validity: f.validity.clone(),
                    recipient_name: r.recipient_name.to_owned(),
                    recipient_email: r.recipient_email.to_owned(),
                    partner_id: receiver.partner_id.clone(),
                    partner_name: receiver.partner_name.clone(),
                    justification: self.justification.clone(),
                    shared_by: who.user_id.clone(),
                    shared_by_name: who.name.clone(),
                    shared_at: now_ms,
                },
            )
            .await?;
            items.push(json!({ "kind": f.item_kind, "id": f.item_id, "title": f.title }));
        }
        audit::record(
            tx,
            NewEvent {
                org_id: &who.org_id,
                event_type: EventType::IntelDisseminated,
                actor: AuditActor::Staff(who),
                share_id: Some(r.share_id),
                item_id: self.flags.first().map(|f| f.item_id.as_str()),
                details: json!({
                    "items": items,
                    "recipient": { "name": r.recipient_name, "email": r.recipient_email },
                    "partner": { "id": receiver.partner_id, "name": receiver.partner_name },
                    "justification": self.justification,
                }),
                meta,
                at_ms: now_ms,
            },
        )
        .await?;
        Ok(())
    }
}

/// One line of the dissemination record.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DisseminationView {
    pub id: String,
    pub shared_at: String,
    pub share_id: String,
    pub item_kind: String,
    pub item_id: String,
    pub item_title: String,
    pub submitting_agency: String,
    pub reliability: String,
    pub validity: String,
    pub recipient_name: String,
    pub recipient_email: String,
    pub partner_name: String,
    pub justification: String,
    pub shared_by: String,
}

/// Which part of the record to read.
#[derive(Clone, Debug, Default)]
pub struct DisseminationFilter {
    /// RFC 3339 bounds (`to` exclusive); left out, the record's whole span.
    pub from: Option<String>,
    pub to: Option<String>,
    /// One item's disseminations.
    pub item: Option<(IntelItemKind, String)>,
}

/// Most lines one read returns.
pub const MAX_DISSEMINATIONS: i64 = 10_000;

fn bound(field: &'static str, v: &Option<String>, default: i64) -> Result<i64> {
    match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(t) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .map(store::to_millis)
            .map_err(|_| {
                ServiceError::invalid(field, "is an RFC 3339 time such as 2026-11-23T10:00:00Z")
            }),
    }
}

/// The dissemination record, newest first: who received what, when, from whom, why. A
/// period holding more than [`MAX_DISSEMINATIONS`] lines is refused (narrow it), never
/// cut short: a compliance record is read whole.
#[tracing::instrument(skip_all)]
pub async fn disseminations(
    core: &Liaison,
    who: &Staff,
    f: &DisseminationFilter,
) -> Result<Vec<DisseminationView>> {
    authorize(who, Action::ViewIntelligence)?;
    let from = bound("from", &f.from, 0)?;
    let to = bound("to", &f.to, i64::MAX)?;
    if from >= to {
        return Err(ServiceError::invalid("to", "the end comes after the start"));
    }
    let item = match &f.item {
        Some((kind, id)) => Some((
            *kind,
            super::item(core, &who.org_id, *kind, id)
                .await
                .map(|(id, _)| id)
                // A purged document keeps its family id: read its record by the id given.
                .unwrap_or_else(|_| id.clone()),
        )),
        None => None,
    };
    let rows = store::intelligence::disseminations(
        core.db.pool(),
        &who.org_id,
        from,
        to,
        item.as_ref().map(|(k, id)| (k.as_str(), id.as_str())),
        MAX_DISSEMINATIONS + 1,
    )
    .await?;
    if rows.len() as i64 > MAX_DISSEMINATIONS {
        return Err(ServiceError::invalid(
            "from",
            format!(
                "more than {MAX_DISSEMINATIONS} disseminations fall in this period: \
                 narrow it with a later start or an earlier end"
            ),
        ));
    }
    Ok(rows
        .into_iter()
        .map(|d| DisseminationView {
            id: d.id,
            shared_at: rfc3339(from_millis(d.shared_at)),
            share_id: d.share_id,
            item_kind: d.item_kind,
            item_id: d.item_id,
            item_title: d.item_title,
            submitting_agency: d.submitting_agency,
            reliability: d.reliability,
            validity: d.validity,
            recipient_name: d.recipient_name,
            recipient_email: d.recipient_email,
            partner_name: d.partner_name,
            justification: d.justification,
            shared_by: d.shared_by_name,
        })
        .collect())
}

/// The formats the dissemination record is exported in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisseminationFormat {
    /// `{"items": [...]}`, the lines as [`DisseminationView`]s.
    Json,
    /// RFC 4180 with a header row ([`to_csv`]).
    Csv,
}

impl DisseminationFormat {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// The dissemination record leaving Liaison (the REST API's read and the console's
/// download): the lines of [`disseminations`], and an `audit.exported` event naming the
/// period, item and line count, recorded before the bytes are handed over.
#[tracing::instrument(skip_all)]
pub async fn export_disseminations(
    core: &Liaison,
    who: &Staff,
    f: &DisseminationFilter,
    format: DisseminationFormat,
    meta: &RequestMeta,
) -> Result<Vec<u8>> {
    let lines = disseminations(core, who, f).await?;
    let bytes = match format {
        DisseminationFormat::Json => {
            serde_json::to_vec(&json!({ "items": lines })).map_err(ServiceError::internal)?
        }
        DisseminationFormat::Csv => to_csv(&lines)?,
    };
    audit::record_alone(
        &core.db,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::AuditExported,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: f.item.as_ref().map(|(_, id)| id.as_str()),
            details: json!({
                "record": "disseminations",
                "format": format.extension(),
                "from": f.from,
                "to": f.to,
                "item": f.item.as_ref().map(|(k, id)| json!({ "kind": k, "id": id })),
                "lines": lines.len(),
            }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    Ok(bytes)
}

/// The record as CSV (RFC 4180, a header row), for the export.
pub fn to_csv(lines: &[DisseminationView]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "shared_at",
        "item_kind",
        "item_id",
        "item_title",
        "submitting_agency",
        "reliability",
        "validity",
        "recipient_name",
        "recipient_email",
        "partner",
        "justification",
        "shared_by",
        "share_id",
    ];
    w.write_record(header).map_err(ServiceError::internal)?;
    for d in lines {
        // Any cell a spreadsheet would run as a formula is quoted as text.
        let cells = [
            &d.shared_at,
            &d.item_kind,
            &d.item_id,
            &d.item_title,
            &d.submitting_agency,
            &d.reliability,
            &d.validity,
            &d.recipient_name,
            &d.recipient_email,
            &d.partner_name,
            &d.justification,
            &d.shared_by,
            &d.share_id,
        ]
        .map(|c| spreadsheet_safe(c));
        w.write_record(&cells).map_err(ServiceError::internal)?;
    }
    w.into_inner().map_err(ServiceError::internal)
}

/// Text a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'`.
fn spreadsheet_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_quotes_formulas_and_commas() {
        let line = DisseminationView {
            id: "d".into(),
            shared_at: "2026-12-07T10:00:00Z".into(),
            share_id: "s".into(),
            item_kind: "record".into(),
            item_id: "r".into(),
            item_title: "=HYPERLINK(\"x\")".into(),
            submitting_agency: "Ghent PD, unit 4".into(),
            reliability: "B".into(),
            validity: "2".into(),
            recipient_name: "Ada".into(),
            recipient_email: "ada@police.example".into(),
            partner_name: "Police".into(),
            justification: "Task force".into(),
            shared_by: "Sam".into(),
        };
        let text = String::from_utf8(to_csv(&[line]).unwrap()).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().starts_with("shared_at,item_kind"));
        let row = lines.next().unwrap();
        assert!(row.contains("'=HYPERLINK"), "{row}");
        assert!(row.contains("\"Ghent PD, unit 4\""), "{row}");
    }
}
