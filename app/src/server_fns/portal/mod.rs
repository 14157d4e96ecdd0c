mod guest_home;
mod load_portal;
mod open_page_view;
mod open_share;
mod renew_portal_session;
mod report_print_attempt;
mod request_renewal;
mod share_landing;
mod site_brand;

pub use guest_home::*;
pub use load_portal::*;
pub use open_page_view::*;
pub use open_share::*;
pub use renew_portal_session::*;
pub use report_print_attempt::*;
pub use request_renewal::*;
pub use share_landing::*;
pub use site_brand::*;
