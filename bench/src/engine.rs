//! The load engine: opens visitor and staff sockets, paces messages in both directions, and
//! keeps a ledger indexed by message id (send time, deliveries to the other party, the sender's
//! own copy, the ack), from which loss, duplication and latency are read afterwards.
//!
//! Works the same against the real server and the baseline relay: both speak the same frames.

use crate::proto::{self, Frame};
use crate::stats::{ms, quantile};
use crate::{err, Result};
use futures::{SinkExt, StreamExt};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::COOKIE;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// How long any single set-up step (one socket's greeting and watches) may take.
const STEP: Duration = Duration::from_secs(60);

/// Client sockets are bound to these source addresses in turn, so that more sockets than one
/// address's ephemeral port range (about 28,000) can reach one server address.
pub fn source_ips(count: u8) -> Vec<IpAddr> {
    source_ips_from(2, count)
}

/// `count` source addresses from 127.0.0.`first`. A later run in the same process uses fresh
/// ones: the sockets of an earlier run leave their ports in TIME_WAIT for a minute.
pub fn source_ips_from(first: u8, count: u8) -> Vec<IpAddr> {
    (0..count.max(1))
        .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, first.saturating_add(i).max(2))))
        .collect()
}

/// One chat as a visitor knows it.
#[derive(Clone, Debug)]
pub struct ChatCred {
    pub id: i64,
    pub token: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Visitor,
    Staff,
}

/// Everything the receivers record, by message id.
pub struct Ledger {
    epoch: Instant,
    cap: u64,
    sent_at: Box<[AtomicU64]>,
    /// Send → delivery to the other party, µs (first delivery).
    lat_us: Box<[AtomicU32]>,
    /// Deliveries to the other party (must end at exactly 1).
    hits: Box<[AtomicU8]>,
    /// Copies the sender's own socket got back (the server echoes to every watcher).
    echoes: Box<[AtomicU8]>,
    /// Send → ack, µs.
    ack_us: Box<[AtomicU32]>,
    acks: Box<[AtomicU8]>,
    pub errors: AtomicU64,
    pub closed: AtomicU64,
    pub send_failed: AtomicU64,
    /// Chat lists received during the run (a staff socket's resync after its feed lagged).
    pub chat_lists: AtomicU64,
    /// Bytes of those chat lists.
    pub chat_list_bytes: AtomicU64,
    /// chat_changed frames received during the run.
    pub chat_changed: AtomicU64,
    error_samples: Mutex<Vec<String>>,
}

fn atomics<T>(n: u64, make: impl Fn() -> T) -> Box<[T]> {
    (0..n).map(|_| make()).collect()
}

impl Ledger {
    pub fn new(cap: u64) -> Arc<Ledger> {
        Arc::new(Ledger {
            epoch: Instant::now(),
            cap,
            sent_at: atomics(cap, || AtomicU64::new(0)),
            lat_us: atomics(cap, || AtomicU32::new(0)),
            hits: atomics(cap, || AtomicU8::new(0)),
            echoes: atomics(cap, || AtomicU8::new(0)),
            ack_us: atomics(cap, || AtomicU32::new(0)),
            acks: atomics(cap, || AtomicU8::new(0)),
            errors: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            send_failed: AtomicU64::new(0),
            chat_lists: AtomicU64::new(0),
            chat_list_bytes: AtomicU64::new(0),
            chat_changed: AtomicU64::new(0),
            error_samples: Mutex::new(Vec::new()),
        })
    }

    pub fn cap(&self) -> u64 {
        self.cap
    }

    pub fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    fn error(&self, text: String) {
        self.errors.fetch_add(1, Relaxed);
        let mut samples = self.error_samples.lock().unwrap();
        if samples.len() < 5 {
            samples.push(text);
        }
    }

    pub fn error_samples(&self) -> Vec<String> {
        self.error_samples.lock().unwrap().clone()
    }

