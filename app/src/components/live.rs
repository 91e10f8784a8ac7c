//! The browser's side of the live socket: one per tab, shared by the console and the widget.
//!
//! It reconnects by itself with backoff, re-watches its chats from the last sequence it holds,
//! and re-sends unacknowledged messages under their original ids, so nothing is lost or doubled.

use crate::model::{ChatId, ChatSummary, Department, StaffEntry, StoredEvent};
use crate::protocol::{ClientFrame, ErrorCode, ServerFrame, VisitorAuth};
use leptos::prelude::*;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    Connecting,
    Open,
    /// Lost; trying again.
    Retrying,
}

/// A chat's events as this tab has them, in sequence order, each once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    pub events: Vec<StoredEvent>,
    /// The server holds readable events before the first of these (history comes in pages).
    pub earlier: bool,
}

impl Transcript {
    pub fn last_seq(&self) -> i64 {
        self.events.last().map_or(0, |e| e.seq)
    }

    /// Adds the events not held yet, keeping sequence order. `earlier` is the frame's word on
    /// older history, which counts only when the frame reaches back past what was held.
    pub fn merge(&mut self, incoming: Vec<StoredEvent>, earlier: bool) {
        if let Some(first) = incoming.first() {
            if self.events.first().is_none_or(|held| first.seq < held.seq) {
                self.earlier = earlier;
            }
        }
        for event in incoming {
            if let Err(at) = self.events.binary_search_by_key(&event.seq, |e| e.seq) {
                self.events.insert(at, event);
            }
        }
    }

    pub fn has_client_id(&self, id: &str) -> bool {
        self.events
            .iter()
            .rev()
            .any(|e| e.client_id.as_deref() == Some(id))
    }
}

/// A message sent from this tab and not yet seen back as a stored event.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub chat_id: ChatId,
    pub client_id: String,
    pub body: String,
    pub error: Option<String>,
}

type Sender = futures::channel::mpsc::UnboundedSender<ClientFrame>;

#[derive(Clone, Copy)]
pub struct Live {
    pub conn: RwSignal<Conn>,
    pub chats: RwSignal<HashMap<ChatId, ChatSummary>>,
    pub transcripts: RwSignal<HashMap<ChatId, Transcript>>,
    pub pending: RwSignal<Vec<Pending>>,
    /// Set when the server refuses this tab's credentials; the socket then stops retrying.
    pub refused: RwSignal<Option<ErrorCode>>,
    pub notice: RwSignal<Option<String>>,
    /// Staff only: colleagues with live presence, and the departments.
    pub staff: RwSignal<Vec<StaffEntry>>,
    pub departments: RwSignal<Vec<Department>>,
    /// Whether this portal shows the `Emojis` button (live chat settings); off until the server
    /// says, so a portal where they are off never shows the button at all.
    pub emojis: RwSignal<bool>,
    /// Whether this portal shows the `Attachment` button, and the largest file the server takes
    /// (live chat settings); off until the server says.
    pub attachments: RwSignal<bool>,
    pub max_file_bytes: RwSignal<u64>,
    /// Who is typing in each chat, with a stamp so a lost "stopped" frame still clears.
    pub typing: RwSignal<HashMap<ChatId, Vec<(String, u64)>>>,
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    visitor: StoredValue<Option<VisitorAuth>>,
    watched: StoredValue<Vec<ChatId>>,
    out: StoredValue<Option<Sender>>,
}

impl Live {
    pub fn new(visitor: Option<VisitorAuth>) -> Self {
        Live {
            conn: RwSignal::new(Conn::Connecting),
            chats: RwSignal::new(HashMap::new()),
            transcripts: RwSignal::new(HashMap::new()),
            pending: RwSignal::new(Vec::new()),
            refused: RwSignal::new(None),
            notice: RwSignal::new(None),
            staff: RwSignal::new(Vec::new()),
            departments: RwSignal::new(Vec::new()),
            emojis: RwSignal::new(false),
            attachments: RwSignal::new(false),
            max_file_bytes: RwSignal::new(0),
            typing: RwSignal::new(HashMap::new()),
            visitor: StoredValue::new(visitor),
            watched: StoredValue::new(Vec::new()),
            out: StoredValue::new(None),
        }
    }

