//! A portal's brand: set by administrators (every field validated here, so a stored brand
//! is always one a guest page can show safely) and shown on every guest screen of the
//! portal's shares.
//!
//! Guests fetch two public assets, both named by a hash of their content so they can be
//! cached for ever: `/brand/{portal}/theme-{hash}.css` (the palette as CSS custom
//! properties) and `/brand/{portal}/logo-{sha256}.webp` (the re-encoded logo).

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::super::{validate, Result, ServiceError};
use crate::actor::{RequestMeta, Site, Staff};
use crate::audit::EventType;
use crate::blobs::Blobs;
use crate::domain::branding::{
    logo, markdown, Branding, Colour, FooterLink, LogoRef, Palette, SupportContact,
    STANDARD_DISCLAIMER,
};
use crate::domain::Share;
use crate::store::{self, portals::PortalRow};
use crate::Liaison;

/// At most this many footer links.
pub const MAX_FOOTER_LINKS: usize = 6;
const MAX_DISCLAIMER_CHARS: usize = 4000;

/// What an administrator submits (REST `PUT /api/v1/portals/{id}/branding`, the console's
/// branding form). Empty strings mean "not set": the organisation's name, Liaison's
/// palette (all three colours empty), the standard disclaimer, no support contact.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BrandingInput {
    /// The name guests see (at most 120 characters; empty: the organisation's).
    pub display_name: String,
    /// `#rrggbb`: links, headings and buttons (at least 4.5:1 on the background).
    pub primary: String,
    /// `#rrggbb`: focus rings and rules (at least 3:1 on the background).
    pub accent: String,
    /// `#rrggbb`: the page.
    pub background: String,
    /// Markdown subset: paragraphs, emphasis, lists, https and mailto links.
    pub disclaimer: String,
    /// An email address or an https:// page.
    pub support_contact: String,
    /// At most 6, each an https:// page.
    pub footer_links: Vec<FooterLink>,
    /// Legal terms (an id of the organisation's versioned terms) every guest of this
    /// portal accepts, unless the share names its own.
    pub terms_id: Option<String>,
}

/// A portal's brand as the console shows it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BrandingView {
    pub display_name: String,
    pub primary: String,
    pub accent: String,
    pub background: String,
    pub disclaimer: String,
    pub support_contact: String,
    pub footer_links: Vec<FooterLink>,
    pub terms_id: Option<String>,
    /// Where the logo is served, if there is one.
    pub logo_url: Option<String>,
}

impl BrandingView {
    pub(crate) fn of(p: &PortalRow) -> Result<Self> {
        let b = stored(p)?;
        let colour = |f: fn(&Palette) -> Colour| b.palette.as_ref().map(|p| f(p).to_string());
        Ok(Self {
            primary: colour(|p| p.primary).unwrap_or_default(),
            accent: colour(|p| p.accent).unwrap_or_default(),
            background: colour(|p| p.background).unwrap_or_default(),
            logo_url: b.logo.as_ref().map(|l| logo_path(&p.id, l)),
            support_contact: b
                .support
                .as_ref()
                .map(|s| s.label().to_owned())
                .unwrap_or_default(),
            display_name: b.display_name,
            disclaimer: b.disclaimer,
            footer_links: b.footer_links,
            terms_id: p.terms_id.clone(),
        })
    }
}

/// The brand on a guest screen. Everything in it is safe to render: text is escaped by the
/// page, `disclaimer_html` comes from [`markdown::render`], links are https or mailto.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct GuestBrand {
    pub name: String,
    /// The portal's theme style sheet (`None`: Liaison's own colours).
    pub theme_path: Option<String>,
    pub logo: Option<GuestLogo>,
    pub disclaimer_html: String,
    /// (label, href).
    pub support: Option<(String, String)>,
    pub footer_links: Vec<FooterLink>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct GuestLogo {
    pub path: String,
    pub width: u32,
    pub height: u32,
}

