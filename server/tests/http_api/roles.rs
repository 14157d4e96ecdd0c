//! The role matrix through every transport: each role (administrator, document controller,
//! auditor) calls every REST endpoint and every console server function. What the matrix
//! (`Role::permits`) allows is not refused; what it does not is a 403 that writes nothing.
//! Console functions come from the registry, so a new one fails here until it is
//! classified.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use backend::actor::Staff;
use backend::domain::{Action, KeyScope, Role, SignIn};
use backend::services::{api_keys, auth, staff};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::{server_fn_name, TestApp, ORIGIN};

/// The form each state-changing console function is posted with (`None`: unclassified).
/// Ids that name nothing (`x`) are enough: authorization comes before any lookup.
pub(crate) fn console_form(name: &str, doc: &str, share_id: &str) -> Option<String> {
    Some(match name {
        "sign_out" => String::new(),
        "revoke_share" | "copy_share_link" | "resend_invitation" => format!("id={share_id}"),
        "create_share" => format!(
            "document_id={doc}&recipients_text=Eve+%3Ceve%40x.example%3E&expiry=&\
             expires_at_local=&tz_offset_minutes=&max_access_count=0&instructions=&password=&\
             allowed_networks_text=&allowed_countries_text=&expiry_reminder_days="
        ),
        "create_partner" => "name=Evil&domains=evil.example".into(),
        "add_identity_provider" => {
            "partner_id=&kind=oidc&name=Evil&issuer=https%3A%2F%2Fevil.example".into()
        }
        "set_attribute_map" => "id=x&email=mail&display_name=&organisation=&groups=".into(),
        "set_federation_enabled" => "kind=partner&id=x&enabled=false".into(),
        "set_law_enforcement" => "id=x&registered=true".into(),
        // The items named do not exist: a permitted role is answered 404.
        "save_flag" => "kind=record&id=x&submitting_agency=Evil&reliability=A&validity=1&\
             submitted_on="
            .into(),
        "remove_flag" => "kind=record&id=x&reason=flagged+in+error+by+evil".into(),
        "review_item" => "kind=record&id=x&decision=purge&reason=evil+purge+of+all".into(),
        "trace_leak" => "picture=".into(),
        "decide_device" => format!("share_id={share_id}&device_id=x&decision=approve"),
        "create_portal" => "name=Evil".into(),
        "add_portal_member" => {
            "portal_id=x&name=Eve&email=eve%40x.example&role=member&expires_on=".into()
        }
        "change_portal_member" => "portal_id=x&member_id=x&role=manager&expires_on=".into(),
        "remove_portal_member" => "portal_id=x&member_id=x".into(),
        "save_member_domains" => "portal_id=x&domains=evil.example".into(),
        "create_section" => "portal_id=x&name=Evil".into(),
        "rename_section" => "section_id=x&name=Evil".into(),
        "delete_section" => "section_id=x".into(),
        "move_section" => "section_id=x&way=up".into(),
        "place_item" => "section_id=x&item=document%3Ax".into(),
        "arrange_item" => "section_id=x&item=document%3Ax&way=out".into(),
        "add_domain" => "portal_id=x&domain=evil.example".into(),
        "verify_domain" | "remove_domain" => "id=x".into(),
        "save_branding" => "portal_id=x&display_name=Evil&primary=&accent=&background=&\
            disclaimer=&support_contact=&footer_links_text=&terms_id="
            .into(),
        "test_identity_provider" => "id=x".into(),
        "change_share" => {
            format!("id={share_id}&expires_at_shown=&expires_at_local=&tz_offset_minutes=&max_access_count=&permission=edit&allow_download=on")
        }
        "revoke_shares" => format!("ids[0]={share_id}"),
        "create_package" => "name=Evil".into(),
        "change_package" => format!("package_id=x&document_id={doc}&action=add"),
        "save_policy" => "default_expiry=7&max_expiry_days=1&default_max_access_count=1&\
             tlp_ceiling=CLEAR&revoked_link=not_found"
            .into(),
        "invite_staff" => "email=eve%40evil.example&name=Eve&role=admin&sign_in=password".into(),
        "change_staff" => "id=x&change=role&role=admin".into(),
        "create_api_key" => "name=Evil&scope=read&expires_in_days=7".into(),
        "revoke_api_key" => "id=x".into(),
        "move_document" => format!("id={doc}&project_id="),
        "create_project" => "name=Evil".into(),
        "save_project" => "id=x&default_expiry_days=&max_expiry_days=1&\
             default_max_access_count=&allow_custom_expiry=&allow_controller_override=&\
             require_acknowledgement=&tlp_ceiling=&revoked_link="
            .into(),
        "publish_terms" => "version=evil&body=Evil".into(),
        "decide_renewal" => "id=x&decision=decline&note=".into(),
        "start_review" => "name=Evil&reviewer_rule=creator&reviewer_id=&default_action=revoke&\
             recurrence=once&due_at_local=2099-01-01T10%3A00&tz_offset_minutes=0&\
             no_response_days=14&project_id=&partner_id=&tlp=&created_by=&created_before="
            .into(),
        "decide_review" => "campaign_id=x&share_id=x&decision=keep&reason=".into(),
        "end_review" => "id=x".into(),
        "save_project_controllers" => "project_id=x".into(),
        "post_staff_comment" => format!("document={doc}&page=&audience=staff&body=Evil"),
        "edit_staff_comment" => "id=x&body=Evil".into(),
        "delete_staff_comment" => "id=x".into(),
        "revoke_secret" => "id=x".into(),
        "save_record" => "kind=item&record_type=evil&title=Evil&fields=%7B%7D".into(),
        "add_redaction_rule" => "field_name=evil".into(),
        // The record named does not exist: a permitted role is answered 404.
        "save_event" => "record_id=x&event_id=&occurred_at_local=2026-12-01T10%3A00&\
             tz_offset_minutes=0&process=evil&fields="
            .into(),
        "remove_event" => "record_id=x&event_id=x".into(),
        "link_record" => "record_id=x&target=y&relation=evil".into(),
        "unlink_record" => "record_id=x&target_id=y".into(),
        "attach_document" => format!("record_id=x&document_id={doc}"),
        "detach_document" => format!("record_id=x&document_id={doc}"),
        "import_records" => "csv=Title%0AEvil&mapping=%7B%22kind%22%3A%22item%22%2C%22record_type%22%3A%22evil%22%2C%22columns%22%3A%5B%7B%22column%22%3A%22Title%22%2C%22role%22%3A%22title%22%2C%22path%22%3A%22%22%2C%22field_type%22%3A%22text%22%7D%5D%7D".into(),
        // The rule named does not exist: a permitted role is answered 404.
        "remove_redaction_rule" => "field_name=nothing".into(),
        _ => return None,
    })
}

