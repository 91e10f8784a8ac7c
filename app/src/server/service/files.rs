//! Files: uploads into chats (from the computer or the Drive), downloads, and the Drive.
//!
//! An upload is streamed chunk by chunk into a pending blob while its size is counted and its
//! first bytes are recognised; any refusal removes the pending blob, so nothing is left half-way.
//! Only a complete, accepted file is kept, recorded and announced in the chat.

use super::{invalid, Service, ServiceError, Viewer};
use crate::model::{file_size, ChatId, ChatSettings, DriveFile, DriveFolder, DriveListing, Me};
use crate::rules::{self, Command, Op, Refusal, SharedFile};
use crate::server::blobs::{Blobs, DiskBlobs};
use crate::server::file_store::{NewFile, StoredFile};
use crate::server::now_ms;
use crate::server::store::AuditNote;
use futures::{Stream, StreamExt};
use std::sync::{Arc, RwLock};
use tokio::io::{AsyncRead, AsyncWriteExt};

/// Longest file and folder name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;
/// How much of the start of a file is looked at to recognise its type.
const HEAD_BYTES: usize = 8192;

/// Where the service keeps file bytes; the data directory unless told otherwise.
pub(super) struct Files {
    blobs: RwLock<Arc<dyn Blobs>>,
}

impl Default for Files {
    fn default() -> Self {
        Files {
            blobs: RwLock::new(Arc::new(DiskBlobs::new("data/files"))),
        }
    }
}

/// An upload that passed every check, stored as a pending blob.
pub struct Received {
    pub file: NewFile,
}

/// Why a name cannot be used, or the clean name: path components, control characters and
/// leading or trailing dots and spaces go; a name that tries to climb out (`..`) is refused.
pub fn clean_file_name(raw: &str) -> Result<String, String> {
    let parts: Vec<&str> = raw.split(['/', '\\']).collect();
    if parts.iter().any(|p| p.trim() == "..") {
        return Err("The file name must not contain a path such as “../”.".into());
    }
    let last = parts.last().copied().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    let name = kept.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if name.is_empty() {
        return Err("The file needs a name.".into());
    }
    if name.chars().count() <= MAX_FILE_NAME_CHARS {
        return Ok(name.to_string());
    }
    // Too long: shorten the stem and keep a short extension.
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 10 => (stem, Some(ext)),
        _ => (name, None),
    };
    let room = MAX_FILE_NAME_CHARS - ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(room).collect();
    Ok(match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    })
}

const EXECUTABLE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "com", "scr", "msi", "msp", "pif", "cpl", "sys", "drv", "ocx", "elf", "bin",
    "so", "dylib", "app", "apk", "jar", "deb", "rpm", "dmg", "pkg", "appimage", "run",
];
const SCRIPT_EXTENSIONS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "csh",
    "ksh",
    "fish",
    "bat",
    "cmd",
    "ps1",
    "psm1",
    "psd1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "mjs",
    "wsf",
    "wsh",
    "hta",
    "py",
    "pyw",
    "pl",
    "rb",
    "php",
    "lnk",
    "reg",
    "scf",
    "msc",
    "applescript",
    "command",
    "desktop",
];
const ARCHIVE_EXTENSIONS: &[&str] = &[
    "zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "zst", "cab", "iso", "lz", "lzma",
];

/// What kind of blocked file this is, by name or by content, if any.
fn blocked_kind(head: &[u8], name: &str, settings: &ChatSettings) -> Option<&'static str> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let has = |list: &[&str]| list.contains(&ext.as_str());
    let found = infer::get(head).map(|t| t.matcher_type());
    let head_no_bom = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let program = found == Some(infer::MatcherType::App)
        || head.starts_with(b"MZ")
        || head.starts_with(b"\x7fELF");
    if settings.block_executables && (program || has(EXECUTABLE_EXTENSIONS)) {
        return Some("a program");
    }
    if settings.block_scripts && (head_no_bom.starts_with(b"#!") || has(SCRIPT_EXTENSIONS)) {
        return Some("a script");
    }
    if settings.block_archives
        && (found == Some(infer::MatcherType::Archive) || has(ARCHIVE_EXTENSIONS))
    {
        return Some("an archive");
    }
    None
}

/// The content type to store and serve: what the bytes are, else a few text types by name,
/// else opaque bytes.
fn content_type(head: &[u8], name: &str) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
    .to_string()
}

impl Service {
    /// Keeps file bytes somewhere else than `data/files` (the data directory of the config).
    pub fn set_blobs(&self, blobs: Arc<dyn Blobs>) {
        *self.files.blobs.write().expect("blobs lock poisoned") = blobs;
    }

    fn blobs(&self) -> Arc<dyn Blobs> {
        self.files
            .blobs
            .read()
            .expect("blobs lock poisoned")
            .clone()
    }

