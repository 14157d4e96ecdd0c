use leptos::prelude::*;

use crate::error::AppError;
use serde::{Deserialize, Serialize};

use crate::types::CreatedShareView;

/// The console's "Share a document" form, field for field as it posts (flat, so it works
/// without wasm). `document_id` names a document, a bundle as `package:ID` or
/// `work_package:ID`, or a data record as `record:ID`. Recipients are one per line, `Name <email>` or a bare email.
/// `expiry` is a preset (`1h`, `24h`, `7d`, `14d`, `30d`), `custom` (then
/// `expires_at_local` is the browser's local date and time and `tz_offset_minutes` its
/// offset, see [`super::form_expiry`]) or empty for the policy's default.
/// `max_access_count` is 0 for unlimited, empty for the policy's default. Countries are
/// ISO codes separated by commas or spaces. Checkboxes arrive only when ticked; a field the
/// policy leaves out of the form (the custom date, say) arrives as empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NewShareForm {
    pub csrf: String,
    pub document_id: String,
    pub recipients_text: String,
    pub method: Option<String>,
    pub expiry: String,
    pub expires_at_local: String,
    pub tz_offset_minutes: String,
    pub max_access_count: String,
    pub require_acknowledgement: Option<String>,
    pub tlp: Option<String>,
    pub permission: Option<String>,
    pub allow_download: Option<String>,
    pub allow_print: Option<String>,
    pub watermark: Option<String>,
    pub instructions: String,
    pub password: String,
    pub allowed_networks_text: String,
    pub allowed_countries_text: String,
    pub approved_devices_only: Option<String>,
    pub notify_on_revoke: Option<String>,
    pub notify_owner_on_first_open: Option<String>,
    pub notify_owner_on_response: Option<String>,
    /// Days before the expiry to remind the recipient; empty or 0 = no reminder.
    pub expiry_reminder_days: String,
    /// A link share: mail the link to the recipient now.
    pub send_link: Option<String>,
    /// With method "portal": the portal whose members the recipients are.
    pub portal_id: Option<String>,
    /// A version of the legal terms; empty = the portal's terms, if it has any.
    pub terms_id: Option<String>,
    /// The need-to-know and right-to-know justification criminal intelligence requires.
    pub justification: Option<String>,
}

