mod open_share;
mod load_portal;
mod share_landing;

pub use open_share::*;
pub use load_portal::*;
pub use share_landing::*;
