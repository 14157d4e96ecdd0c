//! The API's OpenAPI 3.1 document, built from the handlers' own `#[utoipa::path]`
//! annotations and types as the routes are registered (`utoipa_axum::OpenApiRouter`), so a
//! route cannot be served without being described. [`Conventions`] adds what every
//! operation shares: the Bearer schemes, and the error answers each kind of operation can
//! give, all in the one envelope of [`crate::error`].

use serde::Serialize;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{Modify, ToResponse, ToSchema};

/// The security scheme of the admin API (`/api/v1`): an API key.
pub const ADMIN_KEY: &str = "admin_key";
/// The security scheme of the portal API (`/api/portal`): a portal session JWT.
pub const PORTAL_SESSION: &str = "portal_session";

/// Every refusal, from every API: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for programs: `invalid_input`, `not_found`, `forbidden`,
    /// `unauthenticated`, `invalid_token`, `conflict`, `payload_too_large`,
    /// `unsupported_media_type`, `too_many_requests`, `unavailable`, `internal`, or a
    /// share refusal (`expired`, `revoked`, `exhausted`, …).
    #[schema(example = "invalid_input")]
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The input field that was refused (`invalid_input` only), e.g. `recipients[0].email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A list answer: `{"items": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T: ToSchema> {
    pub items: Vec<T>,
}

impl<T: ToSchema> From<Vec<T>> for Items<T> {
    fn from(items: Vec<T>) -> Self {
        Items { items }
    }
}

/// A stored file as it was uploaded, or stamped for download: one of the types Liaison
/// accepts (`backend::domain::content_type::ACCEPTED`). Use as `response = inline(StoredFile)`.
pub struct StoredFile;

impl<'r> ToResponse<'r> for StoredFile {
    fn response() -> (&'r str, RefOr<Response>) {
        let mut response = ResponseBuilder::new().description(
            "The file: PDF, PNG, JPEG, GIF, WebP or plain text, as an attachment or inline",
        );
        for media in backend::domain::content_type::ACCEPTED {
            let essence = media.split(';').next().unwrap_or(media);
            response = response.content(essence, ContentBuilder::new().build());
        }
        ("StoredFile", RefOr::T(response.build()))
    }
}

/// The error answers, each a named response of the document's components.
const ERRORS: [(&str, &str, &str); 11] = [
    (
        "401",
        "Unauthenticated",
        "No credential, or one that is unknown, expired or revoked.",
    ),
    (
        "403",
        "Forbidden",
        "The credential's role or scope does not allow this.",
    ),
    (
        "404",
        "NotFound",
        "Nothing of this id in the caller's organisation.",
    ),
    (
        "409",
        "Conflict",
        "The request conflicts with the current state: what it changes was revoked, deleted \
         or changed meanwhile, or a name is taken.",
    ),
    (
        "410",
        "Gone",
        "The share has ended: expired, revoked or used up.",
    ),
    (
        "413",
        "PayloadTooLarge",
        "The body is larger than this endpoint accepts.",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "The body is not of the media type this endpoint reads.",
    ),
    (
        "422",
        "Invalid",
        "The input was refused; `field` names the part at fault.",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many requests or attempts; `Retry-After` says when to try again.",
    ),
    (
        "500",
        "Internal",
        "A fault on our side, logged with the request id.",
    ),
    (
        "503",
        "Unavailable",
        "A store the request needs is not answering; nothing was changed.",
    ),
];

/// Adds the security schemes and error responses to the document, and to each operation:
/// its scheme by prefix (`/api/v1` the admin key, `/api/portal` the portal session, unless
/// the operation names its own) and the error answers its inputs make possible.
pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            ADMIN_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lsn_…")
                    .description(Some(
                        "An API key, made on the console's API keys page: it acts as the person \
                         who made it, with their role. `read` keys change nothing.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            PORTAL_SESSION,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A portal session: the RS256 JWT `POST /api/portal/session` returns \
                         for a share link's token (keys at `/.well-known/jwks.json`).",
                    ))
                    .build(),
            ),
        );
        let envelope = RefOr::Ref(Ref::from_schema_name("ErrorEnvelope"));
        for (_, name, description) in ERRORS {
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(envelope.clone())).build(),
                )
                .build();
            components
                .responses
                .insert(name.to_owned(), RefOr::T(response));
        }
        add_links(doc);
        for (path, item) in doc.paths.paths.iter_mut() {
            let scheme = if path.starts_with("/api/v1/") {
                Some(ADMIN_KEY)
            } else if path.starts_with("/api/portal/") {
                Some(PORTAL_SESSION)
            } else {
                None
            };
            for (writes, op) in operations(item) {
                if op.security.is_none() {
                    if let Some(scheme) = scheme {
                        op.security =
                            Some(vec![SecurityRequirement::new(scheme, Vec::<String>::new())]);
                    }
                }
                add_errors(op, path.contains('{'), writes);
            }
        }
    }
}

/// The API's flows, as OpenAPI links (for client generators, and the fuzzer's stateful
/// runs): once the operation on the left has answered with the status, each operation on
/// the right may follow, its parameters taken from that answer.
type Flow = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const ID: &[(&str, &str)] = &[("id", "$response.body#/id")];

