mod add_identity_provider;
mod create_partner;
mod list_partners;
mod set_attribute_map;
mod set_enabled;
mod test_identity_provider;

pub use add_identity_provider::*;
pub use create_partner::*;
pub use list_partners::*;
pub use set_attribute_map::*;
pub use set_enabled::*;
pub use test_identity_provider::*;
