//! Shared harness for the live tests: the real router on a random port, staff and visitors as
//! HTTP clients, and WebSocket clients that keep every frame they received.
//!
//! Every wait is bounded by [`WAIT`], so a missing frame fails the test instead of hanging it.

#![allow(dead_code)]

use app::api::ApiError;
use app::model::{ChatId, ChatSummary, Me, Started, StoredEvent};
use app::protocol::{ClientFrame, ErrorCode, ServerFrame, VisitorAuth, CHAT_LIST_CHUNK};
use app::rules::{Author, Event};
use app::server::service::AddStaff;
use app::server::Service;
use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// The password every seeded staff member gets.
pub const PASSWORD: &str = "correct-horse-battery";

/// Awaits `fut`, failing the test with `what` if it takes longer than [`WAIT`].
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

/// Polls `check` until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("gave up after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The configuration of a test server on `data_dir`: SQLite in it, or with
/// `TEST_BACKEND=postgres` a PostgreSQL database named after it, created on first use so that a
/// restarted server finds its data again. `scripts/test.sh` runs the suites both ways.
pub async fn config_for(data_dir: &Path) -> server::config::Config {
    let mut config = server::config::Config::for_data_dir(data_dir.to_path_buf());
    if std::env::var("TEST_BACKEND").as_deref() == Ok("postgres") {
        config.database_url = pg_database_for(data_dir).await;
    }
    config
}

