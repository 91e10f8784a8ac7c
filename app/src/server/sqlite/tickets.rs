//! SQLite side of [`TicketStore`].

use super::{apply_in, chat_in, SqliteStore};
use crate::model::ChatId;
use crate::rules::{Event, Millis, StaffRef};
use crate::server::rows::{
    self, like_pattern, EventRow, HistoryRow, MailRow, OutboxRow, TicketRow, MAIL_COLUMNS,
    TICKET_COLUMNS,
};
use crate::server::store::{AuditNote, Decide, StoreError};
use crate::server::ticket_store::{
    ChatTicket, Closed, MailOutcome, NewTicket, OutboxItem, TicketStore,
};
use crate::ticket::{
    one_line, AssigneeFilter, MailItem, MailState, TicketChange, TicketDetail, TicketFilter,
    TicketNumber, TicketSummary,
};
use async_trait::async_trait;
use sqlx::Connection;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

async fn ticket_in(
    conn: &mut SqliteConnection,
    number: TicketNumber,
) -> Result<TicketSummary, StoreError> {
    sqlx::query_as::<_, TicketRow>(&format!("{TICKET_COLUMNS} WHERE t.id = ?"))
        .bind(number)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_into()
}

async fn history(
    conn: &mut SqliteConnection,
    ticket: TicketNumber,
    at: Millis,
    by: Option<&StaffRef>,
    actor: &str,
    what: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ticket_history (ticket_id, at, staff_id, actor, what) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(ticket)
    .bind(at)
    .bind(by.map(|s| s.id))
    .bind(by.map_or(actor, |s| s.name.as_str()))
    .bind(what)
    .execute(conn)
    .await?;
    Ok(())
}

async fn staff_name(
    conn: &mut SqliteConnection,
    id: Option<i64>,
) -> Result<Option<String>, StoreError> {
    match id {
        None => Ok(None),
        Some(id) => Ok(Some(
            sqlx::query_scalar("SELECT name FROM staff WHERE id = ?")
                .bind(id)
                .fetch_optional(conn)
                .await?
                .ok_or_else(|| StoreError::Conflict("There is no such staff member.".into()))?,
        )),
    }
}

/// Queues the transcript of `ticket` to its requester; returns the outbox row.
async fn queue_in(
    conn: &mut SqliteConnection,
    ticket: &TicketSummary,
    by: Option<&StaffRef>,
    now: Millis,
) -> Result<MailItem, StoreError> {
    let id = sqlx::query(
        "INSERT INTO outbox (ticket_id, kind, to_name, to_email, status, attempts, next_attempt_at, created_at) \
         VALUES (?, 'transcript', ?, ?, 'queued', 0, ?, ?)",
    )
    .bind(ticket.number)
    .bind(&ticket.requester.name)
    .bind(&ticket.requester.email)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .last_insert_rowid();
    history(
        &mut *conn,
        ticket.number,
        now,
        by,
        "System",
        &format!("Transcript email queued to {}", ticket.requester.email),
    )
    .await?;
    Ok(MailItem {
        id,
        to: ticket.requester.email.clone(),
        created_at: now,
        state: MailState::Queued {
            attempts: 0,
            last_error: None,
            next_attempt_at: now,
        },
    })
}

#[async_trait]
impl TicketStore for SqliteStore {
    async fn close_chat_into_ticket(
        &self,
        chat: ChatId,
        now: Millis,
        audit: Option<AuditNote>,
        decide: &Decide<'_>,
        ticket: ChatTicket,
    ) -> Result<Closed, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM tickets WHERE chat_id = ?")
            .bind(chat)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(number) = existing {
            let found = ticket_in(&mut tx, number).await?;
            return Ok(Closed {
                applied: None,
                ticket: Some(found),
                mail_queued: false,
            });
        }
        let mut applied = apply_in(&mut tx, chat, now, None, audit, decide).await?;
        let ended = applied
            .events
            .iter()
            .any(|e| matches!(e.event, Event::Ended { .. }));
        if !ended {
            tx.commit().await?;
            return Ok(Closed {
                applied: Some(applied),
                ticket: None,
                mail_queued: false,
            });
        }
        let c = &applied.chat;
        let subject = ticket
            .subject
            .clone()
            .unwrap_or_else(|| one_line(&c.visitor.question));
        let assignee_name = staff_name(&mut tx, ticket.assignee).await?;
        let number = sqlx::query(
            "INSERT INTO tickets (chat_id, subject, status, requester_name, requester_email, \
             department_id, assignee_id, page_url, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(chat)
        .bind(&subject)
        .bind(ticket.status.as_str())
        .bind(&c.visitor.name)
        .bind(&c.visitor.email)
        .bind(c.visitor.department.as_ref().map(|d| d.id))
        .bind(ticket.assignee)
        .bind(&c.visitor.page_url)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        let by = Some(&ticket.by);
        history(
            &mut tx,
            number,
            now,
            by,
            "",
            &format!(
                "Created from the chat with {} ({})",
                c.visitor.name, ticket.how
            ),
        )
        .await?;
        history(
            &mut tx,
            number,
            now,
            by,
            "",
            &format!("Status set to {}", ticket.status.label()),
        )
        .await?;
        if let Some(name) = &assignee_name {
            history(&mut tx, number, now, by, "", &format!("Assigned to {name}")).await?;
        }
        let summary = ticket_in(&mut tx, number).await?;
        if ticket.send_email {
            queue_in(&mut tx, &summary, by, now).await?;
        }
        // Re-read, so the chat everyone is sent carries its ticket number.
        applied.chat = chat_in(&mut tx, chat).await?;
        tx.commit().await?;
        Ok(Closed {
            applied: Some(applied),
            ticket: Some(summary),
            mail_queued: ticket.send_email,
        })
    }