/// The read-only console functions' arguments.
fn read_form(name: &str, share_id: &str, portal_id: &str, doc: &str) -> Option<String> {
    Some(match name {
        "list_audit" => "event_type=guest_share".into(),
        "load_document" => format!("id={doc}"),
        "load_record" => "id=x".into(),
        "list_records" => "kind=&q=".into(),
        "preview_record" => "id=x".into(),
        "list_intelligence" => "due_within_days=".into(),
        "list_disseminations" => "from=&to=".into(),
        "check_import" => "csv=Title%0AOne&mapping=".into(),
        "load_share_detail" => format!("id={share_id}"),
        "load_sections" => format!("portal_id={portal_id}&find="),
        "load_portal_analytics" => format!("portal_id={portal_id}&days=7"),
        "load_share_analytics" => format!("share_id={share_id}&days=7"),
        "list_shares" | "load_dashboard" => String::new(),
        "list_documents"
        | "list_outbox"
        | "list_partners"
        | "get_policy"
        | "list_portals"
        | "list_terms_choices"
        | "list_packages"
        | "list_staff"
        | "list_api_keys"
        | "list_projects"
        | "load_terms_page"
        | "list_renewals"
        | "list_reviews"
        | "list_secrets"
        | "list_redaction_rules"
        | "event_filter_options" => String::new(),
        "load_review" => "id=x&show=pending&everyone=&after=".into(),
        "staff_comments" => format!("document={doc}&after=0"),
        "load_comment_access" => format!("document={doc}"),
        "load_share_comments" => format!("share={share_id}"),
        _ => return None,
    })
}