    /// Checks, before any byte is read, that this viewer may attach a file in the chat now.
    pub async fn may_attach(&self, viewer: &Viewer, chat_id: ChatId) -> Result<(), ServiceError> {
        let chat = self.chat(viewer, chat_id).await?;
        if matches!(viewer, Viewer::Visitor(_)) && !self.hub.settings().visitor_attachments {
            return Err(ServiceError::Refused(Refusal::AttachmentsOff));
        }
        rules::permitted(&chat.state, &viewer.actor(), Op::Send, now_ms())
            .map_err(ServiceError::Refused)
    }

    /// Streams one uploaded file into a pending blob, enforcing the size limit and the blocked
    /// types of the live chat settings as it goes. On any refusal nothing is kept.
    pub async fn receive<S, B, E>(
        &self,
        raw_name: &str,
        chunks: S,
    ) -> Result<Received, ServiceError>
    where
        S: Stream<Item = Result<B, E>> + Unpin,
        B: AsRef<[u8]>,
        E: std::fmt::Display,
    {
        let name = clean_file_name(raw_name).map_err(|m| invalid("file", &m))?;
        let settings = self.hub.settings();
        let blobs = self.blobs();
        let pending = blobs
            .create()
            .await
            .map_err(|e| ServiceError::Internal(format!("creating a file: {e}")))?;
        let key = pending.key.clone();
        match stream_into(pending.writer, &name, chunks, &settings).await {
            Ok((size, head)) => {
                if let Err(e) = blobs.keep(&key).await {
                    blobs.remove(&key).await;
                    return Err(ServiceError::Internal(format!("keeping a file: {e}")));
                }
                Ok(Received {
                    file: NewFile {
                        blob_key: key,
                        content_type: content_type(&head, &name),
                        name,
                        size,
                    },
                })
            }
            Err(e) => {
                blobs.remove(&key).await;
                Err(e)
            }
        }
    }

    /// Records a received file in the chat and announces it there, as a chat event with its
    /// sequence number like a message. Undone entirely if the chat refuses it.
    pub async fn attach(
        &self,
        viewer: &Viewer,
        chat_id: ChatId,
        received: Received,
    ) -> Result<SharedFile, ServiceError> {
        let file = received.file;
        let staff = match viewer {
            Viewer::Staff(me) => Some(me.id),
            _ => None,
        };
        let id = match self
            .store
            .add_chat_attachment(chat_id, &file, staff, now_ms())
            .await
        {
            Ok(id) => id,
            Err(e) => {
                self.blobs().remove(&file.blob_key).await;
                return Err(e.into());
            }
        };
        let shared = SharedFile {
            id,
            name: file.name.clone(),
            size: file.size,
            content_type: file.content_type.clone(),
        };
        let command = Command::Attach {
            file: shared.clone(),
            visitor_allowed: self.hub.settings().visitor_attachments,
        };
        if let Err(e) = self.command(viewer, chat_id, command, None).await {
            if let Err(db) = self.store.delete_chat_attachment(id).await {
                tracing::warn!("forgetting attachment {id}: {db}");
            }
            self.blobs().remove(&file.blob_key).await;
            return Err(e);
        }
        Ok(shared)
    }

