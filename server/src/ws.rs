//! The live socket: one per browser tab.
//!
//! Everything sent here was stored first. Each watched chat keeps the highest sequence this socket
//! has passed on; a change that does not follow on from it (a lagging channel, two commits
//! published out of order) is replaced by a re-read from storage, so a tab never misses or repeats
//! an event. What a viewer may receive is decided per frame: staff-only events never go down a
//! visitor's socket, and a chat's transcript only to those allowed to read it.

use crate::subs::Subscriptions;
use crate::AppState;
use app::model::{ChatId, ChatSettings, ChatSummary, Me, StoredEvent};
use app::protocol::{ClientFrame, ErrorCode, ServerFrame, CHAT_LIST_CHUNK};
use app::server::auth;
use app::server::hub::{Change, Directory, Signal};
use app::server::service::Viewer;
use app::server::{Service, ServiceError};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures::future::BoxFuture;
use futures::stream::{FuturesOrdered, SplitSink};
use futures::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

/// Small read buffer: axum's default costs about 136 KB per idle socket (DESIGN.md §7).
/// tungstenite zero-fills all of it before its first read, so every byte here is resident in
/// every socket: 1 KiB holds any ordinary frame, and a longer one (a long message) is read in
/// several calls into a buffer grown for it.
const READ_BUFFER: usize = 1024;
/// Queued frames (see [`Conn::queue`]) go out at once when they pass this size.
const WRITE_BUFFER: usize = 4 * 1024;
/// Large enough for a 4,000-character message in any script, with its JSON around it.
const MAX_FRAME: usize = 64 * 1024;
const PING_EVERY: Duration = Duration::from_secs(20);
/// A socket silent for this long (no frame, no pong) is taken for dead.
const DEAD_AFTER: Duration = Duration::from_secs(60);
/// Chats one socket may watch at once.
const MAX_WATCHES: usize = 500;
/// Messages one socket may have waiting to be stored; past this it stops reading frames.
const MAX_IN_FLIGHT: usize = 64;

/// An answer that must wait for the messages sent before it.
enum Answer {
    /// A message's sequence number once stored, or why it was not.
    Stored(ChatId, String, Result<i64, ServiceError>),
    /// A Ping's Pong: clients use Ping as a barrier, so it follows every earlier Ack.
    Pong,
}

type InFlight = BoxFuture<'static, Answer>;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::session_from_cookies)
        .map(str::to_string);
    let staff = match token {
        Some(token) => state.service.staff_for_session(&token).await.ok().flatten(),
        None => None,
    };
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            let mut conn = Conn {
                service: state.service.clone(),
                staff,
                viewer: None,
                sink,
                watches: HashMap::new(),
                subs: Subscriptions::default(),
                staff_feed: None,
                settings: None,
                in_flight: FuturesOrdered::new(),
                unflushed: false,
            };
            conn.run(stream, state.shutdown).await;
            if let Some(Viewer::Staff(me)) = &conn.viewer {
                state.service.staff_disconnected(me.id).await;
            }
        })
}

struct Watch {
    /// Highest sequence passed on (or known to need no passing on) for this chat.
    delivered: i64,
    /// Whether the viewer could read the chat as of the last change seen.
    readable: bool,
}

struct Conn {
    service: Arc<Service>,
    /// The staff member behind the session cookie, if any.
    staff: Option<Me>,
    /// Set by `Hello`; nothing else is answered before it.
    viewer: Option<Viewer>,
    sink: SplitSink<WebSocket, Message>,
    watches: HashMap<ChatId, Watch>,
    subs: Subscriptions,
    staff_feed: Option<BroadcastStream<Arc<Signal>>>,
    /// The live chat settings, followed from `Hello` on.
    settings: Option<tokio::sync::watch::Receiver<ChatSettings>>,
    /// Sent messages not yet stored, oldest first: the socket goes on reading frames while they
    /// wait for their group commit, and acknowledges each once stored.
    in_flight: FuturesOrdered<InFlight>,
    /// Frames queued in `sink` but not yet written out.
    unflushed: bool,
}

