//! Colours as `#rrggbb` and the WCAG 2.x contrast arithmetic the brand palette is held to.

use std::fmt;

/// An sRGB colour, written and parsed as `#rrggbb` (lower case when written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    pub const BLACK: Colour = Colour(0, 0, 0);
    pub const WHITE: Colour = Colour(255, 255, 255);

    /// `#rrggbb` (either case). Nothing else: no short form, names or alpha, so that what
    /// reaches a style sheet is always exactly seven safe characters.
    pub fn parse(s: &str) -> Option<Colour> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Colour(byte(0)?, byte(2)?, byte(4)?))
    }

    /// WCAG 2.x relative luminance, 0 (black) to 1 (white).
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// The WCAG contrast ratio between two colours, 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }

    /// Black or white, whichever contrasts more with `self` (at least 4.58:1 for any
    /// colour, so text in it always reaches WCAG AA).
    pub fn readable_text(self) -> Colour {
        if self.contrast(Colour::BLACK) >= self.contrast(Colour::WHITE) {
            Colour::BLACK
        } else {
            Colour::WHITE
        }
    }

    /// `self` moved `by` (0..=1) of the way towards `other`.
    pub fn mix(self, other: Colour, by: f64) -> Colour {
        let m = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * by).round() as u8;
        Colour(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

impl serde::Serialize for Colour {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Colour {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Colour::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a colour like #1d4ed8")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_six_digit_hex() {
        assert_eq!(Colour::parse("#1D4ED8"), Some(Colour(0x1d, 0x4e, 0xd8)));
        assert_eq!(Colour(0x1d, 0x4e, 0xd8).to_string(), "#1d4ed8");
        for bad in [
            "1d4ed8",
            "#fff",
            "#1d4ed8ff",
            "red",
            "#gggggg",
            "#1d4ed8;}",
            "",
        ] {
            assert_eq!(Colour::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((Colour::BLACK.contrast(Colour::WHITE) - 21.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1 grey.
        let grey = Colour::parse("#767676").unwrap_or(Colour::BLACK);
        assert!((grey.contrast(Colour::WHITE) - 4.54).abs() < 0.01);
        assert!((Colour::WHITE.contrast(Colour::WHITE) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn readable_text_always_reaches_aa() {
        for r in (0..=255).step_by(15) {
            for g in (0..=255).step_by(15) {
                for b in (0..=255).step_by(15) {
                    let c = Colour(r as u8, g as u8, b as u8);
                    assert!(c.contrast(c.readable_text()) >= 4.5, "{c}");
                }
            }
        }
    }
}
