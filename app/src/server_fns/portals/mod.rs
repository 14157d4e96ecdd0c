mod add_portal_member;
mod create_portal;
mod domains;
mod list_portals;
mod remove_portal_member;
mod save_branding;

pub use add_portal_member::*;
pub use create_portal::*;
pub use domains::*;
pub use list_portals::*;
pub use remove_portal_member::*;
pub use save_branding::*;
