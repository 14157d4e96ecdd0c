//! The organisation's redaction rules: field names withheld from guests wherever they occur
//! in any record or custody event. Administrators keep them (they are policy); everyone who
//! may see records may read them.

use serde_json::json;

use super::edit::audit_record;
use super::{refused, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::EventType;
use crate::domain::records::redaction;
use crate::domain::Action;
use crate::store;
use crate::Liaison;

/// The field names withheld in every record, by name.
#[tracing::instrument(skip_all)]
pub async fn list_rules(core: &Liaison, who: &Staff) -> Result<Vec<String>> {
    super::super::authorize(who, Action::ViewRecords)?;
    Ok(store::records::rules(core.db.pool(), &who.org_id).await?)
}

/// Withholds `field_name` in every record (compared without case; `-`, `_` and spaces
/// alike). Adding a rule that is there already changes nothing.
#[tracing::instrument(skip_all)]
pub async fn add_rule(
    core: &Liaison,
    who: &Staff,
    field_name: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>> {
    super::super::authorize(who, Action::ManagePolicy)?;
    let name = redaction::check_rule_name(field_name).map_err(refused)?;
    let mut tx = core.db.begin().await?;
    let added = store::records::add_rule(
        &mut *tx,
        &who.org_id,
        &name.folded(),
        name.as_str(),
        &who.user_id,
        core.now_ms(),
    )
    .await?;
    if added {
        audit_record(
            core,
            &mut tx,
            who,
            EventType::RedactionRuleChanged,
            None,
            json!({ "action": "added", "field_name": name.as_str() }),
            meta,
        )
        .await?;
    }
    tx.commit().await?;
    list_rules(core, who).await
}

/// Stops withholding `field_name` by rule (marks on records stay).
#[tracing::instrument(skip_all)]
pub async fn remove_rule(
    core: &Liaison,
    who: &Staff,
    field_name: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>> {
    super::super::authorize(who, Action::ManagePolicy)?;
    let name = redaction::check_rule_name(field_name).map_err(refused)?;
    let mut tx = core.db.begin().await?;
    if !store::records::remove_rule(&mut *tx, &who.org_id, &name.folded()).await? {
        tx.rollback().await?;
        return Err(ServiceError::NotFound("redaction rule"));
    }
    audit_record(
        core,
        &mut tx,
        who,
        EventType::RedactionRuleChanged,
        None,
        json!({ "action": "removed", "field_name": name.as_str() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    list_rules(core, who).await
}
