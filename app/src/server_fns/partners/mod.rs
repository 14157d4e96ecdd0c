mod add_identity_provider;
mod create_partner;
mod list_partners;
mod test_identity_provider;

pub use add_identity_provider::*;
pub use create_partner::*;
pub use list_partners::*;
pub use test_identity_provider::*;
