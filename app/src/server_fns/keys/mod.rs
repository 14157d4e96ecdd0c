mod api_keys;

pub use api_keys::*;
