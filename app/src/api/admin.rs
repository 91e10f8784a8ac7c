//! Server functions for admins: departments and membership, workflow rules, live chat
//! settings, audit trail.
//! Every one checks that the caller is a signed-in admin before anything else.

#[cfg(feature = "ssr")]
use super::ssr;
use super::ApiError;
use crate::model::{AuditEntry, ChatSettings, Department, StaffEntry};
use crate::routing::Rule;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// What the Team page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub departments: Vec<Department>,
    /// Every staff member with their departments and live presence.
    pub staff: Vec<StaffEntry>,
}

/// What the Automation page shows: the rules in order, and the names they refer to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Automation {
    pub rules: Vec<Rule>,
    pub departments: Vec<Department>,
    pub staff: Vec<StaffEntry>,
}

/// One page of the audit trail, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Whether older entries exist; ask again with `before` = the last entry's id.
    pub more: bool,
}

#[server(endpoint = "admin_team", input = Json)]
pub async fn admin_team() -> Result<Team, ApiError> {
    ssr::require_admin().await?;
    let (departments, staff) = ssr::service()?.team().await?;
    Ok(Team { departments, staff })
}

#[server(endpoint = "admin_add_department", input = Json)]
pub async fn add_department(name: String) -> Result<Department, ApiError> {
    ssr::require_admin().await?;
    // A new department has no members yet: nothing waiting can change.
    Ok(ssr::service()?.add_department(&name).await?)
}

#[server(endpoint = "admin_rename_department", input = Json)]
pub async fn rename_department(id: i64, name: String) -> Result<Department, ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.rename_department(id, &name).await?)
}

#[server(endpoint = "admin_delete_department", input = Json)]
pub async fn delete_department(id: i64) -> Result<(), ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.delete_department(id).await?)
}

/// Puts a staff member in exactly these departments.
#[server(endpoint = "admin_set_staff_departments", input = Json)]
pub async fn set_staff_departments(staff_id: i64, departments: Vec<i64>) -> Result<(), ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?
        .set_staff_departments(staff_id, &departments)
        .await?)
}

/// Creates a staff account with a first password they can sign in with.
#[server(endpoint = "admin_add_staff", input = Json)]
pub async fn add_staff(
    name: String,
    email: String,
    password: String,
    is_admin: bool,
    departments: Vec<i64>,
) -> Result<(), ApiError> {
    use crate::server::service::AddStaff;
    ssr::require_admin().await?;
    let service = ssr::service()?;
    let known = service.departments().await?;
    let mut names = Vec::new();
    for id in departments {
        match known.iter().find(|d| d.id == id) {
            Some(d) => names.push(d.name.clone()),
            None => {
                return Err(ApiError::Invalid(vec![crate::validate::FieldError {
                    field: "department".into(),
                    message: "Choose among the departments listed.".into(),
                }]))
            }
        }
    }
    service
        .add_staff(AddStaff {
            name,
            email,
            password,
            is_admin,
            departments: names,
        })
        .await?;
    Ok(())
}

#[server(endpoint = "admin_automation", input = Json)]
pub async fn admin_automation() -> Result<Automation, ApiError> {
    ssr::require_admin().await?;
    let service = ssr::service()?;
    let rules = service.rules().await?;
    let (departments, staff) = service.team().await?;
    Ok(Automation {
        rules,
        departments,
        staff,
    })
}

/// Creates the rule when its id is 0 (it is tried last), otherwise updates it. Its position is
/// ignored: order changes through [`reorder_rules`].
#[server(endpoint = "admin_save_rule", input = Json)]
pub async fn save_rule(rule: Rule) -> Result<Rule, ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.save_rule(rule).await?)
}

#[server(endpoint = "admin_set_rule_enabled", input = Json)]
pub async fn set_rule_enabled(id: i64, enabled: bool) -> Result<Rule, ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.set_rule_enabled(id, enabled).await?)
}

#[server(endpoint = "admin_delete_rule", input = Json)]
pub async fn delete_rule(id: i64) -> Result<(), ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.delete_rule(id).await?)
}

/// Puts the rules in this order; `ids` names every rule once.
#[server(endpoint = "admin_reorder_rules", input = Json)]
pub async fn reorder_rules(ids: Vec<i64>) -> Result<(), ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.reorder_rules(&ids).await?)
}

#[server(endpoint = "admin_live_chat_settings", input = Json)]
pub async fn live_chat_settings() -> Result<ChatSettings, ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.chat_settings())
}

/// Stores the live chat settings; open consoles and widgets follow at once.
#[server(endpoint = "admin_save_live_chat_settings", input = Json)]
pub async fn save_live_chat_settings(settings: ChatSettings) -> Result<ChatSettings, ApiError> {
    let me = ssr::require_admin().await?;
    Ok(ssr::service()?.save_chat_settings(&me, settings).await?)
}

/// Audit entries older than the entry `before` (the newest when `None`), newest first.
#[server(endpoint = "admin_audit", input = Json)]
pub async fn audit_log(before: Option<i64>, limit: Option<u32>) -> Result<AuditPage, ApiError> {
    ssr::require_admin().await?;
    Ok(ssr::service()?.audit(limit, before).await?)
}
