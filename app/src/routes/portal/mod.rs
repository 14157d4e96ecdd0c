//! What guests see: the link's landing page and the portal with the shared items.

mod home_page;
mod landing;
mod page_viewer;
mod portal_page;
mod record_view;
mod secret_page;

pub use home_page::HomePage;
pub use landing::LandingPage;
pub use portal_page::PortalPage;
pub(crate) use record_view::{custody_line, fields_view, SharedRecord};
pub use secret_page::SecretPage;
