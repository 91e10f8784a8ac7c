//! Tickets: closing a chat into a ticket (`End chat`, the last staff member's `Leave chat`),
//! messages left while nobody is available, the ticket list and page, and the email outbox.

use super::{invalid, Service, ServiceError, StartChat, Viewer};
use crate::model::{ChatId, Me};
use crate::routing::{self, Route};
use crate::rules::{self, Command, Phase};
use crate::server::hub::Change;
use crate::server::mail::{self, Delivered, Mailer, Transcript};
use crate::server::now_ms;
use crate::server::store::AuditNote;
use crate::server::ticket_store::{ChatTicket, MailOutcome, NewTicket, OutboxItem};
use crate::ticket::{
    one_line, Availability, Closing, MailItem, Requester, TicketChange, TicketDetail, TicketFilter,
    TicketNumber, TicketStatus, TicketSummary, MAX_SUBJECT_CHARS,
};
use crate::validate::{self, FieldError};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Notify;

/// Most tickets a list shows at once.
pub const MAX_LISTED_TICKETS: i64 = 200;
/// Attempts before an email is given up as failed.
pub const MAX_MAIL_ATTEMPTS: u32 = 12;
/// How long a claimed email is held by one delivery attempt (longer than the SMTP timeout).
const MAIL_LEASE_MS: i64 = 120_000;
/// Emails claimed per database round.
const MAIL_BATCH: i64 = 20;
/// The outbox is looked at least this often, even without a wake-up.
const MAIL_POLL: Duration = Duration::from_secs(30);

/// The wait before retry `attempt + 1`: 1 s, 2 s, 4 s … up to 5 minutes.
pub fn mail_backoff(attempts: u32) -> Duration {
    let secs = 1u64 << attempts.saturating_sub(1).min(9);
    Duration::from_secs(secs.min(300))
}

/// Ticket settings and the outbox worker's wake-up, held by the service.
#[derive(Default)]
pub(super) struct Runtime {
    mailer: RwLock<Option<Arc<Mailer>>>,
    wake: Arc<Notify>,
    wait_limit: RwLock<Option<Duration>>,
}

impl Service {
    /// Sets how email leaves (SMTP or .eml files); until then the outbox only fills.
    pub fn configure_mail(&self, mailer: Mailer) {
        tracing::info!("email: {}", mailer.describe());
        *self.tickets.mailer.write().expect("mailer lock poisoned") = Some(Arc::new(mailer));
        self.tickets.wake.notify_one();
    }

    /// The longest a new chat should wait: beyond it the widget offers "Leave a message".
    pub fn set_chat_wait_limit(&self, limit: Option<Duration>) {
        *self
            .tickets
            .wait_limit
            .write()
            .expect("wait limit lock poisoned") = limit;
    }

    /// Notified whenever an email is queued, so the outbox worker delivers it at once.
    pub fn mail_wakeup(&self) -> Arc<Notify> {
        self.tickets.wake.clone()
    }

    fn mailer(&self) -> Option<Arc<Mailer>> {
        self.tickets
            .mailer
            .read()
            .expect("mailer lock poisoned")
            .clone()
    }

    fn check_assignee(&self, assignee: Option<i64>) -> Result<(), ServiceError> {
        match assignee {
            Some(id) if self.directory().staff(id).is_none() => {
                Err(invalid("assignee", "There is no such staff member."))
            }
            _ => Ok(()),
        }
    }

