//! Rows as both databases return them, and how they become the shared types. `FromRow` is
//! derived generically over the database, so each backend keeps only its SQL.

use super::file_store::StoredFile;
use super::marks::{Terms, SNIPPET_WORDS};
use super::store::StoreError;
use crate::article::{Article, ArticleHit, ArticleSummary};
use crate::model::{
    AuditEntry, ChatSettings, ChatSummary, Department, DriveFile, DriveFolder, Me, StaffEntry,
    StoredEvent, Visitor,
};
use crate::routing::{Matching, Rule, Waiting};
use crate::rules::{Audience, ChatState, Millis, Phase, RatingStyle, StaffRef};
use crate::ticket::{HistoryEntry, MailItem, MailState, Requester, TicketStatus, TicketSummary};
use sqlx::FromRow;

/// Columns every chat query selects (`c` = chats, `d` = its department), given how the backend
/// reads a chat's last sequence number and version (SQL expressions over `c`).
macro_rules! chat_columns {
    ($last_seq:expr, $version:expr) => {
        concat!(
            "SELECT c.id, c.visitor_name, c.visitor_email, c.question, c.department_id, \
             d.name AS department_name, c.page_url, c.state, ",
            $last_seq,
            " AS last_seq, ",
            $version,
            " AS version, c.created_at, c.route, c.offered_to, \
             (SELECT t.id FROM tickets t WHERE t.chat_id = c.id) AS ticket_number \
             FROM chats c LEFT JOIN departments d ON d.id = c.department_id"
        )
    };
}
pub(super) use chat_columns;

/// The chat columns where both counters are stored as they are (PostgreSQL).
pub const CHAT_COLUMNS: &str = chat_columns!("c.last_seq", "c.version");

pub const TICKET_COLUMNS: &str = "SELECT t.id, t.chat_id, t.subject, t.status, t.requester_name, \
     t.requester_email, t.department_id, d.name AS department_name, t.assignee_id, \
     s.name AS assignee_name, t.created_at, t.updated_at FROM tickets t \
     LEFT JOIN departments d ON d.id = t.department_id LEFT JOIN staff s ON s.id = t.assignee_id";

pub const ARTICLE_COLUMNS: &str = "SELECT a.id, a.slug, a.title, a.body, a.keywords, a.published, \
     a.updated_at, a.updated_by, s.name AS updated_by_name \
     FROM articles a LEFT JOIN staff s ON s.id = a.updated_by";

pub const RULE_COLUMNS: &str =
    "SELECT id, name, position, enabled, matching, conditions, action FROM routing_rules";

fn department(id: Option<i64>, name: Option<String>) -> Option<Department> {
    Some(Department {
        id: id?,
        name: name.unwrap_or_default(),
    })
}

fn staff_ref(id: Option<i64>, name: Option<String>) -> Option<StaffRef> {
    Some(StaffRef {
        id: id?,
        name: name.unwrap_or_default(),
    })
}

#[derive(FromRow)]
pub struct ChatRow {
    id: i64,
    visitor_name: String,
    visitor_email: String,
    question: String,
    department_id: Option<i64>,
    department_name: Option<String>,
    page_url: Option<String>,
    state: String,
    last_seq: i64,
    version: i64,
    created_at: Millis,
    route: String,
    offered_to: Option<i64>,
    ticket_number: Option<i64>,
}

impl TryFrom<ChatRow> for ChatSummary {
    type Error = StoreError;
    fn try_from(r: ChatRow) -> Result<Self, StoreError> {
        Ok(ChatSummary {
            id: r.id,
            visitor: Visitor {
                name: r.visitor_name,
                email: r.visitor_email,
                question: r.question,
                department: department(r.department_id, r.department_name),
                page_url: r.page_url,
            },
            created_at: r.created_at,
            last_seq: r.last_seq,
            version: r.version,
            state: serde_json::from_str(&r.state)?,
            route: serde_json::from_str(&r.route)?,
            offered_to: r.offered_to,
            queue_position: None,
            ticket_number: r.ticket_number,
        })
    }
}