/// The number of rows in `table` of the database a test server on `data_dir` uses.
pub async fn count_rows(data_dir: &Path, table: &str) -> i64 {
    use sqlx::Connection;
    let url = config_for(data_dir).await.database_url;
    let sql = format!("SELECT COUNT(*) FROM {table}");
    if url.starts_with("postgres") {
        let mut db = sqlx::PgConnection::connect(&url)
            .await
            .expect("open the db");
        sqlx::query_scalar(&sql).fetch_one(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("open the db");
        sqlx::query_scalar(&sql).fetch_one(&mut db).await.unwrap()
    }
}

/// The configuration of a test server on `data_dir` and PostgreSQL, whatever `TEST_BACKEND` says
/// (for the tests of several nodes, which need it).
pub async fn postgres_config_for(data_dir: &Path) -> server::config::Config {
    let mut config = server::config::Config::for_data_dir(data_dir.to_path_buf());
    config.database_url = pg_database_for(data_dir).await;
    config
}

async fn pg_database_for(data_dir: &Path) -> String {
    use sqlx::Connection;
    use std::hash::{Hash, Hasher};
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://helpdesk:helpdesk@127.0.0.1:5432/postgres".into());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut hasher);
    let name = format!("helpdesk_test_{:016x}", hasher.finish());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at TEST_DATABASE_URL: {e}"));
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await
        .unwrap();
    if exists.is_none() {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// A running server: the real router served on 127.0.0.1 at a random port.
pub struct TestServer {
    pub addr: SocketAddr,
    pub service: Arc<Service>,
    pub shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
    http: reqwest::Client,
}

impl TestServer {
    /// Opens (or reopens) the database of `data_dir` (see [`config_for`]) and serves the router.
    pub async fn start(data_dir: &Path) -> TestServer {
        Self::start_with(config_for(data_dir).await).await
    }

    /// Serves the router on `config`: several of these on one PostgreSQL are several nodes.
    pub async fn start_with(config: server::config::Config) -> TestServer {
        let service = server::open_service(&config)
            .await
            .expect("open the service");
        let leptos_options = LeptosOptions::builder().output_name("helpdesk").build();
        let shutdown = CancellationToken::new();
        let state = server::AppState {
            leptos_options,
            service: service.clone(),
            shutdown: shutdown.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port");
        let addr = listener.local_addr().unwrap();
        // As main.rs does: the background workers stop with the same token.
        server::spawn_workers(service.clone(), shutdown.clone());
        let app = server::router(state);
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(WAIT)
            .build()
            .unwrap();
        TestServer {
            addr,
            service,
            shutdown,
            task,
            http,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Cancels the shutdown token and waits for the server to stop.
    pub async fn stop(self) {
        self.shutdown.cancel();
        within("the server to stop", self.task)
            .await
            .expect("server task panicked")
            .expect("server failed");
    }

    pub async fn add_department(&self, name: &str) -> i64 {
        self.service
            .add_department(name)
            .await
            .expect("add a department")
            .id
    }

    pub async fn add_staff(&self, name: &str, email: &str, departments: &[&str]) -> Me {
        self.add_member(name, email, departments, false).await
    }

    /// An admin in no department.
    pub async fn add_admin(&self, name: &str, email: &str) -> Me {
        self.add_member(name, email, &[], true).await
    }

    async fn add_member(
        &self,
        name: &str,
        email: &str,
        departments: &[&str],
        is_admin: bool,
    ) -> Me {
        self.service
            .add_staff(AddStaff {
                name: name.into(),
                email: email.into(),
                password: PASSWORD.into(),
                is_admin,
                departments: departments.iter().map(|d| d.to_string()).collect(),
            })
            .await
            .expect("add a staff member")
    }

    /// Signs in through the form endpoint; returns the `hd_session` cookie's value.
    pub async fn login(&self, email: &str) -> String {
        let res = self
            .http
            .post(self.url("/api/login"))
            // What a browser's plain form post sends: the server answers with a real redirect.
            .header(reqwest::header::ACCEPT, "text/html")
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .expect("POST /api/login");
        let status = res.status();
        assert!(
            status.is_redirection(),
            "sign-in should redirect, got {status}: {:?}",
            res.headers()
        );
        assert_eq!(
            res.headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok()),
            Some("/console")
        );
        let cookie = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("hd_session="))
            .expect("sign-in sets the hd_session cookie");
        let value = cookie.split(';').next().unwrap().to_string();
        assert!(!value.is_empty(), "empty session cookie");
        value
    }

    /// Starts a chat as a visitor through `/api/start_chat`.
    pub async fn start_chat(
        &self,
        name: &str,
        question: &str,
        department_id: Option<i64>,
    ) -> Started {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let res = self
            .http
            .post(self.url("/api/start_chat"))
            .json(&serde_json::json!({
                "name": name,
                "email": email,
                "department_id": department_id,
                "question": question,
                "page_url": "https://shop.example.com/basket",
            }))
            .send()
            .await
            .expect("POST /api/start_chat");
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(
            status.is_success(),
            "start_chat failed with {status}: {body}"
        );
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("start_chat answer {body:?}: {e}"))
    }

    /// Calls `/api/chat_op` with `op` as JSON (`"Accept"`, `{"Invite": {..}}`); returns the
    /// status and the body.
    pub async fn chat_op_raw(
        &self,
        session: Option<&str>,
        chat_id: ChatId,
        op: impl Into<serde_json::Value>,
    ) -> (reqwest::StatusCode, String) {
        let op = op.into();
        let mut req = self
            .http
            .post(self.url("/api/chat_op"))
            .json(&serde_json::json!({ "chat_id": chat_id, "op": op }));
        if let Some(session) = session {
            req = req.header(reqwest::header::COOKIE, format!("hd_session={session}"));
        }
        let res = req.send().await.expect("POST /api/chat_op");
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// Calls `/api/chat_op` and insists that it succeeds.
    pub async fn chat_op(&self, session: &str, chat_id: ChatId, op: impl Into<serde_json::Value>) {
        let op = op.into();
        let (status, body) = self.chat_op_raw(Some(session), chat_id, op.clone()).await;
        assert!(
            status.is_success(),
            "chat_op {op} on chat {chat_id} failed with {status}: {body}"
        );
    }

    /// Opens a socket; with `session`, as the staff member signed in with that cookie.
    pub async fn connect(&self, label: &str, session: Option<&str>) -> Ws {
        Ws::connect(self.addr, label, session).await
    }

    /// A visitor's socket, greeted and watching their chat from the start.
    pub async fn visitor(&self, label: &str, started: &Started, after: i64) -> Ws {
        let mut ws = self.connect(label, None).await;
        ws.hello_visitor(started.chat_id, &started.token).await;
        ws.watch(started.chat_id, after).await;
        ws
    }

    /// A staff socket, greeted (Ready + Chats consumed).
    pub async fn staff(&self, label: &str, session: &str) -> Ws {
        let mut ws = self.connect(label, Some(session)).await;
        ws.hello_staff().await;
        ws
    }
}

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A live-socket client that records every frame it receives, in order.
pub struct Ws {
    pub label: String,
    stream: Stream,
    /// Every server frame received on this socket so far.
    pub frames: Vec<ServerFrame>,
    /// Set once the server closed the socket.
    pub closed: Option<Option<CloseFrame>>,
}

impl Ws {
    pub async fn connect(addr: SocketAddr, label: &str, session: Option<&str>) -> Ws {
        let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
        if let Some(session) = session {
            request.headers_mut().insert(
                header::COOKIE,
                HeaderValue::from_str(&format!("hd_session={session}")).unwrap(),
            );
        }
        let (stream, _) = within(
            "the socket to open",
            tokio_tungstenite::connect_async(request),
        )
        .await
        .unwrap_or_else(|e| panic!("{label}: cannot open the socket: {e}"));
        Ws {
            label: label.to_string(),
            stream,
            frames: Vec::new(),
            closed: None,
        }
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        let text = serde_json::to_string(frame).unwrap();
        self.send_raw(&text).await;
    }

    pub async fn send_raw(&mut self, text: &str) {
        within(
            "a frame to be sent",
            self.stream.send(Message::text(text.to_string())),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: send failed: {e}", self.label));
    }

    pub async fn send_binary(&mut self, bytes: &[u8]) {
        within(
            "a frame to be sent",
            self.stream.send(Message::binary(bytes.to_vec())),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: send failed: {e}", self.label));
    }

    /// The next frame, or `None` once the server has closed the socket.
    async fn next_frame(&mut self) -> Option<ServerFrame> {
        if self.closed.is_some() {
            return None;
        }
        loop {
            let what = format!(
                "a frame on {}'s socket (so far: {:?})",
                self.label, self.frames
            );
            match within(&what, self.stream.next()).await {
                Some(Ok(Message::Text(text))) => {
                    let frame: ServerFrame =
                        serde_json::from_str(text.as_str()).unwrap_or_else(|e| {
                            panic!("{}: unreadable server frame {text:?}: {e}", self.label)
                        });
                    self.frames.push(frame.clone());
                    return Some(frame);
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Binary(b))) => {
                    panic!("{}: unexpected binary frame {b:?}", self.label)
                }
                Some(Ok(Message::Close(close))) => {
                    self.closed = Some(close);
                    return None;
                }
                Some(Err(_)) | None => {
                    self.closed = Some(None);
                    return None;
                }
            }
        }
    }

    /// The next frame; fails the test if the socket closes instead.
    pub async fn recv(&mut self) -> ServerFrame {
        match self.next_frame().await {
            Some(frame) => frame,
            None => panic!(
                "{}: socket closed ({:?}); frames: {:?}",
                self.label, self.closed, self.frames
            ),
        }
    }

    /// Receives until a frame matches; returns the frames received on the way, the match last.
    pub async fn recv_until(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ServerFrame) -> bool,
    ) -> Vec<ServerFrame> {
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.recv()).await {
                Ok(frame) => frame,
                Err(_) => panic!(
                    "{}: timed out waiting for {what}; received {got:?}",
                    self.label
                ),
            };
            let done = pred(&frame);
            got.push(frame);
            if done {
                return got;
            }
        }
    }

    /// A barrier: sends Ping and returns every frame that arrived before the Pong. The socket
    /// answers frames in order, so everything a previous frame caused has arrived by then.
    pub async fn sync(&mut self) -> Vec<ServerFrame> {
        self.send(&ClientFrame::Ping).await;
        let mut got = self
            .recv_until("Pong", |f| matches!(f, ServerFrame::Pong))
            .await;
        got.pop();
        got
    }

    /// Reads until the server closes the socket; returns its close frame (if it sent one).
    pub async fn expect_close(&mut self) -> Option<CloseFrame> {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.closed.is_none() {
            if tokio::time::timeout_at(deadline, self.next_frame())
                .await
                .is_err()
            {
                panic!(
                    "{}: the socket stayed open; frames: {:?}",
                    self.label, self.frames
                );
            }
        }
        self.closed.clone().unwrap()
    }

    /// Closes the socket from our side.
    pub async fn close(mut self) {
        let _ = within("the socket to close", self.stream.close(None)).await;
    }

    pub async fn hello_visitor(&mut self, chat_id: ChatId, token: &str) {
        self.send(&ClientFrame::Hello {
            visitor: Some(VisitorAuth {
                chat_id,
                token: token.to_string(),
            }),
        })
        .await;
        let frame = self.recv().await;
        assert_eq!(
            frame,
            ServerFrame::Ready,
            "{}: Hello should be answered with Ready",
            self.label
        );
    }

    /// Greets as staff: expects Ready, then the open chats; returns them.
    pub async fn hello_staff(&mut self) -> Vec<ChatSummary> {
        self.send(&ClientFrame::Hello { visitor: None }).await;
        let frame = self.recv().await;
        assert_eq!(
            frame,
            ServerFrame::Ready,
            "{}: Hello should be answered with Ready",
            self.label
        );
        // The settings and the staff directory come with the chats; nothing else before them.
        let frames = self
            .recv_until("Chats", |f| matches!(f, ServerFrame::Chats { .. }))
            .await;
        for early in &frames[..frames.len() - 1] {
            assert!(
                matches!(
                    early,
                    ServerFrame::Directory { .. } | ServerFrame::Settings { .. }
                ),
                "{}: expected only the settings and directory before Chats, got {early:?}",
                self.label
            );
        }
        let mut chats = match frames.into_iter().last() {
            Some(ServerFrame::Chats { chats }) => chats,
            _ => unreachable!(),
        };
        // A full first frame may be followed by the rest of the list.
        if chats.len() == CHAT_LIST_CHUNK {
            for frame in self.sync().await {
                if let ServerFrame::MoreChats { chats: more } = frame {
                    chats.extend(more);
                }
            }
        }
        chats
    }

    /// Watches a chat and returns the events the Watch delivered (everything up to a barrier).
    pub async fn watch(&mut self, chat_id: ChatId, after: i64) -> Vec<StoredEvent> {
        self.send(&ClientFrame::Watch { chat_id, after }).await;
        let frames = self.sync().await;
        assert!(
            frames
                .iter()
                .any(|f| matches!(f, ServerFrame::ChatChanged { chat } if chat.id == chat_id)),
            "{}: Watch of chat {chat_id} should send the chat first; got {frames:?}",
            self.label
        );
        events_in(&frames, chat_id)
    }

    /// Sends a message and waits for its Ack (Ok(seq)) or Error (Err(code)).
    pub async fn say(
        &mut self,
        chat_id: ChatId,
        client_id: &str,
        body: &str,
    ) -> Result<i64, ErrorCode> {
        self.send(&ClientFrame::Send {
            chat_id,
            client_id: client_id.to_string(),
            body: body.to_string(),
        })
        .await;
        let frames = self
            .recv_until(&format!("Ack or Error for {client_id}"), |f| match f {
                ServerFrame::Ack { client_id: c, .. } => c == client_id,
                ServerFrame::Error {
                    client_id: Some(c), ..
                } => c == client_id,
                _ => false,
            })
            .await;
        match frames.last().unwrap() {
            ServerFrame::Ack {
                chat_id: c, seq, ..
            } => {
                assert_eq!(*c, chat_id, "Ack for the wrong chat");
                Ok(*seq)
            }
            ServerFrame::Error { code, .. } => Err(*code),
            _ => unreachable!(),
        }
    }

    /// Like [`Ws::say`], insisting on success.
    pub async fn say_ok(&mut self, chat_id: ChatId, client_id: &str, body: &str) -> i64 {
        match self.say(chat_id, client_id, body).await {
            Ok(seq) => seq,
            Err(code) => panic!(
                "{}: sending {body:?} was refused with {code:?}; frames: {:?}",
                self.label, self.frames
            ),
        }
    }

    /// Every event of the chat received on this socket, in arrival order.
    pub fn events(&self, chat_id: ChatId) -> Vec<StoredEvent> {
        events_in(&self.frames, chat_id)
    }

    /// The highest sequence of the chat received on this socket (0 if none).
    pub fn last_seq(&self, chat_id: ChatId) -> i64 {
        self.events(chat_id)
            .iter()
            .map(|e| e.seq)
            .max()
            .unwrap_or(0)
    }

    /// Receives until an event with sequence `seq` (or later) of the chat has arrived.
    pub async fn wait_for_seq(&mut self, chat_id: ChatId, seq: i64) {
        if self.last_seq(chat_id) >= seq {
            return;
        }
        self.recv_until(&format!("event {seq} of chat {chat_id}"), |f| match f {
            ServerFrame::Events {
                chat_id: c, events, ..
            } => *c == chat_id && events.iter().any(|e| e.seq >= seq),
            _ => false,
        })
        .await;
    }

    /// Receives until a message with this body arrives in the chat.
    pub async fn wait_for_message(&mut self, chat_id: ChatId, body: &str) {
        if messages(&self.events(chat_id))
            .iter()
            .any(|(_, b)| b == body)
        {
            return;
        }
        self.recv_until(
            &format!("message {body:?} in chat {chat_id}"),
            |f| match f {
                ServerFrame::Events {
                    chat_id: c, events, ..
                } => *c == chat_id && messages(events).iter().any(|(_, b)| b == body),
                _ => false,
            },
        )
        .await;
    }

    /// A barrier for a staff socket's chat list: starts a chat and waits for its ChatChanged.
    /// The staff feed is delivered in order, so every earlier change has arrived by then.
    pub async fn staff_feed_barrier(&mut self, server: &TestServer, visitor_name: &str) {
        let marker = server.start_chat(visitor_name, "Just a marker", None).await;
        self.recv_until(
            &format!("the new chat of {visitor_name}"),
            |f| matches!(f, ServerFrame::ChatChanged { chat } if chat.id == marker.chat_id),
        )
        .await;
    }

    /// The frames received so far whose JSON contains `needle` (the staff directory aside,
    /// which names every staff member by design).
    pub fn frames_mentioning(&self, needle: &str) -> Vec<String> {
        self.frames
            .iter()
            .filter(|f| !matches!(f, ServerFrame::Directory { .. }))
            .map(|f| serde_json::to_string(f).unwrap())
            .filter(|json| json.contains(needle))
            .collect()
    }

    /// The Error frames received so far.
    pub fn errors(&self) -> Vec<(ErrorCode, Option<String>)> {
        self.frames
            .iter()
            .filter_map(|f| match f {
                ServerFrame::Error {
                    code, client_id, ..
                } => Some((*code, client_id.clone())),
                _ => None,
            })
            .collect()
    }
}

/// The events of one chat in these frames, in order.
pub fn events_in(frames: &[ServerFrame], chat_id: ChatId) -> Vec<StoredEvent> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Events {
                chat_id: c, events, ..
            } if *c == chat_id => Some(events.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// `(seq, body)` of the messages among these events.
pub fn messages(events: &[StoredEvent]) -> Vec<(i64, String)> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::Message { body, .. } => Some((e.seq, body.clone())),
            _ => None,
        })
        .collect()
}