/// What each console function asks of the role matrix; `None`: any signed-in staff
/// member (their own session), or not a staff function at all.
fn console_action(name: &str) -> Option<Option<Action>> {
    use Action::*;
    Some(Some(match name {
        "get_current_user" | "sign_out" | "event_filter_options" => return Some(None),
        "list_shares"
        | "load_share_detail"
        | "load_share_analytics"
        | "load_dashboard"
        | "list_renewals"
        | "load_share_comments"
        | "list_secrets" => ViewShares,
        // The secret named does not exist: a permitted role is answered 404.
        "revoke_secret" => ManageOwnShare,
        // Renewal requests are authorized before they are looked up; the one named here
        // does not exist, so a permitted role is answered 404.
        "decide_renewal" => ManageOwnShare,
        "list_reviews" | "load_review" => ViewShares,
        // Authorized before the (missing) campaign is looked up.
        "decide_review" => ReviewShares,
        "start_review" | "end_review" | "save_project_controllers" => ManageReviews,
        "create_share" => CreateShare,
        // The share they are given is the administrator's.
        "change_share" | "copy_share_link" | "resend_invitation" | "decide_device" => {
            ManageAnyShare
        }
        "revoke_share" | "revoke_shares" => RevokeAnyShare,
        // The record named does not exist: a permitted role is answered 404.
        "list_records" | "load_record" | "preview_record" => ViewRecords,
        "save_record" | "save_event" | "remove_event" | "link_record" | "unlink_record"
        | "attach_document" | "detach_document" | "import_records" => ManageRecords,
        // Reads only the file it is sent (nothing of the organisation's).
        "check_import" => return Some(None),
        "list_intelligence" | "list_disseminations" => ViewIntelligence,
        "save_flag" => FlagIntelligence,
        "remove_flag" | "review_item" => ReviewIntelligence,
        "list_redaction_rules" => ViewRecords,
        "add_redaction_rule" | "remove_redaction_rule" => ManagePolicy,
        "list_documents"
        | "list_packages"
        | "load_document"
        | "staff_comments"
        | "load_comment_access" => ViewDocuments,
        // Comments they are given do not exist: a permitted role is answered 404.
        "post_staff_comment" | "edit_staff_comment" | "delete_staff_comment" => Comment,
        "create_package" | "change_package" => ManagePackages,
        "list_portals" | "load_sections" | "load_portal_analytics" => ViewPortals,
        "create_portal"
        | "add_portal_member"
        | "change_portal_member"
        | "remove_portal_member"
        | "save_member_domains"
        | "create_section"
        | "rename_section"
        | "delete_section"
        | "move_section"
        | "place_item"
        | "arrange_item"
        | "add_domain"
        | "verify_domain"
        | "remove_domain"
        | "save_branding" => ManagePortals,
        "get_policy" | "list_terms_choices" | "list_projects" | "load_terms_page" => ViewPolicy,
        "save_policy" | "move_document" | "create_project" | "save_project" | "publish_terms" => {
            ManagePolicy
        }
        "list_partners"
        | "create_partner"
        | "add_identity_provider"
        | "set_attribute_map"
        | "set_federation_enabled"
        | "set_law_enforcement"
        | "test_identity_provider" => ManagePartners,
        "list_audit" | "trace_leak" => ReadAudit,
        "list_outbox" => ReadOutbox,
        "list_staff" | "invite_staff" | "change_staff" => ManageStaff,
        "list_api_keys" => ViewApiKeys,
        "create_api_key" | "revoke_api_key" => ManageOwnApiKeys,
        _ => return None,
    }))
}