    pub fn transcript(&self, chat: ChatId) -> Vec<StoredEvent> {
        self.transcripts
            .with(|t| t.get(&chat).map(|t| t.events.clone()).unwrap_or_default())
    }

    pub fn pending_for(&self, chat: ChatId) -> Vec<Pending> {
        self.pending
            .with(|p| p.iter().filter(|p| p.chat_id == chat).cloned().collect())
    }

    fn last_seq(&self, chat: ChatId) -> i64 {
        self.transcripts
            .with_untracked(|t| t.get(&chat).map_or(0, Transcript::last_seq))
    }

    fn push(&self, frame: ClientFrame) {
        self.out.with_value(|out| {
            if let Some(tx) = out {
                let _ = tx.unbounded_send(frame);
            }
        });
    }

    /// Receive this chat's events from now on (and everything after what this tab holds).
    pub fn watch(&self, chat_id: ChatId) {
        let known = self.watched.with_value(|w| w.contains(&chat_id));
        if !known {
            self.watched.update_value(|w| w.push(chat_id));
        }
        let after = self.last_seq(chat_id);
        self.push(ClientFrame::Watch { chat_id, after });
    }

    /// Whether the server holds older events of this chat than the tab has.
    pub fn has_earlier(&self, chat: ChatId) -> bool {
        self.transcripts
            .with(|t| t.get(&chat).is_some_and(|t| t.earlier))
    }

    /// Asks for the page of history before the oldest event held.
    pub fn load_earlier(&self, chat_id: ChatId) {
        let before = self.transcripts.with_untracked(|t| {
            t.get(&chat_id)
                .and_then(|t| t.events.first())
                .map(|e| e.seq)
        });
        if let Some(before) = before {
            self.push(ClientFrame::Earlier { chat_id, before });
        }
    }

    pub fn send(&self, chat_id: ChatId, body: String) {
        let client_id = new_client_id();
        self.pending.update(|p| {
            p.push(Pending {
                chat_id,
                client_id: client_id.clone(),
                body: body.clone(),
                error: None,
            })
        });
        self.push(ClientFrame::Send {
            chat_id,
            client_id,
            body,
        });
    }

    /// Names typing in this chat now.
    pub fn typing_in(&self, chat: ChatId) -> Vec<String> {
        self.typing.with(|t| {
            t.get(&chat)
                .map(|v| v.iter().map(|(n, _)| n.clone()).collect())
                .unwrap_or_default()
        })
    }

    /// Tells the others this tab's user is typing (or stopped).
    pub fn set_typing(&self, chat_id: ChatId, typing: bool) {
        self.push(ClientFrame::Typing { chat_id, typing });
    }

