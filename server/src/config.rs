//! Configuration from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    /// `BIND_ADDR`; defaults to Leptos' site address (127.0.0.1:3000).
    pub bind: Option<SocketAddr>,
    /// `DATA_DIR`: the SQLite database and, later, files live here. Created on first run.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`; defaults to a SQLite file in the data directory.
    pub database_url: String,
    /// `PUBLIC_URL`: the address people use; with https, cookies are marked Secure.
    pub public_url: Option<String>,
    /// `SMTP_URL`: where transcripts are sent, e.g. `smtp://user:pass@host:587?tls=starttls`,
    /// `smtps://user:pass@host:465` or `smtp://host:25`. Without it, emails are written as .eml
    /// files under `<data dir>/outbox/`.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`: the sender of those emails, e.g. `Helpdesk <help@example.com>`.
    pub mail_from: String,
    /// `CHAT_WAIT_LIMIT_SECS`: when the queue already waits longer, the widget offers "Leave a
    /// message" instead of a chat.
    pub chat_wait_limit: Option<std::time::Duration>,
    /// How often this node says it is alive to the others on the same database, and how long
    /// they wait before counting a silent node gone (fixed; tests shorten them).
    pub liveness: app::server::cluster::Liveness,
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bind = match var("BIND_ADDR") {
            Some(v) => Some(v.parse().map_err(|e| {
                format!("BIND_ADDR {v:?} is not an address like 127.0.0.1:3000: {e}")
            })?),
            None => None,
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("DATABASE_URL").unwrap_or_else(|| sqlite_url(&data_dir));
        let chat_wait_limit = match var("CHAT_WAIT_LIMIT_SECS") {
            Some(v) => Some(std::time::Duration::from_secs(v.trim().parse().map_err(
                |e| format!("CHAT_WAIT_LIMIT_SECS {v:?} is not a number of seconds: {e}"),
            )?)),
            None => None,
        };
        Ok(Config {
            bind,
            data_dir,
            database_url,
            public_url: var("PUBLIC_URL"),
            smtp_url: var("SMTP_URL"),
            mail_from: var("MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            chat_wait_limit,
            liveness: Default::default(),
        })
    }

    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Config {
            bind: None,
            database_url: sqlite_url(&data_dir),
            data_dir,
            public_url: None,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.into(),
            chat_wait_limit: None,
            liveness: Default::default(),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// The sender when `MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "Helpdesk <helpdesk@localhost>";

fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}", data_dir.join("helpdesk.db").display())
}