impl GuestBrand {
    /// Liaison's own brand: for pages that belong to no portal (an unknown link).
    pub fn liaison() -> Self {
        Self {
            name: "Liaison".into(),
            theme_path: None,
            logo: None,
            disclaimer_html: markdown::render(STANDARD_DISCLAIMER),
            support: None,
            footer_links: Vec::new(),
        }
    }
}

fn stored(p: &PortalRow) -> Result<Branding> {
    serde_json::from_str(&p.branding)
        .map_err(|e| ServiceError::internal_while(format!("reading portal {}'s brand", p.id), e))
}

fn logo_path(portal_id: &str, l: &LogoRef) -> String {
    format!("/brand/{portal_id}/logo-{}.webp", l.sha256)
}

/// The first 16 hex digits of the theme's SHA-256: its file name changes with its content.
fn theme_version(css: &str) -> String {
    Sha256::digest(css.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The brand of the portal a share belongs to.
#[tracing::instrument(skip_all)]
pub async fn for_share(core: &Liaison, share: &Share) -> Result<GuestBrand> {
    let portal = store::portals::get(core.db.pool(), &share.org_id, &share.portal_id)
        .await?
        .ok_or_else(|| ServiceError::fault(format!("share {} names a missing portal", share.id)))?;
    guest_brand(core, &portal).await
}

/// The brand of a site: its portal's on a portal's domain, Liaison's own on the public URL
/// (which serves every organisation, so shows none of them by default).
#[tracing::instrument(skip_all)]
pub async fn for_site(core: &Liaison, site: &Site) -> Result<GuestBrand> {
    let Some(p) = site.portal() else {
        return Ok(GuestBrand::liaison());
    };
    match store::portals::get(core.db.pool(), &p.org_id, &p.portal_id).await? {
        Some(portal) => guest_brand(core, &portal).await,
        None => Ok(GuestBrand::liaison()),
    }
}

async fn guest_brand(core: &Liaison, portal: &PortalRow) -> Result<GuestBrand> {
    // A brand this release cannot read (a corrupt row, or one written by a newer release)
    // must not lock guests out: they get Liaison's own, and the fault is logged.
    let b = match stored(portal) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(portal = %portal.id, error = %e, "unreadable portal brand; guests see Liaison's");
            return Ok(GuestBrand::liaison());
        }
    };
    let name = if b.display_name.is_empty() {
        store::orgs::get(core.db.pool(), &portal.org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default()
    } else {
        b.display_name
    };
    let disclaimer = if b.disclaimer.is_empty() {
        STANDARD_DISCLAIMER
    } else {
        &b.disclaimer
    };
    Ok(GuestBrand {
        name,
        theme_path: b
            .palette
            .map(|p| format!("/brand/{}/theme-{}.css", portal.id, theme_version(&p.css()))),
        logo: b.logo.as_ref().map(|l| GuestLogo {
            path: logo_path(&portal.id, l),
            width: l.width,
            height: l.height,
        }),
        disclaimer_html: markdown::render(disclaimer),
        support: b.support.map(|s| (s.label().to_owned(), s.href())),
        footer_links: b.footer_links,
    })
}

/// The theme style sheet of `portal_id` if `version` is its current one (an old version
/// is not served: its name promised content that no longer exists).
#[tracing::instrument(skip_all)]
pub async fn theme_css(core: &Liaison, portal_id: &str, version: &str) -> Result<Option<String>> {
    let Some(portal) = store::portals::by_id(core.db.pool(), portal_id).await? else {
        return Ok(None);
    };
    Ok(stored(&portal)?
        .palette
        .map(|p| p.css())
        .filter(|css| theme_version(css) == version))
}

/// The logo of `portal_id` if `sha256` names its current one.
#[tracing::instrument(skip_all)]
pub async fn logo_bytes(core: &Liaison, portal_id: &str, sha256: &str) -> Result<Option<Bytes>> {
    let Some(portal) = store::portals::by_id(core.db.pool(), portal_id).await? else {
        return Ok(None);
    };
    match stored(&portal)?.logo {
        Some(l) if l.sha256 == sha256 => Ok(Some(
            core.blobs
                .get(&Blobs::logo_key(&portal.org_id, &l.sha256))
                .await?,
        )),
        _ => Ok(None),
    }
}

/// Checks every field of `input` and turns it into a stored brand (keeping `logo`).
async fn checked(
    core: &Liaison,
    who: &Staff,
    input: &BrandingInput,
    logo: Option<LogoRef>,
) -> Result<Branding> {
    let display_name = if input.display_name.trim().is_empty() {
        String::new()
    } else {
        validate::text("display_name", &input.display_name, 120)?
    };
    let colours = [
        ("primary", input.primary.trim()),
        ("accent", input.accent.trim()),
        ("background", input.background.trim()),
    ];
    let palette = if colours.iter().all(|(_, c)| c.is_empty()) {
        None
    } else {
        let mut parsed = [Colour::BLACK; 3];
        for (slot, (field, text)) in parsed.iter_mut().zip(colours) {
            *slot = Colour::parse(text).ok_or_else(|| {
                ServiceError::invalid(
                    field,
                    if text.is_empty() {
                        format!("{field}: give all three colours, or none for Liaison's own")
                    } else {
                        format!(
                            "{field}: {text:?} is not a colour written as #rrggbb, such as #1d4ed8"
                        )
                    },
                )
            })?;
        }
        let palette = Palette {
            primary: parsed[0],
            accent: parsed[1],
            background: parsed[2],
        };
        palette
            .check()
            .map_err(|s| ServiceError::invalid(s.field, s.message))?;
        Some(palette)
    };
    let disclaimer = input.disclaimer.trim().replace("\r\n", "\n");
    if disclaimer.chars().count() > MAX_DISCLAIMER_CHARS {
        return Err(ServiceError::invalid(
            "disclaimer",
            format!("disclaimer must be at most {MAX_DISCLAIMER_CHARS} characters"),
        ));
    }
    if disclaimer
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ServiceError::invalid(
            "disclaimer",
            "disclaimer must not contain control characters",
        ));
    }
    let contact = input.support_contact.trim();
    let support = if contact.is_empty() {
        None
    } else if contact.to_ascii_lowercase().starts_with("https://") {
        Some(SupportContact::Url(validate::https_url(
            "support_contact",
            contact,
        )?))
    } else if contact.contains('@') && !contact.contains(':') {
        let email = validate::email("support_contact", contact)?;
        // The address becomes a mailto: link; `?`, `&` or `=` in it would add hidden
        // recipients or a body.
        let plain = email.split('@').next().is_some_and(|local| {
            local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
        });
        if !plain {
            return Err(ServiceError::invalid(
                "support_contact",
                "support_contact: use a plain address (letters, digits, . _ + - before the @)",
            ));
        }
        Some(SupportContact::Email(email))
    } else {
        return Err(ServiceError::invalid(
            "support_contact",
            "support_contact must be an email address or an https:// address",
        ));
    };
    if input.footer_links.len() > MAX_FOOTER_LINKS {
        return Err(ServiceError::invalid(
            "footer_links",
            format!("at most {MAX_FOOTER_LINKS} footer links"),
        ));
    }
    let mut footer_links = Vec::with_capacity(input.footer_links.len());
    for l in &input.footer_links {
        footer_links.push(FooterLink {
            label: validate::text("footer_links.label", &l.label, 60)?,
            url: validate::https_url("footer_links.url", &l.url)?,
        });
    }
    if let Some(id) = &input.terms_id {
        store::policies::terms(core.db.pool(), &who.org_id, id)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid("terms_id", "terms_id names no legal terms of yours")
            })?;
    }
    Ok(Branding {
        display_name,
        palette,
        disclaimer,
        support,
        footer_links,
        logo,
    })
}

