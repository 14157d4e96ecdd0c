mod copy_share_link;
mod create_share;
mod list_shares;
mod resend_invitation;
mod revoke_share;

pub use copy_share_link::*;
pub use create_share::*;
pub use list_shares::*;
pub use resend_invitation::*;
pub use revoke_share::*;
