//! In-process fan-out of stored chat changes to the sockets of this node.
//!
//! Only stored data goes through here (typing aside, which is fleeting by nature), and a socket
//! that lags behind its channel re-reads from storage by sequence number, so a slow reader never
//! loses events and never blocks a writer.

use crate::model::{ChatId, ChatSettings, ChatSummary, Department, StaffEntry, StoredEvent};
use crate::rules::StaffId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

/// What one command changed in a chat: the stored events (possibly none) and the chat after it.
#[derive(Debug)]
pub struct Change {
    pub events: Vec<StoredEvent>,
    pub chat: ChatSummary,
    /// Set for a change only its actor may know of (an invisible join or leave): no other
    /// socket hears of it at all.
    pub only_for: Option<StaffId>,
}

impl Change {
    /// Plain messages in a chat that already existed change nothing a chat list shows.
    pub fn only_messages(&self) -> bool {
        let created = self.events.first().is_some_and(|e| e.seq == 1);
        !created
            && !self.events.is_empty()
            && self
                .events
                .iter()
                .all(|e| matches!(e.event, crate::rules::Event::Message { .. }))
    }
}

/// Staff and departments as every console shows them (with live presence).
#[derive(Clone, Debug, Default)]
pub struct Directory {
    pub staff: Vec<StaffEntry>,
    pub departments: Vec<Department>,
}

impl Directory {
    pub fn staff(&self, id: StaffId) -> Option<&StaffEntry> {
        self.staff.iter().find(|s| s.id == id)
    }
}

#[derive(Debug)]
pub enum Signal {
    Change(Change),
    /// Someone is typing in a chat; `staff` is None for the visitor.
    Typing {
        chat: ChatId,
        name: String,
        staff: Option<StaffId>,
        typing: bool,
    },
    /// Staff-wide: the directory or someone's presence changed.
    Directory(Arc<Directory>),
    /// Changes may have been missed (another node's hints were lost): every socket re-reads
    /// from storage, as after lagging behind.
    Resync,
}

const CHAT_CAPACITY: usize = 64;
const STAFF_CAPACITY: usize = 1024;

pub struct Hub {
    chats: Mutex<HashMap<ChatId, broadcast::Sender<Arc<Signal>>>>,
    /// Every change of every chat, and directory updates, for the staff consoles.
    staff: broadcast::Sender<Arc<Signal>>,
    /// The live chat settings: every socket, staff or visitor, holds a receiver. Only the
    /// latest value matters, so a socket that misses an update simply reads the newest.
    settings: watch::Sender<ChatSettings>,
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
            settings: watch::Sender::new(ChatSettings::default()),
        }
    }

    pub fn settings(&self) -> ChatSettings {
        *self.settings.borrow()
    }

    pub fn subscribe_settings(&self) -> watch::Receiver<ChatSettings> {
        self.settings.subscribe()
    }

    pub fn set_settings(&self, settings: ChatSettings) {
        self.settings.send_replace(settings);
    }

    pub fn subscribe(&self, chat: ChatId) -> broadcast::Receiver<Arc<Signal>> {
        let mut chats = self.chats.lock().expect("hub lock poisoned");
        chats
            .entry(chat)
            .or_insert_with(|| broadcast::channel(CHAT_CAPACITY).0)
            .subscribe()
    }

    pub fn subscribe_staff(&self) -> broadcast::Receiver<Arc<Signal>> {
        self.staff.subscribe()
    }

    fn to_chat(&self, chat: ChatId, signal: &Arc<Signal>) {
        let mut chats = self.chats.lock().expect("hub lock poisoned");
        if let Some(tx) = chats.get(&chat) {
            // No receivers left: forget the channel so idle chats cost nothing.
            if tx.send(signal.clone()).is_err() {
                chats.remove(&chat);
            }
        }
    }

    pub fn publish(&self, change: Change) {
        let chat = change.chat.id;
        let for_lists = !change.only_messages();
        let signal = Arc::new(Signal::Change(change));
        self.to_chat(chat, &signal);
        // Consoles' chat lists do not change with a message: spare every staff socket the wake-up.
        if for_lists {
            let _ = self.staff.send(signal);
        }
    }

    pub fn typing(&self, chat: ChatId, name: String, staff: Option<StaffId>, typing: bool) {
        let signal = Arc::new(Signal::Typing {
            chat,
            name,
            staff,
            typing,
        });
        self.to_chat(chat, &signal);
    }

    /// Tells every socket to re-read what it shows from storage.
    pub fn resync(&self) {
        let signal = Arc::new(Signal::Resync);
        let chats: Vec<_> = {
            let chats = self.chats.lock().expect("hub lock poisoned");
            chats.keys().copied().collect()
        };
        for chat in chats {
            self.to_chat(chat, &signal);
        }
        let _ = self.staff.send(signal);
    }

    pub fn directory(&self, directory: Arc<Directory>) {
        let _ = self.staff.send(Arc::new(Signal::Directory(directory)));
    }
}