    pub fn dismiss(&self, client_id: &str) {
        self.pending
            .update(|p| p.retain(|x| x.client_id != client_id));
    }

    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    fn handle(&self, frame: ServerFrame) {
        match frame {
            ServerFrame::Ready => {
                self.conn.set(Conn::Open);
                self.notice.set(None);
            }
            ServerFrame::Events {
                chat_id,
                events,
                earlier,
            } => {
                self.transcripts
                    .update(|t| t.entry(chat_id).or_default().merge(events, earlier));
                let arrived: Vec<String> = self.transcripts.with_untracked(|t| {
                    let t = &t[&chat_id];
                    self.pending.with_untracked(|p| {
                        p.iter()
                            .filter(|p| p.chat_id == chat_id && t.has_client_id(&p.client_id))
                            .map(|p| p.client_id.clone())
                            .collect()
                    })
                });
                if !arrived.is_empty() {
                    self.pending
                        .update(|p| p.retain(|x| !arrived.contains(&x.client_id)));
                }
            }
            ServerFrame::Chats { chats } => {
                self.chats
                    .set(chats.into_iter().map(|c| (c.id, c)).collect());
            }
            ServerFrame::MoreChats { chats } => {
                self.chats
                    .update(|m| m.extend(chats.into_iter().map(|c| (c.id, c))));
            }
            ServerFrame::ChatChanged { chat } => {
                // A watch sends the chat as it is, which the tab often holds already: an
                // unchanged chat would still re-run everything that reads the list.
                let newer = self.chats.with_untracked(|m| {
                    m.get(&chat.id)
                        .is_none_or(|old| old.version <= chat.version && *old != chat)
                });
                if newer {
                    self.chats.update(|m| {
                        m.insert(chat.id, chat);
                    });
                }
            }
            ServerFrame::Directory { staff, departments } => {
                self.staff.set(staff);
                self.departments.set(departments);
            }
            ServerFrame::Typing {
                chat_id,
                name,
                typing,
            } => self.on_typing(chat_id, name, typing),
            ServerFrame::Settings {
                emojis,
                attachments,
                max_file_bytes,
            } => {
                self.emojis.set(emojis);
                self.attachments.set(attachments);
                self.max_file_bytes.set(max_file_bytes);
            }
            ServerFrame::Ack { .. } | ServerFrame::Pong => {}
            ServerFrame::Error {
                code,
                message,
                client_id,
            } => match client_id {
                Some(id) => self.pending.update(|p| {
                    if let Some(p) = p.iter_mut().find(|p| p.client_id == id) {
                        p.error = Some(message);
                    }
                }),
                None if matches!(code, ErrorCode::Unauthorized | ErrorCode::NotFound) => {
                    self.refused.set(Some(code))
                }
                None => self.notice.set(Some(message)),
            },
        }
    }

    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    fn on_typing(&self, chat: ChatId, name: String, typing: bool) {
        static STAMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let stamp = STAMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.typing.update(|t| {
            let list = t.entry(chat).or_default();
            list.retain(|(n, _)| *n != name);
            if typing {
                list.push((name.clone(), stamp));
            }
        });
        #[cfg(feature = "browser")]
        if typing {
            // Clear it after a while unless a newer signal from the same person came meanwhile.
            let live = *self;
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(6_000).await;
                let _ = live.typing.try_update(|t| {
                    if let Some(list) = t.get_mut(&chat) {
                        list.retain(|(n, s)| !(*n == name && *s == stamp));
                    }
                });
            });
        }
    }

    /// Frames that bring a fresh socket up to date: greeting, watches, unacknowledged sends.
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    fn greeting(&self) -> Vec<ClientFrame> {
        let mut frames = vec![ClientFrame::Hello {
            visitor: self.visitor.get_value(),
        }];
        for chat_id in self.watched.get_value() {
            frames.push(ClientFrame::Watch {
                chat_id,
                after: self.last_seq(chat_id),
            });
        }
        self.pending.with_untracked(|p| {
            for p in p.iter().filter(|p| p.error.is_none()) {
                frames.push(ClientFrame::Send {
                    chat_id: p.chat_id,
                    client_id: p.client_id.clone(),
                    body: p.body.clone(),
                });
            }
        });
        frames
    }

    /// Starts the socket. Does nothing during server rendering.
    pub fn start(&self) {
        #[cfg(feature = "browser")]
        {
            let live = *self;
            leptos::task::spawn_local(async move { browser::run(live).await });
        }
    }
}

fn new_client_id() -> String {
    #[cfg(feature = "browser")]
    {
        let a = (js_sys::Math::random() * 9007199254740991.0) as u64;
        let b = (js_sys::Math::random() * 9007199254740991.0) as u64;
        format!("{:x}-{a:x}-{b:x}", js_sys::Date::now() as u64)
    }
    #[cfg(not(feature = "browser"))]
    {
        String::new()
    }
}

#[cfg(feature = "browser")]
mod browser {
    use super::{Conn, Live};
    use crate::protocol::{ClientFrame, ServerFrame};
    use futures::{SinkExt, StreamExt};
    use gloo_net::websocket::{futures::WebSocket, Message};
    use gloo_timers::future::{IntervalStream, TimeoutFuture};
    use leptos::prelude::*;

