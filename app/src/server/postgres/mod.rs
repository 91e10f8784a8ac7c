//! The PostgreSQL backend: all of its SQL lives here. Several server nodes may share one
//! database, so every read-modify-write of a chat locks the chat's row first.

use super::rows::{
    self, audience_name, phase_name, ChatRow, EventRow, MeRow, WaitingRow, CHAT_COLUMNS,
    WAITING_COLUMNS,
};
use super::store::{Applied, AuditNote, Decide, NewChat, NewStaff, Store, StoreError};
use crate::model::{ChatId, ChatSummary, Department, Me, RatingAverage, StoredEvent};
use crate::routing::Waiting;
use crate::rules::{self, Audience, ChatState, Event, Millis, StaffId};
use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::Row;
use std::collections::HashMap;

mod admin;
mod articles;
mod attachments;
mod nodes;
mod tickets;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

pub struct PgStore {
    pool: PgPool,
    /// Hints for the other nodes, sent in order by one task (see [`nodes`]).
    hints: tokio::sync::mpsc::UnboundedSender<String>,
}

impl PgStore {
    /// Connects to the database at `url` and applies the migrations (several nodes starting at
    /// once are serialised by the migrator's advisory lock).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Db(format!("migrations: {e}")))?;
        let hints = nodes::spawn_notifier(pool.clone());
        Ok(Self { pool, hints })
    }
}

async fn chat_in(conn: &mut PgConnection, id: ChatId) -> Result<ChatSummary, StoreError> {
    sqlx::query_as::<_, ChatRow>(&format!("{CHAT_COLUMNS} WHERE c.id = $1"))
        .bind(id)
        .fetch_one(conn)
        .await?
        .try_into()
}

