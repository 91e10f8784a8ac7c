//! The SQLite backend: all of its SQL lives here.
//!
//! Writes go through a pool of one connection, so SQLite never has to arbitrate between writers
//! of this process; reads use a separate pool and run beside them thanks to WAL. A third
//! connection checkpoints the WAL in the background, so no commit waits for that copy.

use super::rows::{
    self, audience_name, chat_columns, phase_name, ChatRow, EventRow, MeRow, WaitingRow,
    WAITING_COLUMNS,
};
use super::store::{Applied, AuditNote, Batched, Decide, NewChat, NewStaff, Store, StoreError};
use crate::model::{ChatId, ChatSummary, Department, Me, RatingAverage, StoredEvent};
use crate::routing::Waiting;
use crate::rules::{self, Audience, ChatState, Event, Millis, StaffId};
use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

mod admin;
mod articles;
mod attachments;
mod batch;
mod tickets;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// How often the background checkpoint copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// A chat's last sequence number. A message (or an attachment) only adds its event row: the
/// chat's own row keeps `last_seq` and `version` as of its last other change, so the common write
/// dirties one page fewer in the WAL and in every checkpoint's sync. Each such event raised both
/// counters by one, so the chat's newest event gives the current values.
macro_rules! last_seq {
    () => {
        "coalesce((SELECT max(e.seq) FROM chat_events e WHERE e.chat_id = c.id), c.last_seq)"
    };
}

/// A chat's version: the stored one plus the messages stored since (see [`last_seq!`]).
macro_rules! version {
    () => {
        concat!("c.version + ", last_seq!(), " - c.last_seq")
    };
}

const CHAT_COLUMNS: &str = chat_columns!(last_seq!(), version!());

pub struct SqliteStore {
    /// The one connection that writes: SQLite takes one writer at a time. A pool of one did the
    /// same, but pinged the connection's thread on every acquire and every release, two round
    /// trips more for each write.
    write: tokio::sync::Mutex<SqliteConnection>,
    read: SqlitePool,
    checkpoints: tokio::task::AbortHandle,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpoints.abort();
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_string())
            }
            _ => StoreError::Db(e.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Db(format!("stored JSON: {e}"))
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Statement journals (a multi-row UPDATE in a transaction keeps one) stay in memory:
            // in a file they were one pwrite per changed page, 8 % of the writer's time.
            .pragma("temp_store", "memory");
        // The writer checkpoints only as a backstop, far past the default of 1,000 pages:
        // checkpoints run on a connection of their own. The WAL starts over only after a
        // checkpoint that copied all of it, which under steady writes is the writer's own, so
        // the backstop sets how often a commit waits for one (every 12–20 s at 5,000 msg/s).
        let mut write = options
            .clone()
            .pragma("wal_autocheckpoint", "65536")
            .connect()
            .await?;
        MIGRATOR
            .run(&mut write)
            .await
            .map_err(|e| StoreError::Db(format!("migrations: {e}")))?;
        // A connection to a local file cannot go stale: no ping before each read.
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.clone().read_only(true))
            .await?;
        let checkpointer = options.connect().await?;
        let checkpoints = tokio::spawn(checkpoint(checkpointer)).abort_handle();
        Ok(Self {
            write: tokio::sync::Mutex::new(write),
            read,
            checkpoints,
        })
    }
}

/// Copies committed pages from the WAL into the database file, beside the writer. Left to the
/// writer, this copy and its fsync ran inside a commit every 1,000 pages, which with a few
/// hundred chats per batch meant nearly every other batch. PASSIVE never waits for the writer
/// or a reader; what it cannot copy now is copied on a later tick.
async fn checkpoint(mut conn: SqliteConnection) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut conn)
            .await
        {
            tracing::warn!("background checkpoint: {e}");
        }
    }
}

async fn chat_in(conn: &mut SqliteConnection, id: ChatId) -> Result<ChatSummary, StoreError> {
    sqlx::query_as::<_, ChatRow>(&format!("{CHAT_COLUMNS} WHERE c.id = ?"))
        .bind(id)
        .fetch_one(conn)
        .await?
        .try_into()
}

