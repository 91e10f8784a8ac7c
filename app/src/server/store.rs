//! The storage interface. One implementation per database, each in its own module, so that no
//! other code knows which database it runs on.

use super::admin_store::AdminStore;
use crate::model::{ChatId, ChatSummary, Department, Me, RatingAverage, StoredEvent, Visitor};
use crate::routing::{Route, Waiting};
use crate::rules::{ChatState, Event, Millis, Refusal, StaffId};
use async_trait::async_trait;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Refused(Refusal),
    /// A unique value is taken (an email, a department name).
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(String),
}

pub struct NewStaff {
    pub name: String,
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub department_ids: Vec<i64>,
}

pub struct NewChat {
    pub token_hash: String,
    pub visitor: Visitor,
    pub route: Route,
}

/// An operation's line in the audit trail, written in the same transaction as its events.
pub struct AuditNote {
    pub staff_id: StaffId,
    pub staff_name: String,
    pub op: String,
    pub detail: String,
}

/// What one command did to a chat.
pub struct Applied {
    /// The stored events, in sequence order (empty for a change nobody else may see).
    pub events: Vec<StoredEvent>,
    /// The chat after the change, unfiltered.
    pub chat: ChatSummary,
    /// Set when the same `client_id` had been stored before: nothing new happened.
    pub duplicate_of: Option<i64>,
}

/// The rules' decision for one chat, run inside the storage transaction.
pub type Decide<'a> = dyn Fn(&ChatState) -> Result<Vec<Event>, Refusal> + Send + Sync + 'a;

/// One command of a [`Store::apply_batch`]: [`Store::apply`]'s arguments, without an audit note.
pub struct Batched<'a> {
    pub chat: ChatId,
    pub now: Millis,
    pub client_id: Option<&'a str>,
    pub decide: &'a Decide<'a>,
}

/// A batch applied one command after another, each in its own transaction.
pub async fn apply_each<S: Store + ?Sized>(
    store: &S,
    batch: &[Batched<'_>],
) -> Vec<Result<Applied, StoreError>> {
    let mut out = Vec::with_capacity(batch.len());
    for b in batch {
        out.push(
            store
                .apply(b.chat, b.now, b.client_id, None, b.decide)
                .await,
        );
    }
    out
}

#[async_trait]
pub trait Store:
    AdminStore
    + super::article_store::ArticleStore
    + super::ticket_store::TicketStore
    + super::file_store::FileStore
    + super::cluster::NodeStore
    + Send
    + Sync
    + 'static
{
    async fn add_department(&self, name: &str, now: Millis) -> Result<Department, StoreError>;
    async fn departments(&self) -> Result<Vec<Department>, StoreError>;
    async fn department(&self, id: i64) -> Result<Option<Department>, StoreError>;

    async fn add_staff(&self, staff: NewStaff, now: Millis) -> Result<Me, StoreError>;
    /// The staff member and their password hash, for signing in.
    async fn staff_by_email(&self, email: &str) -> Result<Option<(Me, String)>, StoreError>;

    async fn add_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError>;
    async fn session_staff(&self, token_hash: &str, now: Millis) -> Result<Option<Me>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Creates the chat and stores `first` as its event 1, in one transaction.
    async fn create_chat(
        &self,
        chat: NewChat,
        first: Event,
        now: Millis,
    ) -> Result<(ChatSummary, StoredEvent), StoreError>;
    /// Whether `token_hash` is the visitor token of chat `id`.
    async fn chat_token_matches(&self, id: ChatId, token_hash: &str) -> Result<bool, StoreError>;
    async fn chat(&self, id: ChatId) -> Result<Option<ChatSummary>, StoreError>;
    /// Chats that have not ended, oldest first.
    async fn open_chats(&self) -> Result<Vec<ChatSummary>, StoreError>;
    /// Open chats with a forward offer or an invitation out, the only ones with something to
    /// lapse: the lapse check runs every second, and reading every open chat stalled the node.
    async fn offering_chats(&self) -> Result<Vec<ChatSummary>, StoreError>;
    /// Chats waiting for staff, oldest first: all the queue is built from, read without the rest
    /// of each chat, because dispatch runs after every change that may move the queue.
    async fn waiting_chats(&self) -> Result<Vec<Waiting>, StoreError>;
    /// How many active chats each staff member owns or takes part in, counted in the database.
    async fn active_loads(&self) -> Result<HashMap<StaffId, usize>, StoreError>;
    /// Events after `after`, in order; `staff_events` includes the staff-only ones.
    async fn events_after(
        &self,
        id: ChatId,
        after: i64,
        staff_events: bool,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// The last `limit` events before `before`, in order; `staff_events` as above.
    async fn events_before(
        &self,
        id: ChatId,
        before: i64,
        limit: usize,
        staff_events: bool,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Loads the chat's state, runs `decide` on it and stores the resulting events and state,
    /// all in one transaction, so concurrent commands on one chat are applied one at a time.
    /// With a `client_id` already stored for this chat, returns that event instead.
    async fn apply(
        &self,
        id: ChatId,
        now: Millis,
        client_id: Option<&str>,
        audit: Option<AuditNote>,
        decide: &Decide<'_>,
    ) -> Result<Applied, StoreError>;

    /// Applies the commands in order, as that many [`Store::apply`] calls would, each with its
    /// own outcome (one refused command leaves the others alone). A backend may store them all
    /// in one transaction (group commit); by default they are applied one by one.
    async fn apply_batch(&self, batch: &[Batched<'_>]) -> Vec<Result<Applied, StoreError>> {
        apply_each(self, batch).await
    }

    /// The average rating over the chats this staff member was credited with, if any.
    async fn rating_average(&self, staff: StaffId) -> Result<Option<RatingAverage>, StoreError>;

    /// Records whom waiting chats are offered to now.
    async fn set_offers(&self, offers: &[(ChatId, Option<StaffId>)]) -> Result<(), StoreError>;
}