    /// Ends the chat (`End chat`) or leaves it (`Leave chat`); when that closes the chat, its
    /// ticket is created in the same transaction. A retried request returns the ticket the first
    /// one made. Returns the chat's ticket, if it has one (a Leave that others survive has none).
    pub async fn close_chat(
        &self,
        me: &Me,
        chat_id: ChatId,
        closing: Closing,
    ) -> Result<Option<TicketSummary>, ServiceError> {
        let (command, ticket) = match closing {
            Closing::End {
                subject,
                status,
                assignee,
                send_email,
            } => {
                let subject = one_line(&subject);
                if subject.is_empty() {
                    return Err(invalid("subject", "Please enter a subject."));
                }
                if subject.chars().count() > MAX_SUBJECT_CHARS {
                    return Err(invalid(
                        "subject",
                        &format!("Please keep the subject under {MAX_SUBJECT_CHARS} characters."),
                    ));
                }
                if subject.chars().any(char::is_control) {
                    return Err(invalid(
                        "subject",
                        "The subject contains characters we cannot accept.",
                    ));
                }
                self.check_assignee(assignee)?;
                (
                    Command::End,
                    ChatTicket {
                        subject: Some(subject),
                        status,
                        assignee,
                        send_email,
                        by: me.as_ref(),
                        how: "End chat".into(),
                    },
                )
            }
            Closing::Leave {
                assignee,
                send_email,
            } => {
                self.check_assignee(assignee)?;
                (
                    Command::Leave,
                    ChatTicket {
                        subject: None,
                        status: TicketStatus::Open,
                        assignee,
                        send_email,
                        by: me.as_ref(),
                        how: "Leave chat: the last staff member left".into(),
                    },
                )
            }
        };
        let viewer = Viewer::Staff(me.clone());
        let actor = viewer.actor();
        let audit = AuditNote {
            staff_id: me.id,
            staff_name: me.name.clone(),
            op: format!("{:?}", command.op()),
            detail: String::new(),
        };
        let now = now_ms();
        let decide = |state: &rules::ChatState| rules::decide(state, &actor, &command, now);
        let closed = self
            .store
            .close_chat_into_ticket(chat_id, now, Some(audit), &decide, ticket)
            .await?;
        if let Some(applied) = &closed.applied {
            let only_for = applied.events.is_empty().then_some(me.id);
            self.publish(
                Change {
                    events: applied.events.clone(),
                    chat: applied.chat.clone(),
                    only_for,
                },
                true,
            );
            self.dispatch().await?;
        }
        if closed.mail_queued {
            self.tickets.wake.notify_one();
        }
        if let Some(t) = &closed.ticket {
            tracing::info!(
                "chat {chat_id} is ticket #{} ({:?})",
                t.number,
                command.op()
            );
        }
        Ok(closed.ticket)
    }

    /// Whether someone can pick up a chat for this department now: an online, available staff
    /// member who would see it (its members, and admins, as the console shows waiting chats);
    /// with a wait limit set, also that the queue is not already waiting longer than that.
    pub async fn availability(
        &self,
        department_id: Option<i64>,
    ) -> Result<Availability, ServiceError> {
        let directory = self.directory();
        let route = match department_id {
            Some(id) if directory.departments.iter().any(|d| d.id == id) => Route::Department(id),
            Some(_) => {
                return Err(invalid(
                    "department",
                    "Please choose one of the departments listed.",
                ))
            }
            None => Route::Everyone,
        };
        let loads = Self::loads(&directory, &HashMap::new());
        let anyone = loads
            .iter()
            .any(|l| l.available && routing::visible_to(route, l, &loads));
        if !anyone {
            return Ok(Availability::NobodyOnline);
        }
        let limit = *self
            .tickets
            .wait_limit
            .read()
            .expect("wait limit lock poisoned");
        if let Some(limit) = limit {
            let now = now_ms();
            let oldest = self
                .store
                .open_chats()
                .await?
                .into_iter()
                .filter(|c| c.phase() == Phase::Waiting && c.route == route)
                .map(|c| c.created_at)
                .min();
            if oldest.is_some_and(|at| now - at > limit.as_millis() as i64) {
                return Ok(Availability::Busy);
            }
        }
        Ok(Availability::Available)
    }