/// One person of each role: a console session and an API key (read scope for the
/// auditor, whose role only reads).
struct Member {
    role: Role,
    /// The scope of `key`.
    scope: KeyScope,
    key: String,
    cookie: String,
    csrf: String,
}

async fn member(app: &TestApp, admin: &Staff, role: Role) -> Member {
    let email = format!("{}@acme.test", role.as_str());
    let (cookie, csrf, who) = if role == Role::Admin {
        let (cookie, csrf) = app.console_session().await;
        (cookie, csrf, admin.clone())
    } else {
        app.staff_session(&email, role).await
    };
    let scope = if role.may_hold_write_keys() {
        KeyScope::Admin
    } else {
        KeyScope::Read
    };
    let new = api_keys::NewKey {
        name: format!("{} key", role.as_str()),
        scope,
        expires_in_days: Some(1),
    };
    let (_, secret) = api_keys::create(&app.core, &who, new, &Default::default())
        .await
        .unwrap();
    Member {
        role,
        scope,
        key: secret.expose_secret().to_owned(),
        cookie,
        csrf,
    }
}

/// The set-password link in the newest invitation mail to `email`.
impl TestApp {
    /// A new staff member of `role`, invited by the administrator, password set through
    /// the mailed link, signed in: their session cookie, CSRF token and themselves.
    pub(crate) async fn staff_session(&self, email: &str, role: Role) -> (String, String, Staff) {
        let password = "a long and proper password";
        let admin = auth::staff_for_api_key(&self.core, &self.key, &Default::default())
            .await
            .unwrap();
        staff::invite(
            &self.core,
            &admin,
            staff::NewStaff {
                email: email.to_owned(),
                name: role.label().into(),
                role,
                sign_in: SignIn::Password,
            },
            &Default::default(),
        )
        .await
        .unwrap();
        let token = link_for(self, &admin, email).await;
        let pw = SecretString::from(password.to_owned());
        let who = staff::links::set_password(&self.core, &token, &pw, &pw, &Default::default())
            .await
            .unwrap();
        let (cookie, csrf) = self.console_session_as(email, password).await;
        (cookie, csrf, who)
    }
}

async fn link_for(app: &TestApp, admin: &Staff, email: &str) -> String {
    backend::mail::deliver_due(
        &app.core.db,
        &app.core.sealer,
        &backend::mail::Mailer::Local,
        app.core.now_ms(),
        100,
    )
    .await
    .unwrap();
    let mail = backend::services::outbox::list(&app.core, admin, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.to.contains(email))
        .and_then(|m| m.body_text)
        .unwrap();
    let url = mail
        .split_whitespace()
        .find(|w| w.contains("/password/"))
        .unwrap();
    url.rsplit('/').next().unwrap().to_owned()
}

/// Rows of every table a staff action could write; a refused call changes none.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "documents",
        "shares",
        "audit_events",
        "partners",
        "identity_providers",
        "portals",
        "portal_domains",
        "portal_members",
        "portal_sections",
        "packages",
        "projects",
        "legal_terms",
        "users",
        "staff_links",
        "api_keys",
        "mail_outbox",
        "renewal_requests",
        "review_campaigns",
        "review_items",
        "project_controllers",
        "comments",
        "records",
        "record_events",
        "record_links",
        "record_documents",
        "redaction_rules",
        "secrets",
        "document_pages",
        "page_renders",
        "page_views",
        "intel_flags",
        "intel_reviews",
        "disseminations",
    ] {
        counts.push(
            sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(app.core.db.pool())
                .await
                .unwrap_or_else(|e| panic!("{table}: {e}")),
        );
    }
    let revoked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shares WHERE revoked_at IS NOT NULL")
            .fetch_one(app.core.db.pool())
            .await
            .unwrap();
    counts.push(revoked);
    counts
}

enum Send {
    Empty,
    Json(Value),
    /// A multipart file upload to the case's path.
    Upload,
}

