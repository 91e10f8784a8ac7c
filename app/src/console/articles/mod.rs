//! Solution articles in the console: the list at `/console/articles` (searchable, drafts
//! included) and the editor at `/console/articles/:id` (`new` for a new article). Like the
//! ticket pages, they are drawn in the browser and open no live socket.

mod editor;
mod list;

pub use editor::ArticleEditor;
pub use list::ArticleList;
