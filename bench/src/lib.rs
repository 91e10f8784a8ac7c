//! Shared parts of the benchmark programs in `src/bin/` (see BENCHMARKS.md at the repository
//! root): starting the real server or the baseline relay as child processes, reading their
//! memory and CPU from /proc, the HTTP set-up calls, and the load engine that drives visitor and
//! staff sockets and keeps a ledger of every message.
//!
//! Benchmarks print figures; they never assert timings.

pub mod engine;
pub mod http;
pub mod proc;
pub mod proto;
pub mod relay;
pub mod scenario;
pub mod stats;
pub mod sys;

/// The repository root, for the default paths of the server binary and the site.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ sits in the repository")
        .to_path_buf()
}

/// Today's date and time (UTC) for the reports, without a date crate.
pub fn utc_now() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Err(_) => String::new(),
    }
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// Makes an error from a message.
pub fn err(msg: impl Into<String>) -> Error {
    msg.into().into()
}
