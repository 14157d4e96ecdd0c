mod get_policy;
mod save_policy;

pub use get_policy::*;
pub use save_policy::*;
