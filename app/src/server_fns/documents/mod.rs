mod list_documents;

pub use list_documents::*;
