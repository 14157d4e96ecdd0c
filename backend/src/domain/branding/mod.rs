//! A portal's brand as guests see it: name, logo, palette, disclaimer, support contact and
//! footer links. Stored as JSON on the portal ([`Branding`]); every field was validated
//! when saved (`services::portals::branding`), and is validated again by type on load
//! (colours parse, unknown fields are refused).
//!
//! Invariant: a stored palette passes [`Palette::check`], so every theme generated from it
//! reaches WCAG AA — body text ≥ 4.5:1 on the background, links and headings in the
//! primary colour ≥ 4.5:1, button text ≥ 4.5:1 on the primary colour, and the accent
//! (focus rings, rules) ≥ 3:1.

pub mod colour;
pub mod logo;
pub mod markdown;

use serde::{Deserialize, Serialize};

pub use colour::Colour;

/// What the standard disclaimer says when a portal has none of its own.
pub const STANDARD_DISCLAIMER: &str = "This material is shared with you alone, for the \
    purpose it was sent. Do not forward, copy or disclose it. Every access is recorded.";

/// A portal's stored brand (JSON in `portals.branding`). Empty fields fall back to the
/// organisation's name, Liaison's palette and the standard disclaimer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Branding {
    pub display_name: String,
    pub palette: Option<Palette>,
    /// Markdown subset source ([`markdown`]).
    pub disclaimer: String,
    pub support: Option<SupportContact>,
    pub footer_links: Vec<FooterLink>,
    pub logo: Option<LogoRef>,
}

/// Where guests turn for help: an email address or an https page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SupportContact {
    Email(String),
    Url(String),
}

impl SupportContact {
    /// The link a guest follows.
    pub fn href(&self) -> String {
        match self {
            SupportContact::Email(e) => format!("mailto:{e}"),
            SupportContact::Url(u) => u.clone(),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            SupportContact::Email(v) | SupportContact::Url(v) => v,
        }
    }
}

/// A link in the guest pages' footer; `url` is always https.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FooterLink {
    pub label: String,
    pub url: String,
}

/// The stored logo: its WebP file is named by `sha256` in blob storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoRef {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
}

/// The three colours an admin chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Palette {
    pub primary: Colour,
    pub accent: Colour,
    pub background: Colour,
}

/// Which colour of a palette falls short, by how much.
#[derive(Clone, Debug, PartialEq)]
pub struct PaletteShortfall {
    /// `primary` or `accent`.
    pub field: &'static str,
    pub message: String,
}

/// Liaison's own palette (as in `style/main.css`).
pub const LIAISON: Palette = Palette {
    primary: Colour(0x1d, 0x4e, 0xd8),
    accent: Colour(0x1d, 0x4e, 0xd8),
    background: Colour(0xf5, 0xf7, 0xfa),
};

/// Links and headings; body text (which is chosen, so always passes).
const TEXT_MIN: f64 = 4.5;
/// Focus rings and rules (WCAG 1.4.11, non-text contrast).
const UI_MIN: f64 = 3.0;

impl Palette {
    /// Refuses a palette whose primary or accent colour cannot be read on its background.
    pub fn check(&self) -> Result<(), PaletteShortfall> {
        let primary = self.primary.contrast(self.background);
        if primary < TEXT_MIN {
            return Err(PaletteShortfall {
                field: "primary",
                message: format!(
                    "the primary colour {} has a contrast of {} on the background {}; links \
                     and headings need at least 4.5:1 (WCAG AA) — darken or lighten one of them",
                    self.primary,
                    ratio(primary),
                    self.background
                ),
            });
        }
        let accent = self.accent.contrast(self.background);
        if accent < UI_MIN {
            return Err(PaletteShortfall {
                field: "accent",
                message: format!(
                    "the accent colour {} has a contrast of {} on the background {}; focus \
                     rings and rules need at least 3:1 (WCAG AA)",
                    self.accent,
                    ratio(accent),
                    self.background
                ),
            });
        }
        Ok(())
    }

    /// The style sheet that applies this palette to the guest pages, as CSS custom
    /// properties over `style/main.css`'s tokens. Only `#rrggbb` values are written.
    pub fn css(&self) -> String {
        let ink = self.background.readable_text();
        // The muted text is a blend that still reaches 4.5:1 (falling back to the ink).
        let muted = [0.35, 0.25, 0.15]
            .into_iter()
            .map(|by| ink.mix(self.background, by))
            .find(|c| c.contrast(self.background) >= TEXT_MIN)
            .unwrap_or(ink);
        let line = ink.mix(self.background, 0.8);
        format!(
            ":root{{--brand:{p};--brand-ink:{pi};--accent:{a};--bg:{bg};--card:{bg};--ink:{ink};\
             --muted:{muted};--line:{line};}}\n",
            p = self.primary,
            pi = self.primary.readable_text(),
            a = self.accent,
            bg = self.background,
        )
    }
}

fn ratio(r: f64) -> String {
    format!("{:.2}:1", (r * 100.0).floor() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Colour {
        Colour::parse(s).unwrap_or(Colour::BLACK)
    }

    #[test]
    fn liaison_palette_passes() {
        assert_eq!(LIAISON.check(), Ok(()));
    }

    #[test]
    fn an_unreadable_primary_is_refused_with_its_ratio() {
        let p = Palette {
            primary: c("#ffee00"),
            accent: c("#000000"),
            background: c("#ffffff"),
        };
        let e = p.check().expect_err("refused");
        assert_eq!(e.field, "primary");
        assert!(e.message.contains("1.20:1"), "{}", e.message);
        assert!(e.message.contains("#ffee00") && e.message.contains("4.5:1"));
    }

    #[test]
    fn a_faint_accent_is_refused() {
        let p = Palette {
            primary: c("#003366"),
            accent: c("#dddddd"),
            background: c("#ffffff"),
        };
        assert_eq!(p.check().map_err(|e| e.field), Err("accent"));
    }

    #[test]
    fn every_colour_in_a_dark_theme_reaches_aa() {
        let p = Palette {
            primary: c("#ffd166"),
            accent: c("#06d6a0"),
            background: c("#0b1d33"),
        };
        assert_eq!(p.check(), Ok(()));
        let css = p.css();
        let value = |name: &str| {
            let at = css.find(&format!("--{name}:")).map(|i| i + name.len() + 3);
            at.and_then(|i| Colour::parse(&css[i..i + 7]))
                .unwrap_or(Colour::BLACK)
        };
        assert_eq!(value("ink"), Colour::WHITE);
        assert!(value("muted").contrast(p.background) >= 4.5);
        assert!(value("brand-ink").contrast(p.primary) >= 4.5);
    }
}