/// Why the socket's loop should stop.
struct Closed;

/// What woke a socket's loop.
enum Woke {
    Shutdown,
    /// Nothing heard from the other end for [`DEAD_AFTER`].
    Dead,
    Answer(Answer),
    Frame(Option<Result<Message, axum::Error>>),
    Chat(ChatId, Result<Arc<Signal>, BroadcastStreamRecvError>),
    Staff(Result<Arc<Signal>, BroadcastStreamRecvError>),
    Settings(ChatSettings),
    Ping,
}

impl Conn {
    async fn run(
        &mut self,
        mut stream: futures::stream::SplitStream<WebSocket>,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut heard = Instant::now();
        loop {
            let flush_first = self.unflushed;
            // `None`: the queued frames went out, and nothing else was ready.
            let woke = {
                let Conn {
                    sink,
                    in_flight,
                    subs,
                    staff_feed,
                    settings,
                    ..
                } = &mut *self;
                // Pinned in place, so the `select!` below polls it by reference instead of taking a
                // copy into its own state.
                let mut next = std::pin::pin!(async {
                    tokio::select! {
                        _ = shutdown.cancelled() => Woke::Shutdown,
                        Some(answer) = in_flight.next(), if !in_flight.is_empty() => {
                            Woke::Answer(answer)
                        }
                        msg = stream.next(), if in_flight.len() < MAX_IN_FLIGHT => {
                            heard = Instant::now();
                            Woke::Frame(msg)
                        }
                        Some((chat_id, item)) = subs.next(), if !subs.is_empty() => {
                            Woke::Chat(chat_id, item)
                        }
                        Some(item) = next_or_pending(staff_feed) => Woke::Staff(item),
                        Some(settings) = settings_changed(settings) => Woke::Settings(settings),
                        _ = ping.tick() => {
                            if heard.elapsed() > DEAD_AFTER {
                                Woke::Dead
                            } else {
                                Woke::Ping
                            }
                        }
                    }
                });
                // Queued frames are written out once nothing else is ready, so what one wake-up
                // produces (a message's ack and its echo, a batch's events for several chats)
                // leaves in one write instead of one each. A socket that stays busy writes each
                // time its queue passes `WRITE_BUFFER`.
                if flush_first {
                    tokio::select! {
                        biased;
                        woke = &mut next => Some(woke),
                        flushed = sink.flush() => match flushed {
                            Ok(()) => None,
                            Err(_) => return,
                        },
                    }
                } else {
                    Some(next.await)
                }
            };
            let Some(woke) = woke else {
                self.unflushed = false;
                continue;
            };
            // Boxed, so an idle socket's task is as large as what it waits on, not as large as
            // its largest handler (storage reads among them): most sockets are idle most of the
            // time, and this is most of what each costs.
            if Box::pin(self.on_woke(woke)).await.is_err() {
                return;
            }
        }
    }

