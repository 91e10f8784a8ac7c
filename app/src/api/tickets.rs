//! Server functions for tickets. Everything here but `availability` and `leave_message` (the
//! widget's) requires a signed-in staff member: a visitor never reads a ticket.

#[cfg(feature = "ssr")]
use super::ssr;
use super::ApiError;
use crate::model::ChatId;
use crate::rules::StaffRef;
use crate::ticket::{
    Availability, Closing, MailItem, TicketChange, TicketDetail, TicketFilter, TicketNumber,
    TicketSummary,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Closes a chat into a ticket: the `End chat` dialog, and the `Leave chat` dialog of the last
/// staff member. Returns the chat's ticket (`None` when others remain after a Leave). Retrying
/// returns the same ticket.
#[server(endpoint = "create_ticket", input = Json)]
pub async fn create_ticket(
    chat_id: ChatId,
    closing: Closing,
) -> Result<Option<TicketSummary>, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.close_chat(&me, chat_id, closing).await?)
}

#[server(endpoint = "tickets", input = Json)]
pub async fn tickets(filter: TicketFilter) -> Result<Vec<TicketSummary>, ApiError> {
    ssr::require_staff().await?;
    Ok(ssr::service()?.tickets(&filter).await?)
}

#[server(endpoint = "ticket", input = Json)]
pub async fn ticket(number: TicketNumber) -> Result<TicketDetail, ApiError> {
    ssr::require_staff().await?;
    Ok(ssr::service()?.ticket(number).await?)
}

/// Changes a ticket's status or assignee; the change is recorded in its history.
#[server(endpoint = "update_ticket", input = Json)]
pub async fn update_ticket(
    number: TicketNumber,
    change: TicketChange,
) -> Result<TicketSummary, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.change_ticket(&me, number, change).await?)
}

/// Queues the chat transcript to the requester again.
#[server(endpoint = "resend_transcript", input = Json)]
pub async fn resend_transcript(number: TicketNumber) -> Result<MailItem, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.resend_transcript(&me, number).await?)
}

/// Every staff member, by name: whom a ticket can be assigned to.
#[server(endpoint = "ticket_staff", input = Json)]
pub async fn ticket_staff() -> Result<Vec<StaffRef>, ApiError> {
    ssr::require_staff().await?;
    let directory = ssr::service()?.directory();
    let mut staff: Vec<StaffRef> = directory.staff.iter().map(|s| s.as_ref()).collect();
    staff.sort_by_key(|s| s.name.to_lowercase());
    Ok(staff)
}

/// The widget asks before a chat starts whether anyone can pick it up.
#[server(endpoint = "availability", input = Json)]
pub async fn check_availability(department_id: Option<i64>) -> Result<Availability, ApiError> {
    Ok(ssr::service()?.availability(department_id).await?)
}

/// "Leave a message": the pre-chat form becomes a ticket; returns its number.
#[server(endpoint = "leave_message", input = Json)]
pub async fn leave_message(
    name: String,
    email: String,
    department_id: Option<i64>,
    question: String,
    page_url: Option<String>,
) -> Result<TicketNumber, ApiError> {
    use crate::server::service::StartChat;
    let input = StartChat {
        name,
        email,
        department_id,
        question,
        page_url,
    };
    Ok(ssr::service()?.leave_message(input).await?.number)
}
