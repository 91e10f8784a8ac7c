//! Group commit: many commands, over many chats, in one transaction of a fixed handful of
//! statements. Each statement is a round trip to the connection's thread, so this takes the
//! per-message cost from ~7 round trips to a share of at most 7. The rows travel as one JSON array
//! parameter (`json_each`), so each statement stays the same text, prepared once and cached.

use super::{credit_rating, CHAT_COLUMNS};
use crate::model::{ChatId, ChatSummary, StoredEvent};
use crate::rules::{self, Audience, Event};
use crate::server::rows::{audience_name, phase_name, ChatRow};
use crate::server::store::{Applied, Batched, StoreError};
use serde_json::json;
use sqlx::{Row, SqliteConnection};
use std::collections::HashMap;

/// The body of [`crate::server::store::Store::apply_batch`] inside the caller's transaction.
/// Outcomes are per command; an `Err` of the whole means the transaction must be rolled back.
pub(super) async fn apply_batch_in(
    tx: &mut SqliteConnection,
    batch: &[Batched<'_>],
) -> Result<Vec<Result<Applied, StoreError>>, StoreError> {
    let mut ids: Vec<ChatId> = batch.iter().map(|b| b.chat).collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<ChatRow> = sqlx::query_as(&format!(
        "{CHAT_COLUMNS} WHERE c.id IN (SELECT value FROM json_each(?))"
    ))
    .bind(json!(ids).to_string())
    .fetch_all(&mut *tx)
    .await?;
    let mut chats: HashMap<ChatId, ChatSummary> = HashMap::with_capacity(rows.len());
    for row in rows {
        let chat = ChatSummary::try_from(row)?;
        chats.insert(chat.id, chat);
    }

    // Client ids already stored: those commands are retries and store nothing.
    let keyed: Vec<(ChatId, &str)> = batch
        .iter()
        .filter_map(|b| b.client_id.map(|c| (b.chat, c)))
        .collect();
    let mut seen: HashMap<(ChatId, String), i64> = HashMap::new();
    if !keyed.is_empty() {
        let rows = sqlx::query(
            "SELECT e.chat_id, e.client_id, e.seq FROM json_each(?) j \
             CROSS JOIN chat_events e ON e.chat_id = j.value ->> 0 AND e.client_id = j.value ->> 1",
        )
        .bind(json!(keyed).to_string())
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            seen.insert(
                (row.try_get("chat_id")?, row.try_get("client_id")?),
                row.try_get("seq")?,
            );
        }
    }

    let mut out = Vec::with_capacity(batch.len());
    let mut new_rows = Vec::new();
    // Chats to write back, with the time of their last command. Most batches hold only
    // messages, which leave the chat's row as it was (see `last_seq!`).
    let mut changed: Vec<(ChatId, i64)> = Vec::new();
    for b in batch {
        let Some(chat) = chats.get_mut(&b.chat) else {
            out.push(Err(StoreError::NotFound));
            continue;
        };
        if let Some(&seq) = b.client_id.and_then(|c| seen.get(&(b.chat, c.to_string()))) {
            out.push(Ok(Applied {
                events: Vec::new(),
                chat: chat.clone(),
                duplicate_of: Some(seq),
            }));
            continue;
        }
        let decided = match (b.decide)(&chat.state) {
            Ok(events) => events,
            Err(refusal) => {
                out.push(Err(StoreError::Refused(refusal)));
                continue;
            }
        };
        let mut stored = Vec::with_capacity(decided.len());
        for event in &decided {
            rules::apply(&mut chat.state, event, b.now);
            if event.audience() != Audience::Actor {
                chat.last_seq += 1;
                let cid = matches!(event, Event::Message { .. })
                    .then_some(b.client_id)
                    .flatten();
                if let Some(c) = cid {
                    seen.insert((b.chat, c.to_string()), chat.last_seq);
                }
                new_rows.push(json!([
                    b.chat,
                    chat.last_seq,
                    audience_name(event.audience()),
                    cid,
                    serde_json::to_string(event)?,
                    b.now
                ]));
                stored.push(StoredEvent {
                    seq: chat.last_seq,
                    at: b.now,
                    client_id: cid.map(str::to_string),
                    event: event.clone(),
                });
            }
        }
        if let Some(score) = decided.iter().find_map(|e| match e {
            Event::Rated { score, .. } => Some(*score),
            _ => None,
        }) {
            credit_rating(&mut *tx, b.chat, &chat.state, score, b.now).await?;
        }
        // As in `apply_in`: a change only its actor may know of leaves the version alone, and
        // once accepted a chat is no longer offered to anyone.
        if !stored.is_empty() {
            chat.version += 1;
        }
        // A lone message raises the sequence and the version by one each, which the chat's
        // newest event already tells; anything else is written to the chat's row.
        let mut row_changed = stored.len() > 1
            || !decided
                .iter()
                .all(|e| matches!(e, Event::Message { .. } | Event::Attachment { .. }));
        if phase_name(&chat.state) != "Waiting" && chat.offered_to.is_some() {
            chat.offered_to = None;
            row_changed = true;
        }
        if row_changed {
            match changed.iter_mut().find(|(id, _)| *id == b.chat) {
                Some(entry) => entry.1 = b.now,
                None => changed.push((b.chat, b.now)),
            }
        }
        out.push(Ok(Applied {
            events: stored,
            chat: chat.clone(),
            duplicate_of: None,
        }));
    }

    if !new_rows.is_empty() {
        sqlx::query(
            "INSERT INTO chat_events (chat_id, seq, audience, client_id, event, at) \
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 \
             FROM json_each(?)",
        )
        .bind(serde_json::Value::Array(new_rows).to_string())
        .execute(&mut *tx)
        .await?;
    }
    if !changed.is_empty() {
        let updates = changed
            .iter()
            .map(|(id, at)| -> Result<serde_json::Value, StoreError> {
                let c = &chats[id];
                Ok(json!([
                    c.id,
                    serde_json::to_string(&c.state)?,
                    phase_name(&c.state),
                    c.last_seq,
                    c.version,
                    c.offered_to,
                    at
                ]))
            })
            .collect::<Result<Vec<_>, _>>()?;
        sqlx::query(
            "UPDATE chats SET state = j.value ->> 1, phase = j.value ->> 2, \
             last_seq = j.value ->> 3, version = j.value ->> 4, offered_to = j.value ->> 5, \
             updated_at = j.value ->> 6 FROM json_each(?) j WHERE chats.id = j.value ->> 0",
        )
        .bind(serde_json::Value::Array(updates).to_string())
        .execute(&mut *tx)
        .await?;
    }
    Ok(out)
}
