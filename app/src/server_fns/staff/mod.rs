mod change_staff;
mod invite_staff;
mod list_staff;
mod password_link;

pub use change_staff::*;
pub use invite_staff::*;
pub use list_staff::*;
pub use password_link::*;
