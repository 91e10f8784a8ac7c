//! Where the bytes of uploaded files live. The default is a folder in the data directory; another
//! home (an object store) only has to implement [`Blobs`].
//!
//! A blob is written as *pending* and becomes readable only when kept, so a refused or broken
//! upload never leaves a file that a row could name.

use async_trait::async_trait;
use std::io;
use std::path::PathBuf;
use tokio::io::{AsyncRead, AsyncWrite};

/// A blob being written: its key and where its bytes go.
pub struct Pending {
    pub key: String,
    pub writer: Box<dyn AsyncWrite + Send + Unpin>,
}

#[async_trait]
pub trait Blobs: Send + Sync + 'static {
    /// Starts a new blob under a fresh, unguessable key.
    async fn create(&self) -> io::Result<Pending>;
    /// Makes a completely written blob readable.
    async fn keep(&self, key: &str) -> io::Result<()>;
    /// Removes a blob, pending or kept; a missing one is not an error.
    async fn remove(&self, key: &str);
    async fn open(&self, key: &str) -> io::Result<Box<dyn AsyncRead + Send + Unpin>>;
    /// A kept copy of a kept blob under a new key (a Drive file shared into a chat outlives
    /// the Drive file).
    async fn copy(&self, key: &str) -> io::Result<String>;
}

/// Blobs as files: pending ones in `<root>/tmp/`, kept ones in `<root>/<first two>/<key>`.
pub struct DiskBlobs {
    root: PathBuf,
}

impl DiskBlobs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DiskBlobs { root: root.into() }
    }

    /// Removes what uploads cut short by a stop left pending; run at start-up. Only files not
    /// written to for `idle`: another node sharing the folder may be receiving one right now.
    pub fn sweep_pending(&self, idle: std::time::Duration) -> io::Result<()> {
        let entries = match std::fs::read_dir(self.root.join("tmp")) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            other => other?,
        };
        for entry in entries {
            let entry = entry?;
            let stale = entry
                .metadata()?
                .modified()?
                .elapsed()
                .is_ok_and(|age| age >= idle);
            if stale {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }

    fn pending_path(&self, key: &str) -> PathBuf {
        self.root.join("tmp").join(format!("{key}.part"))
    }

    fn kept_path(&self, key: &str) -> PathBuf {
        self.root.join(&key[..2]).join(key)
    }
}

/// Keys are made here and only ever read back from our own rows; refuse anything else so a
/// key can never walk out of the folder.
fn checked(key: &str) -> io::Result<&str> {
    if key.len() >= 16 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(key)
    } else {
        Err(io::Error::new(io::ErrorKind::InvalidInput, "bad blob key"))
    }
}

#[async_trait]
impl Blobs for DiskBlobs {
    async fn create(&self) -> io::Result<Pending> {
        let key = super::auth::new_token();
        let path = self.pending_path(&key);
        tokio::fs::create_dir_all(path.parent().expect("has a parent")).await?;
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Pending {
            key,
            writer: Box::new(file),
        })
    }

    async fn keep(&self, key: &str) -> io::Result<()> {
        let key = checked(key)?;
        let to = self.kept_path(key);
        tokio::fs::create_dir_all(to.parent().expect("has a parent")).await?;
        tokio::fs::rename(self.pending_path(key), to).await
    }

    async fn remove(&self, key: &str) {
        let Ok(key) = checked(key) else { return };
        for path in [self.pending_path(key), self.kept_path(key)] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("removing {}: {e}", path.display()),
            }
        }
    }

    async fn open(&self, key: &str) -> io::Result<Box<dyn AsyncRead + Send + Unpin>> {
        let file = tokio::fs::File::open(self.kept_path(checked(key)?)).await?;
        Ok(Box::new(file))
    }

    async fn copy(&self, key: &str) -> io::Result<String> {
        let from = self.kept_path(checked(key)?);
        let new = super::auth::new_token();
        let pending = self.pending_path(&new);
        tokio::fs::create_dir_all(pending.parent().expect("has a parent")).await?;
        if let Err(e) = tokio::fs::copy(&from, &pending).await {
            self.remove(&new).await;
            return Err(e);
        }
        self.keep(&new).await?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn start_up_sweeps_only_uploads_left_idle() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = DiskBlobs::new(dir.path());
        let pending = blobs.create().await.unwrap();
        let path = blobs.pending_path(&pending.key);
        assert!(path.exists());
        // Another node may be writing it right now.
        blobs.sweep_pending(Duration::from_secs(3600)).unwrap();
        assert!(path.exists());
        blobs.sweep_pending(Duration::ZERO).unwrap();
        assert!(!path.exists());
    }
}