/// Refuses a caller who may not change brands (before an upload is read).
pub fn may_change(who: &Staff) -> Result<()> {
    super::super::authorize(who, crate::domain::Action::ManagePortals)
}

/// Replaces a portal's brand (all fields but the logo) and terms. Administrators only.
#[tracing::instrument(skip_all)]
pub async fn set(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    input: &BrandingInput,
    meta: &RequestMeta,
) -> Result<BrandingView> {
    super::super::authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = super::portal(core, who, portal_id).await?;
    let branding = checked(core, who, input, stored(&portal)?.logo).await?;
    let terms_id = input.terms_id.clone().filter(|t| !t.is_empty());
    save(
        core,
        who,
        &portal,
        &branding,
        Some(terms_id),
        "branding_changed",
        meta,
    )
    .await
}

/// Logos decoded at once (each may hold up to 64 MiB of pixels while it is re-encoded).
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Replaces a portal's logo with `bytes` (PNG, JPEG or WebP ≤ 1 MiB), re-encoded.
#[tracing::instrument(skip_all)]
pub async fn set_logo(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    bytes: Bytes,
    meta: &RequestMeta,
) -> Result<BrandingView> {
    super::super::authorize(who, crate::domain::Action::ManagePortals)?;
    super::portal(core, who, portal_id).await?;
    let permit = DECODES
        .acquire()
        .await
        .map_err(|e| ServiceError::internal_while("waiting to re-encode a logo", e))?;
    let logo = tokio::task::spawn_blocking(move || logo::normalise(&bytes))
        .await
        .map_err(|e| ServiceError::internal_while("re-encoding a logo", e))?
        .map_err(|e| match e {
            logo::LogoError::TooLarge(_) => ServiceError::PayloadTooLarge {
                limit: logo::MAX_BYTES,
            },
            other => ServiceError::invalid("logo", other.to_string()),
        })?;
    core.blobs
        .put(
            &Blobs::logo_key(&who.org_id, &logo.sha256),
            Bytes::from(logo.webp),
        )
        .await?;
    drop(permit);
    // Read now, after the slow part: the swap below refuses if it changed since.
    let portal = super::portal(core, who, portal_id).await?;
    let mut branding = stored(&portal)?;
    branding.logo = Some(LogoRef {
        sha256: logo.sha256,
        width: logo.width,
        height: logo.height,
    });
    save(core, who, &portal, &branding, None, "logo_changed", meta).await
}

