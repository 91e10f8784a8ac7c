//! Storage for what admins manage: departments and membership, workflow rules, the audit trail,
//! live chat settings, and staff status. Kept apart from the chat storage in [`super::store`], same backends.

use super::store::{AuditNote, StoreError};
use crate::model::{AuditEntry, ChatSettings, Department, StaffEntry, Status};
use crate::routing::Rule;
use crate::rules::{Millis, StaffId};
use async_trait::async_trait;

#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    async fn rename_department(&self, id: i64, name: &str) -> Result<Department, StoreError>;
    /// Staff lose the membership; chats keep their history but no longer name the department.
    async fn delete_department(&self, id: i64) -> Result<(), StoreError>;

    /// Every staff member with their departments and chosen status (`presence` is left equal to
    /// `status`; the service knows who is connected).
    async fn staff_directory(&self) -> Result<Vec<StaffEntry>, StoreError>;
    async fn set_staff_departments(
        &self,
        staff: StaffId,
        departments: &[i64],
    ) -> Result<(), StoreError>;
    async fn set_status(&self, staff: StaffId, status: Status) -> Result<(), StoreError>;

    /// All workflow rules, in order.
    async fn routing_rules(&self) -> Result<Vec<Rule>, StoreError>;
    /// Creates the rule when its id is 0 (placed last), otherwise updates it. Returns it as stored.
    async fn save_rule(&self, rule: Rule, now: Millis) -> Result<Rule, StoreError>;
    async fn delete_rule(&self, id: i64) -> Result<(), StoreError>;
    /// Puts the rules in this order (every rule's id, once).
    async fn reorder_rules(&self, ids: &[i64], now: Millis) -> Result<(), StoreError>;

    async fn chat_settings(&self) -> Result<ChatSettings, StoreError>;
    /// Stores the settings and their line in the audit trail together.
    async fn save_chat_settings(
        &self,
        settings: &ChatSettings,
        audit: AuditNote,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// The newest entries first, older than `before` (an entry id) when given.
    async fn audit(&self, limit: i64, before: Option<i64>) -> Result<Vec<AuditEntry>, StoreError>;
}
