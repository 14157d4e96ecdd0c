mod list_documents;
mod load_document;

pub use list_documents::*;
pub use load_document::*;