    fn on_message(&self, role: Role, body: &str) {
        let Some((from_staff, id, sent)) = proto::parse_body(body) else {
            return;
        };
        if id >= self.cap {
            return;
        }
        let i = id as usize;
        let from_other = from_staff == (role == Role::Visitor);
        if from_other {
            if self.hits[i].fetch_add(1, Relaxed) == 0 {
                let lat = self.now_us().saturating_sub(sent).min(u32::MAX as u64) as u32;
                self.lat_us[i].store(lat, Relaxed);
            }
        } else {
            self.echoes[i].fetch_add(1, Relaxed);
        }
    }

    fn on_ack(&self, client_id: &str) {
        let Some(id) = proto::parse_client_id(client_id) else {
            return;
        };
        if id >= self.cap {
            return;
        }
        let i = id as usize;
        if self.acks[i].fetch_add(1, Relaxed) == 0 {
            let sent = self.sent_at[i].load(Relaxed);
            let lat = self.now_us().saturating_sub(sent).min(u32::MAX as u64) as u32;
            self.ack_us[i].store(lat, Relaxed);
        }
    }

    fn settled(&self, i: usize) -> bool {
        self.hits[i].load(Relaxed) > 0
            && self.acks[i].load(Relaxed) > 0
            && self.echoes[i].load(Relaxed) > 0
    }

    /// Waits until every message in `ids` reached the other party, came back to its sender and
    /// was acked, or until `limit` passes. Returns the time waited.
    pub async fn drain(&self, ids: std::ops::Range<u64>, limit: Duration) -> Duration {
        let start = Instant::now();
        let mut next = ids.start;
        while start.elapsed() < limit {
            while next < ids.end && self.settled(next as usize) {
                next += 1;
            }
            if next >= ids.end {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        start.elapsed()
    }

    /// Figures over the messages with ids in `ids`.
    pub fn summary(&self, ids: std::ops::Range<u64>) -> Summary {
        let mut lat = Vec::with_capacity((ids.end - ids.start) as usize);
        let mut ack = Vec::with_capacity((ids.end - ids.start) as usize);
        let (mut delivered, mut duplicated, mut lost, mut acked, mut echo_missing) =
            (0u64, 0u64, 0u64, 0u64, 0u64);
        let first_sent = self
            .sent_at
            .get(ids.start as usize)
            .map_or(0, |at| at.load(Relaxed));
        let mut seconds: Vec<Second> = Vec::new();
        for id in ids.clone() {
            let i = id as usize;
            let hits = self.hits[i].load(Relaxed);
            if hits == 0 {
                lost += 1;
            } else {
                delivered += 1;
                duplicated += u64::from(hits > 1);
                let us = self.lat_us[i].load(Relaxed);
                lat.push(us);
                let s =
                    (self.sent_at[i].load(Relaxed).saturating_sub(first_sent) / 1_000_000) as usize;
                if seconds.len() <= s {
                    seconds.resize(s + 1, Second::default());
                }
                seconds[s].add(us);
            }
            if self.acks[i].load(Relaxed) > 0 {
                acked += 1;
                ack.push(self.ack_us[i].load(Relaxed));
            }
            if self.echoes[i].load(Relaxed) != 1 {
                echo_missing += 1;
            }
        }
        lat.sort_unstable();
        ack.sort_unstable();
        let mean = if lat.is_empty() {
            0.0
        } else {
            lat.iter().map(|&v| v as f64).sum::<f64>() / lat.len() as f64
        };
        Summary {
            sent: ids.end - ids.start,
            delivered,
            lost,
            duplicated,
            acked,
            echo_wrong: echo_missing,
            p50_ms: ms(quantile(&lat, 0.5)),
            p99_ms: ms(quantile(&lat, 0.99)),
            p999_ms: ms(quantile(&lat, 0.999)),
            max_ms: ms(lat.last().copied().unwrap_or(0)),
            mean_ms: (mean / 10.0).round() / 100.0,
            ack_p50_ms: ms(quantile(&ack, 0.5)),
            ack_p99_ms: ms(quantile(&ack, 0.99)),
            seconds,
        }
    }
}

/// The messages sent in one second of a run: whether a tail comes in bursts (and how often)
/// or is spread over the run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Second {
    pub delivered: u64,
    /// Delivered after more than 10 ms.
    pub over_10ms: u64,
    pub max_ms: f64,
}

impl Second {
    fn add(&mut self, us: u32) {
        self.delivered += 1;
        self.over_10ms += u64::from(us > 10_000);
        self.max_ms = self.max_ms.max(ms(us));
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub sent: u64,
    /// Reached the other party at least once.
    pub delivered: u64,
    /// Never reached the other party by the end of the drain window (default 60 s after the
    /// last send).
    pub lost: u64,
    /// Reached the other party more than once.
    pub duplicated: u64,
    pub acked: u64,
    /// Messages whose sender's own socket did not get exactly one copy back.
    pub echo_wrong: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    /// Second by second from the first send.
    pub seconds: Vec<Second>,
}

/// Opens a WebSocket to `server`'s /ws from `source`, with a 4 KiB read buffer and no write
/// buffering (as a browser-like client that does not hold much per socket), TCP_NODELAY on
/// (browsers set it).
pub async fn open_ws(server: SocketAddr, source: IpAddr, cookie: Option<&str>) -> Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    let mut request = format!("ws://{server}/ws").into_client_request()?;
    if let Some(cookie) = cookie {
        request.headers_mut().insert(COOKIE, cookie.parse()?);
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(256 << 20))
        .max_frame_size(Some(256 << 20));
    let (ws, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    Ok(ws)
}

/// The largest frame any socket received while greeting and watching (e.g. a staff socket's
/// list of open chats), in bytes.
pub static LARGEST_GREETING_FRAME: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Reads frames until `done` says so; an error frame or a closed socket fails.
async fn read_until(ws: &mut Ws, what: &str, mut done: impl FnMut(&Frame) -> bool) -> Result<()> {
    let fut = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    LARGEST_GREETING_FRAME.fetch_max(text.len(), Relaxed);
                    let frame: Frame = match serde_json::from_str(text.as_str()) {
                        Ok(f) => f,
                        Err(_) => continue,
                    };
                    if let Frame::Error { code, message, .. } = &frame {
                        return Err(err(format!("{what}: server error {code}: {message}")));
                    }
                    if done(&frame) {
                        return Ok(());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(err(format!("{what}: {e}"))),
                None => return Err(err(format!("{what}: socket closed"))),
            }
        }
    };
    match tokio::time::timeout(STEP, fut).await {
        Ok(r) => r,
        Err(_) => Err(err(format!("{what}: no answer within {STEP:?}"))),
    }
}

