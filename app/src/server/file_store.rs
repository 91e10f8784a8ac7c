//! Storage for what is known about files: those shared in chats and those in the Drive. Kept
//! apart from the chat storage in [`super::store`], same backends. The bytes themselves live
//! behind [`super::blobs::Blobs`]; a row names them by their storage key.

use super::store::{AuditNote, StoreError};
use crate::model::{ChatId, DriveFile, DriveFolder};
use crate::rules::{Millis, StaffId};
use async_trait::async_trait;

/// A file about to be recorded, already stored under `blob_key`.
pub struct NewFile {
    pub blob_key: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

/// What a download needs: where the bytes are and how to label them.
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub blob_key: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

#[async_trait]
pub trait FileStore: Send + Sync + 'static {
    /// Records a file for chat `chat`; `staff` is `None` for the visitor. Returns its id.
    async fn add_chat_attachment(
        &self,
        chat: ChatId,
        file: &NewFile,
        staff: Option<StaffId>,
        now: Millis,
    ) -> Result<i64, StoreError>;
    /// Forgets a file whose chat event could not be stored.
    async fn delete_chat_attachment(&self, id: i64) -> Result<(), StoreError>;
    async fn chat_attachment(
        &self,
        chat: ChatId,
        id: i64,
    ) -> Result<Option<StoredFile>, StoreError>;

    async fn drive_folder(&self, id: i64) -> Result<Option<DriveFolder>, StoreError>;
    /// The folders and files directly inside `folder` (the top when `None`), by name.
    async fn drive_contents(
        &self,
        folder: Option<i64>,
    ) -> Result<(Vec<DriveFolder>, Vec<DriveFile>), StoreError>;
    /// `Conflict` when the parent already has a folder of that name.
    async fn add_drive_folder(
        &self,
        parent: Option<i64>,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFolder, StoreError>;
    async fn rename_drive_folder(
        &self,
        id: i64,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFolder, StoreError>;
    /// `Conflict` unless the folder is empty.
    async fn delete_drive_folder(
        &self,
        id: i64,
        audit: AuditNote,
        now: Millis,
    ) -> Result<(), StoreError>;

    async fn add_drive_file(
        &self,
        folder: Option<i64>,
        file: &NewFile,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFile, StoreError>;
    async fn drive_file(&self, id: i64) -> Result<Option<(DriveFile, StoredFile)>, StoreError>;
    async fn rename_drive_file(
        &self,
        id: i64,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFile, StoreError>;
    /// Returns the storage key of the bytes, for the caller to remove.
    async fn delete_drive_file(
        &self,
        id: i64,
        audit: AuditNote,
        now: Millis,
    ) -> Result<String, StoreError>;
}
