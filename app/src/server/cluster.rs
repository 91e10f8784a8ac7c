//! Several server nodes on one database. Each node fans out to its own sockets through its
//! [`Hub`]; what one node stores reaches the others as a [`Hint`]: ids only, sent after the
//! transaction committed, never inside it. A node that hears a hint re-reads what it names from
//! storage, so a hint can be lost without losing data: a node whose listening connection dropped
//! resynchronises every socket from storage before it trusts hints again.
//!
//! With one node (SQLite) every [`NodeStore`] method is a no-op and nothing here costs anything.

use super::hub::{Change, Hub};
use super::store::{Store, StoreError};
use crate::model::ChatId;
use crate::rules::{Millis, StaffId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// A server process, random per start: a restarted node is a new node.
pub type NodeId = i64;

/// What changed, by id: the hearing node reads the rest from storage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Hint {
    /// A chat changed; `seqs` are the first and last new event (none for a change of state
    /// alone). `requeue`: the change may move the queue, so every node dispatches again.
    Chat {
        chat: ChatId,
        seqs: Option<(i64, i64)>,
        only_for: Option<StaffId>,
        requeue: bool,
    },
    /// Someone typing: `staff` is None for the visitor.
    Typing {
        chat: ChatId,
        staff: Option<StaffId>,
        typing: bool,
    },
    /// Staff, departments or presence changed: reload the directory and dispatch.
    Directory,
    /// The live chat settings changed.
    Settings,
}

/// A hint as sent: who sent it (a node ignores its own) and a counter, so that the database
/// never folds two equal hints of one transaction into one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub node: NodeId,
    pub n: u64,
    pub hint: Hint,
}

/// What the listening side hears.
#[derive(Debug)]
pub enum Heard {
    Hint(Envelope),
    /// The listening connection dropped and is back: hints may have been missed.
    Lost,
}

/// How often a node says it is alive, and after how long without a word it counts as gone
/// (its staff go offline, their chats are offered to others).
#[derive(Clone, Copy, Debug)]
pub struct Liveness {
    pub heartbeat: Duration,
    pub timeout: Duration,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness {
            heartbeat: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
        }
    }
}

/// Held while one node dispatches the queue, so offers are decided by one node at a time.
/// Dropping it releases the lock.
pub struct QueueLock {
    /// Kept only to be dropped with the lock.
    _guard: Option<Box<dyn Send + Sync>>,
}

impl QueueLock {
    /// The lock of a backend with one node: the node's own mutex is enough.
    pub fn local() -> Self {
        QueueLock { _guard: None }
    }

    pub fn held(guard: Box<dyn Send + Sync>) -> Self {
        QueueLock {
            _guard: Some(guard),
        }
    }
}

/// What several nodes share besides the data. The defaults are those of a single node.
#[async_trait]
pub trait NodeStore: Send + Sync {
    /// Queues the hint for every other node; sent after the caller's transaction, in order.
    fn notify(&self, _envelope: Envelope) {}

    /// Starts hearing other nodes' hints; `None` when there are no other nodes.
    async fn listen(&self) -> Result<Option<mpsc::UnboundedReceiver<Heard>>, StoreError> {
        Ok(None)
    }

    /// Waits for the cluster-wide queue lock.
    async fn lock_queue(&self) -> Result<QueueLock, StoreError> {
        Ok(QueueLock::local())
    }

    /// Records that `node` is alive with `present` staff on it, and forgets nodes silent for
    /// longer than `timeout`. Returns whether the live nodes changed: some were forgotten, or
    /// `node` itself had been (it fell silent too long) and is back.
    async fn heartbeat(
        &self,
        _node: NodeId,
        _present: &[StaffId],
        _now: Millis,
        _timeout: Millis,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// Staff with a console open on another live node.
    async fn present_elsewhere(
        &self,
        _node: NodeId,
        _now: Millis,
        _timeout: Millis,
    ) -> Result<Vec<StaffId>, StoreError> {
        Ok(Vec::new())
    }

    /// Forgets `node` at once (a clean stop), so its staff need not wait for the timeout, and
    /// sends `farewell` before returning.
    async fn leave(&self, _node: NodeId, _farewell: Envelope) -> Result<(), StoreError> {
        Ok(())
    }
}

/// This node's identity.
pub struct Cluster {
    pub node: NodeId,
    sent: AtomicU64,
}

impl Default for Cluster {
    fn default() -> Self {
        Cluster {
            node: (rand::random::<u64>() >> 1) as i64,
            sent: AtomicU64::new(0),
        }
    }
}

impl Cluster {
    /// Sends `hint` to every other node.
    pub fn tell(&self, store: &dyn Store, hint: Hint) {
        store.notify(Envelope {
            node: self.node,
            n: self.sent.fetch_add(1, Ordering::Relaxed),
            hint,
        });
    }

    /// Fans a stored change out to this node's sockets and hints it to the others.
    pub fn publish(&self, hub: &Hub, store: &dyn Store, change: Change, requeue: bool) {
        let hint = Hint::Chat {
            chat: change.chat.id,
            seqs: change
                .events
                .first()
                .zip(change.events.last())
                .map(|(a, b)| (a.seq, b.seq)),
            only_for: change.only_for,
            requeue,
        };
        hub.publish(change);
        self.tell(store, hint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_fit_a_notification_and_read_back_the_same() {
        let hints = [
            Hint::Chat {
                chat: 7,
                seqs: Some((3, 5)),
                only_for: Some(2),
                requeue: true,
            },
            Hint::Typing {
                chat: 7,
                staff: None,
                typing: true,
            },
            Hint::Directory,
            Hint::Settings,
        ];
        for hint in hints {
            let envelope = Envelope {
                node: i64::MAX,
                n: u64::MAX,
                hint,
            };
            let text = serde_json::to_string(&envelope).unwrap();
            // PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more.
            assert!(text.len() < 200, "{text}");
            assert_eq!(serde_json::from_str::<Envelope>(&text).unwrap(), envelope);
        }
    }
}