/// Creates one share per recipient from the console form.
#[server]
pub async fn create_share(
    #[server(flatten)] form: NewShareForm,
) -> Result<Vec<CreatedShareView>, AppError> {
    use crate::ssr::{context, fail, meta, require_staff_csrf};
    use backend::services::shares;
    use secrecy::ExposeSecret;
    let ctx = context()?;
    let staff = require_staff_csrf(&form.csrf).await?;
    let input = shares::NewShare::try_from(form).map_err(fail)?;
    let created = shares::create(&ctx.core, &staff, input, &meta().await?)
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

/// Reads the form into the service's request; every refusal names the field it is about.
#[cfg(feature = "ssr")]
impl TryFrom<NewShareForm> for backend::services::shares::NewShare {
    type Error = backend::services::ServiceError;

    fn try_from(form: NewShareForm) -> Result<Self, Self::Error> {
        use backend::domain::{controls::parse_network, Method, Permission, ShareSettings, Tlp};
        use backend::services::shares::SharedItem;
        use backend::services::ServiceError;
        let invalid =
            |field: &'static str, message: String| ServiceError::Invalid { field, message };
        let on = crate::server_fns::ticked;
        let expiry = super::form_expiry(
            &form.expiry,
            &form.expires_at_local,
            &form.tz_offset_minutes,
        )?;
        let max_access_count = super::form_access_count(&form.max_access_count)?;
        let method = Method::parse(crate::server_fns::chosen(&form.method).unwrap_or("link"))
            .ok_or_else(|| {
                invalid(
                    "method",
                    "choose link, invitation, portal or federated".into(),
                )
            })?;
        let tlp = Tlp::parse(crate::server_fns::chosen(&form.tlp).unwrap_or("AMBER"))
            .ok_or_else(|| invalid("tlp", "choose a TLP marking".into()))?;
        let allowed_networks = lines(&form.allowed_networks_text)
            .map(|line| {
                parse_network(line).ok_or_else(|| {
                    invalid(
                        "settings.allowed_networks",
                        format!("{line:?} is not an IP address or CIDR range"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let allowed_countries = form
            .allowed_countries_text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        let expiry_reminder_days = match form.expiry_reminder_days.trim() {
            "" => 0,
            n => n.parse().map_err(|_| {
                invalid(
                    "settings.expiry_reminder_days",
                    "the reminder is a whole number of days before the expiry (0 = none)".into(),
                )
            })?,
        };
        let permission =
            Permission::parse(crate::server_fns::chosen(&form.permission).unwrap_or("view"))
                .ok_or_else(|| {
                    invalid("settings.permission", "choose view, comment or edit".into())
                })?;
        let recipients = lines(&form.recipients_text)
            .map(parse_recipient)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|line| {
                invalid(
                    "recipients",
                    format!("{line:?} is not \"Name <email>\" or an email address"),
                )
            })?;
        // The item select: a document id, or `package:ID` / `work_package:ID` / `record:ID`.
        let item = if let Some(id) = form.document_id.strip_prefix("package:") {
            SharedItem::Package(id.to_owned())
        } else if let Some(id) = form.document_id.strip_prefix("work_package:") {
            SharedItem::WorkPackage(id.to_owned())
        } else if let Some(id) = form.document_id.strip_prefix("record:") {
            SharedItem::Record(id.to_owned())
        } else {
            SharedItem::Document(form.document_id.clone())
        };
        let settings = ShareSettings {
            permission,
            allow_download: on(&form.allow_download),
            allow_print: on(&form.allow_print),
            watermark: on(&form.watermark),
            instructions: form.instructions,
            allowed_networks,
            allowed_countries,
            approved_devices_only: on(&form.approved_devices_only),
            notify_recipient_on_revoke: on(&form.notify_on_revoke),
            notify_owner_on_first_open: on(&form.notify_owner_on_first_open),
            notify_owner_on_response: on(&form.notify_owner_on_response),
            expiry_reminder_days,
            ..Default::default()
        };
        Ok(Self {
            item,
            recipients,
            method: Some(method),
            expiry,
            max_access_count,
            require_acknowledgement: on(&form.require_acknowledgement),
            send_link: on(&form.send_link),
            tlp: Some(tlp),
            settings,
            password: Some(form.password)
                .filter(|p| !p.is_empty())
                .map(secrecy::SecretString::from),
            terms_id: form.terms_id.filter(|t| !t.is_empty()),
            portal_id: form.portal_id.filter(|p| !p.is_empty()),
            justification: form.justification.filter(|j| !j.trim().is_empty()),
        })
    }
}

/// The non-blank lines of a textarea, trimmed.
#[cfg(feature = "ssr")]
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::NewShareForm;
    use backend::domain::{Method, Permission, Tlp};
    use backend::services::shares::{Expiry, NewShare, SharedItem};
    use backend::services::ServiceError;

    fn form() -> NewShareForm {
        NewShareForm {
            document_id: "doc-1".into(),
            recipients_text: "Jane Counsel <jane@lawfirm.example>\n\n  pat@panel.example  \n"
                .into(),
            ..Default::default()
        }
    }

    fn field(form: NewShareForm) -> &'static str {
        match NewShare::try_from(form) {
            Err(ServiceError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_plain_form_reads_with_the_defaults() {
        let share = NewShare::try_from(form()).unwrap();
        assert_eq!(share.item, SharedItem::Document("doc-1".into()));
        let people: Vec<_> = share
            .recipients
            .iter()
            .map(|r| (r.name.as_str(), r.email.as_str()))
            .collect();
        assert_eq!(
            people,
            [
                ("Jane Counsel", "jane@lawfirm.example"),
                ("pat", "pat@panel.example")
            ]
        );
        assert_eq!(share.method, Some(Method::Link));
        assert_eq!(share.tlp, Some(Tlp::Amber));
        assert_eq!(share.expiry, Expiry::Default);
        assert_eq!(share.max_access_count, None);
        assert_eq!(share.settings.permission, Permission::View);
        assert!(!share.require_acknowledgement && !share.settings.allow_download);
        assert!(share.password.is_none(), "an empty password is no password");
        assert!(!share.send_link && share.settings.allowed_countries.is_empty());
    }

    #[test]
    fn expiries_in_hours_days_and_local_time() {
        let expiry = |choice: &str, local: &str, offset: &str| {
            NewShare::try_from(NewShareForm {
                expiry: choice.into(),
                expires_at_local: local.into(),
                tz_offset_minutes: offset.into(),
                ..form()
            })
            .unwrap()
            .expiry
        };
        assert_eq!(expiry("1h", "", ""), Expiry::Hours(1));
        assert_eq!(expiry("24h", "", ""), Expiry::Hours(24));
        assert_eq!(expiry("14d", "", ""), Expiry::Days(14));
        assert_eq!(expiry("", "", ""), Expiry::Default);
        // 17:00 in Paris in winter (UTC+1: the browser says -60) is 16:00 UTC.
        assert_eq!(
            expiry("custom", "2026-12-31T17:00", "-60"),
            Expiry::At(time::macros::datetime!(2026-12-31 16:00 UTC))
        );
        assert_eq!(
            expiry("custom", "2026-12-31T17:00", ""),
            Expiry::At(time::macros::datetime!(2026-12-31 17:00 UTC))
        );
    }

    #[test]
    fn countries_alerts_reminders_and_the_mailed_link_arrive() {
        let share = NewShare::try_from(NewShareForm {
            allowed_countries_text: "de, fr  NL".into(),
            notify_owner_on_first_open: Some("on".into()),
            notify_owner_on_response: Some("on".into()),
            expiry_reminder_days: "2".into(),
            send_link: Some("on".into()),
            ..form()
        })
        .unwrap();
        assert_eq!(share.settings.allowed_countries, ["DE", "FR", "NL"]);
        assert!(
            share.settings.notify_owner_on_first_open && share.settings.notify_owner_on_response
        );
        assert_eq!(share.settings.expiry_reminder_days, 2);
        assert!(share.send_link);
    }

    #[test]
    fn ticked_boxes_bundles_and_networks_arrive() {
        let share = NewShare::try_from(NewShareForm {
            document_id: "work_package:proj-9".into(),
            method: Some("invitation".into()),
            tlp: Some("RED".into()),
            permission: Some("comment".into()),
            watermark: Some("on".into()),
            require_acknowledgement: Some("on".into()),
            allowed_networks_text: "203.0.113.0/24\n198.51.100.7".into(),
            max_access_count: "3".into(),
            password: "correct horse".into(),
            portal_id: Some(String::new()),
            ..form()
        })
        .unwrap();
        assert_eq!(share.item, SharedItem::WorkPackage("proj-9".into()));
        assert_eq!(share.method, Some(Method::Invitation));
        assert_eq!(share.tlp, Some(Tlp::Red));
        assert_eq!(share.settings.permission, Permission::Comment);
        assert!(share.settings.watermark && share.require_acknowledgement);
        assert_eq!(share.settings.allowed_networks.len(), 2);
        assert_eq!(share.max_access_count, Some(3));
        assert!(share.password.is_some());
        assert_eq!(share.portal_id, None, "no portal chosen: the default one");
        let package = NewShare::try_from(NewShareForm {
            document_id: "package:pk-1".into(),
            ..form()
        })
        .unwrap();
        assert_eq!(package.item, SharedItem::Package("pk-1".into()));
        let record = NewShare::try_from(NewShareForm {
            document_id: "record:rec-7".into(),
            ..form()
        })
        .unwrap();
        assert_eq!(record.item, SharedItem::Record("rec-7".into()));
    }

    /// A blank value reads as an absent one: an unticked box, the default choice.
    #[test]
    fn blank_values_read_as_absent() {
        let blank = || Some(String::new());
        let share = NewShare::try_from(NewShareForm {
            method: blank(),
            tlp: blank(),
            permission: blank(),
            allow_download: blank(),
            watermark: blank(),
            require_acknowledgement: blank(),
            ..form()
        })
        .unwrap();
        assert_eq!(share.method, Some(Method::Link));
        assert_eq!(share.tlp, Some(Tlp::Amber));
        assert_eq!(share.settings.permission, Permission::View);
        assert!(!share.settings.allow_download && !share.settings.watermark);
        assert!(!share.require_acknowledgement);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = |f: fn(&mut NewShareForm)| {
            let mut form = form();
            f(&mut form);
            field(form)
        };
        assert_eq!(bad(|f| f.method = Some("carrier pigeon".into())), "method");
        assert_eq!(bad(|f| f.tlp = Some("PURPLE".into())), "tlp");
        assert_eq!(
            bad(|f| f.permission = Some("own".into())),
            "settings.permission"
        );
        assert_eq!(
            bad(|f| f.allowed_networks_text = "10.0.0.0/8\nnot-a-net".into()),
            "settings.allowed_networks"
        );
        assert_eq!(
            bad(|f| f.recipients_text = "Jane Counsel".into()),
            "recipients"
        );
        assert_eq!(bad(|f| f.expiry = "next tuesday".into()), "expiry");
        assert_eq!(
            bad(|f| {
                f.expiry = "custom".into();
                f.expires_at_local = "31/12/2026".into();
            }),
            "expires_at"
        );
        assert_eq!(
            bad(|f| f.expiry_reminder_days = "soon".into()),
            "settings.expiry_reminder_days"
        );
        assert_eq!(
            bad(|f| f.max_access_count = "many".into()),
            "max_access_count"
        );
    }
}
