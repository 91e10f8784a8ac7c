//! Admin operations of the service: departments and membership, workflow rules, live chat
//! settings, audit trail.
//!
//! Each checks its input, stores, and then (for anything routing, presence or membership
//! depends on) refreshes the directory every console holds and re-dispatches waiting chats.

use super::{invalid, Service, ServiceError};
use crate::api::admin::AuditPage;
use crate::model::{file_size, ChatSettings, Department, Me, StaffEntry, MAX_MAX_FILE_BYTES};
use crate::routing::{Action, Condition, Rule};
use crate::rules::StaffId;
use crate::server::cluster::Hint;
use crate::server::now_ms;
use crate::server::store::AuditNote;
use crate::validate::FieldError;

/// Longest department and rule names.
pub const MAX_ADMIN_NAME_CHARS: usize = 100;
/// Longest text of one rule condition (words, a domain, part of an address).
pub const MAX_CONDITION_CHARS: usize = 200;
/// Most conditions one rule may have.
pub const MAX_CONDITIONS: usize = 20;
/// Audit entries per page when the caller does not say.
pub const AUDIT_PAGE: u32 = 50;
pub const MAX_AUDIT_PAGE: u32 = 200;

fn field(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A trimmed name of 1 to 100 characters on one line, or the error for `field_name`.
fn checked_name(value: &str, field_name: &str, what: &str) -> Result<String, FieldError> {
    let name = value.trim();
    if name.is_empty() || name.chars().count() > MAX_ADMIN_NAME_CHARS {
        Err(field(
            field_name,
            format!("{what} needs 1 to {MAX_ADMIN_NAME_CHARS} characters."),
        ))
    } else if has_control(name) {
        Err(field(field_name, format!("{what} must fit on one line.")))
    } else {
        Ok(name.to_string())
    }
}

impl Service {
    // ---- Departments and membership --------------------------------------------------------

    /// Departments and every staff member with their departments and live presence.
    pub async fn team(&self) -> Result<(Vec<Department>, Vec<StaffEntry>), ServiceError> {
        let departments = self.store.departments().await?;
        Ok((departments, self.directory().staff.clone()))
    }

    pub async fn rename_department(&self, id: i64, name: &str) -> Result<Department, ServiceError> {
        let name = checked_name(name, "name", "A department name")
            .map_err(|e| ServiceError::Invalid(vec![e]))?;
        let department = self.store.rename_department(id, &name).await?;
        self.admin_changed().await?;
        Ok(department)
    }

    /// Deletes a department no workflow rule uses (a rule sending chats to a department that no
    /// longer exists would strand them).
    pub async fn delete_department(&self, id: i64) -> Result<(), ServiceError> {
        let department = self
            .store
            .department(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let users: Vec<String> = self
            .store
            .routing_rules()
            .await?
            .into_iter()
            .filter(|r| rule_uses_department(r, id))
            .map(|r| format!("\u{201c}{}\u{201d}", r.name))
            .collect();
        if !users.is_empty() {
            let (noun, pronoun) = if users.len() == 1 {
                ("rule", "it")
            } else {
                ("rules", "them")
            };
            return Err(ServiceError::Conflict(format!(
                "{} is used by the workflow {noun} {}; change or delete {pronoun} first.",
                department.name,
                users.join(", ")
            )));
        }
        self.store.delete_department(id).await?;
        self.admin_changed().await
    }

    /// Puts a staff member in exactly these departments.
    pub async fn set_staff_departments(
        &self,
        staff: StaffId,
        departments: &[i64],
    ) -> Result<(), ServiceError> {
        let known = self.store.departments().await?;
        let mut ids: Vec<i64> = departments.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if let Some(unknown) = ids.iter().find(|id| !known.iter().any(|d| d.id == **id)) {
            return Err(invalid(
                "departments",
                &format!("There is no department with id {unknown}; reload the page."),
            ));
        }
        self.store.set_staff_departments(staff, &ids).await?;
        self.admin_changed().await
    }

    // ---- Live chat workflow rules ----------------------------------------------------------

    /// All workflow rules, in the order they are tried.
    pub async fn rules(&self) -> Result<Vec<Rule>, ServiceError> {
        Ok(self.store.routing_rules().await?)
    }

    /// Checks a rule as an admin wrote it; returns it tidied (trimmed texts) or every problem.
    ///
    /// Field names: `name`, `conditions` (the list as a whole), `conditions.<i>` (one
    /// condition's value), `action`.
    pub async fn check_rule(&self, rule: Rule) -> Result<Rule, ServiceError> {
        let mut errors = Vec::new();
        let name = checked_name(&rule.name, "name", "A rule name").unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        });
        let departments = self.store.departments().await?;
        let department_exists = |id: i64| departments.iter().any(|d| d.id == id);
        if rule.conditions.is_empty() {
            errors.push(field("conditions", "Add at least one condition."));
        } else if rule.conditions.len() > MAX_CONDITIONS {
            errors.push(field(
                "conditions",
                format!("A rule may have at most {MAX_CONDITIONS} conditions."),
            ));
        }
        let mut conditions = Vec::with_capacity(rule.conditions.len());
        for (i, condition) in rule.conditions.into_iter().enumerate() {
            let key = format!("conditions.{i}");
            let text = |value: &str, what: &str, errors: &mut Vec<FieldError>| -> String {
                let value = value.trim();
                if value.is_empty() {
                    errors.push(field(&key, format!("Enter {what}.")));
                } else if value.chars().count() > MAX_CONDITION_CHARS {
                    errors.push(field(
                        &key,
                        format!("Keep this under {MAX_CONDITION_CHARS} characters."),
                    ));
                } else if has_control(value) {
                    errors.push(field(&key, "This must fit on one line."));
                }
                value.to_string()
            };
            let tidy = match condition {
                Condition::DepartmentIs(d) | Condition::DepartmentIsNot(d)
                    if !department_exists(d) =>
                {
                    errors.push(field(&key, "Choose one of the departments listed."));
                    condition
                }
                Condition::DepartmentIs(_) | Condition::DepartmentIsNot(_) => condition,
                Condition::QuestionContains(words) => {
                    Condition::QuestionContains(text(&words, "the words to look for", &mut errors))
                }
                Condition::EmailEndsWith(domain) => {
                    let domain = text(&domain, "a domain, such as example.com", &mut errors);
                    let domain = domain.trim_start_matches('@').to_string();
                    if domain.chars().any(char::is_whitespace) {
                        errors.push(field(&key, "A domain has no spaces, such as example.com."));
                    }
                    Condition::EmailEndsWith(domain)
                }
                Condition::PageUrlContains(part) => {
                    Condition::PageUrlContains(text(&part, "part of the page address", &mut errors))
                }
            };
            conditions.push(tidy);
        }
        match rule.action {
            Action::RouteToDepartment(d) if !department_exists(d) => {
                errors.push(field("action", "Choose one of the departments listed."));
            }
            Action::RouteToStaff(s)
                if self
                    .store
                    .staff_directory()
                    .await?
                    .iter()
                    .all(|x| x.id != s) =>
            {
                errors.push(field("action", "Choose one of the staff members listed."));
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        Ok(Rule {
            name,
            conditions,
            ..rule
        })
    }

    /// Creates the rule when its id is 0 (tried last), otherwise updates it (keeping its place).
    pub async fn save_rule(&self, rule: Rule) -> Result<Rule, ServiceError> {
        let rule = self.check_rule(rule).await?;
        let saved = self.store.save_rule(rule, now_ms()).await?;
        self.admin_changed().await?;
        Ok(saved)
    }

    pub async fn set_rule_enabled(&self, id: i64, enabled: bool) -> Result<Rule, ServiceError> {
        let rule = self
            .store
            .routing_rules()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(ServiceError::NotFound)?;
        if rule.enabled == enabled {
            return Ok(rule);
        }
        let saved = self
            .store
            .save_rule(Rule { enabled, ..rule }, now_ms())
            .await?;
        self.admin_changed().await?;
        Ok(saved)
    }

    pub async fn delete_rule(&self, id: i64) -> Result<(), ServiceError> {
        self.store.delete_rule(id).await?;
        self.admin_changed().await
    }

    /// Puts the rules in this order; `ids` must name every rule once.
    pub async fn reorder_rules(&self, ids: &[i64]) -> Result<(), ServiceError> {
        let mut seen = ids.to_vec();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != ids.len() {
            return Err(invalid("ids", "Each rule may appear only once."));
        }
        self.store.reorder_rules(ids, now_ms()).await?;
        self.admin_changed().await
    }

    // ---- Live chat settings -----------------------------------------------------------------

    /// The settings as every socket last heard them.
    pub fn chat_settings(&self) -> ChatSettings {
        self.hub.settings()
    }

    /// Stores the settings (with a line in the audit trail) and pushes them to every open
    /// console and widget.
    pub async fn save_chat_settings(
        &self,
        me: &Me,
        settings: ChatSettings,
    ) -> Result<ChatSettings, ServiceError> {
        if settings.max_file_bytes < 1024 || settings.max_file_bytes > MAX_MAX_FILE_BYTES {
            return Err(invalid(
                "max_file_bytes",
                &format!(
                    "The maximum file size must be between 1 KB and {}.",
                    file_size(MAX_MAX_FILE_BYTES)
                ),
            ));
        }
        let on_off = |on: bool| if on { "on" } else { "off" };
        let blocked: Vec<&str> = [
            (settings.block_executables, "executables"),
            (settings.block_scripts, "scripts"),
            (settings.block_archives, "archives"),
        ]
        .into_iter()
        .filter_map(|(on, what)| on.then_some(what))
        .collect();
        let audit =
            AuditNote {
                staff_id: me.id,
                staff_name: me.name.clone(),
                op: "ChatSettings".into(),
                detail: format!(
                "emojis for staff {}, for visitors {}; rating style {:?}; visitor attachments {}, \
                 up to {}, blocked: {}",
                on_off(settings.staff_emojis),
                on_off(settings.client_emojis),
                settings.rating_style,
                on_off(settings.visitor_attachments),
                file_size(settings.max_file_bytes),
                if blocked.is_empty() { "none".to_string() } else { blocked.join(", ") }
            ),
            };
        self.store
            .save_chat_settings(&settings, audit, now_ms())
            .await?;
        self.hub.set_settings(settings);
        self.tell(Hint::Settings);
        Ok(settings)
    }

    // ---- Audit trail ------------------------------------------------------------------------

    /// Up to `limit` entries older than the entry `before` (all when `None`), newest first.
    pub async fn audit(
        &self,
        limit: Option<u32>,
        before: Option<i64>,
    ) -> Result<AuditPage, ServiceError> {
        let limit = limit.unwrap_or(AUDIT_PAGE).clamp(1, MAX_AUDIT_PAGE) as usize;
        let mut entries = self.store.audit(limit as i64 + 1, before).await?;
        let more = entries.len() > limit;
        entries.truncate(limit);
        Ok(AuditPage { entries, more })
    }
}

/// Whether a rule names this department in a condition or its action.
pub fn rule_uses_department(rule: &Rule, department: i64) -> bool {
    matches!(rule.action, Action::RouteToDepartment(d) if d == department)
        || rule.conditions.iter().any(|c| {
            matches!(c, Condition::DepartmentIs(d) | Condition::DepartmentIsNot(d) if *d == department)
        })
}
