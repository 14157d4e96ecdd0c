//! Data records in the console: the register, one record, saving a record's data, and the
//! organisation's redaction rules.

mod list_records;
mod load_record;
mod redaction_rules;
mod save_record;

pub use list_records::*;
pub use load_record::*;
pub use redaction_rules::*;
pub use save_record::*;
