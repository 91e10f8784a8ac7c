//! Several nodes on one PostgreSQL: hints through LISTEN/NOTIFY, the queue lock, liveness and
//! presence.

use super::PgStore;
use crate::rules::{Millis, StaffId};
use crate::server::cluster::{Envelope, Heard, NodeId, NodeStore, QueueLock};
use crate::server::store::StoreError;
use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool};
use tokio::sync::mpsc;

/// The one channel every node listens on.
const CHANNEL: &str = "helpdesk_hints";
/// Most hints in one round trip.
const MAX_HINTS: usize = 256;
/// The advisory lock key of the queue ("hdqueue" in ASCII).
const QUEUE_LOCK: i64 = 0x6864_7175_6575_65;

/// Sends queued hints, in order, outside any chat transaction: a NOTIFY inside one would make
/// every commit wait on the database's notification queue lock. Everything queued while the
/// previous round was on its way goes in one statement.
pub(super) fn spawn_notifier(pool: PgPool) -> mpsc::UnboundedSender<String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_HINTS);
        while rx.recv_many(&mut batch, MAX_HINTS).await > 0 {
            let sent = sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
                .bind(CHANNEL)
                .bind(&batch)
                .execute(&pool)
                .await;
            // Another node that misses a hint shows a change late, never loses it: its sockets
            // re-read by sequence on their next change or reconnect.
            if let Err(e) = sent {
                tracing::warn!("{} hints to other nodes lost: {e}", batch.len());
            }
            batch.clear();
        }
    });
    tx
}

/// A listening connection, made again whenever it drops.
async fn listener(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Hears every node's hints on one connection. After the connection dropped, `Lost` comes
/// once a new connection listens, so that what was missed is re-read after that, not before.
async fn hear(pool: PgPool, out: mpsc::UnboundedSender<Heard>, mut listening: PgListener) {
    loop {
        let heard = match listening.try_recv().await {
            Ok(Some(note)) => match serde_json::from_str::<Envelope>(note.payload()) {
                Ok(envelope) => Heard::Hint(envelope),
                Err(e) => {
                    tracing::warn!("an unreadable hint: {e}");
                    continue;
                }
            },
            dropped => {
                if let Err(e) = dropped {
                    tracing::warn!("listening for other nodes: {e}");
                }
                loop {
                    if out.is_closed() {
                        return;
                    }
                    match listener(&pool).await {
                        Ok(l) => break listening = l,
                        Err(e) => tracing::warn!("listening for other nodes again: {e}"),
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                Heard::Lost
            }
        };
        if out.send(heard).is_err() {
            return;
        }
    }
}

#[async_trait]
impl NodeStore for PgStore {
    fn notify(&self, envelope: Envelope) {
        match serde_json::to_string(&envelope) {
            Ok(text) => {
                let _ = self.hints.send(text);
            }
            Err(e) => tracing::warn!("a hint that cannot be written: {e}"),
        }
    }

    async fn listen(&self) -> Result<Option<mpsc::UnboundedReceiver<Heard>>, StoreError> {
        let listening = listener(&self.pool).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(hear(self.pool.clone(), tx, listening));
        Ok(Some(rx))
    }

    async fn lock_queue(&self) -> Result<QueueLock, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(QUEUE_LOCK)
            .execute(&mut *tx)
            .await?;
        // Dropping the transaction rolls it back, which releases the lock.
        Ok(QueueLock::held(Box::new(tx)))
    }

    async fn heartbeat(
        &self,
        node: NodeId,
        present: &[StaffId],
        now: Millis,
        timeout: Millis,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let known = sqlx::query("UPDATE nodes SET seen_at = $2 WHERE id = $1")
            .bind(node)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if !known {
            sqlx::query(
                "INSERT INTO nodes (id, seen_at) VALUES ($1, $2) \
                 ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            )
            .bind(node)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM node_presence WHERE node_id = $1 AND staff_id <> ALL($2)")
            .bind(node)
            .bind(present)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO node_presence (node_id, staff_id) SELECT $1, unnest($2::bigint[]) \
             ON CONFLICT DO NOTHING",
        )
        .bind(node)
        .bind(present)
        .execute(&mut *tx)
        .await?;
        let forgotten = sqlx::query("DELETE FROM nodes WHERE seen_at < $1")
            .bind(now - timeout)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(forgotten > 0 || !known)
    }

    async fn present_elsewhere(
        &self,
        node: NodeId,
        now: Millis,
        timeout: Millis,
    ) -> Result<Vec<StaffId>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT p.staff_id FROM node_presence p JOIN nodes n ON n.id = p.node_id \
             WHERE n.id <> $1 AND n.seen_at >= $2",
        )
        .bind(node)
        .bind(now - timeout)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn leave(&self, node: NodeId, farewell: Envelope) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM nodes WHERE id = $1")
            .bind(node)
            .execute(&self.pool)
            .await?;
        // Directly, not through the notifier: the process is about to exit.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(serde_json::to_string(&farewell)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