/// Every REST endpoint with the action it needs. Ids that name nothing (`x`) are enough.
fn rest_cases(doc: &str, share: &str, portal: &str) -> Vec<(Method, String, Send, Action)> {
    use Action::*;
    use Send::*;
    let m = |method: &str| Method::from_bytes(method.as_bytes()).unwrap();
    let p = |path: &str| format!("/api/v1{path}");
    vec![
        (m("GET"), p("/shares"), Empty, ViewShares),
        (m("GET"), p(&format!("/shares/{share}")), Empty, ViewShares),
        (
            m("GET"),
            p(&format!("/shares/{share}/responses")),
            Empty,
            ViewShares,
        ),
        (
            m("GET"),
            p(&format!("/shares/{share}/devices")),
            Empty,
            ViewShares,
        ),
        (
            m("GET"),
            p(&format!("/shares/{share}/attachments/x")),
            Empty,
            ViewShares,
        ),
        (
            m("GET"),
            p(&format!("/shares/{share}/analytics")),
            Empty,
            ViewShares,
        ),
        (
            m("POST"),
            p("/shares"),
            Json(json!({ "item": doc, "recipient": { "name": "Eve", "email": "eve@x.example" } })),
            CreateShare,
        ),
        (
            m("PATCH"),
            p(&format!("/shares/{share}")),
            Json(json!({ "max_access_count": 5 })),
            ManageAnyShare,
        ),
        (
            m("GET"),
            p(&format!("/shares/{share}/link")),
            Empty,
            ManageAnyShare,
        ),
        (
            m("POST"),
            p(&format!("/shares/{share}/resend")),
            Empty,
            ManageAnyShare,
        ),
        (
            m("POST"),
            p(&format!("/shares/{share}/devices/x")),
            Json(json!({ "approve": true })),
            ManageAnyShare,
        ),
        (
            m("POST"),
            p("/shares/revoke"),
            Json(json!({ "ids": ["x"] })),
            RevokeAnyShare,
        ),
        (m("POST"), p("/shares/x/revoke"), Empty, RevokeAnyShare),
        (m("GET"), p("/documents"), Empty, ViewDocuments),
        (m("POST"), p("/documents"), Upload, UploadDocument),
        (
            m("GET"),
            p(&format!("/documents/{doc}/revisions")),
            Empty,
            ViewDocuments,
        ),
        (
            m("POST"),
            p(&format!("/documents/{doc}/revisions")),
            Upload,
            UploadDocument,
        ),
        (
            m("PUT"),
            p(&format!("/documents/{doc}/project")),
            Json(json!({ "project_id": null })),
            ManagePolicy,
        ),
        (m("GET"), p("/packages"), Empty, ViewDocuments),
        (
            m("POST"),
            p("/packages"),
            Json(json!({ "name": "Evil" })),
            ManagePackages,
        ),
        (
            m("PUT"),
            p(&format!("/packages/x/documents/{doc}")),
            Empty,
            ManagePackages,
        ),
        (
            m("DELETE"),
            p(&format!("/packages/x/documents/{doc}")),
            Empty,
            ManagePackages,
        ),
        (m("GET"), p("/portals"), Empty, ViewPortals),
        (
            m("POST"),
            p("/portals"),
            Json(json!({ "name": "Evil" })),
            ManagePortals,
        ),
        (
            m("GET"),
            p(&format!("/portals/{portal}/analytics")),
            Empty,
            ViewPortals,
        ),
        (
            m("GET"),
            p(&format!("/portals/{portal}/sections")),
            Empty,
            ViewPortals,
        ),
        (
            m("POST"),
            p(&format!("/portals/{portal}/sections")),
            Json(json!({ "name": "Evil" })),
            ManagePortals,
        ),
        (
            m("GET"),
            p(&format!("/portals/{portal}/domains")),
            Empty,
            ViewPortals,
        ),
        (
            m("POST"),
            p(&format!("/portals/{portal}/domains")),
            Json(json!({ "domain": "evil.example" })),
            ManagePortals,
        ),
        (m("POST"), p("/domains/x/verify"), Empty, ManagePortals),
        (m("DELETE"), p("/domains/x"), Empty, ManagePortals),
        (
            m("PUT"),
            p(&format!("/portals/{portal}/branding")),
            Json(json!({ "display_name": "Evil" })),
            ManagePortals,
        ),
        (
            m("DELETE"),
            p(&format!("/portals/{portal}/logo")),
            Empty,
            ManagePortals,
        ),
        (
            m("POST"),
            p(&format!("/portals/{portal}/members")),
            Json(json!({ "name": "Eve", "email": "eve@x.example" })),
            ManagePortals,
        ),
        (
            m("PUT"),
            p(&format!("/portals/{portal}/member_domains")),
            Json(json!({ "domains": ["evil.example"] })),
            ManagePortals,
        ),
        (
            m("POST"),
            p("/sections/x/move"),
            Json(json!({ "way": "up" })),
            ManagePortals,
        ),
        (
            m("POST"),
            p("/sections/x/items"),
            Json(json!({ "kind": "document", "id": "x" })),
            ManagePortals,
        ),
        (m("GET"), p("/policy"), Empty, ViewPolicy),
        (m("PUT"), p("/policy"), Json(json!({})), ManagePolicy),
        (m("GET"), p("/projects"), Empty, ViewPolicy),
        (
            m("POST"),
            p("/projects"),
            Json(json!({ "name": "Evil" })),
            ManagePolicy,
        ),
        (
            m("PUT"),
            p("/projects/x/policy"),
            Json(json!({})),
            ManagePolicy,
        ),
        (m("GET"), p("/terms"), Empty, ViewPolicy),
        (
            m("POST"),
            p("/terms"),
            Json(json!({ "version": "9", "body": "Evil" })),
            ManagePolicy,
        ),
        (m("GET"), p("/partners"), Empty, ManagePartners),
        (
            m("POST"),
            p("/partners"),
            Json(json!({ "name": "Evil", "domains": ["evil.example"] })),
            ManagePartners,
        ),
        (m("GET"), p("/partners/x"), Empty, ManagePartners),
        (
            m("PUT"),
            p("/partners/x"),
            Json(json!({ "name": "Evil", "domains": [] })),
            ManagePartners,
        ),
        (m("GET"), p("/partners/x/guests"), Empty, ManagePartners),
        (m("GET"), p("/idps"), Empty, ManagePartners),
        (m("GET"), p("/idps/x"), Empty, ManagePartners),
        (m("POST"), p("/idps/x/test"), Empty, ManagePartners),
        (
            m("PUT"),
            p("/idps/x/enabled"),
            Json(json!({ "enabled": false })),
            ManagePartners,
        ),
        (m("GET"), p("/intelligence/flags"), Empty, ViewIntelligence),
        (
            m("GET"),
            p("/intelligence/disseminations"),
            Empty,
            ViewIntelligence,
        ),
        (
            m("GET"),
            p("/intelligence/record/x"),
            Empty,
            ViewIntelligence,
        ),
        (
            m("PUT"),
            p("/intelligence/record/x"),
            Json(json!({ "submitting_agency": "Evil", "reliability": "A", "validity": "1" })),
            FlagIntelligence,
        ),
        (
            m("DELETE"),
            p("/intelligence/record/x"),
            Json(json!({ "reason": "flagged in error by evil" })),
            ReviewIntelligence,
        ),
        (
            m("POST"),
            p("/intelligence/record/x/review"),
            Json(json!({ "decision": "purge", "reason": "evil purge of everything" })),
            ReviewIntelligence,
        ),
        (m("GET"), p("/records"), Empty, ViewRecords),
        (m("GET"), p("/records/x"), Empty, ViewRecords),
        (m("GET"), p("/records/x/preview"), Empty, ViewRecords),
        (
            m("POST"),
            p("/records"),
            Json(json!({ "record_type": "evil", "title": "Evil" })),
            ManageRecords,
        ),
        (
            m("POST"),
            p("/records"),
            Json(json!({ "records": [{ "record_type": "evil", "title": "Evil" }] })),
            ManageRecords,
        ),
        (
            m("PUT"),
            p("/records/x"),
            Json(json!({ "record_type": "evil", "title": "Evil", "fields": {}, "version": 1 })),
            ManageRecords,
        ),
        (
            m("POST"),
            p("/records/x/history"),
            Json(json!({ "occurred_at": "2026-11-01T00:00:00Z", "process": "evil" })),
            ManageRecords,
        ),
        (
            m("PUT"),
            p("/records/x/history/x"),
            Json(json!({ "occurred_at": "2026-11-01T00:00:00Z", "process": "evil" })),
            ManageRecords,
        ),
        (m("DELETE"), p("/records/x/history/x"), Empty, ManageRecords),
        (
            m("POST"),
            p("/records/x/links"),
            Json(json!({ "target": "x", "relation": "evil" })),
            ManageRecords,
        ),
        (m("DELETE"), p("/records/x/links/x"), Empty, ManageRecords),
        (
            m("PUT"),
            p(&format!("/records/x/documents/{doc}")),
            Json(json!({ "private": false })),
            ManageRecords,
        ),
        (
            m("DELETE"),
            p(&format!("/records/x/documents/{doc}")),
            Empty,
            ManageRecords,
        ),
        (m("GET"), p("/redaction-rules"), Empty, ViewRecords),
        (m("GET"), p("/secrets"), Empty, ViewShares),
        (m("GET"), p("/secrets/x"), Empty, ViewShares),
        (m("DELETE"), p("/secrets/x"), Empty, ManageOwnShare),
        (
            m("POST"),
            p("/secrets"),
            Json(json!({
                "kind": "password", "label": "Evil", "tlp": "GREEN", "delivery": "link_key",
                "expires_in_minutes": 60, "max_views": 1,
                "ciphertext": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "nonce": "AAAAAAAAAAAAAAAA",
                "proof": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            })),
            CreateShare,
        ),
        (m("PUT"), p("/redaction-rules/ssn"), Empty, ManagePolicy),
        (m("DELETE"), p("/redaction-rules/ssn"), Empty, ManagePolicy),
        (m("GET"), p("/audit"), Empty, ReadAudit),
        (m("GET"), p("/audit/export?format=jsonl"), Empty, ReadAudit),
        (m("POST"), p("/leaks/trace"), Empty, ReadAudit),
        (m("GET"), p("/audit/verify"), Empty, ReadAudit),
        (m("GET"), p("/outbox"), Empty, ReadOutbox),
        (m("GET"), p("/staff"), Empty, ManageStaff),
        (
            m("POST"),
            p("/staff"),
            Json(json!({ "email": "eve@evil.example", "name": "Eve", "role": "admin" })),
            ManageStaff,
        ),
        (
            m("PATCH"),
            p("/staff/x"),
            Json(json!({ "role": "admin" })),
            ManageStaff,
        ),
        (m("POST"), p("/staff/x/reset-password"), Empty, ManageStaff),
        (m("GET"), p("/api-keys"), Empty, ViewApiKeys),
        (
            m("POST"),
            p("/api-keys"),
            Json(json!({ "name": "Evil", "scope": "read", "expires_in_days": 1 })),
            ManageOwnApiKeys,
        ),
        (m("DELETE"), p("/api-keys/x"), Empty, ManageOwnApiKeys),
        (m("GET"), p("/signing-keys"), Empty, RotateSigningKeys),
        (
            m("POST"),
            p("/signing-keys/rotate"),
            Json(json!({})),
            RotateSigningKeys,
        ),
        (
            m("GET"),
            p(&format!("/documents/{doc}/comments")),
            Empty,
            ViewDocuments,
        ),
        (
            m("POST"),
            p(&format!("/documents/{doc}/comments")),
            Json(json!({ "body": "Evil", "audience": "staff" })),
            Comment,
        ),
        (
            m("PATCH"),
            p("/comments/x"),
            Json(json!({ "body": "Evil" })),
            Comment,
        ),
        (m("DELETE"), p("/comments/x"), Empty, Comment),
    ]
}