async fn insert_event(
    conn: &mut SqliteConnection,
    chat: ChatId,
    seq: i64,
    event: &Event,
    client_id: Option<&str>,
    at: Millis,
) -> Result<StoredEvent, StoreError> {
    sqlx::query(
        "INSERT INTO chat_events (chat_id, seq, audience, client_id, event, at) \
         VALUES (?, ?, ?, ?, ?, ?)",
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
    conn: &mut SqliteConnection,
    chat: Option<ChatId>,
    note: &AuditNote,
    at: Millis,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, staff_id, staff_name, chat_id, op, detail) VALUES (?, ?, ?, ?, ?, ?)",
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

/// Records a chat's newest rating for every staff member the visitor sees in it, replacing an
/// earlier answer in the same chat, so each chat counts once in a staff member's average.
async fn credit_rating(
    conn: &mut SqliteConnection,
    chat: ChatId,
    state: &ChatState,
    score: u8,
    at: Millis,
) -> Result<(), StoreError> {
    for member in state.visible_staff() {
        sqlx::query(
            "INSERT INTO chat_ratings (chat_id, staff_id, score, at) VALUES (?, ?, ?, ?) \
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

/// The body of [`Store::apply`] inside a caller's transaction, so that other writes (a ticket)
/// can commit together with the chat's events.
pub(super) async fn apply_in(
    tx: &mut SqliteConnection,
    id: ChatId,
    now: Millis,
    client_id: Option<&str>,
    audit: Option<AuditNote>,
    decide: &Decide<'_>,
) -> Result<Applied, StoreError> {
    if let Some(client_id) = client_id {
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM chat_events WHERE chat_id = ? AND client_id = ?")
                .bind(id)
                .bind(client_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(seq) = seen {
            let chat = chat_in(&mut *tx, id).await?;
            return Ok(Applied {
                events: Vec::new(),
                chat,
                duplicate_of: Some(seq),
            });
        }
    }
    let row = sqlx::query(concat!(
        "SELECT c.state, ",
        last_seq!(),
        " AS last_seq, ",
        version!(),
        " AS version FROM chats c WHERE c.id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut state: ChatState = serde_json::from_str(row.try_get::<&str, _>("state")?)?;
    let mut seq: i64 = row.try_get("last_seq")?;
    let version: i64 = row.try_get("version")?;
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
        "UPDATE chats SET state = ?, phase = ?, last_seq = ?, version = ?, \
         updated_at = ?, offered_to = CASE WHEN ? = 'Waiting' THEN offered_to END WHERE id = ?",
    )
    .bind(serde_json::to_string(&state)?)
    .bind(phase_name(&state))
    .bind(seq)
    // A change only its actor may know of leaves no trace in the version either.
    .bind(version + i64::from(!stored.is_empty()))
    .bind(now)
    .bind(phase_name(&state))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let chat = chat_in(&mut *tx, id).await?;
    Ok(Applied {
        events: stored,
        chat,
        duplicate_of: None,
    })
}

/// One process owns a SQLite file: a single node, so the defaults (no other nodes) hold.
impl crate::server::cluster::NodeStore for SqliteStore {}

#[async_trait]
impl Store for SqliteStore {
    async fn add_department(&self, name: &str, now: Millis) -> Result<Department, StoreError> {
        let id = sqlx::query("INSERT INTO departments (name, created_at) VALUES (?, ?)")
            .bind(name)
            .bind(now)
            .execute(&mut *self.write.lock().await)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("A department named \"{name}\" already exists."))
                }
                other => other,
            })?
            .last_insert_rowid();
        Ok(Department {
            id,
            name: name.to_string(),
        })
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let rows = sqlx::query("SELECT id, name FROM departments ORDER BY name")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Department {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    async fn department(&self, id: i64) -> Result<Option<Department>, StoreError> {
        let row = sqlx::query("SELECT id, name FROM departments WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Department {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .transpose()
    }

    async fn add_staff(&self, staff: NewStaff, now: Millis) -> Result<Me, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let id = sqlx::query(
            "INSERT INTO staff (name, email, password_hash, is_admin, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&staff.name)
        .bind(&staff.email)
        .bind(&staff.password_hash)
        .bind(staff.is_admin)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "A staff member with the email {} already exists.",
                staff.email
            )),
            other => other,
        })?
        .last_insert_rowid();
        for department in &staff.department_ids {
            sqlx::query("INSERT INTO staff_departments (staff_id, department_id) VALUES (?, ?)")
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
            "SELECT id, name, email, is_admin, password_hash FROM staff WHERE email = ?",
        )
        .bind(email)
        .fetch_optional(&self.read)
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
            "INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(staff_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *self.write.lock().await)
        .await?;
        Ok(())
    }

    async fn session_staff(&self, token_hash: &str, now: Millis) -> Result<Option<Me>, StoreError> {
        let row: Option<MeRow> = sqlx::query_as(
            "SELECT s.id, s.name, s.email, s.is_admin FROM sessions x \
             JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = ? AND x.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(Me::from))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&mut *self.write.lock().await)
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
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let v = &chat.visitor;
        let id = sqlx::query(
            "INSERT INTO chats (token_hash, visitor_name, visitor_email, question, department_id, \
             page_url, phase, state, last_seq, version, created_at, updated_at, route) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?)",
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
        .bind(now)
        .bind(serde_json::to_string(&chat.route)?)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        let event = insert_event(&mut tx, id, 1, &first, None, now).await?;
        let summary = chat_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok((summary, event))
    }

    async fn chat_token_matches(&self, id: ChatId, token_hash: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM chats WHERE id = ? AND token_hash = ?")
                .bind(id)
                .bind(token_hash)
                .fetch_optional(&self.read)
                .await?;
        Ok(found.is_some())
    }

    async fn chat(&self, id: ChatId) -> Result<Option<ChatSummary>, StoreError> {
        sqlx::query_as::<_, ChatRow>(&format!("{CHAT_COLUMNS} WHERE c.id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .map(ChatSummary::try_from)
            .transpose()
    }

    async fn open_chats(&self) -> Result<Vec<ChatSummary>, StoreError> {
        rows::all(
            sqlx::query_as::<_, ChatRow>(&format!(
                "{CHAT_COLUMNS} WHERE c.phase <> 'Ended' ORDER BY c.created_at, c.id"
            ))
            .fetch_all(&self.read)
            .await?,
        )
    }

    async fn offering_chats(&self) -> Result<Vec<ChatSummary>, StoreError> {
        // The same terms as the partial index `chats_offering`, so SQLite reads only that.
        rows::all(
            sqlx::query_as::<_, ChatRow>(&format!(
                "{CHAT_COLUMNS} WHERE c.phase <> 'Ended' AND (c.state ->> '$.forward' IS NOT NULL \
                 OR c.state ->> '$.invitations[0]' IS NOT NULL)"
            ))
            .fetch_all(&self.read)
            .await?,
        )
    }

    async fn waiting_chats(&self) -> Result<Vec<Waiting>, StoreError> {
        rows::all(
            sqlx::query_as::<_, WaitingRow>(WAITING_COLUMNS)
                .fetch_all(&self.read)
                .await?,
        )
    }

    async fn active_loads(&self) -> Result<HashMap<StaffId, usize>, StoreError> {
        let rows: Vec<(StaffId, i64)> =
            sqlx::query_as("SELECT staff_id, COUNT(*) FROM chat_loads GROUP BY staff_id")
                .fetch_all(&self.read)
                .await?;
        Ok(rows.into_iter().map(|(s, n)| (s, n as usize)).collect())
    }

    async fn events_after(
        &self,
        id: ChatId,
        after: i64,
        staff_events: bool,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT seq, at, client_id, event FROM chat_events \
             WHERE chat_id = ? AND seq > ? AND (? OR audience = 'everyone') ORDER BY seq",
        )
        .bind(id)
        .bind(after)
        .bind(staff_events)
        .fetch_all(&self.read)
        .await?;
        rows::all(rows)
    }

    async fn events_before(
        &self,
        id: ChatId,
        before: i64,
        limit: usize,
        staff_events: bool,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT seq, at, client_id, event FROM chat_events \
             WHERE chat_id = ? AND seq < ? AND (? OR audience = 'everyone') \
             ORDER BY seq DESC LIMIT ?",
        )
        .bind(id)
        .bind(before)
        .bind(staff_events)
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?;
        rows::newest_last(rows)
    }

    async fn apply(
        &self,
        id: ChatId,
        now: Millis,
        client_id: Option<&str>,
        audit: Option<AuditNote>,
        decide: &Decide<'_>,
    ) -> Result<Applied, StoreError> {
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        let applied = apply_in(&mut tx, id, now, client_id, audit, decide).await?;
        tx.commit().await?;
        Ok(applied)
    }

    async fn apply_batch(&self, batch: &[Batched<'_>]) -> Vec<Result<Applied, StoreError>> {
        let together = async {
            let mut conn = self.write.lock().await;
            let mut tx = conn.begin().await?;
            let out = batch::apply_batch_in(&mut tx, batch).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(out)
        };
        match together.await {
            Ok(out) => out,
            // The transaction was rolled back: one by one, only the command at fault fails.
            Err(_) => super::store::apply_each(self, batch).await,
        }
    }

    async fn rating_average(&self, staff: StaffId) -> Result<Option<RatingAverage>, StoreError> {
        let row = sqlx::query(
            "SELECT avg(score) AS average, count(*) AS chats FROM chat_ratings WHERE staff_id = ?",
        )
        .bind(staff)
        .fetch_one(&self.read)
        .await?;
        let chats: i64 = row.try_get("chats")?;
        Ok((chats > 0)
            .then(|| row.try_get("average"))
            .transpose()?
            .map(|average| RatingAverage { average, chats }))
    }

    async fn set_offers(&self, offers: &[(ChatId, Option<i64>)]) -> Result<(), StoreError> {
        if offers.is_empty() {
            return Ok(());
        }
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
        for (chat, staff) in offers {
            sqlx::query(
                "UPDATE chats SET offered_to = ?, version = version + 1 WHERE id = ? AND phase = 'Waiting'",
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
