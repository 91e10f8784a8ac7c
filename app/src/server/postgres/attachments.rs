//! PostgreSQL side of [`FileStore`]: files shared in chats and the Drive.

use super::{insert_audit, PgStore};
use crate::model::{ChatId, DriveFile, DriveFolder};
use crate::rules::{Millis, StaffId};
use crate::server::file_store::{FileStore, NewFile, StoredFile};
use crate::server::rows::{DriveFileRow, FolderRow, StoredFileRow, DRIVE_FILE_COLUMNS};
use crate::server::store::{AuditNote, StoreError};
use async_trait::async_trait;

/// A name clash inside one folder, in words.
fn taken(name: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("There is already a folder named {name} here."))
        }
        other => other,
    }
}

#[async_trait]
impl FileStore for PgStore {
    async fn add_chat_attachment(
        &self,
        chat: ChatId,
        file: &NewFile,
        staff: Option<StaffId>,
        now: Millis,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO chat_attachments (chat_id, blob_key, name, size, content_type, staff_id, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(chat)
        .bind(&file.blob_key)
        .bind(&file.name)
        .bind(file.size as i64)
        .bind(&file.content_type)
        .bind(staff)
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn delete_chat_attachment(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM chat_attachments WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
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
             WHERE id = $1 AND chat_id = $2",
        )
        .bind(id)
        .bind(chat)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn drive_folder(&self, id: i64) -> Result<Option<DriveFolder>, StoreError> {
        let row: Option<FolderRow> =
            sqlx::query_as("SELECT id, parent_id, name FROM drive_folders WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(Into::into))
    }

    async fn drive_contents(
        &self,
        folder: Option<i64>,
    ) -> Result<(Vec<DriveFolder>, Vec<DriveFile>), StoreError> {
        let folders: Vec<FolderRow> = sqlx::query_as(
            "SELECT id, parent_id, name FROM drive_folders WHERE parent_id IS NOT DISTINCT FROM $1 \
             ORDER BY lower(name), id",
        )
        .bind(folder)
        .fetch_all(&self.pool)
        .await?;
        let files: Vec<DriveFileRow> = sqlx::query_as(&format!(
            "SELECT {DRIVE_FILE_COLUMNS} FROM drive_files WHERE folder_id IS NOT DISTINCT FROM $1 \
             ORDER BY lower(name), id"
        ))
        .bind(folder)
        .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let row: FolderRow = sqlx::query_as(
            "INSERT INTO drive_folders (parent_id, name, created_at) VALUES ($1, $2, $3) \
             RETURNING id, parent_id, name",
        )
        .bind(parent)
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(taken(name))?;
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
        let mut tx = self.pool.begin().await?;
        let row: FolderRow = sqlx::query_as(
            "UPDATE drive_folders SET name = $1 WHERE id = $2 RETURNING id, parent_id, name",
        )
        .bind(name)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(taken(name))?
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
        let mut tx = self.pool.begin().await?;
        // Lock the folder, so nothing is added to it between the check and the delete.
        sqlx::query("SELECT id FROM drive_folders WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let inside: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM drive_folders WHERE parent_id = $1) + \
             (SELECT COUNT(*) FROM drive_files WHERE folder_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if inside > 0 {
            return Err(StoreError::Conflict(
                "The folder is not empty: move or delete what is in it first.".into(),
            ));
        }
        sqlx::query("DELETE FROM drive_folders WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
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
        let mut tx = self.pool.begin().await?;
        let row: DriveFileRow = sqlx::query_as(&format!(
            "INSERT INTO drive_files (folder_id, blob_key, name, size, content_type, uploaded_by, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {DRIVE_FILE_COLUMNS}"
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
            "SELECT {DRIVE_FILE_COLUMNS} FROM drive_files WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let row: DriveFileRow = sqlx::query_as(&format!(
            "UPDATE drive_files SET name = $1, updated_at = $2 WHERE id = $3 \
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
        let mut tx = self.pool.begin().await?;
        let key: String =
            sqlx::query_scalar("DELETE FROM drive_files WHERE id = $1 RETURNING blob_key")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(key)
    }
}