    /// Silence after which the socket is taken for dead (the server pings every 20 s).
    const DEAD_AFTER_MS: f64 = 45_000.0;
    const PING_EVERY_MS: u32 = 15_000;

    fn url() -> String {
        let location = web_sys::window().expect("window").location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{}/ws", location.host().unwrap_or_default())
    }

    pub async fn run(live: Live) {
        let mut attempt: u32 = 0;
        loop {
            // The page that started this socket is gone (client-side navigation): stop.
            if live.conn.is_disposed() || live.refused.get_untracked().is_some() {
                return;
            }
            if let Ok(ws) = WebSocket::open(&url()) {
                if session(live, ws).await {
                    attempt = 0;
                }
            }
            if live.conn.is_disposed() {
                return;
            }
            live.out.set_value(None);
            live.conn.set(Conn::Retrying);
            attempt += 1;
            // 0.5 s, 1 s, 2 s … up to 10 s, with jitter so a restarted server is not stampeded.
            let base = (500u32 << attempt.min(5)).min(10_000);
            let jitter = (js_sys::Math::random() * base as f64 * 0.3) as u32;
            TimeoutFuture::new(base + jitter).await;
        }
    }

    /// One socket's life. Returns whether the server greeted us (so the next retry is quick).
    async fn session(live: Live, ws: WebSocket) -> bool {
        let (tx, mut rx) = futures::channel::mpsc::unbounded::<ClientFrame>();
        for frame in live.greeting() {
            let _ = tx.unbounded_send(frame);
        }
        live.out.set_value(Some(tx));
        let (mut sink, stream) = ws.split();
        let mut stream = stream.fuse();
        let mut ticks = IntervalStream::new(PING_EVERY_MS).fuse();
        let mut heard = js_sys::Date::now();
        let mut greeted = false;
        loop {
            if live.conn.is_disposed() {
                return greeted;
            }
            futures::select! {
                msg = stream.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        heard = js_sys::Date::now();
                        if live.conn.is_disposed() {
                            return greeted;
                        }
                        if let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) {
                            greeted |= matches!(frame, ServerFrame::Ready);
                            live.handle(frame);
                        }
                    }
                    Some(Ok(Message::Bytes(_))) => heard = js_sys::Date::now(),
                    _ => return greeted,
                },
                frame = rx.next() => match frame {
                    Some(frame) => {
                        let text = serde_json::to_string(&frame).expect("frames serialize");
                        if sink.send(Message::Text(text)).await.is_err() {
                            return greeted;
                        }
                    }
                    None => return greeted,
                },
                _ = ticks.next() => {
                    if js_sys::Date::now() - heard > DEAD_AFTER_MS {
                        return greeted;
                    }
                    let ping = serde_json::to_string(&ClientFrame::Ping).expect("frames serialize");
                    if sink.send(Message::Text(ping)).await.is_err() {
                        return greeted;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Author, Event};

    fn page(seqs: std::ops::RangeInclusive<i64>) -> Vec<StoredEvent> {
        seqs.map(|seq| StoredEvent {
            seq,
            at: 0,
            client_id: None,
            event: Event::Message {
                author: Author::Visitor,
                body: format!("message {seq}"),
            },
        })
        .collect()
    }

    #[test]
    fn history_pages_fill_in_from_the_front() {
        let mut t = Transcript::default();
        t.merge(page(201..=300), true);
        assert!(t.earlier);
        // Live events after the page say nothing of older history.
        t.merge(page(301..=301), false);
        assert!(t.earlier);
        t.merge(page(101..=200), true);
        t.merge(page(1..=100), false);
        assert!(!t.earlier);
        let seqs: Vec<i64> = t.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=301).collect::<Vec<_>>());
    }

    #[test]
    fn a_repeated_page_is_held_once() {
        let mut t = Transcript::default();
        t.merge(page(1..=10), false);
        t.merge(page(5..=12), false);
        assert_eq!(t.events.len(), 12);
    }
}
