mod get_current_user;
mod list_staff_sign_ins;
mod sign_in;
mod sign_out;

pub use get_current_user::*;
pub use list_staff_sign_ins::*;
pub use sign_in::*;
pub use sign_out::*;