    async fn add_ticket(&self, t: NewTicket, now: Millis) -> Result<TicketSummary, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let number = sqlx::query(
            "INSERT INTO tickets (chat_id, subject, status, requester_name, requester_email, \
             department_id, message, page_url, created_at, updated_at) \
             VALUES (NULL, ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.subject)
        .bind(&t.requester.name)
        .bind(&t.requester.email)
        .bind(t.department_id)
        .bind(&t.message)
        .bind(&t.page_url)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        history(
            &mut tx,
            number,
            now,
            None,
            &t.requester.name,
            "Left a message through the chat widget while nobody was available",
        )
        .await?;
        let summary = ticket_in(&mut tx, number).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn tickets(
        &self,
        filter: &TicketFilter,
        limit: i64,
    ) -> Result<Vec<TicketSummary>, StoreError> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(TICKET_COLUMNS);
        q.push(" WHERE 1 = 1");
        if let Some(status) = filter.status {
            q.push(" AND t.status = ").push_bind(status.as_str());
        }
        match filter.assignee {
            AssigneeFilter::Anyone => {}
            AssigneeFilter::Nobody => {
                q.push(" AND t.assignee_id IS NULL");
            }
            AssigneeFilter::Staff(id) => {
                q.push(" AND t.assignee_id = ").push_bind(id);
            }
        }
        let search = filter.search.trim();
        if !search.is_empty() {
            // A ticket number ("1042" or "#1042") finds that ticket too.
            let number = search.trim_start_matches('#').parse::<i64>().ok();
            let pattern = like_pattern(search);
            q.push(" AND (t.subject LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR t.requester_name LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR t.requester_email LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\' OR t.id = ")
                .push_bind(number.unwrap_or(-1))
                .push(")");
        }
        q.push(" ORDER BY t.updated_at DESC, t.id DESC LIMIT ")
            .push_bind(limit);
        rows::all(
            q.build_query_as::<TicketRow>()
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn ticket(&self, number: TicketNumber) -> Result<Option<TicketSummary>, StoreError> {
        sqlx::query_as::<_, TicketRow>(&format!("{TICKET_COLUMNS} WHERE t.id = ?"))
            .bind(number)
            .fetch_optional(&self.read)
            .await?
            .map(TicketSummary::try_from)
            .transpose()
    }

    async fn ticket_detail(
        &self,
        number: TicketNumber,
    ) -> Result<Option<TicketDetail>, StoreError> {
        // One read transaction, so the parts agree with each other.
        let mut tx = self.read.begin().await?;
        let Some(row) = sqlx::query_as::<_, TicketRow>(&format!("{TICKET_COLUMNS} WHERE t.id = ?"))
            .bind(number)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let ticket = TicketSummary::try_from(row)?;
        let (message, page_url): (Option<String>, Option<String>) =
            sqlx::query_as("SELECT message, page_url FROM tickets WHERE id = ?")
                .bind(number)
                .fetch_one(&mut *tx)
                .await?;
        let transcript = match ticket.chat_id {
            Some(chat) => rows::all(
                sqlx::query_as::<_, EventRow>(
                    "SELECT seq, at, client_id, event FROM chat_events WHERE chat_id = ? ORDER BY seq",
                )
                .bind(chat)
                .fetch_all(&mut *tx)
                .await?,
            )?,
            None => Vec::new(),
        };
        let history: Vec<HistoryRow> = sqlx::query_as(
            "SELECT at, actor, what FROM ticket_history WHERE ticket_id = ? ORDER BY id",
        )
        .bind(number)
        .fetch_all(&mut *tx)
        .await?;
        let mail = rows::all(
            sqlx::query_as::<_, MailRow>(&format!(
                "{MAIL_COLUMNS} WHERE ticket_id = ? ORDER BY id"
            ))
            .bind(number)
            .fetch_all(&mut *tx)
            .await?,
        )?;
        tx.commit().await?;
        Ok(Some(TicketDetail {
            ticket,
            message,
            transcript,
            page_url,
            history: history.into_iter().map(Into::into).collect(),
            mail,
        }))
    }

    async fn update_ticket(
        &self,
        number: TicketNumber,
        change: &TicketChange,
        by: &StaffRef,
        now: Millis,
    ) -> Result<TicketSummary, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let before = ticket_in(&mut tx, number).await?;
        let what = match change {
            TicketChange::Status(status) => {
                if *status == before.status {
                    return Ok(before);
                }
                sqlx::query("UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?")
                    .bind(status.as_str())
                    .bind(now)
                    .bind(number)
                    .execute(&mut *tx)
                    .await?;
                format!(
                    "Status changed from {} to {}",
                    before.status.label(),
                    status.label()
                )
            }
            TicketChange::Assignee(assignee) => {
                if *assignee == before.assignee.as_ref().map(|a| a.id) {
                    return Ok(before);
                }
                let name = staff_name(&mut tx, *assignee).await?;
                sqlx::query("UPDATE tickets SET assignee_id = ?, updated_at = ? WHERE id = ?")
                    .bind(assignee)
                    .bind(now)
                    .bind(number)
                    .execute(&mut *tx)
                    .await?;
                let old = before
                    .assignee
                    .as_ref()
                    .map_or("nobody", |a| a.name.as_str());
                format!(
                    "Assignee changed from {old} to {}",
                    name.as_deref().unwrap_or("nobody")
                )
            }
        };
        history(&mut tx, number, now, Some(by), "", &what).await?;
        let after = ticket_in(&mut tx, number).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn queue_transcript(
        &self,
        number: TicketNumber,
        by: &StaffRef,
        now: Millis,
    ) -> Result<MailItem, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let ticket = ticket_in(&mut tx, number).await?;
        let item = queue_in(&mut tx, &ticket, Some(by), now).await?;
        tx.commit().await?;
        Ok(item)
    }

    async fn claim_mail(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? \
                          ORDER BY next_attempt_at, id LIMIT ?) \
             RETURNING id, ticket_id, kind, to_name, to_email, attempts",
        )
        .bind(lease_until)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *self.write.lock().await)
        .await?;
        let mut items: Vec<OutboxItem> = rows.into_iter().map(Into::into).collect();
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    async fn mail_done(
        &self,
        item: &OutboxItem,
        outcome: MailOutcome,
        now: Millis,
    ) -> Result<(), StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let note = match &outcome {
            MailOutcome::Sent => {
                sqlx::query("UPDATE outbox SET status = 'sent', last_error = NULL, done_at = ? WHERE id = ?")
                    .bind(now)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
                Some(format!("Transcript email sent to {}", item.to_email))
            }
            MailOutcome::Written(path) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'written', path = ?, last_error = NULL, done_at = ? WHERE id = ?",
                )
                .bind(path)
                .bind(now)
                .bind(item.id)
                .execute(&mut *tx)
                .await?;
                Some(format!(
                    "Transcript email to {} written to disk ({path}): no SMTP server is configured",
                    item.to_email
                ))
            }
            MailOutcome::Retry { error, at } => {
                sqlx::query("UPDATE outbox SET last_error = ?, next_attempt_at = ? WHERE id = ?")
                    .bind(error)
                    .bind(at)
                    .bind(item.id)
                    .execute(&mut *tx)
                    .await?;
                None
            }
            MailOutcome::Failed(error) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'failed', last_error = ?, done_at = ? WHERE id = ?",
                )
                .bind(error)
                .bind(now)
                .bind(item.id)
                .execute(&mut *tx)
                .await?;
                Some(format!(
                    "Transcript email to {} failed after {} attempts: {error}",
                    item.to_email, item.attempts
                ))
            }
        };
        if let Some(note) = note {
            history(&mut tx, item.ticket, now, None, "System", &note).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn next_mail_due(&self) -> Result<Option<Millis>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'")
                .fetch_one(&self.read)
                .await?,
        )
    }
}