/// What dispatch reads of a waiting chat. The redundant `<> 'Ended'` lets SQLite use the partial
/// index of open chats.
pub const WAITING_COLUMNS: &str = "SELECT id, route, created_at, offered_to FROM chats \
     WHERE phase = 'Waiting' AND phase <> 'Ended' ORDER BY created_at, id";

#[derive(FromRow)]
pub struct WaitingRow {
    id: i64,
    route: String,
    created_at: Millis,
    offered_to: Option<i64>,
}

impl TryFrom<WaitingRow> for Waiting {
    type Error = StoreError;
    fn try_from(r: WaitingRow) -> Result<Self, StoreError> {
        Ok(Waiting {
            chat: r.id,
            route: serde_json::from_str(&r.route)?,
            created_at: r.created_at,
            offered_to: r.offered_to,
        })
    }
}

#[derive(FromRow)]
pub struct EventRow {
    seq: i64,
    at: Millis,
    client_id: Option<String>,
    event: String,
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(StoredEvent {
            seq: r.seq,
            at: r.at,
            client_id: r.client_id,
            event: serde_json::from_str(&r.event)?,
        })
    }
}

#[derive(FromRow)]
pub struct MeRow {
    id: i64,
    name: String,
    email: String,
    is_admin: bool,
}

impl From<MeRow> for Me {
    fn from(r: MeRow) -> Self {
        Me {
            id: r.id,
            name: r.name,
            email: r.email,
            is_admin: r.is_admin,
        }
    }
}

/// A staff member with their departments as comma-separated ids (one query, no N+1).
#[derive(FromRow)]
pub struct StaffRow {
    id: i64,
    name: String,
    email: String,
    is_admin: bool,
    status: String,
    departments: Option<String>,
}

impl From<StaffRow> for StaffEntry {
    fn from(r: StaffRow) -> Self {
        let status =
            crate::model::Status::parse(&r.status).unwrap_or(crate::model::Status::Offline);
        let mut departments: Vec<i64> = r
            .departments
            .unwrap_or_default()
            .split(',')
            .filter_map(|d| d.parse().ok())
            .collect();
        departments.sort_unstable();
        StaffEntry {
            id: r.id,
            name: r.name,
            email: r.email,
            is_admin: r.is_admin,
            departments,
            status,
            presence: status,
        }
    }
}

#[derive(FromRow)]
pub struct RuleRow {
    id: i64,
    name: String,
    position: i64,
    enabled: bool,
    matching: String,
    conditions: String,
    action: String,
}

impl TryFrom<RuleRow> for Rule {
    type Error = StoreError;
    fn try_from(r: RuleRow) -> Result<Self, StoreError> {
        Ok(Rule {
            id: r.id,
            name: r.name,
            position: r.position,
            enabled: r.enabled,
            matching: match r.matching.as_str() {
                "any" => Matching::Any,
                _ => Matching::All,
            },
            conditions: serde_json::from_str(&r.conditions)?,
            action: serde_json::from_str(&r.action)?,
        })
    }
}

pub fn matching_name(m: Matching) -> &'static str {
    match m {
        Matching::All => "all",
        Matching::Any => "any",
    }
}

#[derive(FromRow)]
pub struct AuditRow {
    id: i64,
    at: Millis,
    staff_id: Option<i64>,
    staff_name: String,
    chat_id: Option<i64>,
    op: String,
    detail: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at,
            staff_id: r.staff_id,
            staff_name: r.staff_name,
            chat_id: r.chat_id,
            op: r.op,
            detail: r.detail,
        }
    }
}

#[derive(FromRow)]
pub struct TicketRow {
    id: i64,
    chat_id: Option<i64>,
    subject: String,
    status: String,
    requester_name: String,
    requester_email: String,
    department_id: Option<i64>,
    department_name: Option<String>,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    created_at: Millis,
    updated_at: Millis,
}

