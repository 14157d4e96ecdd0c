mod get_policy;
mod projects;
mod save_policy;
mod terms;

pub use get_policy::*;
pub use projects::*;
pub use save_policy::*;
pub use terms::*;
