mod load_portal;
mod open_share;
mod renew_portal_session;
mod share_landing;

pub use load_portal::*;
pub use open_share::*;
pub use renew_portal_session::*;
pub use share_landing::*;