impl TryFrom<TicketRow> for TicketSummary {
    type Error = StoreError;
    fn try_from(r: TicketRow) -> Result<Self, StoreError> {
        Ok(TicketSummary {
            number: r.id,
            subject: r.subject,
            requester: Requester {
                name: r.requester_name,
                email: r.requester_email,
            },
            status: TicketStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Db(format!("unknown ticket status {:?}", r.status)))?,
            assignee: staff_ref(r.assignee_id, r.assignee_name),
            department: department(r.department_id, r.department_name),
            chat_id: r.chat_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(FromRow)]
pub struct HistoryRow {
    at: Millis,
    actor: String,
    what: String,
}

impl From<HistoryRow> for HistoryEntry {
    fn from(r: HistoryRow) -> Self {
        HistoryEntry {
            at: r.at,
            actor: r.actor,
            what: r.what,
        }
    }
}

/// An outbox row as the ticket page shows it.
#[derive(FromRow)]
pub struct MailRow {
    id: i64,
    to_email: String,
    status: String,
    attempts: i64,
    next_attempt_at: Millis,
    last_error: Option<String>,
    path: Option<String>,
    created_at: Millis,
    done_at: Option<Millis>,
}

pub const MAIL_COLUMNS: &str = "SELECT id, to_email, status, attempts, next_attempt_at, \
     last_error, path, created_at, done_at FROM outbox";

impl TryFrom<MailRow> for MailItem {
    type Error = StoreError;
    fn try_from(r: MailRow) -> Result<Self, StoreError> {
        let state = match r.status.as_str() {
            "queued" => MailState::Queued {
                attempts: r.attempts.max(0) as u32,
                last_error: r.last_error,
                next_attempt_at: r.next_attempt_at,
            },
            "sent" => MailState::Sent {
                at: r.done_at.unwrap_or_default(),
            },
            "failed" => MailState::Failed {
                reason: r.last_error.unwrap_or_default(),
            },
            "written" => MailState::WrittenToDisk {
                at: r.done_at.unwrap_or_default(),
                path: r.path.unwrap_or_default(),
            },
            other => return Err(StoreError::Db(format!("unknown outbox status {other:?}"))),
        };
        Ok(MailItem {
            id: r.id,
            to: r.to_email,
            created_at: r.created_at,
            state,
        })
    }
}

/// An outbox row as the mail worker claims it.
#[derive(FromRow)]
pub struct OutboxRow {
    id: i64,
    ticket_id: i64,
    kind: String,
    to_name: String,
    to_email: String,
    attempts: i64,
}

impl From<OutboxRow> for super::ticket_store::OutboxItem {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            ticket: r.ticket_id,
            kind: r.kind,
            to_name: r.to_name,
            to_email: r.to_email,
            attempts: r.attempts.max(0) as u32,
        }
    }
}

/// A search result as read, before its words are marked.
#[derive(FromRow)]
pub struct HitRow {
    id: i64,
    slug: String,
    published: bool,
    title: String,
    body: String,
}

impl HitRow {
    /// The result with `terms` marked in its title and a snippet cut from its body.
    pub fn marked(self, terms: &Terms) -> ArticleHit {
        ArticleHit {
            title: terms.title(&self.title),
            snippet: terms.snippet(&self.body, SNIPPET_WORDS),
            id: self.id,
            slug: self.slug,
            published: self.published,
        }
    }
}

#[derive(FromRow)]
pub struct ArticleRow {
    id: i64,
    slug: String,
    title: String,
    body: String,
    keywords: String,
    published: bool,
    updated_at: Millis,
    updated_by: Option<i64>,
    updated_by_name: Option<String>,
}

impl From<ArticleRow> for Article {
    fn from(r: ArticleRow) -> Self {
        Article {
            id: r.id,
            slug: r.slug,
            title: r.title,
            body: r.body,
            keywords: r.keywords,
            published: r.published,
            updated_at: r.updated_at,
            updated_by: staff_ref(r.updated_by, r.updated_by_name),
        }
    }
}

#[derive(FromRow)]
pub struct ArticleSummaryRow {
    id: i64,
    slug: String,
    title: String,
    published: bool,
    updated_at: Millis,
}

impl From<ArticleSummaryRow> for ArticleSummary {
    fn from(r: ArticleSummaryRow) -> Self {
        ArticleSummary {
            id: r.id,
            slug: r.slug,
            title: r.title,
            published: r.published,
            updated_at: r.updated_at,
        }
    }
}

#[derive(FromRow)]
pub struct FolderRow {
    id: i64,
    parent_id: Option<i64>,
    name: String,
}

