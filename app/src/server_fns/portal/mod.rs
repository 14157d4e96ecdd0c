mod load_portal;
mod open_share;
mod share_landing;

pub use load_portal::*;
pub use open_share::*;
pub use share_landing::*;
