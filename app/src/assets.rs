//! The built front end's file names, as `scripts/build-site` wrote them to
//! `pkg/manifest.json`: one stylesheet and a wasm bundle per app ([`Bundle`]). Names carry a hash of their content, so a page always asks for exactly the
//! files it was rendered with and the server may let browsers cache them for good.
//! Only compiled with `ssr`.

use std::path::Path;

use serde::Deserialize;

use crate::Bundle;

/// A wasm bundle: its JavaScript glue and its module, both under `/pkg/`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct BundleFiles {
    pub js: String,
    pub wasm: String,
}

/// The manifest. Invariant: every name is a plain file name (no `/`, no `..`), so
/// `/pkg/{name}` stays inside the served folder and needs no escaping in an attribute.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SiteAssets {
    /// `release` or `debug`: which profile built the wasm.
    pub profile: String,
    pub css: String,
    pub console: BundleFiles,
    pub landing: BundleFiles,
    pub secret: BundleFiles,
    pub portal: BundleFiles,
}

impl SiteAssets {
    pub const MANIFEST: &'static str = "manifest.json";

    /// Reads `site_dir/pkg/manifest.json`. Without one (the front end was never built) the
    /// pages name files that do not exist: they render, without styles or interactivity.
    pub fn load(site_dir: &Path) -> Self {
        let path = site_dir.join("pkg").join(Self::MANIFEST);
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Self::parse(&text));
        match parsed {
            Ok(assets) => assets,
            Err(e) => {
                tracing::warn!(manifest = %path.display(), error.detail = %e, "no front-end manifest: pages render without styles or interactivity (run scripts/build-site)");
                Self::default()
            }
        }
    }

    /// Parses a manifest, refusing any name that is not a plain file name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let assets: Self = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let names = [
            &assets.css,
            &assets.console.js,
            &assets.console.wasm,
            &assets.landing.js,
            &assets.landing.wasm,
            &assets.secret.js,
            &assets.secret.wasm,
            &assets.portal.js,
            &assets.portal.wasm,
        ];
        for name in names {
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                && !name.starts_with('.');
            if !plain {
                return Err(format!("{name:?} is not a plain file name"));
            }
        }
        Ok(assets)
    }

    pub fn bundle(&self, bundle: Bundle) -> &BundleFiles {
        match bundle {
            Bundle::Console => &self.console,
            Bundle::Landing => &self.landing,
            Bundle::Secret => &self.secret,
            Bundle::Portal => &self.portal,
        }
    }

    /// Whether `name` (under `/pkg/`) is one of the manifest's files, whose names change
    /// whenever their content does.
    pub fn is_immutable(&self, name: &str) -> bool {
        self.profile != "unbuilt"
            && [
                &self.css,
                &self.console.js,
                &self.console.wasm,
                &self.landing.js,
                &self.landing.wasm,
                &self.secret.js,
                &self.secret.wasm,
                &self.portal.js,
                &self.portal.wasm,
            ]
            .into_iter()
            .any(|n| n == name)
    }

    /// The stylesheet's URL.
    pub fn css_href(&self) -> String {
        format!("/pkg/{}", self.css)
    }
}

/// The names of a front end that was never built (see [`SiteAssets::load`]).
impl Default for SiteAssets {
    fn default() -> Self {
        let files = |stem: &str| BundleFiles {
            js: format!("{stem}.js"),
            wasm: format!("{stem}.wasm"),
        };
        Self {
            profile: "unbuilt".into(),
            css: "liaison.css".into(),
            console: files("console"),
            landing: files("landing"),
            secret: files("secret"),
            portal: files("portal"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_naming_a_path_is_refused() {
        let ok = r#"{"profile":"release","css":"liaison.0a1b.css",
            "console":{"js":"console.1.js","wasm":"console.1.wasm"},
            "landing":{"js":"landing.3.js","wasm":"landing.3.wasm"},
            "secret":{"js":"secret.4.js","wasm":"secret.4.wasm"},
            "portal":{"js":"portal.2.js","wasm":"portal.2.wasm"}}"#;
        assert_eq!(SiteAssets::parse(ok).unwrap().portal.wasm, "portal.2.wasm");
        for bad in ["../x.css", "a/b.css", ".hidden", "", "x\".css", "x y.css"] {
            let text = ok.replace("liaison.0a1b.css", &bad.replace('"', "\\\""));
            assert!(SiteAssets::parse(&text).is_err(), "{bad}");
        }
    }
}
