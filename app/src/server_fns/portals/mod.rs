mod create_portal;
mod domains;
mod list_portals;
mod members;
mod save_branding;
mod sections;

pub use create_portal::*;
pub use domains::*;
pub use list_portals::*;
pub use members::*;
pub use save_branding::*;
pub use sections::*;
