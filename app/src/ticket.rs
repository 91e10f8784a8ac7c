//! Helpdesk tickets: what a chat becomes when it ends (or when a visitor leaves a message because
//! nobody is available). Types shared by the server, the console and the widget.

use crate::model::{ChatId, Department, StoredEvent};
use crate::rules::{Millis, StaffId, StaffRef};
use serde::{Deserialize, Serialize};

/// A ticket's number: sequential, shown as `#1042`.
pub type TicketNumber = i64;

/// Longest ticket subject, in characters (the pre-chat question fits).
pub const MAX_SUBJECT_CHARS: usize = crate::validate::MAX_QUESTION_CHARS;

/// `#1042`.
pub fn label(number: TicketNumber) -> String {
    format!("#{number}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TicketStatus {
    Open,
    Pending,
    Resolved,
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 4] = [
        TicketStatus::Open,
        TicketStatus::Pending,
        TicketStatus::Resolved,
        TicketStatus::Closed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Open => "Open",
            TicketStatus::Pending => "Pending",
            TicketStatus::Resolved => "Resolved",
            TicketStatus::Closed => "Closed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<TicketStatus> {
        TicketStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Who asked: the visitor's name and email from the pre-chat (or "Leave a message") form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub name: String,
    pub email: String,
}

/// One line of the ticket list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSummary {
    pub number: TicketNumber,
    pub subject: String,
    pub requester: Requester,
    pub status: TicketStatus,
    pub assignee: Option<StaffRef>,
    pub department: Option<Department>,
    /// The chat it came from; `None` for a message left while nobody was available.
    pub chat_id: Option<ChatId>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One entry of a ticket's history: who changed what, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: Millis,
    /// A staff member's name, or "Visitor" / "System".
    pub actor: String,
    pub what: String,
}

/// Where an outgoing email stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailState {
    /// Waiting in the outbox; `last_error` is set after a failed attempt that will be retried.
    Queued {
        attempts: u32,
        last_error: Option<String>,
        next_attempt_at: Millis,
    },
    Sent {
        at: Millis,
    },
    /// Given up after repeated failures.
    Failed {
        reason: String,
    },
    /// No SMTP server is configured: written as an .eml file in the data directory instead.
    WrittenToDisk {
        at: Millis,
        path: String,
    },
}

impl MailState {
    /// A short description for staff: "queued", "sent", "failed: …", "written to disk".
    pub fn describe(&self) -> String {
        match self {
            MailState::Queued {
                last_error: None, ..
            } => "queued".to_string(),
            MailState::Queued {
                attempts,
                last_error: Some(e),
                ..
            } => {
                format!("queued, retrying after {attempts} failed attempts (last error: {e})")
            }
            MailState::Sent { .. } => "sent".to_string(),
            MailState::Failed { reason } => format!("failed: {reason}"),
            MailState::WrittenToDisk { path, .. } => format!("written to disk ({path})"),
        }
    }
}

/// One email of a ticket (a transcript sent to the requester).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailItem {
    pub id: i64,
    pub to: String,
    pub created_at: Millis,
    pub state: MailState,
}

/// Everything the ticket page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: TicketSummary,
    /// The message itself, for a ticket left through "Leave a message".
    pub message: Option<String>,
    /// The whole chat transcript as staff see it (staff-only notices included).
    pub transcript: Vec<StoredEvent>,
    /// The page the visitor chatted from, if known.
    pub page_url: Option<String>,
    pub history: Vec<HistoryEntry>,
    pub mail: Vec<MailItem>,
}

/// Which assignee the list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Nobody,
    Staff(StaffId),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketFilter {
    pub status: Option<TicketStatus>,
    pub assignee: AssigneeFilter,
    /// Matched against the subject and the requester's name and email.
    pub search: String,
}

/// How a staff member closes a chat into a ticket (the `End chat` and `Leave chat` dialogs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Closing {
    /// `End chat`: the chat closes for everyone; the ticket gets these values.
    End {
        subject: String,
        status: TicketStatus,
        assignee: Option<StaffId>,
        send_email: bool,
    },
    /// `Leave chat`: when the leaver was the last staff member, the chat closes and a ticket is
    /// created with the pre-chat question as subject.
    Leave {
        assignee: Option<StaffId>,
        send_email: bool,
    },
}

/// A change a staff member makes on the ticket page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketChange {
    Status(TicketStatus),
    Assignee(Option<StaffId>),
}

/// Whether a visitor can expect someone to pick up a chat now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Availability {
    Available,
    /// Nobody who serves the department is online and available.
    NobodyOnline,
    /// Staff are online, but the queue already waits longer than the configured limit.
    Busy,
}

/// Collapses runs of whitespace (newlines included) to one space: a subject is one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TicketStatus::parse("Open"), None);
    }

    #[test]
    fn subjects_are_one_line() {
        assert_eq!(
            one_line("  Where is\r\n my   order?\n"),
            "Where is my order?"
        );
        assert_eq!(label(1042), "#1042");
    }
}
