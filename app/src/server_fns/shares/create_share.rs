// One argument per field of the console form, which posts them flat (works without wasm);
// the `#[server]` macro repeats the signature on the browser side, hence a module-wide allow.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::types::CreatedShareView;

/// Creates one share per recipient from the console form. `document_id` names a document,
/// or a bundle as `package:ID` or `work_package:ID`. Recipients are one per line,
/// `Name <email>` or a bare email. `expires_on` is a date (YYYY-MM-DD); the
/// share expires at the end of that day, UTC. `max_access_count` is 0 for unlimited.
#[server]
pub async fn create_share(
    csrf: String,
    document_id: String,
    recipients_text: String,
    method: Option<String>,
    expires_on: String,
    max_access_count: String,
    require_acknowledgement: Option<String>,
    tlp: Option<String>,
    permission: Option<String>,
    allow_download: Option<String>,
    allow_print: Option<String>,
    watermark: Option<String>,
    instructions: String,
    password: String,
    allowed_networks_text: String,
    approved_devices_only: Option<String>,
    notify_on_revoke: Option<String>,
    /// With method "portal": the portal whose members the recipients are.
    portal_id: Option<String>,
) -> Result<Vec<CreatedShareView>, ServerFnError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::{shares, ServiceError};
    use secrecy::ExposeSecret;
    let ctx = context()?;
    let staff = require_staff_csrf(&csrf).await?;
    let invalid = |field: &'static str, message: &str| {
        fail(ServiceError::Invalid {
            field,
            message: message.into(),
        })
    };
    let expiry = super::form_expiry_date(&expires_on)
        .map_err(fail)?
        .map_or(shares::Expiry::Default, shares::Expiry::At);
    let max_access_count = super::form_access_count(&max_access_count).map_err(fail)?;
    let on = |v: &Option<String>| v.is_some();
    let method = backend::domain::Method::parse(method.as_deref().unwrap_or("link"))
        .ok_or_else(|| invalid("method", "choose link, invitation, portal or federated"))?;
    let tlp = backend::domain::Tlp::parse(tlp.as_deref().unwrap_or("AMBER"))
        .ok_or_else(|| invalid("tlp", "choose a TLP marking"))?;
    let mut allowed_networks = Vec::new();
    for line in allowed_networks_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        allowed_networks.push(
            backend::domain::controls::parse_network(line).ok_or_else(|| {
                invalid(
                    "settings.allowed_networks",
                    &format!("{line:?} is not an IP address or CIDR range"),
                )
            })?,
        );
    }
    let permission = backend::domain::Permission::parse(permission.as_deref().unwrap_or("view"))
        .ok_or_else(|| invalid("settings.permission", "choose view, comment or edit"))?;
    let settings = backend::domain::ShareSettings {
        permission,
        allow_download: on(&allow_download),
        allow_print: on(&allow_print),
        watermark: on(&watermark),
        instructions,
        allowed_networks,
        approved_devices_only: on(&approved_devices_only),
        notify_recipient_on_revoke: on(&notify_on_revoke),
        portal_id: portal_id.filter(|p| !p.is_empty()),
        ..Default::default()
    };
    let recipients = recipients_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(parse_recipient)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|line| {
            invalid(
                "recipients",
                &format!("{line:?} is not \"Name <email>\" or an email address"),
            )
        })?;
    // The item select: a document id, or `package:ID` / `work_package:ID`.
    let (document_id, bundle) = if let Some(id) = document_id.strip_prefix("package:") {
        (String::new(), Some(shares::Bundle::Package(id.to_owned())))
    } else if let Some(id) = document_id.strip_prefix("work_package:") {
        (
            String::new(),
            Some(shares::Bundle::WorkPackage(id.to_owned())),
        )
    } else {
        (document_id, None)
    };
    let input = shares::NewShare {
        document_id,
        bundle,
        recipients,
        method: Some(method),
        expiry,
        max_access_count,
        require_acknowledgement: on(&require_acknowledgement),
        tlp: Some(tlp),
        settings,
        password: Some(password)
            .filter(|p| !p.is_empty())
            .map(secrecy::SecretString::from),
        terms_id: None,
    };
    let created = shares::create(&ctx.core, &staff, input, &meta().await)
        .await
        .map_err(fail)?;
    Ok(created
        .into_iter()
        .map(|c| CreatedShareView {
            id: c.share.id,
            url: c.url.expose_secret().to_owned(),
            recipient_name: c.share.recipient.name,
        })
        .collect())
}

/// `Jane Counsel <jane@lawfirm.example>` or `jane@lawfirm.example` (the name is then the
/// part before the @).
#[cfg(feature = "ssr")]
fn parse_recipient(line: &str) -> Result<backend::services::shares::Recipient, String> {
    use backend::services::shares::Recipient;
    match line.rsplit_once('<') {
        Some((name, rest)) => {
            let email = rest
                .strip_suffix('>')
                .ok_or_else(|| line.to_owned())?
                .trim();
            let name = name.trim().trim_matches('"').trim();
            let name = if name.is_empty() {
                email.split('@').next().unwrap_or(email)
            } else {
                name
            };
            Ok(Recipient {
                name: name.to_owned(),
                email: email.to_owned(),
            })
        }
        None if line.contains('@') => Ok(Recipient {
            name: line.split('@').next().unwrap_or(line).to_owned(),
            email: line.to_owned(),
        }),
        None => Err(line.to_owned()),
    }
}