/// Bodies of the messages among these events written by the visitor.
pub fn visitor_messages(events: &[StoredEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::Message {
                author: Author::Visitor,
                body,
            } => Some(body.clone()),
            _ => None,
        })
        .collect()
}

/// Fails unless the sequences strictly increase (which also rules out duplicates).
pub fn assert_strictly_increasing(what: &str, seqs: &[i64]) {
    for pair in seqs.windows(2) {
        assert!(
            pair[0] < pair[1],
            "{what}: sequences not strictly increasing: {seqs:?}"
        );
    }
}

pub fn seqs(events: &[StoredEvent]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

// ---- Server functions --------------------------------------------------------------------

/// Posts JSON to `/api/<endpoint>`; the answer as a value, or the server's error.
pub async fn call_raw(
    server: &TestServer,
    session: Option<&str>,
    endpoint: &str,
    body: Value,
) -> Result<Value, ApiError> {
    let mut req = server
        .http()
        .post(server.url(&format!("/api/{endpoint}")))
        .json(&body);
    if let Some(session) = session {
        req = req.header(reqwest::header::COOKIE, format!("hd_session={session}"));
    }
    let res = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST /api/{endpoint}: {e}"));
    let status = res.status();
    let text = res.text().await.unwrap();
    if status.is_success() {
        Ok(serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{endpoint} answered {text:?}: {e}")))
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{endpoint} failed with {status} and an unreadable error {text:?}: {e}")
        }))
    }
}

