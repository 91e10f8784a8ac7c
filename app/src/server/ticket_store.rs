//! Storage for tickets, their history and the email outbox. Kept apart from the chat storage in
//! [`super::store`], same backends; a chat's End events and its ticket commit in one transaction.

use super::store::{Applied, AuditNote, Decide, StoreError};
use crate::model::ChatId;
use crate::rules::{Millis, StaffId, StaffRef};
use crate::ticket::{
    MailItem, Requester, TicketChange, TicketDetail, TicketFilter, TicketNumber, TicketStatus,
    TicketSummary,
};
use async_trait::async_trait;

/// The ticket a chat becomes if the command ends it.
pub struct ChatTicket {
    /// `None`: the pre-chat question, on one line.
    pub subject: Option<String>,
    pub status: TicketStatus,
    pub assignee: Option<StaffId>,
    /// Queue the transcript to the visitor in the same transaction.
    pub send_email: bool,
    pub by: StaffRef,
    /// How the chat closed, for the history ("End chat", "Leave chat").
    pub how: String,
}

/// What closing a chat did.
pub struct Closed {
    /// The command's effect; `None` when the chat already had its ticket (a retried request),
    /// in which case nothing changed.
    pub applied: Option<Applied>,
    /// The chat's ticket, if it has one now (a `Leave` that did not end the chat has none).
    pub ticket: Option<TicketSummary>,
    /// Whether an email was queued.
    pub mail_queued: bool,
}

/// A ticket not born from a chat: a message left while nobody was available.
pub struct NewTicket {
    pub requester: Requester,
    pub subject: String,
    pub message: String,
    pub department_id: Option<i64>,
    pub page_url: Option<String>,
}

/// An email claimed for delivery.
#[derive(Clone, Debug)]
pub struct OutboxItem {
    pub id: i64,
    pub ticket: TicketNumber,
    pub kind: String,
    pub to_name: String,
    pub to_email: String,
    /// Including the attempt about to be made.
    pub attempts: u32,
}

/// How a delivery attempt ended.
pub enum MailOutcome {
    Sent,
    /// No SMTP configured: written to this file.
    Written(String),
    /// Try again at `at`.
    Retry {
        error: String,
        at: Millis,
    },
    /// Given up.
    Failed(String),
}

#[async_trait]
pub trait TicketStore: Send + Sync + 'static {
    /// In one transaction: returns the chat's ticket untouched if it has one already (a retried
    /// request); otherwise runs `decide` on the chat like `Store::apply`, and if that ends the
    /// chat, creates its ticket, records its history and queues the transcript when asked.
    async fn close_chat_into_ticket(
        &self,
        chat: ChatId,
        now: Millis,
        audit: Option<AuditNote>,
        decide: &Decide<'_>,
        ticket: ChatTicket,
    ) -> Result<Closed, StoreError>;

    /// Creates a ticket from a message the visitor left.
    async fn add_ticket(&self, ticket: NewTicket, now: Millis)
        -> Result<TicketSummary, StoreError>;

    /// Tickets matching the filter, most recently updated first.
    async fn tickets(
        &self,
        filter: &TicketFilter,
        limit: i64,
    ) -> Result<Vec<TicketSummary>, StoreError>;
    async fn ticket(&self, number: TicketNumber) -> Result<Option<TicketSummary>, StoreError>;
    /// The ticket with its transcript (staff view), history and emails.
    async fn ticket_detail(&self, number: TicketNumber)
        -> Result<Option<TicketDetail>, StoreError>;

    /// Applies a change and records it in the history; a change to the current value does nothing.
    async fn update_ticket(
        &self,
        number: TicketNumber,
        change: &TicketChange,
        by: &StaffRef,
        now: Millis,
    ) -> Result<TicketSummary, StoreError>;

    /// Queues the transcript to the requester and records it in the history.
    async fn queue_transcript(
        &self,
        number: TicketNumber,
        by: &StaffRef,
        now: Millis,
    ) -> Result<MailItem, StoreError>;

    /// Claims up to `limit` emails due at `now`: counts the attempt and holds them until
    /// `lease_until`, so that a crash mid-send only delays a retry.
    async fn claim_mail(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// Records how a delivery attempt ended (and, once final, a line in the ticket's history).
    async fn mail_done(
        &self,
        item: &OutboxItem,
        outcome: MailOutcome,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// When the next queued email is due, if any.
    async fn next_mail_due(&self) -> Result<Option<Millis>, StoreError>;
}
