//! SQLite side of [`FileStore`]: files shared in chats and the Drive (migration 0006).

use super::{insert_audit, SqliteStore};
use crate::model::{ChatId, DriveFile, DriveFolder};
use crate::rules::{Millis, StaffId};
use crate::server::file_store::{FileStore, NewFile, StoredFile};
use crate::server::rows::{DriveFileRow, FolderRow, StoredFileRow, DRIVE_FILE_COLUMNS};
use crate::server::store::{AuditNote, StoreError};
use async_trait::async_trait;
use sqlx::Connection;

/// A name clash inside one folder, in words.
fn taken(e: StoreError, name: &str) -> StoreError {
    match e {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("There is already a folder named {name} here."))
        }
        other => other,
    }
}

#[async_trait]
impl FileStore for SqliteStore {
    async fn add_chat_attachment(
        &self,
        chat: ChatId,
        file: &NewFile,
        staff: Option<StaffId>,
        now: Millis,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO chat_attachments (chat_id, blob_key, name, size, content_type, staff_id, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(chat)
        .bind(&file.blob_key)
        .bind(&file.name)
        .bind(file.size as i64)
        .bind(&file.content_type)
        .bind(staff)
        .bind(now)
        .fetch_one(&mut *self.write.lock().await)
        .await?)
    }

    async fn delete_chat_attachment(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM chat_attachments WHERE id = ?")
            .bind(id)
            .execute(&mut *self.write.lock().await)
            .await?;
        Ok(())
    }

    async fn chat_attachment(
        &self,
        chat: ChatId,
        id: i64,
    ) -> Result<Option<StoredFile>, StoreError> {
        let row: Option<StoredFileRow> = sqlx::query_as(
            "SELECT blob_key, name, size, content_type FROM chat_attachments \
             WHERE id = ? AND chat_id = ?",
        )
        .bind(id)
        .bind(chat)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn drive_folder(&self, id: i64) -> Result<Option<DriveFolder>, StoreError> {
        let row: Option<FolderRow> =
            sqlx::query_as("SELECT id, parent_id, name FROM drive_folders WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
        Ok(row.map(Into::into))
    }

    async fn drive_contents(
        &self,
        folder: Option<i64>,
    ) -> Result<(Vec<DriveFolder>, Vec<DriveFile>), StoreError> {
        let folders: Vec<FolderRow> = sqlx::query_as(
            "SELECT id, parent_id, name FROM drive_folders WHERE parent_id IS ? \
             ORDER BY name COLLATE NOCASE, id",
        )
        .bind(folder)
        .fetch_all(&self.read)
        .await?;
        let files: Vec<DriveFileRow> = sqlx::query_as(&format!(
            "SELECT {DRIVE_FILE_COLUMNS} FROM drive_files WHERE folder_id IS ? \
             ORDER BY name COLLATE NOCASE, id"
        ))
        .bind(folder)
        .fetch_all(&self.read)
        .await?;
        Ok((
            folders.into_iter().map(Into::into).collect(),
            files.into_iter().map(Into::into).collect(),
        ))
    }

    async fn add_drive_folder(
        &self,
        parent: Option<i64>,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFolder, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let row: FolderRow = sqlx::query_as(
            "INSERT INTO drive_folders (parent_id, name, created_at) VALUES (?, ?, ?) \
             RETURNING id, parent_id, name",
        )
        .bind(parent)
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| taken(e.into(), name))?;
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn rename_drive_folder(
        &self,
        id: i64,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFolder, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let row: FolderRow = sqlx::query_as(
            "UPDATE drive_folders SET name = ? WHERE id = ? RETURNING id, parent_id, name",
        )
        .bind(name)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| taken(e.into(), name))?
        .ok_or(StoreError::NotFound)?;
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete_drive_folder(
        &self,
        id: i64,
        audit: AuditNote,
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let inside: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM drive_folders WHERE parent_id = ?1) + \
             (SELECT COUNT(*) FROM drive_files WHERE folder_id = ?1)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if inside > 0 {
            return Err(StoreError::Conflict(
                "The folder is not empty: move or delete what is in it first.".into(),
            ));
        }
        let done = sqlx::query("DELETE FROM drive_folders WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_drive_file(
        &self,
        folder: Option<i64>,
        file: &NewFile,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFile, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let row: DriveFileRow = sqlx::query_as(&format!(
            "INSERT INTO drive_files (folder_id, blob_key, name, size, content_type, uploaded_by, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {DRIVE_FILE_COLUMNS}"
        ))
        .bind(folder)
        .bind(&file.blob_key)
        .bind(&file.name)
        .bind(file.size as i64)
        .bind(&file.content_type)
        .bind(&audit.staff_name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn drive_file(&self, id: i64) -> Result<Option<(DriveFile, StoredFile)>, StoreError> {
        let row: Option<DriveFileRow> = sqlx::query_as(&format!(
            "SELECT {DRIVE_FILE_COLUMNS} FROM drive_files WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn rename_drive_file(
        &self,
        id: i64,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFile, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let row: DriveFileRow = sqlx::query_as(&format!(
            "UPDATE drive_files SET name = ?, updated_at = ? WHERE id = ? \
             RETURNING {DRIVE_FILE_COLUMNS}"
        ))
        .bind(name)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete_drive_file(
        &self,
        id: i64,
        audit: AuditNote,
        now: Millis,
    ) -> Result<String, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let key: String =
            sqlx::query_scalar("DELETE FROM drive_files WHERE id = ? RETURNING blob_key")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(key)
    }
}
