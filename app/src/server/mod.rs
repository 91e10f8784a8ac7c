//! Server-only code: storage (rows and file bytes), the live hub, the chat service, staff auth and Markdown.

pub mod admin_store;
pub mod article_store;
pub mod auth;
pub mod blobs;
pub mod cluster;
pub mod file_store;
pub mod hub;
pub mod mail;
pub mod markdown;
pub mod marks;
pub mod postgres;
pub mod rows;
pub mod service;
pub mod sqlite;
pub mod store;
pub mod ticket_store;

pub use service::{Service, ServiceError};

/// Milliseconds since the Unix epoch, the one clock the server reads.
pub fn now_ms() -> crate::rules::Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