async fn insert_event(
    conn: &mut PgConnection,
    chat: ChatId,
    seq: i64,
    event: &Event,
    client_id: Option<&str>,
    at: Millis,
) -> Result<StoredEvent, StoreError> {
    sqlx::query(
        "INSERT INTO chat_events (chat_id, seq, audience, client_id, event, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(chat)
    .bind(seq)
    .bind(audience_name(event.audience()))
    .bind(client_id)
    .bind(serde_json::to_string(event)?)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(StoredEvent {
        seq,
        at,
        client_id: client_id.map(str::to_string),
        event: event.clone(),
    })
}

async fn insert_audit(
    conn: &mut PgConnection,
    chat: Option<ChatId>,
    note: &AuditNote,
    at: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, staff_id, staff_name, chat_id, op, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(note.staff_id)
    .bind(&note.staff_name)
    .bind(chat)
    .bind(&note.op)
    .bind(&note.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a chat's newest rating for every staff member the visitor sees in it.
async fn credit_rating(
    conn: &mut PgConnection,
    chat: ChatId,
    state: &ChatState,
    score: u8,
    at: Millis,
) -> Result<(), StoreError> {
    for member in state.visible_staff() {
        sqlx::query(
            "INSERT INTO chat_ratings (chat_id, staff_id, score, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (chat_id, staff_id) DO UPDATE SET score = excluded.score, at = excluded.at",
        )
        .bind(chat)
        .bind(member.staff.id)
        .bind(i64::from(score))
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The body of [`Store::apply`] inside a caller's transaction. The chat's row is locked before
/// anything is read, so two nodes applying commands to one chat take turns.
pub(super) async fn apply_in(
    tx: &mut PgConnection,
    id: ChatId,
    now: Millis,
    client_id: Option<&str>,
    audit: Option<AuditNote>,
    decide: &Decide<'_>,
) -> Result<Applied, StoreError> {
    let row = sqlx::query("SELECT state, last_seq FROM chats WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    if let Some(client_id) = client_id {
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM chat_events WHERE chat_id = $1 AND client_id = $2")
                .bind(id)
                .bind(client_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(seq) = seen {
            return Ok(Applied {
                events: Vec::new(),
                chat: chat_in(&mut *tx, id).await?,
                duplicate_of: Some(seq),
            });
        }
    }
    let mut state: ChatState = serde_json::from_str(row.try_get::<&str, _>("state")?)?;
    let mut seq: i64 = row.try_get("last_seq")?;
    let decided = decide(&state).map_err(StoreError::Refused)?;
    let mut stored = Vec::with_capacity(decided.len());
    for event in &decided {
        rules::apply(&mut state, event, now);
        if event.audience() != Audience::Actor {
            seq += 1;
            let cid = matches!(event, Event::Message { .. })
                .then_some(client_id)
                .flatten();
            stored.push(insert_event(&mut *tx, id, seq, event, cid, now).await?);
        }
    }
    if let Some(note) = audit {
        insert_audit(&mut *tx, Some(id), &note, now).await?;
    }
    if let Some(score) = decided.iter().find_map(|e| match e {
        Event::Rated { score, .. } => Some(*score),
        _ => None,
    }) {
        credit_rating(&mut *tx, id, &state, score, now).await?;
    }
    // Once accepted, a chat is no longer offered to anyone.
    sqlx::query(
        "UPDATE chats SET state = $1, phase = $2, last_seq = $3, version = version + $4, \
         updated_at = $5, offered_to = CASE WHEN $2 = 'Waiting' THEN offered_to END WHERE id = $6",
    )
    .bind(serde_json::to_string(&state)?)
    .bind(phase_name(&state))
    .bind(seq)
    // A change only its actor may know of leaves no trace in the version either.
    .bind(i64::from(!stored.is_empty()))
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(Applied {
        events: stored,
        chat: chat_in(&mut *tx, id).await?,
        duplicate_of: None,
    })
}

fn department_conflict(name: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("A department named \"{name}\" already exists."))
        }
        other => other,
    }
}

#[async_trait]
impl Store for PgStore {
    async fn add_department(&self, name: &str, now: Millis) -> Result<Department, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO departments (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(department_conflict(name))?;
        Ok(Department {
            id,
            name: name.to_string(),
        })
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM departments ORDER BY lower(name)")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| Department { id, name })
            .collect())
    }

    async fn department(&self, id: i64) -> Result<Option<Department>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM departments WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, name)| Department { id, name }))
    }

    async fn add_staff(&self, staff: NewStaff, now: Millis) -> Result<Me, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO staff (name, email, password_hash, is_admin, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&staff.name)
        .bind(&staff.email)
        .bind(&staff.password_hash)
        .bind(staff.is_admin)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "A staff member with the email {} already exists.",
                staff.email
            )),
            other => other,
        })?;
        for department in &staff.department_ids {
            sqlx::query("INSERT INTO staff_departments (staff_id, department_id) VALUES ($1, $2)")
                .bind(id)
                .bind(department)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Me {
            id,
            name: staff.name,
            email: staff.email,
            is_admin: staff.is_admin,
        })
    }

    async fn staff_by_email(&self, email: &str) -> Result<Option<(Me, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, email, is_admin, password_hash FROM staff WHERE lower(email) = lower($1)",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let me: Me = <MeRow as sqlx::FromRow<_>>::from_row(&r)?.into();
            Ok((me, r.try_get("password_hash")?))
        })
        .transpose()
    }

    async fn add_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        now: Millis,
        expires_at: Millis,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(staff_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_staff(&self, token_hash: &str, now: Millis) -> Result<Option<Me>, StoreError> {
        let row: Option<MeRow> = sqlx::query_as(
            "SELECT s.id, s.name, s.email, s.is_admin FROM sessions x \
             JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = $1 AND x.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Me::from))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_chat(
        &self,
        chat: NewChat,
        first: Event,
        now: Millis,
    ) -> Result<(ChatSummary, StoredEvent), StoreError> {
        let state = ChatState::new();
        let mut tx = self.pool.begin().await?;
        let v = &chat.visitor;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO chats (token_hash, visitor_name, visitor_email, question, department_id, \
             page_url, phase, state, last_seq, version, created_at, updated_at, route) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 1, $9, $9, $10) RETURNING id",
        )
        .bind(&chat.token_hash)
        .bind(&v.name)
        .bind(&v.email)
        .bind(&v.question)
        .bind(v.department.as_ref().map(|d| d.id))
        .bind(&v.page_url)
        .bind(phase_name(&state))
        .bind(serde_json::to_string(&state)?)
        .bind(now)
        .bind(serde_json::to_string(&chat.route)?)
        .fetch_one(&mut *tx)
        .await?;
        let event = insert_event(&mut tx, id, 1, &first, None, now).await?;
        let summary = chat_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok((summary, event))
    }

    async fn chat_token_matches(&self, id: ChatId, token_hash: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM chats WHERE id = $1 AND token_hash = $2")
                .bind(id)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn chat(&self, id: ChatId) -> Result<Option<ChatSummary>, StoreError> {
        sqlx::query_as::<_, ChatRow>(&format!("{CHAT_COLUMNS} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(ChatSummary::try_from)
            .transpose()
    }

    async fn open_chats(&self) -> Result<Vec<ChatSummary>, StoreError> {
        rows::all(
            sqlx::query_as::<_, ChatRow>(&format!(
                "{CHAT_COLUMNS} WHERE c.phase <> 'Ended' ORDER BY c.created_at, c.id"
            ))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    async fn offering_chats(&self) -> Result<Vec<ChatSummary>, StoreError> {
        rows::all(
            sqlx::query_as::<_, ChatRow>(&format!(
                "{CHAT_COLUMNS} WHERE c.phase <> 'Ended' \
                 AND (c.state::jsonb -> 'forward' <> 'null' \
                 OR jsonb_array_length(c.state::jsonb -> 'invitations') > 0)"
            ))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    async fn waiting_chats(&self) -> Result<Vec<Waiting>, StoreError> {
        rows::all(
            sqlx::query_as::<_, WaitingRow>(WAITING_COLUMNS)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn active_loads(&self) -> Result<HashMap<StaffId, usize>, StoreError> {
        let rows: Vec<(StaffId, i64)> = sqlx::query_as(
            "SELECT (m -> 'staff' ->> 'id')::BIGINT AS staff, COUNT(*) \
             FROM chats c, jsonb_array_elements(c.state::jsonb -> 'members') m \
             WHERE c.phase = 'Active' AND m ->> 'role' IN ('Owner', 'Participant') \
             GROUP BY staff",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(s, n)| (s, n as usize)).collect())
    }

    async fn events_after(
        &self,
        id: ChatId,
        after: i64,
        staff_events: bool,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        rows::all(
            sqlx::query_as::<_, EventRow>(
                "SELECT seq, at, client_id, event FROM chat_events \
                 WHERE chat_id = $1 AND seq > $2 AND ($3 OR audience = 'everyone') ORDER BY seq",
            )
            .bind(id)
            .bind(after)
            .bind(staff_events)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    async fn events_before(
        &self,
        id: ChatId,
        before: i64,
        limit: usize,
        staff_events: bool,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        rows::newest_last(
            sqlx::query_as::<_, EventRow>(
                "SELECT seq, at, client_id, event FROM chat_events \
                 WHERE chat_id = $1 AND seq < $2 AND ($3 OR audience = 'everyone') \
                 ORDER BY seq DESC LIMIT $4",
            )
            .bind(id)
            .bind(before)
            .bind(staff_events)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    async fn apply(
        &self,
        id: ChatId,
        now: Millis,
        client_id: Option<&str>,
        audit: Option<AuditNote>,
        decide: &Decide<'_>,
    ) -> Result<Applied, StoreError> {
        let mut tx = self.pool.begin().await?;
        let applied = apply_in(&mut tx, id, now, client_id, audit, decide).await?;
        tx.commit().await?;
        Ok(applied)
    }

    async fn rating_average(&self, staff: StaffId) -> Result<Option<RatingAverage>, StoreError> {
        let (average, chats): (Option<f64>, i64) = sqlx::query_as(
            "SELECT avg(score)::float8, count(*) FROM chat_ratings WHERE staff_id = $1",
        )
        .bind(staff)
        .fetch_one(&self.pool)
        .await?;
        Ok(average.map(|average| RatingAverage { average, chats }))
    }

    async fn set_offers(&self, offers: &[(ChatId, Option<i64>)]) -> Result<(), StoreError> {
        if offers.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (chat, staff) in offers {
            sqlx::query(
                "UPDATE chats SET offered_to = $1, version = version + 1 \
                 WHERE id = $2 AND phase = 'Waiting'",
            )
            .bind(staff)
            .bind(chat)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
