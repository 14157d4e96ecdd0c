//! Who reviews: reviewer keys (a staff user id, or `project:<id>` for that project's
//! controllers), the controllers of projects, and the mails reviewers get.

use std::collections::BTreeMap;

use serde_json::json;

use super::super::{authorize, rfc3339, Result, ServiceError};
use crate::actor::{RequestMeta, Staff};
use crate::audit::{self, AuditActor, EventType, NewEvent};
use crate::domain::{Action, Role};
use crate::mail::{self, templates, Draft};
use crate::store::{self, from_millis, reviews::CampaignRow, Tx};
use crate::Liaison;

const PROJECT: &str = "project:";

/// The reviewer keys `who` holds: themselves and the projects they control.
pub(super) async fn keys_of(core: &Liaison, who: &Staff) -> Result<Vec<String>> {
    let mut keys = vec![who.user_id.clone()];
    keys.extend(
        store::reviews::projects_of(core.db.pool(), &who.org_id, &who.user_id)
            .await?
            .into_iter()
            .map(|p| format!("{PROJECT}{p}")),
    );
    Ok(keys)
}

/// Which mail reviewers get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mail {
    Started,
    Reminder,
}

/// Mails every active staff member with undecided shares in the campaign how many, in
/// `tx`: a project key counts for each of the project's controllers.
pub(super) async fn mail_pending(
    core: &Liaison,
    tx: &mut Tx,
    c: &CampaignRow,
    kind: Mail,
) -> Result<usize> {
    let mut per_user: BTreeMap<String, i64> = BTreeMap::new();
    for (key, n) in store::reviews::pending_by_reviewer(&mut **tx, &c.org_id, &c.id).await? {
        match key.strip_prefix(PROJECT) {
            Some(project) => {
                for u in store::reviews::controllers_of(&mut **tx, &c.org_id, project).await? {
                    *per_user.entry(u).or_default() += n;
                }
            }
            None => *per_user.entry(key).or_default() += n,
        }
    }
    let org = store::orgs::get(&mut **tx, &c.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let url = core
        .settings
        .public_url
        .join(&format!("console/reviews/{}", c.id))
        .map_err(ServiceError::internal)?;
    let due = rfc3339(from_millis(c.due_at));
    let mut sent = 0;
    for (user_id, n) in per_user {
        let Some(user) = store::users::get(&mut **tx, &c.org_id, &user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
        else {
            continue;
        };
        let rendered = templates::review_assigned(
            &org,
            &user.display_name,
            &c.name,
            n,
            &due,
            kind == Mail::Reminder,
            url.as_str(),
        );
        mail::enqueue(
            tx,
            &core.sealer,
            core.settings
                .public_url
                .host_str()
                .unwrap_or("liaison.invalid"),
            core.now_ms(),
            Draft {
                org_id: &c.org_id,
                kind: match kind {
                    Mail::Started => "review_assigned",
                    Mail::Reminder => "review_reminder",
                },
                share_id: None,
                to_address: &user.email,
                to_name: &user.display_name,
                mail: rendered,
            },
        )
        .await?;
        sent += 1;
    }
    Ok(sent)
}

/// A project's active controllers: (user id, name).
pub async fn project_controllers(
    core: &Liaison,
    who: &Staff,
    project_id: &str,
) -> Result<Vec<(String, String)>> {
    authorize(who, Action::ViewPolicy)?;
    let pool = core.db.pool();
    let mut out = Vec::new();
    for id in store::reviews::controllers_of(pool, &who.org_id, project_id).await? {
        if let Some(u) = store::users::get(pool, &who.org_id, &id).await? {
            out.push((id, u.display_name));
        }
    }
    Ok(out)
}

/// Names the controllers of a project: the staff who review its shares when a campaign
/// says "the project's controllers". Each must be an active administrator or document
/// controller. Administrators only; audited.
#[tracing::instrument(skip_all)]
pub async fn set_project_controllers(
    core: &Liaison,
    who: &Staff,
    project_id: &str,
    user_ids: &[String],
    meta: &RequestMeta,
) -> Result<Vec<String>> {
    authorize(who, Action::ManageReviews)?;
    let pool = core.db.pool();
    let project = store::policies::project(pool, &who.org_id, project_id)
        .await?
        .ok_or(ServiceError::NotFound("project"))?;
    let mut ids: Vec<String> = user_ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut names = Vec::with_capacity(ids.len());
    for id in &ids {
        let user = store::users::get(pool, &who.org_id, id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(|| ServiceError::Invalid {
                field: "controllers",
                message: "no active staff member has this id".into(),
            })?;
        if !Role::parse(&user.role).is_some_and(|r| r.permits(Action::ReviewShares)) {
            return Err(ServiceError::Invalid {
                field: "controllers",
                message: format!(
                    "{} is an auditor; choose administrators or document controllers",
                    user.display_name
                ),
            });
        }
        names.push(user.email);
    }
    let mut tx = core.db.begin().await?;
    store::reviews::set_controllers(&mut tx, &who.org_id, project_id, &ids).await?;
    audit::record(
        &mut tx,
        NewEvent {
            org_id: &who.org_id,
            event_type: EventType::PolicyChanged,
            actor: AuditActor::Staff(who),
            share_id: None,
            item_id: None,
            details: json!({
                "project": { "id": project.id, "name": project.name },
                "controllers": names,
            }),
            meta,
            at_ms: core.now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}
