//! End-to-end encrypted secrets: the recipient's page, the console's list and revoke. The
//! create goes to `POST /console/secrets` (a JSON body too big for a server function).

mod list_secrets;
mod revoke_secret;
mod secret_overview;

pub use list_secrets::*;
pub use revoke_secret::*;
pub use secret_overview::*;
