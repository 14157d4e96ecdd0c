mod list_audit;
mod trace_leak;

pub use list_audit::*;
pub use trace_leak::*;
