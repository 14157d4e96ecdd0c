mod get_current_user;
mod sign_in;
mod sign_out;

pub use get_current_user::*;
pub use sign_in::*;
pub use sign_out::*;