/// Removes a portal's logo (guests see its name instead).
#[tracing::instrument(skip_all)]
pub async fn clear_logo(
    core: &Liaison,
    who: &Staff,
    portal_id: &str,
    meta: &RequestMeta,
) -> Result<BrandingView> {
    super::super::authorize(who, crate::domain::Action::ManagePortals)?;
    let portal = super::portal(core, who, portal_id).await?;
    let mut branding = stored(&portal)?;
    branding.logo = None;
    save(core, who, &portal, &branding, None, "logo_removed", meta).await
}

/// Writes `branding` over `portal` as it was read (and `terms`, when `Some`), audited;
/// refuses with a conflict when another change landed in between.
async fn save(
    core: &Liaison,
    who: &Staff,
    portal: &PortalRow,
    branding: &Branding,
    terms: Option<Option<String>>,
    action: &str,
    meta: &RequestMeta,
) -> Result<BrandingView> {
    let json = serde_json::to_string(branding).map_err(ServiceError::internal)?;
    let mut tx = core.db.begin().await?;
    let swapped = store::portals::swap_branding(
        &mut *tx,
        &who.org_id,
        &portal.id,
        &portal.branding,
        &json,
        terms.as_ref().map(|t| t.as_deref()),
    )
    .await?;
    if !swapped {
        tx.rollback().await?;
        return Err(ServiceError::Conflict(
            "the portal's brand was changed by someone else meanwhile; reload and try again".into(),
        ));
    }
    let terms_id = terms.unwrap_or_else(|| portal.terms_id.clone());
    super::super::audit_staff_change(
        core,
        &mut tx,
        who,
        EventType::PortalChanged,
        json!({ "portal": portal.id, "action": action, "branding": branding, "terms_id": terms_id }),
        meta,
    )
    .await?;
    tx.commit().await?;
    let row = PortalRow {
        branding: json,
        terms_id,
        ..portal.clone()
    };
    BrandingView::of(&row)
}