    async fn on_woke(&mut self, woke: Woke) -> Result<(), Closed> {
        match woke {
            Woke::Shutdown => {
                // 1012: service restart; the browser reconnects by itself.
                let close = CloseFrame {
                    code: 1012,
                    reason: "server restarting".into(),
                };
                let _ = self.sink.send(Message::Close(Some(close))).await;
                Err(Closed)
            }
            Woke::Dead => Err(Closed),
            Woke::Answer(Answer::Stored(chat_id, client_id, Ok(seq))) => {
                self.queue(&ServerFrame::Ack {
                    chat_id,
                    client_id,
                    seq,
                })
                .await
            }
            Woke::Answer(Answer::Stored(_, client_id, Err(e))) => {
                self.service_error(e, Some(client_id)).await
            }
            Woke::Answer(Answer::Pong) => self.queue(&ServerFrame::Pong).await,
            Woke::Frame(msg) => match msg {
                Some(Ok(Message::Text(text))) => self.on_frame(text.as_str()).await,
                Some(Ok(Message::Binary(_))) => {
                    self.error(ErrorCode::BadFrame, "Frames must be JSON text.", None)
                        .await
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Err(Closed),
            },
            Woke::Chat(chat_id, item) => match item.as_deref() {
                Ok(Signal::Change(change)) => self.on_change(chat_id, change).await,
                Ok(Signal::Typing {
                    chat,
                    name,
                    staff,
                    typing,
                }) => self.on_typing(*chat, name, *staff, *typing).await,
                Ok(Signal::Directory(_)) => Ok(()),
                Ok(Signal::Resync) | Err(BroadcastStreamRecvError::Lagged(_)) => {
                    self.catch_up(chat_id).await
                }
            },
            Woke::Staff(item) => match item.as_deref() {
                Ok(Signal::Change(change)) => self.on_staff_change(change).await,
                Ok(Signal::Directory(directory)) => self.send_directory(directory).await,
                Ok(Signal::Typing { .. }) => Ok(()),
                Ok(Signal::Resync) | Err(BroadcastStreamRecvError::Lagged(_)) => {
                    self.resync_staff().await
                }
            },
            Woke::Settings(settings) => self.send_settings(settings).await,
            Woke::Ping => self
                .sink
                .send(Message::Ping(Default::default()))
                .await
                .map_err(|_| Closed),
        }
    }

    /// Writes the frame out now, after anything queued before it.
    async fn send(&mut self, frame: &ServerFrame) -> Result<(), Closed> {
        self.queue(frame).await?;
        self.sink.flush().await.map_err(|_| Closed)?;
        self.unflushed = false;
        Ok(())
    }

    /// Queues a frame that the hub or the writer woke this socket for; the loop in
    /// [`Conn::run`] writes it out once nothing else is ready. Greetings and pages of history go
    /// out at once instead ([`Conn::send`]): tungstenite keeps its buffer's largest size for the
    /// socket's life, so it stays the size of the largest frame, as without queueing.
    async fn queue(&mut self, frame: &ServerFrame) -> Result<(), Closed> {
        let text = serde_json::to_string(frame).map_err(|_| Closed)?;
        self.sink
            .feed(Message::Text(text.into()))
            .await
            .map_err(|_| Closed)?;
        self.unflushed = true;
        Ok(())
    }

    async fn error(
        &mut self,
        code: ErrorCode,
        message: &str,
        client_id: Option<String>,
    ) -> Result<(), Closed> {
        self.send(&ServerFrame::Error {
            code,
            message: message.to_string(),
            client_id,
        })
        .await
    }

    async fn service_error(
        &mut self,
        e: ServiceError,
        client_id: Option<String>,
    ) -> Result<(), Closed> {
        let (code, message) = match e {
            ServiceError::Refused(r) => (ErrorCode::Refused, r.to_string()),
            ServiceError::NotFound => (
                ErrorCode::NotFound,
                "This chat is not available.".to_string(),
            ),
            ServiceError::Unauthorized => {
                (ErrorCode::Unauthorized, "Please sign in again.".to_string())
            }
            ServiceError::Invalid(errors) => (
                ErrorCode::BadFrame,
                errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ServiceError::Conflict(m) => (ErrorCode::Refused, m),
            ServiceError::Internal(_) => (
                ErrorCode::Internal,
                "The server could not do that; please retry.".to_string(),
            ),
        };
        self.error(code, &message, client_id).await
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), Closed> {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(e) => {
                return self
                    .error(ErrorCode::BadFrame, &format!("Unreadable frame: {e}"), None)
                    .await
            }
        };
        if let ClientFrame::Ping = frame {
            if self.in_flight.is_empty() {
                return self.send(&ServerFrame::Pong).await;
            }
            self.in_flight
                .push_back(Box::pin(std::future::ready(Answer::Pong)));
            return Ok(());
        }
        let pair = match (&self.viewer, frame) {
            (None, ClientFrame::Hello { visitor }) => return self.hello(visitor).await,
            (Some(_), ClientFrame::Hello { .. }) => {
                return self
                    .error(ErrorCode::BadFrame, "Already greeted.", None)
                    .await
            }
            (None, _) => {
                return self
                    .error(ErrorCode::Unauthorized, "Say hello first.", None)
                    .await
            }
            (Some(viewer), frame) => (viewer.clone(), frame),
        };
        match pair {
            (viewer, ClientFrame::Watch { chat_id, after }) => {
                self.watch(&viewer, chat_id, after).await
            }
            (viewer, ClientFrame::Earlier { chat_id, before }) => {
                self.earlier(&viewer, chat_id, before).await
            }
            (_, ClientFrame::Unwatch { chat_id }) => {
                self.watches.remove(&chat_id);
                self.subs.remove(chat_id);
                Ok(())
            }
            (viewer, ClientFrame::Typing { chat_id, typing }) => {
                match self.service.typing(&viewer, chat_id, typing).await {
                    Ok(()) => Ok(()),
                    Err(e) => self.service_error(e, None).await,
                }
            }
            (
                viewer,
                ClientFrame::Send {
                    chat_id,
                    client_id,
                    body,
                },
            ) => match self
                .service
                .queue_send(&viewer, chat_id, client_id.clone(), body)
            {
                Ok(stored) => {
                    self.in_flight.push_back(Box::pin(async move {
                        Answer::Stored(chat_id, client_id, stored.await)
                    }));
                    Ok(())
                }
                Err(e) => self.service_error(e, Some(client_id)).await,
            },
            (_, ClientFrame::Hello { .. } | ClientFrame::Ping) => Ok(()),
        }
    }

    async fn hello(&mut self, visitor: Option<app::protocol::VisitorAuth>) -> Result<(), Closed> {
        match visitor {
            Some(auth) => match self.service.visitor(auth.chat_id, &auth.token).await {
                Ok(viewer) => {
                    self.viewer = Some(viewer);
                    self.greet_with_settings().await
                }
                Err(e) => {
                    self.service_error(e, None).await?;
                    Err(Closed)
                }
            },
            None => match self.staff.clone() {
                Some(me) => {
                    self.service.staff_connected(me.id).await;
                    self.viewer = Some(Viewer::Staff(me));
                    // Subscribe before reading the list, so no change falls between the two.
                    self.staff_feed =
                        Some(BroadcastStream::new(self.service.hub().subscribe_staff()));
                    self.greet_with_settings().await?;
                    self.resync_staff().await
                }
                None => {
                    self.error(ErrorCode::Unauthorized, "Please sign in again.", None)
                        .await?;
                    Err(Closed)
                }
            },
        }
    }

    /// Follows the settings from now on and sends them as they are: each portal its own part.
    async fn greet_with_settings(&mut self) -> Result<(), Closed> {
        let mut settings = self.service.hub().subscribe_settings();
        let now = *settings.borrow_and_update();
        self.settings = Some(settings);
        self.send(&ServerFrame::Ready).await?;
        self.send_settings(now).await
    }

    async fn send_settings(&mut self, settings: ChatSettings) -> Result<(), Closed> {
        let visitor = matches!(self.viewer, Some(Viewer::Visitor(_)));
        self.send(&ServerFrame::settings(&settings, visitor)).await
    }

    async fn send_directory(&mut self, directory: &Directory) -> Result<(), Closed> {
        self.send(&ServerFrame::Directory {
            staff: directory.staff.clone(),
            departments: directory.departments.clone(),
        })
        .await
    }

    /// After the staff feed lagged: the directory and the chat list afresh.
    async fn resync_staff(&mut self) -> Result<(), Closed> {
        self.send_directory(&self.service.directory()).await?;
        self.send_chat_list().await
    }

    async fn send_chat_list(&mut self) -> Result<(), Closed> {
        let Some(viewer) = self.viewer.clone() else {
            return Ok(());
        };
        let chats: Vec<ChatSummary> = match self.service.open_chats().await {
            Ok(chats) => chats
                .iter()
                .filter_map(|c| self.service.view(&viewer, c))
                .collect(),
            Err(e) => return self.service_error(e, None).await,
        };
        let mut chunks = chats.chunks(CHAT_LIST_CHUNK);
        let first = chunks.next().unwrap_or_default().to_vec();
        self.send(&ServerFrame::Chats { chats: first }).await?;
        for chunk in chunks {
            self.send(&ServerFrame::MoreChats {
                chats: chunk.to_vec(),
            })
            .await?;
        }
        Ok(())
    }

    async fn watch(&mut self, viewer: &Viewer, chat_id: ChatId, after: i64) -> Result<(), Closed> {
        if !self.watches.contains_key(&chat_id) && self.watches.len() >= MAX_WATCHES {
            return self
                .error(ErrorCode::BadFrame, "Watching too many chats.", None)
                .await;
        }
        if let Viewer::Visitor(own) = viewer {
            if *own != chat_id {
                return self.service_error(ServiceError::NotFound, None).await;
            }
        }
        // Subscribe first, then read: a change in between arrives twice and is dropped by seq.
        self.subs
            .insert(chat_id, self.service.hub().subscribe(chat_id));
        let chat = match self.service.chat(viewer, chat_id).await {
            Ok(chat) => chat,
            Err(e) => {
                self.subs.remove(chat_id);
                return self.service_error(e, None).await;
            }
        };
        self.watches.insert(
            chat_id,
            Watch {
                delivered: after.max(0),
                readable: self.service.can_read(viewer, &chat),
            },
        );
        if let Some(view) = self.service.view(viewer, &chat) {
            self.send(&ServerFrame::ChatChanged { chat: view }).await?;
        }
        self.deliver_from_storage(viewer, &chat).await
    }

    /// Sends what storage holds after this socket's `delivered` mark for the chat.
    async fn deliver_from_storage(
        &mut self,
        viewer: &Viewer,
        chat: &ChatSummary,
    ) -> Result<(), Closed> {
        let Some(watch) = self.watches.get(&chat.id) else {
            return Ok(());
        };
        let after = watch.delivered;
        if !self.service.can_read(viewer, chat) {
            return Ok(());
        }
        // A tab with nothing yet gets the newest page; one catching up gets all it missed.
        let page = if after == 0 {
            self.service.events_before(viewer, chat, i64::MAX).await
        } else {
            self.service
                .events(viewer, chat, after)
                .await
                .map(|e| (e, false))
        };
        let (events, earlier) = match page {
            Ok(page) => page,
            Err(e) => return self.service_error(e, None).await,
        };
        let top = events.last().map_or(0, |e| e.seq).max(chat.last_seq);
        if let Some(watch) = self.watches.get_mut(&chat.id) {
            watch.delivered = watch.delivered.max(top);
            watch.readable = true;
        }
        if events.is_empty() {
            return Ok(());
        }
        self.send(&ServerFrame::Events {
            chat_id: chat.id,
            events,
            earlier,
        })
        .await
    }

    /// A page of history before what the tab holds, of a chat this socket watches.
    async fn earlier(
        &mut self,
        viewer: &Viewer,
        chat_id: ChatId,
        before: i64,
    ) -> Result<(), Closed> {
        if !self.watches.contains_key(&chat_id) {
            return self
                .error(ErrorCode::BadFrame, "Watch the chat first.", None)
                .await;
        }
        let page = match self.service.chat(viewer, chat_id).await {
            Ok(chat) => self.service.events_before(viewer, &chat, before).await,
            Err(e) => Err(e),
        };
        match page {
            Ok((events, _)) if events.is_empty() => Ok(()),
            Ok((events, earlier)) => {
                self.send(&ServerFrame::Events {
                    chat_id,
                    events,
                    earlier,
                })
                .await
            }
            Err(e) => self.service_error(e, None).await,
        }
    }

    async fn catch_up(&mut self, chat_id: ChatId) -> Result<(), Closed> {
        let Some(viewer) = self.viewer.clone() else {
            return Ok(());
        };
        match self.service.chat(&viewer, chat_id).await {
            Ok(chat) => {
                if let (Viewer::Visitor(_), Some(view)) =
                    (&viewer, self.service.view(&viewer, &chat))
                {
                    self.send(&ServerFrame::ChatChanged { chat: view }).await?;
                }
                self.deliver_from_storage(&viewer, &chat).await
            }
            Err(e) => self.service_error(e, None).await,
        }
    }

    /// Whether this socket may hear of the change at all.
    fn hears(&self, change: &Change) -> bool {
        match (change.only_for, &self.viewer) {
            (None, _) => true,
            (Some(id), Some(Viewer::Staff(me))) => me.id == id,
            (Some(_), _) => false,
        }
    }

    async fn on_change(&mut self, chat_id: ChatId, change: &Change) -> Result<(), Closed> {
        if !self.hears(change) {
            return Ok(());
        }
        let Some(viewer) = self.viewer.clone() else {
            return Ok(());
        };
        let Some(watch) = self.watches.get(&chat_id) else {
            return Ok(());
        };
        let readable_now = self.service.can_read(&viewer, &change.chat);
        let (delivered, was_readable) = (watch.delivered, watch.readable);
        match (change.events.first(), change.events.last()) {
            (Some(first), Some(last)) if last.seq > delivered && (was_readable || readable_now) => {
                if first.seq == delivered + 1 && was_readable {
                    let events: Vec<StoredEvent> = viewer.filter(&change.events).cloned().collect();
                    if let Some(w) = self.watches.get_mut(&chat_id) {
                        w.delivered = last.seq;
                    }
                    if !events.is_empty() {
                        self.queue(&ServerFrame::Events {
                            chat_id,
                            events,
                            earlier: false,
                        })
                        .await?;
                    }
                } else {
                    // A gap, or access just granted: storage has the whole story.
                    self.deliver_from_storage(&viewer, &change.chat).await?;
                }
            }
            // No events, yet access was just granted (an invisible join) or storage holds more
            // than this socket has seen.
            (None, _) if readable_now && (!was_readable || change.chat.last_seq > delivered) => {
                self.deliver_from_storage(&viewer, &change.chat).await?;
            }
            _ => {}
        }
        if let Some(w) = self.watches.get_mut(&chat_id) {
            w.readable = readable_now;
        }
        // Staff hear about every chat through the staff feed; the visitor only here.
        if matches!(viewer, Viewer::Visitor(_)) && !change.only_messages() {
            if let Some(view) = self.service.view(&viewer, &change.chat) {
                self.queue(&ServerFrame::ChatChanged { chat: view }).await?;
            }
        }
        Ok(())
    }

    /// Typing reaches everyone who can read the chat but the typist: the visitor sees staff
    /// type, staff see the visitor and each other.
    async fn on_typing(
        &mut self,
        chat_id: ChatId,
        name: &str,
        staff: Option<i64>,
        typing: bool,
    ) -> Result<(), Closed> {
        let relay = match &self.viewer {
            Some(Viewer::Visitor(_)) => staff.is_some(),
            Some(Viewer::Staff(me)) => {
                staff != Some(me.id) && self.watches.get(&chat_id).is_some_and(|w| w.readable)
            }
            _ => false,
        };
        if !relay {
            return Ok(());
        }
        self.queue(&ServerFrame::Typing {
            chat_id,
            name: name.to_string(),
            typing,
        })
        .await
    }

    async fn on_staff_change(&mut self, change: &Change) -> Result<(), Closed> {
        let Some(viewer) = self.viewer.clone() else {
            return Ok(());
        };
        if !self.hears(change) {
            return Ok(());
        }
        match self.service.view(&viewer, &change.chat) {
            Some(view) => self.queue(&ServerFrame::ChatChanged { chat: view }).await,
            None => Ok(()),
        }
    }
}

/// The newest settings once they change; never resolves before `Hello` or after the hub is gone.
async fn settings_changed(
    settings: &mut Option<tokio::sync::watch::Receiver<ChatSettings>>,
) -> Option<ChatSettings> {
    if let Some(rx) = settings {
        if rx.changed().await.is_ok() {
            return Some(*rx.borrow_and_update());
        }
    }
    std::future::pending().await
}

async fn next_or_pending<S: futures::Stream + Unpin>(stream: &mut Option<S>) -> Option<S::Item> {
    match stream {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}