/// What may follow a new identity provider, a partner's or the organisation's own.
const IDP_OPERATIONS: &[&str] = &[
    "get_idp",
    "update_idp",
    "test_idp",
    "set_idp_enabled",
    "set_idp_attribute_map",
];

const FLOWS: &[Flow] = &[
    (
        "create_share",
        "201",
        ID,
        &[
            "get_share",
            "change_share",
            "revoke_share",
            "copy_link",
            "resend_invitation",
            "list_devices",
            "list_responses",
        ],
    ),
    (
        "upload_document",
        "201",
        ID,
        &[
            "list_revisions",
            "upload_revision",
            "put_document_project",
            "staff_list",
            "staff_post",
        ],
    ),
    (
        "create_partner",
        "201",
        ID,
        &[
            "get_partner",
            "update_partner",
            "create_partner_idp",
            "list_partner_guests",
        ],
    ),
    (
        "create_portal",
        "201",
        ID,
        &[
            "list_portal_sections",
            "create_portal_section",
            "add_portal_member",
            "list_domains",
            "add_domain",
            "set_branding",
        ],
    ),
    (
        "create_secret",
        "201",
        &[("id", "$response.body#/secret/id")],
        &["read_secret", "revoke_secret"],
    ),
    (
        "create_portal_section",
        "201",
        ID,
        &[
            "rename_portal_section",
            "delete_portal_section",
            "move_portal_section",
            "place_section_item",
        ],
    ),
    ("create_partner_idp", "201", ID, IDP_OPERATIONS),
    ("create_staff_idp", "201", ID, IDP_OPERATIONS),
    ("add_domain", "201", ID, &["verify_domain", "remove_domain"]),
    ("create_project", "201", ID, &["put_project_policy"]),
    ("staff_post", "201", ID, &["staff_edit", "staff_delete"]),
    ("guest_post", "201", ID, &["guest_edit", "guest_delete"]),
    (
        "items",
        "200",
        &[("id", "$response.body#/items/0/id")],
        &["item_content", "open_view", "guest_list", "guest_post"],
    ),
    (
        "open_view",
        "201",
        &[
            ("id", "$request.path.id"),
            ("page", "1"),
            ("view", "$response.body#/view"),
        ],
        &["page_image"],
    ),
];

/// Adds each of [`FLOWS`] to its operation's answer.
fn add_links(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            let id = op.operation_id.clone().unwrap_or_default();
            for (from, status, params, targets) in FLOWS {
                if *from != id {
                    continue;
                }
                let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) else {
                    continue;
                };
                for target in *targets {
                    let mut link = LinkBuilder::new().operation_id(*target);
                    for (name, value) in *params {
                        link = link.parameter(*name, *value);
                    }
                    response
                        .links
                        .insert((*target).to_owned(), RefOr::T(link.build()));
                }
            }
        }
    }
}

/// A path's operations, each with whether it writes (anything but a GET).
fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (false, item.get.as_mut()),
        (true, item.put.as_mut()),
        (true, item.post.as_mut()),
        (true, item.delete.as_mut()),
        (true, item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(writes, op)| Some((writes, op?)))
}

/// The error answers `op` can give: every operation may be refused for load or a store
/// outage (429, 500, 503); one with a credential for the credential (401, 403); one with
/// an id in its path or a body naming others for the ids (404); one with inputs for them
/// (422); one with a body for its type and size (413, 415); one that writes for the state
/// it meets (409: revoked, deleted or changed meanwhile). Error answers the operation
/// declares itself keep their description and get the envelope as their content.
fn add_errors(op: &mut Operation, has_path_id: bool, writes: bool) {
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(response) = response {
            if status.as_str() >= "400" && response.content.is_empty() {
                response.content.insert(
                    "application/json".to_owned(),
                    ContentBuilder::new()
                        .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorEnvelope"))))
                        .build(),
                );
            }
        }
    }
    let secured = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().any(|r| r != &SecurityRequirement::default()));
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    for (status, name, _) in ERRORS {
        let applies = match status {
            "401" | "403" => secured,
            "404" => has_path_id || has_body,
            "413" | "415" => has_body,
            "422" => has_body || has_params,
            "409" => writes,
            "410" => false,
            _ => true,
        };
        if applies {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
        }
    }
}

/// The document as JSON. utoipa 5.5 writes a link's fields in snake case (`operation_id`);
/// OpenAPI names them in camel case (`operationId`), as every other field: they are renamed
/// here.
pub fn to_json(doc: &OpenApi) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    if let Some(paths) = value.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for op in paths
            .values_mut()
            .filter_map(|i| i.as_object_mut())
            .flat_map(|i| i.values_mut())
        {
            let responses = op.get_mut("responses").and_then(|r| r.as_object_mut());
            for response in responses.into_iter().flat_map(|r| r.values_mut()) {
                let links = response.get_mut("links").and_then(|l| l.as_object_mut());
                for link in links.into_iter().flat_map(|l| l.values_mut()) {
                    let Some(link) = link.as_object_mut() else {
                        continue;
                    };
                    for (snake, camel) in [
                        ("operation_id", "operationId"),
                        ("operation_ref", "operationRef"),
                        ("request_body", "requestBody"),
                    ] {
                        if let Some(v) = link.remove(snake) {
                            link.insert(camel.to_owned(), v);
                        }
                    }
                }
            }
        }
    }
    value
}
