use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// The External Access settings form, as it posts (checkboxes arrive only when ticked).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PolicyForm {
    pub csrf: String,
    pub default_expiry: String,
    pub custom_expiry_days: Option<String>,
    pub max_expiry_days: String,
    pub allow_custom_expiry: Option<String>,
    pub default_max_access_count: String,
    pub allow_controller_override: Option<String>,
    pub scope_single_revision: Option<String>,
    pub scope_document_package: Option<String>,
    pub scope_work_package: Option<String>,
    pub scope_record: Option<String>,
    pub require_acknowledgement: Option<String>,
    pub method_link: Option<String>,
    pub method_invitation: Option<String>,
    pub method_portal: Option<String>,
    pub method_federated: Option<String>,
    pub tlp_ceiling: String,
    pub revoked_link: String,
    /// Present when the form holds the secrets fieldset (its checkboxes then count).
    pub secret_fields: Option<String>,
    pub secret_max_lifetime_hours: Option<String>,
    pub secret_code_required_from: Option<String>,
    pub secret_recipient_anyone: Option<String>,
    pub secret_recipient_email: Option<String>,
    /// The watermark's opacity (percent) and density (lines across a page); absent, kept.
    pub watermark_opacity: Option<String>,
    pub watermark_density: Option<String>,
}

/// Changes the organisation's External Access settings (administrators). Checkboxes
/// arrive only when ticked; `default_expiry` is 7, 14, 30 or "custom" (then
/// `custom_expiry_days` counts). Settings the form does not hold keep their value.
/// Existing shares and secrets meet the new policy at their next access.
#[server]
pub async fn save_policy(#[server(flatten)] form: PolicyForm) -> Result<(), AppError> {
    use backend::services::ServiceError;

    use crate::ssr::{context, fail, meta, require_staff_csrf};
    let PolicyForm {
        csrf,
        default_expiry,
        custom_expiry_days,
        max_expiry_days,
        allow_custom_expiry,
        default_max_access_count,
        allow_controller_override,
        scope_single_revision,
        scope_document_package,
        scope_work_package,
        scope_record,
        require_acknowledgement,
        method_link,
        method_invitation,
        method_portal,
        method_federated,
        tlp_ceiling,
        revoked_link,
        secret_fields,
        secret_max_lifetime_hours,
        secret_code_required_from,
        secret_recipient_anyone,
        secret_recipient_email,
        watermark_opacity,
        watermark_density,
    } = form;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let number = |field: &'static str, text: &str| -> Result<i64, AppError> {
        text.trim().parse::<i64>().map_err(|_| {
            fail(ServiceError::Invalid {
                field,
                message: format!("{field} must be a whole number, not \"{}\"", text.trim()),
            })
        })
    };
    let default_expiry_days = match default_expiry.as_str() {
        "custom" => number(
            "default_expiry_days",
            custom_expiry_days.as_deref().unwrap_or_default(),
        )?,
        days => number("default_expiry_days", days)?,
    };
    let ticked_names = |pairs: &[(&str, &Option<String>)]| -> Vec<String> {
        pairs
            .iter()
            .filter(|(_, v)| crate::server_fns::ticked(v))
            .map(|(name, _)| (*name).to_owned())
            .collect()
    };
    let form_fields = serde_json::json!({
        "default_expiry_days": default_expiry_days,
        "max_expiry_days": number("max_expiry_days", &max_expiry_days)?,
        "allow_custom_expiry": crate::server_fns::ticked(&allow_custom_expiry),
        "default_max_access_count": number("default_max_access_count", &default_max_access_count)?,
        "allow_controller_override": crate::server_fns::ticked(&allow_controller_override),
        "allowed_scopes": ticked_names(&[
            ("single_revision", &scope_single_revision),
            ("document_package", &scope_document_package),
            ("work_package", &scope_work_package),
            ("record", &scope_record),
        ]),
        "require_acknowledgement": crate::server_fns::ticked(&require_acknowledgement),
        "allowed_methods": ticked_names(&[
            ("link", &method_link),
            ("invitation", &method_invitation),
            ("portal", &method_portal),
            ("federated", &method_federated),
        ]),
        "tlp_ceiling": tlp_ceiling,
        "revoked_link": revoked_link,
    });
    // What the form holds, over the policy as it stands.
    let current = backend::services::policy::get(&ctx.core, &staff)
        .await
        .map_err(fail)?;
    let mut body =
        serde_json::to_value(current).map_err(|e| fail(ServiceError::fault(e.to_string())))?;
    for (key, value) in form_fields.as_object().into_iter().flatten() {
        body[key] = value.clone();
    }
    if crate::server_fns::ticked(&secret_fields) {
        let hours = secret_max_lifetime_hours.as_deref().unwrap_or_default();
        body["secrets"] = serde_json::json!({
            "max_lifetime_hours": number("secrets.max_lifetime_hours", hours)?,
            "code_required_from": secret_code_required_from.unwrap_or_default(),
            "recipients": ticked_names(&[
                ("anyone", &secret_recipient_anyone),
                ("email", &secret_recipient_email),
            ]),
        });
    }
    if let (Some(opacity), Some(density)) = (&watermark_opacity, &watermark_density) {
        body["viewer"] = serde_json::json!({
            // Beyond a byte, still out of bounds: the policy's check names the bounds.
            "watermark_opacity": number("viewer.watermark_opacity", opacity)?.clamp(0, 255),
            "watermark_density": number("viewer.watermark_density", density)?.clamp(0, 255),
        });
    }
    let policy: backend::domain::Policy = serde_json::from_value(body).map_err(|e| {
        fail(ServiceError::Invalid {
            field: "policy",
            message: e.to_string(),
        })
    })?;
    backend::services::policy::set(&ctx.core, &staff, policy, &meta().await?)
        .await
        .map_err(fail)?;
    Ok(())
}