/// Greets and watches `chats`; returns once each watched chat's first Events frame arrived.
pub async fn greet(ws: &mut Ws, hello: String, chats: &[i64]) -> Result<()> {
    ws.send(Message::Text(hello.into())).await?;
    read_until(ws, "hello", |f| matches!(f, Frame::Ready)).await?;
    for &chat in chats {
        ws.send(Message::Text(proto::watch(chat, 0).into())).await?;
    }
    let mut waiting: std::collections::HashSet<i64> = chats.iter().copied().collect();
    if waiting.is_empty() {
        return Ok(());
    }
    read_until(ws, "watch", |f| {
        if let Frame::Events { chat_id, .. } = f {
            waiting.remove(chat_id);
        }
        waiting.is_empty()
    })
    .await
}

/// A socket driven by its own task: frames to send go in through `tx`.
pub struct Conn {
    pub tx: mpsc::UnboundedSender<String>,
}

fn on_text(text: &str, role: Role, ledger: &Ledger) {
    // Skip the frames the ledger does not need without parsing them (the tag comes first).
    match proto::tag(text) {
        Some("chats") => {
            ledger.chat_lists.fetch_add(1, Relaxed);
            ledger.chat_list_bytes.fetch_add(text.len() as u64, Relaxed);
            return;
        }
        Some("chat_changed") => {
            ledger.chat_changed.fetch_add(1, Relaxed);
            return;
        }
        Some("events" | "ack" | "error") => {}
        Some(_) => return,
        None if matches!(text, r#""pong""# | r#""ready""#) => return,
        None => {}
    }
    match serde_json::from_str::<Frame>(text) {
        Ok(Frame::Events { events, .. }) => {
            for e in &events {
                if let Some(body) = e.message_body() {
                    ledger.on_message(role, body);
                }
            }
        }
        Ok(Frame::Ack { client_id, .. }) => ledger.on_ack(&client_id),
        Ok(Frame::Error {
            code,
            message,
            client_id,
        }) => ledger.error(format!(
            "{code}: {message} ({})",
            client_id.unwrap_or_default()
        )),
        Ok(_) => {}
        Err(e) => ledger.error(format!("unreadable frame: {e}")),
    }
}

/// Runs one socket until `stop` turns true or the socket closes.
pub fn spawn_conn(
    ws: Ws,
    role: Role,
    ledger: Arc<Ledger>,
    mut stop: watch::Receiver<bool>,
) -> (Conn, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let task = tokio::spawn(async move {
        let (mut sink, mut stream) = ws.split();
        loop {
            tokio::select! {
                msg = stream.next() => match msg {
                    Some(Ok(Message::Text(text))) => on_text(text.as_str(), role, &ledger),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        ledger.closed.fetch_add(1, Relaxed);
                        return;
                    }
                    Some(Ok(_)) => {}
                },
                out = rx.recv() => match out {
                    Some(text) => {
                        if sink.send(Message::Text(text.into())).await.is_err() {
                            ledger.send_failed.fetch_add(1, Relaxed);
                        }
                    }
                    None => return,
                },
                _ = stop.changed() => {
                    let _ = sink.close().await;
                    return;
                }
            }
        }
    });
    (Conn { tx }, task)
}

