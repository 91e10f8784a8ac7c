//! PostgreSQL side of [`AdminStore`].

use super::PgStore;
use crate::model::{AuditEntry, ChatSettings, Department, StaffEntry, Status};
use crate::routing::Rule;
use crate::rules::{Millis, StaffId};
use crate::server::admin_store::AdminStore;
use crate::server::rows::{
    self, matching_name, rating_style_name, AuditRow, RuleRow, SettingsRow, StaffRow, RULE_COLUMNS,
};
use crate::server::store::{AuditNote, StoreError};
use async_trait::async_trait;

#[async_trait]
impl AdminStore for PgStore {
    async fn rename_department(&self, id: i64, name: &str) -> Result<Department, StoreError> {
        let done = sqlx::query("UPDATE departments SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(super::department_conflict(name))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(Department {
            id,
            name: name.to_string(),
        })
    }

    async fn delete_department(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM departments WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn staff_directory(&self) -> Result<Vec<StaffEntry>, StoreError> {
        let rows: Vec<StaffRow> = sqlx::query_as(
            "SELECT s.id, s.name, s.email, s.is_admin, s.status, \
             (SELECT string_agg(department_id::text, ',') FROM staff_departments d WHERE d.staff_id = s.id) AS departments \
             FROM staff s ORDER BY s.name COLLATE \"C\", s.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(StaffEntry::from).collect())
    }

    async fn set_staff_departments(
        &self,
        staff: StaffId,
        departments: &[i64],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE id = $1")
            .bind(staff)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM staff_departments WHERE staff_id = $1")
            .bind(staff)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO staff_departments (staff_id, department_id) \
             SELECT $1, d FROM unnest($2::bigint[]) AS d ON CONFLICT DO NOTHING",
        )
        .bind(staff)
        .bind(departments)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_status(&self, staff: StaffId, status: Status) -> Result<(), StoreError> {
        sqlx::query("UPDATE staff SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(staff)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn routing_rules(&self) -> Result<Vec<Rule>, StoreError> {
        rows::all(
            sqlx::query_as::<_, RuleRow>(&format!("{RULE_COLUMNS} ORDER BY position, id"))
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn save_rule(&self, rule: Rule, now: Millis) -> Result<Rule, StoreError> {
        let conditions = serde_json::to_string(&rule.conditions)?;
        let action = serde_json::to_string(&rule.action)?;
        let mut tx = self.pool.begin().await?;
        let id: i64 = if rule.id == 0 {
            // Appending reads the last position: serialise concurrent appends on one table lock.
            sqlx::query("LOCK TABLE routing_rules IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
            sqlx::query_scalar(
                "INSERT INTO routing_rules (name, position, enabled, matching, conditions, action, created_at, updated_at) \
                 VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM routing_rules), $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(&rule.name)
            .bind(rule.enabled)
            .bind(matching_name(rule.matching))
            .bind(&conditions)
            .bind(&action)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        } else {
            sqlx::query_scalar(
                "UPDATE routing_rules SET name = $1, enabled = $2, matching = $3, conditions = $4, \
                 action = $5, updated_at = $6 WHERE id = $7 RETURNING id",
            )
            .bind(&rule.name)
            .bind(rule.enabled)
            .bind(matching_name(rule.matching))
            .bind(&conditions)
            .bind(&action)
            .bind(now)
            .bind(rule.id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?
        };
        let saved: RuleRow = sqlx::query_as(&format!("{RULE_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        saved.try_into()
    }

    async fn delete_rule(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM routing_rules WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn reorder_rules(&self, ids: &[i64], now: Millis) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut existing: Vec<i64> = sqlx::query_scalar("SELECT id FROM routing_rules FOR UPDATE")
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
        sqlx::query(
            "UPDATE routing_rules r SET position = o.position, updated_at = $2 \
             FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, position) WHERE r.id = o.id",
        )
        .bind(ids)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn chat_settings(&self) -> Result<ChatSettings, StoreError> {
        let row: SettingsRow = sqlx::query_as(
            "SELECT staff_emojis, client_emojis, rating_style, visitor_attachments, max_file_bytes, \
             block_executables, block_scripts, block_archives FROM chat_settings WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    async fn save_chat_settings(
        &self,
        settings: &ChatSettings,
        audit: AuditNote,
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE chat_settings SET staff_emojis = $1, client_emojis = $2, rating_style = $3, \
             visitor_attachments = $4, max_file_bytes = $5, block_executables = $6, \
             block_scripts = $7, block_archives = $8, updated_at = $9 WHERE id = 1",
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
             WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