/// Like [`call_raw`] as this signed-in staff member, insisting on success.
pub async fn call<T: DeserializeOwned>(
    server: &TestServer,
    session: &str,
    endpoint: &str,
    body: Value,
) -> T {
    match call_raw(server, Some(session), endpoint, body.clone()).await {
        Ok(v) => serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("{endpoint} answered {v}: {e}")),
        Err(e) => panic!("{endpoint} with {body} failed: {e:?}"),
    }
}

/// Like [`call_raw`], insisting on failure.
pub async fn refused(
    server: &TestServer,
    session: Option<&str>,
    endpoint: &str,
    body: Value,
) -> ApiError {
    match call_raw(server, session, endpoint, body.clone()).await {
        Ok(v) => panic!("{endpoint} with {body} should have failed, answered {v}"),
        Err(e) => e,
    }
}

/// The field names of an `Invalid` error.
pub fn fields(e: &ApiError) -> Vec<String> {
    match e {
        ApiError::Invalid(errors) => errors.iter().map(|e| e.field.clone()).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// A multipart body with `fields` first, then `file` as (file name, bytes).
pub fn multipart(fields: &[(&str, String)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----helpdesk-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart form to a server function; its answer, or the error it gave.
pub async fn post_multipart<T: serde::de::DeserializeOwned>(
    server: &TestServer,
    endpoint: &str,
    session: Option<&str>,
    fields: &[(&str, String)],
    file: Option<(&str, &[u8])>,
) -> Result<T, ApiError> {
    let (content_type, body) = multipart(fields, file);
    let mut req = server
        .http()
        .post(server.url(&format!("/api/{endpoint}")))
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body);
    if let Some(session) = session {
        req = req.header(reqwest::header::COOKIE, format!("hd_session={session}"));
    }
    let res = req.send().await.expect("POST an upload");
    let status = res.status();
    let text = res.text().await.unwrap();
    if status.is_success() {
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text:?}: {e}")))
    } else {
        Err(serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{status} with unreadable error {text:?}: {e}")))
    }
}

/// A helpdesk for one test: Sales; Ada the admin; Ann and Bob in Sales; all signed in.
pub struct Desk {
    pub server: TestServer,
    pub dir: tempfile::TempDir,
    pub sales: i64,
    /// Admin, in no department.
    pub ada: (Me, String),
    /// Staff in Sales.
    pub ann: (Me, String),
    /// Staff in Sales too, never in the test chats unless a test puts them there.
    pub bob: (Me, String),
}

pub async fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let sales = server.add_department("Sales").await;
    let ada = server.add_admin("Ada Admin", "ada@example.com").await;
    let ann = server
        .add_staff("Ann Lee", "ann@example.com", &["Sales"])
        .await;
    let bob = server
        .add_staff("Bob Stone", "bob@example.com", &["Sales"])
        .await;
    let ada = (ada, server.login("ada@example.com").await);
    let ann = (ann, server.login("ann@example.com").await);
    let bob = (bob, server.login("bob@example.com").await);
    Desk {
        server,
        dir,
        sales,
        ada,
        ann,
        bob,
    }
}
