use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

use crate::types::ProjectsView;

/// The projects page: the organisation's policy (the ceilings) and every project with its
/// override and effective policy.
#[server]
pub async fn list_projects() -> Result<ProjectsView, AppError> {
    use super::get_policy::{name, names, policy_view};
    use crate::ssr::{context, fail, require_staff};
    use backend::services::policy;
    let ctx = context()?;
    let staff = require_staff().await?;
    let is_admin = staff.role.permits(backend::domain::Action::ManagePolicy);
    let org = policy::get(&ctx.core, &staff).await.map_err(fail)?;
    let mut projects = Vec::new();
    for p in policy::projects(&ctx.core, &staff).await.map_err(fail)? {
        let controllers = backend::services::reviews::project_controllers(&ctx.core, &staff, &p.id)
            .await
            .map_err(fail)?;
        projects.push({
            let o = p.policy_override;
            crate::types::ProjectView {
                id: p.id,
                name: p.name,
                default_expiry_days: o.default_expiry_days,
                max_expiry_days: o.max_expiry_days,
                allow_custom_expiry: o.allow_custom_expiry,
                default_max_access_count: o.default_max_access_count,
                allow_controller_override: o.allow_controller_override,
                allowed_scopes: o.allowed_scopes.as_deref().map(names),
                require_acknowledgement: o.require_acknowledgement,
                allowed_methods: o.allowed_methods.as_deref().map(names),
                tlp_ceiling: o.tlp_ceiling.as_ref().map(name),
                revoked_link: o.revoked_link.as_ref().map(name),
                effective: policy_view(&p.effective, is_admin),
                controllers,
            }
        });
    }
    let reviewers = if staff.role.permits(backend::domain::Action::ManageReviews) {
        backend::services::staff::list(&ctx.core, &staff)
            .await
            .map_err(fail)?
            .into_iter()
            .filter(|p| {
                p.status == backend::services::staff::StaffStatus::Active
                    && p.role.permits(backend::domain::Action::ReviewShares)
            })
            .map(|p| (p.id, p.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ProjectsView {
        organisation: policy_view(&org, is_admin),
        projects,
        reviewers,
    })
}

#[server]
pub async fn create_project(csrf: String, name: String) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::policy::create_project(&ctx.core, &staff, &name, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}

/// A project's override form, as it posts. Empty text and selects mean "as the
/// organisation" (no override); the scope and method boxes override only when they differ
/// from the organisation's.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProjectForm {
    pub csrf: String,
    pub id: String,
    pub default_expiry_days: String,
    pub max_expiry_days: String,
    pub default_max_access_count: String,
    pub allow_custom_expiry: String,
    pub allow_controller_override: String,
    pub require_acknowledgement: String,
    pub tlp_ceiling: String,
    pub revoked_link: String,
    pub scope_single_revision: Option<String>,
    pub scope_document_package: Option<String>,
    pub scope_work_package: Option<String>,
    pub scope_record: Option<String>,
    pub method_link: Option<String>,
    pub method_invitation: Option<String>,
    pub method_portal: Option<String>,
    pub method_federated: Option<String>,
}

/// Sets a project's override; refused, naming the setting, where it would loosen the
/// organisation's policy.
#[server]
pub async fn save_project(#[server(flatten)] form: ProjectForm) -> Result<(), AppError> {
    use super::get_policy::names;
    use crate::server_fns::ticked;
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::{policy, ServiceError};
    use serde_json::{json, Value};
    let ctx = context()?;
    let staff = require_staff_csrf(&form.csrf).await?;
    let org = policy::get(&ctx.core, &staff).await.map_err(fail)?;
    // Empty = as the organisation; otherwise a whole number from `min`, on its own field.
    let number = |field: &'static str, text: &str, min: i64| -> Result<Value, AppError> {
        match text.trim() {
            "" => Ok(Value::Null),
            t => t
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=i64::from(u32::MAX)).contains(n))
                .map(Value::from)
                .ok_or_else(|| {
                    AppError::invalid(
                        field,
                        format!("{field} must be a whole number of at least {min}, not {t:?}"),
                    )
                }),
        }
    };
    let yes_no = |text: &str| match text {
        "yes" => json!(true),
        "no" => json!(false),
        _ => Value::Null,
    };
    let text = |t: &str| if t.is_empty() { Value::Null } else { json!(t) };
    // Boxes ticked as the organisation's are no override.
    let ticked_unless_org = |pairs: &[(&str, &Option<String>)], org: Vec<String>| -> Value {
        let mut chosen: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| ticked(v))
            .map(|(n, _)| (*n).to_owned())
            .collect();
        let mut org = org;
        chosen.sort();
        org.sort();
        if chosen == org {
            Value::Null
        } else {
            json!(chosen)
        }
    };
    let f = &form;
    let body = json!({
        "default_expiry_days": number("default_expiry_days", &f.default_expiry_days, 1)?,
        "max_expiry_days": number("max_expiry_days", &f.max_expiry_days, 1)?,
        "default_max_access_count": number("default_max_access_count", &f.default_max_access_count, 0)?,
        "allow_custom_expiry": yes_no(&f.allow_custom_expiry),
        "allow_controller_override": yes_no(&f.allow_controller_override),
        "require_acknowledgement": yes_no(&f.require_acknowledgement),
        "tlp_ceiling": text(&f.tlp_ceiling),
        "revoked_link": text(&f.revoked_link),
        "allowed_scopes": ticked_unless_org(&[
            ("single_revision", &f.scope_single_revision),
            ("document_package", &f.scope_document_package),
            ("work_package", &f.scope_work_package),
            ("record", &f.scope_record),
        ], names(&org.allowed_scopes)),
        "allowed_methods": ticked_unless_org(&[
            ("link", &f.method_link),
            ("invitation", &f.method_invitation),
            ("portal", &f.method_portal),
            ("federated", &f.method_federated),
        ], names(&org.allowed_methods)),
    });
    let o: backend::domain::PolicyOverride = serde_json::from_value(body).map_err(|e| {
        fail(ServiceError::Invalid {
            field: "policy",
            message: e.to_string(),
        })
    })?;
    policy::set_project_override(&ctx.core, &staff, &form.id, o, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Names the controllers of a project (the ticked `controllers[N]`; none ticked clears).
#[server]
pub async fn save_project_controllers(
    csrf: String,
    project_id: String,
    controllers: Option<Vec<String>>,
) -> Result<(), AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    backend::services::reviews::set_project_controllers(
        &ctx.core,
        &staff,
        &project_id,
        &controllers.unwrap_or_default(),
        &meta().await?,
    )
    .await
    .map_err(fail)?;
    Ok(())
}
