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
        receive_into(self.blobs(), &self.hub.settings(), raw_name, chunks).await
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

/// [`Service::receive`] into `blobs`: the file is kept only if its stream ended cleanly and
/// every check passed. A stream that ends with an error (the request broke off: a cancelled
/// upload) is refused like any other, and the pending blob goes.
async fn receive_into<S, B, E>(
    blobs: Arc<dyn Blobs>,
    settings: &ChatSettings,
    raw_name: &str,
    chunks: S,
) -> Result<Received, ServiceError>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let name = clean_file_name(raw_name).map_err(|m| invalid("file", &m))?;
    let pending = blobs
        .create()
        .await
        .map_err(|e| ServiceError::Internal(format!("creating a file: {e}")))?;
    let guard = PendingBlob {
        blobs: blobs.clone(),
        key: Some(pending.key.clone()),
    };
    match stream_into(pending.writer, &name, chunks, settings).await {
        Ok((size, head)) => {
            let key = pending.key;
            if let Err(e) = blobs.keep(&key).await {
                guard.remove().await;
                return Err(ServiceError::Internal(format!("keeping a file: {e}")));
            }
            guard.disarm();
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
            guard.remove().await;
            Err(e)
        }
    }
}

/// A pending blob that is removed unless it was kept. The server stops a request's handler
/// when its client goes away (a cancelled upload), so the handler may never get to remove the
/// blob itself; dropping this then removes it in the background.
struct PendingBlob {
    blobs: Arc<dyn Blobs>,
    key: Option<String>,
}

impl PendingBlob {
    /// Removes the blob now (and, should this be stopped half-way, still on drop).
    async fn remove(mut self) {
        if let Some(key) = self.key.clone() {
            self.blobs.remove(&key).await;
        }
        self.key = None;
    }

    /// The blob was kept: leave it.
    fn disarm(mut self) {
        self.key = None;
    }
}

impl Drop for PendingBlob {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let blobs = self.blobs.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { blobs.remove(&key).await });
            }
            Err(_) => tracing::warn!("pending file {key} left behind: no runtime to remove it"),
        }
    }
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
    use futures::stream;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    /// Every file under `dir`, pending or kept.
    fn files_in(dir: &Path) -> Vec<PathBuf> {
        fn walk(p: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(p).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, &mut out);
        out
    }

    /// Why an upload was refused.
    fn refusal(result: Result<Received, ServiceError>) -> String {
        match result {
            Err(ServiceError::Invalid(errors)) => errors[0].message.clone(),
            Err(other) => panic!("expected a refusal, got {other:?}"),
            Ok(received) => panic!("expected a refusal, {} was kept", received.file.name),
        }
    }

    fn disk(dir: &Path) -> Arc<dyn Blobs> {
        Arc::new(DiskBlobs::new(dir))
    }

    #[tokio::test]
    async fn an_upload_that_breaks_off_is_refused_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let settings = ChatSettings::default();
        // A whole one is kept, so the checks below would see a file if one were left.
        let whole: [Result<&[u8], String>; 2] = [Ok(b"hello "), Ok(b"world")];
        let kept = receive_into(
            disk(dir.path()),
            &settings,
            "notes.txt",
            stream::iter(whole),
        )
        .await
        .unwrap();
        assert_eq!(kept.file.size, 11);
        assert_eq!(files_in(dir.path()).len(), 1);

        // The request breaks off after some bytes, as when the browser cancels the upload.
        let broken: [Result<&[u8], String>; 2] = [Ok(b"hello "), Err("connection reset".into())];
        let result =
            receive_into(disk(dir.path()), &settings, "cut.txt", stream::iter(broken)).await;
        assert_eq!(refusal(result), "The upload was interrupted.");
        assert_eq!(files_in(dir.path()).len(), 1);
    }

    #[tokio::test]
    async fn a_multipart_body_cut_short_in_the_file_is_refused_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let settings = ChatSettings::default();
        let boundary = "xyzzy";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\
             Content-Type: text/plain\r\n\r\n{}\r\n--{boundary}--\r\n",
            "a".repeat(100_000)
        );
        let file_field = |body: Vec<u8>| async move {
            let chunks = body
                .chunks(4096)
                .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                .collect::<Vec<_>>();
            let mut form = multer::Multipart::new(stream::iter(chunks), boundary);
            form.next_field().await.unwrap().unwrap()
        };
        // The whole body: kept.
        let field = file_field(body.clone().into_bytes()).await;
        receive_into(disk(dir.path()), &settings, "big.txt", field)
            .await
            .unwrap();
        assert_eq!(files_in(dir.path()).len(), 1);
        // Cut in the middle of the file, and just before the boundary after it.
        let end_of_file = body.len() - format!("\r\n--{boundary}--\r\n").len();
        for cut in [50_000, end_of_file] {
            let field = file_field(body.as_bytes()[..cut].to_vec()).await;
            let result = receive_into(disk(dir.path()), &settings, "big.txt", field).await;
            assert_eq!(
                refusal(result),
                "The upload was interrupted.",
                "cut at {cut}"
            );
            assert_eq!(files_in(dir.path()).len(), 1, "cut at {cut}");
        }
    }

    #[tokio::test]
    async fn an_upload_whose_request_is_dropped_half_way_leaves_no_file() {
        // The server stops the handler of a request whose client went away: its body neither
        // ends nor fails, the upload is simply never polled again.
        let dir = tempfile::tempdir().unwrap();
        let settings = ChatSettings::default();
        let first: [Result<&[u8], String>; 1] = [Ok(b"hello")];
        let stalled = stream::iter(first).chain(stream::pending());
        let mut upload = Box::pin(receive_into(
            disk(dir.path()),
            &settings,
            "notes.txt",
            stalled,
        ));
        assert!(
            tokio::time::timeout(Duration::from_millis(200), &mut upload)
                .await
                .is_err()
        );
        assert_eq!(files_in(dir.path()).len(), 1, "the pending file");
        drop(upload);
        for _ in 0..100 {
            if files_in(dir.path()).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(files_in(dir.path()), Vec::<PathBuf>::new());
    }

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
