//! Data records in the console: the register, one record, and saving a record's data.

mod list_records;
mod load_record;
mod save_record;

pub use list_records::*;
pub use load_record::*;
pub use save_record::*;