impl From<FolderRow> for DriveFolder {
    fn from(r: FolderRow) -> Self {
        DriveFolder {
            id: r.id,
            parent_id: r.parent_id,
            name: r.name,
        }
    }
}

pub const DRIVE_FILE_COLUMNS: &str =
    "id, folder_id, blob_key, name, size, content_type, uploaded_by, updated_at";

#[derive(FromRow)]
pub struct DriveFileRow {
    id: i64,
    folder_id: Option<i64>,
    blob_key: String,
    name: String,
    size: i64,
    content_type: String,
    uploaded_by: String,
    updated_at: Millis,
}

impl From<DriveFileRow> for (DriveFile, StoredFile) {
    fn from(r: DriveFileRow) -> Self {
        let size = r.size.max(0) as u64;
        let stored = StoredFile {
            blob_key: r.blob_key,
            name: r.name.clone(),
            size,
            content_type: r.content_type.clone(),
        };
        let file = DriveFile {
            id: r.id,
            folder_id: r.folder_id,
            name: r.name,
            size,
            content_type: r.content_type,
            uploaded_by: r.uploaded_by,
            updated_at: r.updated_at,
        };
        (file, stored)
    }
}

impl From<DriveFileRow> for DriveFile {
    fn from(r: DriveFileRow) -> Self {
        <(DriveFile, StoredFile)>::from(r).0
    }
}

#[derive(FromRow)]
pub struct StoredFileRow {
    blob_key: String,
    name: String,
    size: i64,
    content_type: String,
}

impl From<StoredFileRow> for StoredFile {
    fn from(r: StoredFileRow) -> Self {
        StoredFile {
            blob_key: r.blob_key,
            name: r.name,
            size: r.size.max(0) as u64,
            content_type: r.content_type,
        }
    }
}

/// The one row of live chat settings.
#[derive(FromRow)]
pub struct SettingsRow {
    staff_emojis: bool,
    client_emojis: bool,
    rating_style: String,
    visitor_attachments: bool,
    max_file_bytes: i64,
    block_executables: bool,
    block_scripts: bool,
    block_archives: bool,
}

impl From<SettingsRow> for ChatSettings {
    fn from(r: SettingsRow) -> Self {
        ChatSettings {
            staff_emojis: r.staff_emojis,
            client_emojis: r.client_emojis,
            rating_style: match r.rating_style.as_str() {
                "smiley" => RatingStyle::Smiley,
                _ => RatingStyle::Star,
            },
            visitor_attachments: r.visitor_attachments,
            max_file_bytes: r.max_file_bytes.max(0) as u64,
            block_executables: r.block_executables,
            block_scripts: r.block_scripts,
            block_archives: r.block_archives,
        }
    }
}

pub fn rating_style_name(style: RatingStyle) -> &'static str {
    match style {
        RatingStyle::Smiley => "smiley",
        RatingStyle::Star => "star",
    }
}

/// How an event's audience is stored: the visitor's socket reads only 'everyone'.
pub fn audience_name(a: Audience) -> &'static str {
    match a {
        Audience::Everyone => "everyone",
        Audience::Staff => "staff",
        Audience::Actor => unreachable!("events for the actor alone are never stored"),
    }
}

/// The chat's phase as stored beside its state, for the open-chats index.
pub fn phase_name(state: &ChatState) -> &'static str {
    match state.phase {
        Phase::Waiting => "Waiting",
        Phase::Active => "Active",
        Phase::Ended => "Ended",
    }
}

/// Converts every row, stopping at the first that does not convert.
pub fn all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// Converts rows read newest first into oldest-first order.
pub fn newest_last<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().rev().map(T::try_from).collect()
}

/// `%text%` for LIKE, with the wildcards in `text` taken literally.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `slug`, or the first of `slug-2`, `slug-3`… not among `taken` (the slugs the database found
/// equal to `slug` or of the form `slug-<number>`).
pub fn first_free_slug(slug: &str, taken: &[String]) -> String {
    if !taken.iter().any(|s| s == slug) {
        return slug.to_string();
    }
    let n = (2..)
        .find(|n| !taken.contains(&format!("{slug}-{n}")))
        .expect("a free number");
    format!("{slug}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
