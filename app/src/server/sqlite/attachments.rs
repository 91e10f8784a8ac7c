//! SQLite side of [`FileStore`]: files shared in chats and the Drive (migration 0006).

use super::{insert_audit, SqliteStore};
use crate::model::{ChatId, DriveFile, DriveFolder};
use crate::rules::{Millis, StaffId};
use crate::server::file_store::{FileStore, NewFile, StoredFile};
use crate::server::store::{AuditNote, StoreError};
use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

const FILE_COLUMNS: &str =
    "SELECT id, folder_id, blob_key, name, size, content_type, uploaded_by, updated_at FROM drive_files";

fn folder_from_row(row: &SqliteRow) -> Result<DriveFolder, StoreError> {
    Ok(DriveFolder {
        id: row.try_get("id")?,
        parent_id: row.try_get("parent_id")?,
        name: row.try_get("name")?,
    })
}

fn file_from_row(row: &SqliteRow) -> Result<(DriveFile, StoredFile), StoreError> {
    let size = row.try_get::<i64, _>("size")?.max(0) as u64;
    let file = DriveFile {
        id: row.try_get("id")?,
        folder_id: row.try_get("folder_id")?,
        name: row.try_get("name")?,
        size,
        content_type: row.try_get("content_type")?,
        uploaded_by: row.try_get("uploaded_by")?,
        updated_at: row.try_get("updated_at")?,
    };
    let stored = StoredFile {
        blob_key: row.try_get("blob_key")?,
        name: file.name.clone(),
        size,
        content_type: file.content_type.clone(),
    };
    Ok((file, stored))
}

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
        let row = sqlx::query(
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
        .fetch_one(&self.write)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn delete_chat_attachment(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM chat_attachments WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn chat_attachment(
        &self,
        chat: ChatId,
        id: i64,
    ) -> Result<Option<StoredFile>, StoreError> {
        let row = sqlx::query(
            "SELECT blob_key, name, size, content_type FROM chat_attachments \
             WHERE id = ? AND chat_id = ?",
        )
        .bind(id)
        .bind(chat)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(StoredFile {
                blob_key: r.try_get("blob_key")?,
                name: r.try_get("name")?,
                size: r.try_get::<i64, _>("size")?.max(0) as u64,
                content_type: r.try_get("content_type")?,
            })
        })
        .transpose()
    }

    async fn drive_folder(&self, id: i64) -> Result<Option<DriveFolder>, StoreError> {
        sqlx::query("SELECT id, parent_id, name FROM drive_folders WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(folder_from_row)
            .transpose()
    }

    async fn drive_contents(
        &self,
        folder: Option<i64>,
    ) -> Result<(Vec<DriveFolder>, Vec<DriveFile>), StoreError> {
        let folders = sqlx::query(
            "SELECT id, parent_id, name FROM drive_folders WHERE parent_id IS ? \
             ORDER BY name COLLATE NOCASE, id",
        )
        .bind(folder)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(folder_from_row)
        .collect::<Result<_, _>>()?;
        let files = sqlx::query(&format!(
            "{FILE_COLUMNS} WHERE folder_id IS ? ORDER BY name COLLATE NOCASE, id"
        ))
        .bind(folder)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| file_from_row(r).map(|(f, _)| f))
        .collect::<Result<_, _>>()?;
        Ok((folders, files))
    }

    async fn add_drive_folder(
        &self,
        parent: Option<i64>,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFolder, StoreError> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
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
        folder_from_row(&row)
    }

    async fn rename_drive_folder(
        &self,
        id: i64,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFolder, StoreError> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
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
        folder_from_row(&row)
    }

    async fn delete_drive_folder(
        &self,
        id: i64,
        audit: AuditNote,
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
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
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "INSERT INTO drive_files (folder_id, blob_key, name, size, content_type, uploaded_by, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
             RETURNING id, folder_id, blob_key, name, size, content_type, uploaded_by, updated_at",
        )
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
        Ok(file_from_row(&row)?.0)
    }

    async fn drive_file(&self, id: i64) -> Result<Option<(DriveFile, StoredFile)>, StoreError> {
        sqlx::query(&format!("{FILE_COLUMNS} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(file_from_row)
            .transpose()
    }

    async fn rename_drive_file(
        &self,
        id: i64,
        name: &str,
        audit: AuditNote,
        now: Millis,
    ) -> Result<DriveFile, StoreError> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "UPDATE drive_files SET name = ?, updated_at = ? WHERE id = ? \
             RETURNING id, folder_id, blob_key, name, size, content_type, uploaded_by, updated_at",
        )
        .bind(name)
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(file_from_row(&row)?.0)
    }

    async fn delete_drive_file(
        &self,
        id: i64,
        audit: AuditNote,
        now: Millis,
    ) -> Result<String, StoreError> {
        let mut tx = self.write.begin().await?;
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