/// The sockets of one run: a visitor socket per chat and the staff sockets.
pub struct Fleet {
    pub ledger: Arc<Ledger>,
    pub chats: Vec<ChatCred>,
    visitors: Vec<Conn>,
    staff: Vec<Conn>,
    /// Index into `staff` for each chat.
    staff_of: Vec<usize>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    next_id: u64,
}

pub struct FleetOptions {
    pub server: SocketAddr,
    pub sources: Vec<IpAddr>,
    /// The staff session cookie (None against the relay, which asks for none).
    pub staff_cookie: Option<String>,
    /// Chats each staff socket watches (1 = a staff socket per chat, as a visitor socket).
    pub chats_per_staff: usize,
    /// Sockets being opened at once.
    pub parallel: usize,
}

/// Timings of opening the fleet, and how many sockets it holds.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Opened {
    pub visitor_sockets: usize,
    pub staff_sockets: usize,
    pub visitors_secs: f64,
    pub staff_secs: f64,
}

impl Fleet {
    pub fn new(chats: Vec<ChatCred>, ledger: Arc<Ledger>) -> Fleet {
        Fleet {
            ledger,
            chats,
            visitors: Vec::new(),
            staff: Vec::new(),
            staff_of: Vec::new(),
            stop: watch::channel(false).0,
            tasks: Vec::new(),
            next_id: 0,
        }
    }

    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    pub fn live_tasks(&self) -> usize {
        self.tasks.iter().filter(|t| !t.is_finished()).count()
    }