/// Allowed: anything but a 403 or a 5xx. Refused: a 403 that changed nothing.
fn judge(
    wrong: &mut Vec<String>,
    refused: &mut usize,
    allowed: bool,
    label: &str,
    r: &super::Reply,
    before: Vec<i64>,
    after: Vec<i64>,
) {
    let text = r.text();
    let text = &text[..text.len().min(300)];
    if allowed {
        if r.status == StatusCode::FORBIDDEN || r.status.is_server_error() {
            wrong.push(format!("{label}: allowed, got {} {text}", r.status));
        }
    } else {
        *refused += 1;
        if r.status != StatusCode::FORBIDDEN {
            wrong.push(format!("{label}: refused, got {} {text}", r.status));
        } else if after != before {
            wrong.push(format!("{label}: refused but wrote something"));
        }
    }
}

#[tokio::test]
async fn every_role_meets_the_matrix_on_every_endpoint_and_console_function() {
    let app = TestApp::new().await;
    let doc = app.document().await;
    let share = app.share(&doc, json!({})).await;
    let share_id = share["id"].as_str().unwrap().to_owned();
    let portal_id = app.default_portal().await;
    let admin = auth::staff_for_api_key(&app.core, &app.key, &Default::default())
        .await
        .unwrap();
    // Administrators last: what they may do is allowed to change things.
    let mut people = Vec::new();
    for role in [Role::Auditor, Role::Controller, Role::Admin] {
        people.push(member(&app, &admin, role).await);
    }
    let mut refused = 0;
    let mut wrong = Vec::new();
    for person in &people {
        for (method, path, send, action) in rest_cases(&doc, &share_id, &portal_id) {
            let before = fingerprint(&app).await;
            let r = match send {
                Send::Upload => app.upload_to(&path, &person.key, "evil.txt", b"evil").await,
                Send::Empty => {
                    app.call(method.clone(), &path, Some(&person.key), None)
                        .await
                }
                Send::Json(v) => {
                    app.call(method.clone(), &path, Some(&person.key), Some(v))
                        .await
                }
            };
            let label = format!("{:?} {method} {path}", person.role);
            judge(
                &mut wrong,
                &mut refused,
                person.role.permits(action) && person.scope.permits(action),
                &label,
                &r,
                before,
                fingerprint(&app).await,
            );
        }
        for (path, _) in leptos::server_fn::axum::server_fn_paths() {
            let name = server_fn_name(path);
            if name.starts_with("guest/")
                || matches!(
                    name,
                    "sign_in" | "list_staff_sign_ins" | "check_password_link" | "set_password"
                )
            {
                continue;
            }
            let action = console_action(name).unwrap_or_else(|| {
                panic!("console function {name} is not in the role matrix test")
            });
            let Some(action) = action else { continue };
            let fields = console_form(name, &doc, &share_id)
                .map(|f| format!("csrf={}&{f}", person.csrf))
                .or_else(|| read_form(name, &share_id, &portal_id, &doc))
                .unwrap_or_else(|| panic!("console function {name} has no form here"));
            let before = fingerprint(&app).await;
            let r = app
                .send(
                    Request::post(path)
                        .header(header::ORIGIN, ORIGIN)
                        .header(header::COOKIE, &person.cookie)
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(Body::from(fields))
                        .unwrap(),
                )
                .await;
            let label = format!("{:?} console {name}", person.role);
            judge(
                &mut wrong,
                &mut refused,
                person.role.permits(action),
                &label,
                &r,
                before,
                fingerprint(&app).await,
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "{} calls broke the matrix:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The matrix refuses the auditor and the controller a good share of the surface.
    assert!(refused > 60, "{refused}");
}
