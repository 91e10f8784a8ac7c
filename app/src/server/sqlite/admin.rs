//! SQLite side of [`AdminStore`].

use super::SqliteStore;
use crate::model::{AuditEntry, ChatSettings, Department, StaffEntry, Status};
use crate::routing::Rule;
use crate::rules::{Millis, StaffId};
use crate::server::admin_store::AdminStore;
use crate::server::rows::{
    self, matching_name, rating_style_name, AuditRow, RuleRow, SettingsRow, StaffRow, RULE_COLUMNS,
};
use crate::server::store::{AuditNote, StoreError};
use async_trait::async_trait;
use sqlx::Connection;

#[async_trait]
impl AdminStore for SqliteStore {
    async fn rename_department(&self, id: i64, name: &str) -> Result<Department, StoreError> {
        let done = sqlx::query("UPDATE departments SET name = ? WHERE id = ?")
            .bind(name)
            .bind(id)
            .execute(&mut *self.write.lock().await)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("A department named \"{name}\" already exists."))
                }
                other => other,
            })?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(Department {
            id,
            name: name.to_string(),
        })
    }

    async fn delete_department(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM departments WHERE id = ?")
            .bind(id)
            .execute(&mut *self.write.lock().await)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn staff_directory(&self) -> Result<Vec<StaffEntry>, StoreError> {
        let rows: Vec<StaffRow> = sqlx::query_as(
            "SELECT s.id, s.name, s.email, s.is_admin, s.status, \
             (SELECT group_concat(department_id) FROM staff_departments d WHERE d.staff_id = s.id) AS departments \
             FROM staff s ORDER BY s.name, s.id",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(StaffEntry::from).collect())
    }

    async fn set_staff_departments(
        &self,
        staff: StaffId,
        departments: &[i64],
    ) -> Result<(), StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE id = ?")
            .bind(staff)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM staff_departments WHERE staff_id = ?")
            .bind(staff)
            .execute(&mut *tx)
            .await?;
        for d in departments {
            sqlx::query(
                "INSERT OR IGNORE INTO staff_departments (staff_id, department_id) VALUES (?, ?)",
            )
            .bind(staff)
            .bind(d)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_status(&self, staff: StaffId, status: Status) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(staff)
            .execute(&mut *self.write.lock().await)
            .await?;
        Ok(())
    }

    async fn routing_rules(&self) -> Result<Vec<Rule>, StoreError> {
        rows::all(
            sqlx::query_as::<_, RuleRow>(&format!("{RULE_COLUMNS} ORDER BY position, id"))
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn save_rule(&self, rule: Rule, now: Millis) -> Result<Rule, StoreError> {
        let conditions = serde_json::to_string(&rule.conditions)?;
        let action = serde_json::to_string(&rule.action)?;
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let id = if rule.id == 0 {
            let last: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM routing_rules")
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO routing_rules (name, position, enabled, matching, conditions, action, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&rule.name)
            .bind(last.unwrap_or(0) + 1)
            .bind(rule.enabled)
            .bind(matching_name(rule.matching))
            .bind(&conditions)
            .bind(&action)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .last_insert_rowid()
        } else {
            let done = sqlx::query(
                "UPDATE routing_rules SET name = ?, enabled = ?, matching = ?, conditions = ?, action = ?, updated_at = ? WHERE id = ?",
            )
            .bind(&rule.name)
            .bind(rule.enabled)
            .bind(matching_name(rule.matching))
            .bind(&conditions)
            .bind(&action)
            .bind(now)
            .bind(rule.id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            rule.id
        };
        let saved: RuleRow = sqlx::query_as(&format!("{RULE_COLUMNS} WHERE id = ?"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        saved.try_into()
    }

    async fn delete_rule(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM routing_rules WHERE id = ?")
            .bind(id)
            .execute(&mut *self.write.lock().await)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn reorder_rules(&self, ids: &[i64], now: Millis) -> Result<(), StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let mut existing: Vec<i64> = sqlx::query_scalar("SELECT id FROM routing_rules")
            .fetch_all(&mut *tx)
            .await?;
        let mut wanted = ids.to_vec();
        existing.sort_unstable();
        wanted.sort_unstable();
        if existing != wanted {
            return Err(StoreError::Conflict(
                "The rules changed meanwhile; reload and try again.".into(),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE routing_rules SET position = ?, updated_at = ? WHERE id = ?")
                .bind(i as i64 + 1)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn chat_settings(&self) -> Result<ChatSettings, StoreError> {
        let row: SettingsRow = sqlx::query_as(
            "SELECT staff_emojis, client_emojis, rating_style, visitor_attachments, max_file_bytes, \
             block_executables, block_scripts, block_archives FROM chat_settings WHERE id = 1",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(row.into())
    }

    async fn save_chat_settings(
        &self,
        settings: &ChatSettings,
        audit: AuditNote,
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        sqlx::query(
            "UPDATE chat_settings SET staff_emojis = ?, client_emojis = ?, rating_style = ?, \
             visitor_attachments = ?, max_file_bytes = ?, block_executables = ?, block_scripts = ?, \
             block_archives = ?, updated_at = ? WHERE id = 1",
        )
        .bind(settings.staff_emojis)
        .bind(settings.client_emojis)
        .bind(rating_style_name(settings.rating_style))
        .bind(settings.visitor_attachments)
        .bind(settings.max_file_bytes as i64)
        .bind(settings.block_executables)
        .bind(settings.block_scripts)
        .bind(settings.block_archives)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        super::insert_audit(&mut tx, None, &audit, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit(&self, limit: i64, before: Option<i64>) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT id, at, staff_id, staff_name, chat_id, op, detail FROM audit_log \
             WHERE (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
        )
        .bind(before)
        .bind(before)
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