    /// "Leave a message": a ticket straight from the widget's form, no chat.
    pub async fn leave_message(&self, input: StartChat) -> Result<TicketSummary, ServiceError> {
        let mut errors = validate::pre_chat(&input.name, &input.email, &input.question);
        if let Some(id) = input.department_id {
            if self.store.department(id).await?.is_none() {
                errors.push(FieldError {
                    field: "department".into(),
                    message: "Please choose one of the departments listed.".into(),
                });
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let message = input.question.trim().to_string();
        let ticket = NewTicket {
            requester: Requester {
                name: input.name.trim().to_string(),
                email: input.email.trim().to_string(),
            },
            subject: one_line(&message),
            message,
            department_id: input.department_id,
            page_url: input
                .page_url
                .filter(|u| !u.is_empty())
                .map(|u| u.chars().take(validate::MAX_URL_CHARS).collect()),
        };
        let ticket = self.store.add_ticket(ticket, now_ms()).await?;
        tracing::info!("message left as ticket #{}", ticket.number);
        Ok(ticket)
    }

    pub async fn tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketSummary>, ServiceError> {
        Ok(self.store.tickets(filter, MAX_LISTED_TICKETS).await?)
    }

    pub async fn ticket(&self, number: TicketNumber) -> Result<TicketDetail, ServiceError> {
        self.store
            .ticket_detail(number)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    pub async fn change_ticket(
        &self,
        me: &Me,
        number: TicketNumber,
        change: TicketChange,
    ) -> Result<TicketSummary, ServiceError> {
        if let TicketChange::Assignee(assignee) = change {
            self.check_assignee(assignee)?;
        }
        Ok(self
            .store
            .update_ticket(number, &change, &me.as_ref(), now_ms())
            .await?)
    }

    /// Queues the transcript to the requester again.
    pub async fn resend_transcript(
        &self,
        me: &Me,
        number: TicketNumber,
    ) -> Result<MailItem, ServiceError> {
        let item = self
            .store
            .queue_transcript(number, &me.as_ref(), now_ms())
            .await?;
        self.tickets.wake.notify_one();
        Ok(item)
    }

    /// How long the outbox worker may sleep before the next email is due.
    pub async fn next_mail_in(&self) -> Duration {
        match self.store.next_mail_due().await {
            Ok(Some(at)) => {
                Duration::from_millis((at - now_ms()).clamp(0, MAIL_POLL.as_millis() as i64) as u64)
            }
            Ok(None) => MAIL_POLL,
            Err(e) => {
                tracing::warn!("outbox: {e}");
                MAIL_POLL
            }
        }
    }

    /// Delivers the emails that are due; returns how many were attempted. Run by the outbox
    /// worker only: never inside a request.
    pub async fn deliver_mail(&self) -> Result<usize, ServiceError> {
        let Some(mailer) = self.mailer() else {
            return Ok(0);
        };
        let mut done = 0;
        loop {
            let now = now_ms();
            let items = self
                .store
                .claim_mail(now, now + MAIL_LEASE_MS, MAIL_BATCH)
                .await?;
            let claimed = items.len();
            for item in items {
                let outcome = self.deliver_one(&mailer, &item).await;
                match &outcome {
                    MailOutcome::Sent => {
                        tracing::info!("email {} (ticket #{}) sent", item.id, item.ticket)
                    }
                    MailOutcome::Written(path) => {
                        tracing::info!(
                            "email {} (ticket #{}) written to {path}",
                            item.id,
                            item.ticket
                        )
                    }
                    MailOutcome::Retry { error, .. } => tracing::warn!(
                        "email {} (ticket #{}) attempt {} failed, will retry: {error}",
                        item.id,
                        item.ticket,
                        item.attempts
                    ),
                    MailOutcome::Failed(error) => {
                        tracing::error!(
                            "email {} (ticket #{}) failed: {error}",
                            item.id,
                            item.ticket
                        )
                    }
                }
                self.store.mail_done(&item, outcome, now_ms()).await?;
                done += 1;
            }
            if claimed < MAIL_BATCH as usize {
                return Ok(done);
            }
        }
    }

    async fn deliver_one(&self, mailer: &Mailer, item: &OutboxItem) -> MailOutcome {
        let message = match self.store.ticket_detail(item.ticket).await {
            Ok(Some(detail)) => mail::recipient(&item.to_name, &item.to_email).and_then(|to| {
                mail::transcript_message(
                    mailer.from(),
                    to,
                    &Transcript {
                        ticket: &detail.ticket,
                        events: &detail.transcript,
                        message: detail.message.as_deref(),
                    },
                )
            }),
            Ok(None) => Err("the ticket no longer exists".to_string()),
            Err(e) => {
                return MailOutcome::Retry {
                    error: e.to_string(),
                    at: now_ms() + mail_backoff(item.attempts).as_millis() as i64,
                }
            }
        };
        let message = match message {
            Ok(m) => m,
            Err(e) => return MailOutcome::Failed(e),
        };
        let name = format!("ticket-{}-email-{}", item.ticket, item.id);
        match mailer.deliver(&message, &name).await {
            Ok(Delivered::Sent) => MailOutcome::Sent,
            Ok(Delivered::Written(path)) => MailOutcome::Written(path.display().to_string()),
            Err(e) if e.permanent || item.attempts >= MAX_MAIL_ATTEMPTS => {
                MailOutcome::Failed(e.message)
            }
            Err(e) => MailOutcome::Retry {
                error: e.message,
                at: now_ms() + mail_backoff(item.attempts).as_millis() as i64,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mail_backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let waits: Vec<u64> = (1..=12).map(|a| mail_backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(mail_backoff(0), Duration::from_secs(1));
    }
}
