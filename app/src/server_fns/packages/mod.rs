mod change_package;
mod create_package;
mod list_packages;

pub use change_package::*;
pub use create_package::*;
pub use list_packages::*;
