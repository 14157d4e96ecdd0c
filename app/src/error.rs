//! What a server function answers when it refuses: the stable `code` of the REST error
//! envelope, the `field` the refusal is about (so a form can mark that field), and a
//! message safe to show. One type for every server function, on both sides of the wire.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    /// `invalid_input`, `forbidden`, `not_found`, … as in the REST error envelope;
    /// `transport` when the call itself failed (network, encoding).
    pub code: String,
    /// The input field the refusal is about, when there is one (`recipients`,
    /// `settings.allowed_networks`, …).
    pub field: Option<String>,
    pub message: String,
}

impl AppError {
    /// A fault on our side, already logged where it happened; the message is generic.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: "internal".into(),
            field: None,
            message: message.into(),
        }
    }

    /// Bad input on `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: "invalid_input".into(),
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    /// The message when the refusal is about `field`.
    pub fn on_field(&self, field: &str) -> Option<&str> {
        (self.field.as_deref() == Some(field)).then_some(self.message.as_str())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self {
            code: "transport".into(),
            field: None,
            message: match value {
                ServerFnErrorErr::ServerError(m) => m,
                other => other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;
    use leptos::server_fn::error::FromServerFnError;

    /// The error crosses the wire whole: code, field and message.
    #[test]
    fn round_trips_with_its_field() {
        let e = AppError::invalid("recipients", "\"Jane\" is not an email address");
        assert_eq!(AppError::de(e.ser()), e);
        assert_eq!(e.on_field("recipients"), Some(e.message.as_str()));
        assert_eq!(e.on_field("tlp"), None);
        assert_eq!(e.to_string(), e.message);
    }
}