    /// Shares a copy of a Drive file in a chat (the chat keeps it if the Drive file goes).
    pub async fn share_drive_file(
        &self,
        me: &Me,
        chat_id: ChatId,
        file_id: i64,
    ) -> Result<SharedFile, ServiceError> {
        let viewer = Viewer::Staff(me.clone());
        self.may_attach(&viewer, chat_id).await?;
        let (drive, stored) = self
            .store
            .drive_file(file_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let key = self
            .blobs()
            .copy(&stored.blob_key)
            .await
            .map_err(|e| ServiceError::Internal(format!("copying a Drive file: {e}")))?;
        let received = Received {
            file: NewFile {
                blob_key: key,
                name: drive.name,
                size: drive.size,
                content_type: drive.content_type,
            },
        };
        self.attach(&viewer, chat_id, received).await
    }

    /// A file of a chat, for someone who may read that chat.
    pub async fn chat_file(
        &self,
        viewer: &Viewer,
        chat_id: ChatId,
        id: i64,
    ) -> Result<(StoredFile, Box<dyn AsyncRead + Send + Unpin>), ServiceError> {
        let chat = self.chat(viewer, chat_id).await?;
        if !self.can_read(viewer, &chat) {
            return Err(ServiceError::NotFound);
        }
        let stored = self
            .store
            .chat_attachment(chat_id, id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let reader = self.open_blob(&stored.blob_key).await?;
        Ok((stored, reader))
    }

    async fn open_blob(
        &self,
        key: &str,
    ) -> Result<Box<dyn AsyncRead + Send + Unpin>, ServiceError> {
        self.blobs().open(key).await.map_err(|e| {
            tracing::error!("opening a stored file: {e}");
            ServiceError::NotFound
        })
    }

    // ---- Drive ------------------------------------------------------------------------------

    pub async fn drive_file(
        &self,
        id: i64,
    ) -> Result<(StoredFile, Box<dyn AsyncRead + Send + Unpin>), ServiceError> {
        let (_, stored) = self
            .store
            .drive_file(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let reader = self.open_blob(&stored.blob_key).await?;
        Ok((stored, reader))
    }

    /// One folder of the Drive (the top when `None`) with the way down to it.
    pub async fn drive_listing(&self, folder: Option<i64>) -> Result<DriveListing, ServiceError> {
        let current = match folder {
            Some(id) => Some(
                self.store
                    .drive_folder(id)
                    .await?
                    .ok_or(ServiceError::NotFound)?,
            ),
            None => None,
        };
        let mut path = Vec::new();
        let mut up = current.as_ref().and_then(|f| f.parent_id);
        // Folders cannot be moved, so the chain ends; the bound only guards a broken row.
        while let Some(id) = up.filter(|_| path.len() < 64) {
            let Some(parent) = self.store.drive_folder(id).await? else {
                break;
            };
            up = parent.parent_id;
            path.push(parent);
        }
        path.reverse();
        let (folders, files) = self.store.drive_contents(folder).await?;
        Ok(DriveListing {
            folder: current,
            path,
            folders,
            files,
        })
    }

    pub async fn add_drive_folder(
        &self,
        me: &Me,
        parent: Option<i64>,
        name: &str,
    ) -> Result<DriveFolder, ServiceError> {
        let name = folder_name(name)?;
        if let Some(parent) = parent {
            self.store
                .drive_folder(parent)
                .await?
                .ok_or(ServiceError::NotFound)?;
        }
        let audit = note(me, "DriveNewFolder", name.clone());
        Ok(self
            .store
            .add_drive_folder(parent, &name, audit, now_ms())
            .await?)
    }

    pub async fn rename_drive_folder(
        &self,
        me: &Me,
        id: i64,
        name: &str,
    ) -> Result<DriveFolder, ServiceError> {
        let name = folder_name(name)?;
        let old = self
            .store
            .drive_folder(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let audit = note(me, "DriveRenameFolder", format!("{} to {name}", old.name));
        Ok(self
            .store
            .rename_drive_folder(id, &name, audit, now_ms())
            .await?)
    }

    pub async fn delete_drive_folder(&self, me: &Me, id: i64) -> Result<(), ServiceError> {
        let old = self
            .store
            .drive_folder(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let audit = note(me, "DriveDeleteFolder", old.name);
        Ok(self.store.delete_drive_folder(id, audit, now_ms()).await?)
    }

    /// Records a received file in a Drive folder.
    pub async fn add_drive_file(
        &self,
        me: &Me,
        folder: Option<i64>,
        received: Received,
    ) -> Result<DriveFile, ServiceError> {
        let file = received.file;
        let audit = note(me, "DriveUpload", file.name.clone());
        match self
            .store
            .add_drive_file(folder, &file, audit, now_ms())
            .await
        {
            Ok(f) => Ok(f),
            Err(e) => {
                self.blobs().remove(&file.blob_key).await;
                Err(e.into())
            }
        }
    }

    /// Checks a Drive folder exists before an upload into it begins.
    pub async fn check_drive_folder(&self, folder: Option<i64>) -> Result<(), ServiceError> {
        match folder {
            Some(id) => self
                .store
                .drive_folder(id)
                .await?
                .map(|_| ())
                .ok_or(ServiceError::NotFound),
            None => Ok(()),
        }
    }

    pub async fn rename_drive_file(
        &self,
        me: &Me,
        id: i64,
        name: &str,
    ) -> Result<DriveFile, ServiceError> {
        let name = clean_file_name(name).map_err(|m| invalid("name", &m))?;
        let (old, _) = self
            .store
            .drive_file(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let audit = note(me, "DriveRename", format!("{} to {name}", old.name));
        Ok(self
            .store
            .rename_drive_file(id, &name, audit, now_ms())
            .await?)
    }

    pub async fn delete_drive_file(&self, me: &Me, id: i64) -> Result<(), ServiceError> {
        let (old, _) = self
            .store
            .drive_file(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let audit = note(me, "DriveDelete", old.name);
        let key = self.store.delete_drive_file(id, audit, now_ms()).await?;
        self.blobs().remove(&key).await;
        Ok(())
    }
}

fn note(me: &Me, op: &str, detail: String) -> AuditNote {
    AuditNote {
        staff_id: me.id,
        staff_name: me.name.clone(),
        op: op.into(),
        detail,
    }
}

/// A folder name: a clean file name of at most 100 characters.
fn folder_name(raw: &str) -> Result<String, ServiceError> {
    let name = clean_file_name(raw).map_err(|m| invalid("name", &m.replace("file", "folder")))?;
    if name.chars().count() > 100 || raw.contains(['/', '\\']) {
        return Err(invalid(
            "name",
            "A folder name needs 1 to 100 characters and no slashes.",
        ));
    }
    Ok(name)
}

/// Writes `chunks` to `writer`; returns the size and the first bytes, or the refusal.
async fn stream_into<S, B, E>(
    mut writer: Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
    name: &str,
    mut chunks: S,
    settings: &ChatSettings,
) -> Result<(u64, Vec<u8>), ServiceError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let io = |e: std::io::Error| ServiceError::Internal(format!("writing a file: {e}"));
    let mut size = 0u64;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut checked = false;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            tracing::info!("upload of {name} broke off: {e}");
            invalid("file", "The upload was interrupted.")
        })?;
        let bytes = chunk.as_ref();
        size += bytes.len() as u64;
        if size > settings.max_file_bytes {
            return Err(invalid(
                "file",
                &format!(
                    "{name} is larger than the limit of {}.",
                    file_size(settings.max_file_bytes)
                ),
            ));
        }
        if !checked {
            let room = HEAD_BYTES - head.len();
            head.extend_from_slice(&bytes[..room.min(bytes.len())]);
            if head.len() == HEAD_BYTES {
                check_type(&head, name, settings)?;
                checked = true;
            }
        }
        writer.write_all(bytes).await.map_err(io)?;
    }
    if size == 0 {
        return Err(invalid("file", &format!("{name} is empty.")));
    }
    if !checked {
        check_type(&head, name, settings)?;
    }
    writer.flush().await.map_err(io)?;
    writer.shutdown().await.map_err(io)?;
    Ok((size, head))
}

fn check_type(head: &[u8], name: &str, settings: &ChatSettings) -> Result<(), ServiceError> {
    match blocked_kind(head, name, settings) {
        Some(kind) => Err(invalid(
            "file",
            &format!("{name} is {kind}; files of that type cannot be sent."),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_controls_and_never_climb() {
        assert_eq!(clean_file_name("photo.png").unwrap(), "photo.png");
        assert_eq!(
            clean_file_name("C:\\fakepath\\photo.png").unwrap(),
            "photo.png"
        );
        assert_eq!(clean_file_name("a\u{0}b\nc.txt").unwrap(), "abc.txt");
        assert_eq!(
            clean_file_name("evil\u{202e}gnp.exe").unwrap(),
            "evilgnp.exe"
        );
        assert_eq!(clean_file_name(" .hidden. ").unwrap(), "hidden");
        assert!(clean_file_name("../../etc/passwd").is_err());
        assert!(clean_file_name("..\\win.ini").is_err());
        assert!(clean_file_name("..").is_err());
        assert!(clean_file_name("   ").is_err());
        let long = format!("{}.pdf", "x".repeat(500));
        let short = clean_file_name(&long).unwrap();
        assert_eq!(short.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(short.ends_with(".pdf"));
    }

    #[test]
    fn types_are_recognised_by_content_not_only_by_name() {
        let s = ChatSettings::default();
        assert_eq!(
            blocked_kind(b"MZ\x90\x00rest", "photo.png", &s),
            Some("a program")
        );
        assert_eq!(
            blocked_kind(b"\x7fELF\x02\x01\x01", "photo.png", &s),
            Some("a program")
        );
        assert_eq!(
            blocked_kind(b"#!/bin/sh\nrm -rf /", "notes.txt", &s),
            Some("a script")
        );
        assert_eq!(blocked_kind(b"hello", "run.BAT", &s), Some("a script"));
        assert_eq!(blocked_kind(b"\x89PNG\r\n\x1a\n", "photo.png", &s), None);
        assert_eq!(blocked_kind(b"PK\x03\x04", "a.zip", &s), None);
        let strict = ChatSettings {
            block_archives: true,
            ..s
        };
        assert_eq!(
            blocked_kind(b"PK\x03\x04", "a.zip", &strict),
            Some("an archive")
        );
        let lax = ChatSettings {
            block_executables: false,
            ..s
        };
        assert_eq!(blocked_kind(b"MZ\x90\x00", "tool.exe", &lax), None);
        assert_eq!(
            content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "x.bin"),
            "image/png"
        );
        assert_eq!(content_type(b"plain", "notes.txt"), "text/plain");
        assert_eq!(content_type(b"plain", "x.png"), "application/octet-stream");
    }
}
