//! Data records in the console: the register and one record.

mod list_records;
mod load_record;

pub use list_records::*;
pub use load_record::*;
