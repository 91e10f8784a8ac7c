//! The transport-only baseline: a minimal WebSocket relay with the server's socket settings
//! (axum, 4 KiB read buffer, no write buffer, 64 KiB frame limit, a 20 s ping timer, one
//! tokio broadcast channel of 64 per chat, no TCP_NODELAY as axum::serve leaves it) and no
//! storage, no rules, no authentication. It answers the same frames as the real server:
//! hello → ready, watch → an (empty) events frame, send → ack + events to every watcher.
//!
//! The events frame is serialised once per message and shared by every watcher, where the
//! server builds one per socket; that is part of what "transport only" means here.

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamMap;

const READ_BUFFER: usize = 1024;
const MAX_FRAME: usize = 64 * 1024;
const CHAT_CAPACITY: usize = 64;
const PING_EVERY: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Relay {
    chats: Mutex<HashMap<i64, (broadcast::Sender<Utf8Bytes>, i64)>>,
}

impl Relay {
    fn subscribe(&self, chat: i64) -> broadcast::Receiver<Utf8Bytes> {
        let mut chats = self.chats.lock().unwrap();
        chats
            .entry(chat)
            .or_insert_with(|| (broadcast::channel(CHAT_CAPACITY).0, 0))
            .0
            .subscribe()
    }

    /// The next sequence number and the chat's channel.
    fn next(&self, chat: i64) -> (i64, broadcast::Sender<Utf8Bytes>) {
        let mut chats = self.chats.lock().unwrap();
        let entry = chats
            .entry(chat)
            .or_insert_with(|| (broadcast::channel(CHAT_CAPACITY).0, 0));
        entry.1 += 1;
        (entry.1, entry.0.clone())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum In {
    Hello {},
    Watch {
        chat_id: i64,
    },
    Send {
        chat_id: i64,
        client_id: String,
        body: String,
    },
    Ping,
}

pub async fn serve(bind: SocketAddr, nodelay: bool) -> std::io::Result<()> {
    let relay = Arc::new(Relay::default());
    let app = Router::new()
        .route("/ws", get(upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(relay);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    if nodelay {
        use axum::serve::ListenerExt;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await
    } else {
        axum::serve(listener, app).await
    }
}

async fn upgrade(ws: WebSocketUpgrade, State(relay): State<Arc<Relay>>) -> Response {
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| conn(socket, relay))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn conn(socket: WebSocket, relay: Arc<Relay>) {
    let (mut sink, mut stream) = socket.split();
    let mut subs: StreamMap<i64, BroadcastStream<Utf8Bytes>> = StreamMap::new();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        let ok = tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<In>(text.as_str()) {
                        Ok(In::Hello {}) => sink.send(Message::Text(r#""ready""#.into())).await.is_ok(),
                        Ok(In::Watch { chat_id }) => {
                            subs.insert(chat_id, BroadcastStream::new(relay.subscribe(chat_id)));
                            let empty = format!(r#"{{"events":{{"chat_id":{chat_id},"events":[]}}}}"#);
                            sink.send(Message::Text(empty.into())).await.is_ok()
                        }
                        Ok(In::Send { chat_id, client_id, body }) => {
                            let (seq, tx) = relay.next(chat_id);
                            let cid = serde_json::to_string(&client_id).unwrap_or_default();
                            let events = format!(
                                r#"{{"events":{{"chat_id":{chat_id},"events":[{{"seq":{seq},"at":{},"client_id":{cid},"event":{{"Message":{{"author":"Visitor","body":{}}}}}}}]}}}}"#,
                                now_ms(),
                                serde_json::to_string(&body).unwrap_or_default(),
                            );
                            let ack = format!(r#"{{"ack":{{"chat_id":{chat_id},"client_id":{cid},"seq":{seq}}}}}"#);
                            let _ = tx.send(events.into());
                            sink.send(Message::Text(ack.into())).await.is_ok()
                        }
                        Ok(In::Ping) => sink.send(Message::Text(r#""pong""#.into())).await.is_ok(),
                        Err(_) => true,
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => false,
                Some(Ok(_)) => true,
            },
            Some((_, item)) = subs.next(), if !subs.is_empty() => match item {
                Ok(text) => sink.send(Message::Text(text)).await.is_ok(),
                // A lagging watcher: the relay has no storage to catch it up from.
                Err(_) => true,
            },
            _ = ping.tick() => sink.send(Message::Ping(Default::default())).await.is_ok(),
        };
        if !ok {
            return;
        }
    }
}
