mod create_share;
mod list_shares;
mod revoke_share;

pub use create_share::*;
pub use list_shares::*;
pub use revoke_share::*;