    /// Opens, greets and watches a visitor socket for every chat.
    pub async fn open_visitors(&mut self, opts: &FleetOptions) -> Result<f64> {
        let start = Instant::now();
        let sources = opts.sources.clone();
        let server = opts.server;
        let opened: Vec<Result<Ws>> =
            futures::stream::iter(self.chats.clone().into_iter().enumerate())
                .map(|(i, chat)| {
                    let source = sources[i % sources.len()];
                    async move {
                        let mut ws = open_ws(server, source, None).await?;
                        greet(
                            &mut ws,
                            proto::hello_visitor(chat.id, &chat.token),
                            &[chat.id],
                        )
                        .await?;
                        Ok(ws)
                    }
                })
                .buffered(opts.parallel.max(1))
                .collect()
                .await;
        for ws in opened {
            let ws = ws.map_err(|e| err(format!("opening a visitor socket: {e}")))?;
            let (conn, task) = spawn_conn(
                ws,
                Role::Visitor,
                self.ledger.clone(),
                self.stop.subscribe(),
            );
            self.visitors.push(conn);
            self.tasks.push(task);
        }
        Ok(start.elapsed().as_secs_f64())
    }

    /// Opens the staff sockets, each watching `chats_per_staff` chats.
    pub async fn open_staff(&mut self, opts: &FleetOptions) -> Result<f64> {
        let start = Instant::now();
        let per = opts.chats_per_staff.clamp(1, 500);
        let groups: Vec<Vec<i64>> = self
            .chats
            .chunks(per)
            .map(|c| c.iter().map(|c| c.id).collect())
            .collect();
        let sources = opts.sources.clone();
        let server = opts.server;
        let cookie = opts.staff_cookie.clone();
        // Offset the source addresses so visitor and staff sockets spread over all of them.
        let offset = self.chats.len();
        let opened: Vec<Result<Ws>> = futures::stream::iter(groups.into_iter().enumerate())
            .map(|(i, group)| {
                let source = sources[(offset + i) % sources.len()];
                let cookie = cookie.clone();
                async move {
                    let mut ws = open_ws(server, source, cookie.as_deref()).await?;
                    greet(&mut ws, proto::hello_staff(), &group).await?;
                    Ok(ws)
                }
            })
            .buffered(if per == 1 { opts.parallel.max(1) } else { 4 })
            .collect()
            .await;
        for ws in opened {
            let ws = ws.map_err(|e| err(format!("opening a staff socket: {e}")))?;
            let (conn, task) =
                spawn_conn(ws, Role::Staff, self.ledger.clone(), self.stop.subscribe());
            self.staff.push(conn);
            self.tasks.push(task);
        }
        self.staff_of = (0..self.chats.len()).map(|i| i / per).collect();
        Ok(start.elapsed().as_secs_f64())
    }

    /// Sends `rate` messages per second for `duration`, spread over the chats in turn and
    /// alternating visitor → staff and staff → visitor within each chat. Returns the id range
    /// sent and the seconds the pacing actually took.
    pub async fn drive(&mut self, rate: f64, duration: Duration) -> (std::ops::Range<u64>, f64) {
        let n = self.chats.len() as u64;
        let first = self.next_id;
        let budget = self.ledger.cap().saturating_sub(first);
        let start = Instant::now();
        let mut sent = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let elapsed = start.elapsed();
            if elapsed >= duration {
                break;
            }
            let due = ((rate * elapsed.as_secs_f64()) as u64).min(budget);
            while sent < due {
                let id = first + sent;
                let chat = (id % n) as usize;
                let from_staff = (id / n) % 2 == 1;
                let now = self.ledger.now_us();
                self.ledger.sent_at[id as usize].store(now, Relaxed);
                let frame = proto::send_raw(
                    self.chats[chat].id,
                    &proto::client_id(id),
                    &proto::body(from_staff, id, now),
                );
                let conn = if from_staff {
                    &self.staff[self.staff_of[chat]]
                } else {
                    &self.visitors[chat]
                };
                if conn.tx.send(frame).is_err() {
                    self.ledger.send_failed.fetch_add(1, Relaxed);
                }
                sent += 1;
            }
            if sent >= budget {
                break;
            }
        }
        let took = start.elapsed().as_secs_f64();
        self.next_id = first + sent;
        (first..first + sent, took)
    }

    /// Closes every socket and waits (bounded) for their tasks.
    pub async fn close(mut self) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        let _ =
            tokio::time::timeout(Duration::from_secs(20), futures::future::join_all(tasks)).await;
    }
}
