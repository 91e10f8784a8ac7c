//! In-process fan-out of stored chat changes to the sockets of this node.
//!
//! Only stored data goes through here, and a socket that lags behind its channel re-reads from
//! storage by sequence number, so a slow reader never loses events and never blocks a writer.

use crate::model::{ChatId, ChatSummary, StoredEvent};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// What one command changed in a chat: the stored events (possibly none) and the chat after it.
#[derive(Debug)]
pub struct Change {
    pub events: Vec<StoredEvent>,
    pub chat: ChatSummary,
}

const CHAT_CAPACITY: usize = 64;
const STAFF_CAPACITY: usize = 1024;

pub struct Hub {
    chats: Mutex<HashMap<ChatId, broadcast::Sender<Arc<Change>>>>,
    /// Every change of every chat, for the staff consoles' chat lists.
    staff: broadcast::Sender<Arc<Change>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Hub {
            chats: Mutex::new(HashMap::new()),
            staff: broadcast::channel(STAFF_CAPACITY).0,
        }
    }

    pub fn subscribe(&self, chat: ChatId) -> broadcast::Receiver<Arc<Change>> {
        let mut chats = self.chats.lock().expect("hub lock poisoned");
        chats
            .entry(chat)
            .or_insert_with(|| broadcast::channel(CHAT_CAPACITY).0)
            .subscribe()
    }

    pub fn subscribe_staff(&self) -> broadcast::Receiver<Arc<Change>> {
        self.staff.subscribe()
    }

    pub fn publish(&self, change: Change) {
        let change = Arc::new(change);
        let id = change.chat.id;
        {
            let mut chats = self.chats.lock().expect("hub lock poisoned");
            if let Some(tx) = chats.get(&id) {
                // No receivers left: forget the channel so idle chats cost nothing.
                if tx.send(change.clone()).is_err() {
                    chats.remove(&id);
                }
            }
        }
        let _ = self.staff.send(change);
    }

    /// Channels currently held, for tests and metrics.
    pub fn open_channels(&self) -> usize {
        self.chats.lock().expect("hub lock poisoned").len()
    }
}
