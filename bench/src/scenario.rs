//! Set-up shared by `load` and `throughput`: a target (the real server with its chats started
//! and accepted through HTTP, or the relay), and the memory read-outs around opening sockets.

use crate::engine::{self, ChatCred, Conn, Fleet, FleetOptions, Ledger, Role};
use crate::proc::{self, Running};
use crate::{err, http, proto, sys, Result};
use futures::StreamExt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to reach the real server.
#[derive(Clone, Debug)]
pub struct ServerOpts {
    pub server_bin: PathBuf,
    pub site_root: PathBuf,
    pub root: PathBuf,
    /// Use a server already running here instead of starting one (then `pid` for memory).
    pub url: Option<String>,
    pub pid: Option<u32>,
    pub email: String,
    pub password: String,
}

pub struct Target {
    pub name: &'static str,
    pub process: Option<Running>,
    pub pid: Option<u32>,
    pub addr: SocketAddr,
    pub cookie: Option<String>,
    pub chats: Vec<ChatCred>,
    /// Seconds spent starting chats and accepting them over HTTP.
    pub setup_secs: f64,
    /// A staff console socket kept open through the run, so the staff member is online.
    _console: Option<(Conn, tokio::task::JoinHandle<()>)>,
    _console_stop: Option<tokio::sync::watch::Sender<bool>>,
}

impl Target {
    pub fn rss_kib(&self) -> u64 {
        self.pid.map(sys::rss_kib).unwrap_or(0)
    }

    pub fn hwm_kib(&self) -> u64 {
        self.pid.map(sys::hwm_kib).unwrap_or(0)
    }

    pub fn cpu_secs(&self) -> f64 {
        self.pid.map(sys::cpu_secs).unwrap_or(0.0)
    }

    pub fn thread_cpu(&self) -> std::collections::BTreeMap<String, f64> {
        self.pid.map(sys::thread_cpu_secs).unwrap_or_default()
    }

    pub fn fds(&self) -> usize {
        self.pid.map(sys::fd_count).unwrap_or(0)
    }

    pub fn log_tail(&self) -> String {
        self.process
            .as_ref()
            .map(|p| p.log_tail(20))
            .unwrap_or_default()
    }
}

/// Starts (or reaches) the real server, signs the staff member in, opens one console socket,
/// then starts `chats` chats as visitors and accepts each as staff, `parallel` at a time.
pub async fn server(opts: &ServerOpts, chats: usize, parallel: usize) -> Result<Target> {
    let (process, base, pid) = match &opts.url {
        Some(url) => (None, url.trim_end_matches('/').to_string(), opts.pid),
        None => {
            let p = proc::start_server(&opts.server_bin, &opts.site_root, &opts.root).await?;
            let base = p.base_url();
            let pid = p.pid();
            (Some(p), base, Some(pid))
        }
    };
    let addr: SocketAddr = base
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| err(format!("{base} is not http://<ip>:<port>: {e}")))?;
    let client = http::client();
    let cookie = http::login(&client, &base, &opts.email, &opts.password).await?;
    // One console open, as when someone is at work: the staff member counts as online.
    let mut ws = engine::open_ws(addr, proc::SERVER_IP, Some(&cookie)).await?;
    engine::greet(&mut ws, proto::hello_staff(), &[]).await?;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let console = engine::spawn_conn(ws, Role::Staff, Ledger::new(0), stop_rx);

    let start = Instant::now();
    let started: Vec<Result<ChatCred>> = futures::stream::iter(0..chats)
        .map(|i| {
            let (client, base, cookie) = (client.clone(), base.clone(), cookie.clone());
            async move {
                let s = http::start_chat(&client, &base, i).await?;
                http::chat_op(&client, &base, &cookie, s.chat_id, "Accept").await?;
                if (i + 1) % 1000 == 0 {
                    eprintln!(
                        "  {} chats started and accepted ({:.1} s)",
                        i + 1,
                        start.elapsed().as_secs_f64()
                    );
                }
                Ok(ChatCred {
                    id: s.chat_id,
                    token: s.token,
                })
            }
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let chats = started.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(Target {
        name: "server",
        process,
        pid,
        addr,
        cookie: Some(cookie),
        chats,
        setup_secs: start.elapsed().as_secs_f64(),
        _console: Some(console),
        _console_stop: Some(stop),
    })
}

/// Starts the relay; its chats are just numbers.
pub async fn relay(chats: usize, nodelay: bool) -> Result<Target> {
    let args = if nodelay {
        vec!["--nodelay".to_string()]
    } else {
        Vec::new()
    };
    let p = proc::start_relay(&args).await?;
    Ok(Target {
        name: "relay",
        pid: Some(p.pid()),
        addr: p.addr,
        process: Some(p),
        cookie: None,
        chats: (1..=chats as i64)
            .map(|id| ChatCred {
                id,
                token: "relay".into(),
            })
            .collect(),
        setup_secs: 0.0,
        _console: None,
        _console_stop: None,
    })
}

/// Memory of the target around opening its sockets.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Sockets {
    pub visitor_sockets: usize,
    pub staff_sockets: usize,
    pub open_visitors_secs: f64,
    pub open_staff_secs: f64,
    pub rss_before_kib: u64,
    pub rss_after_visitors_kib: u64,
    pub rss_after_staff_kib: u64,
    /// ΔRSS while opening (greeting, watching) the idle visitor sockets, per socket.
    pub bytes_per_visitor_socket: f64,
    pub bytes_per_staff_socket: f64,
    pub server_fds: usize,
    /// The largest frame received while greeting (a staff socket's chat list, for one).
    pub largest_greeting_frame_bytes: usize,
}

/// Opens a visitor socket per chat and the staff sockets, reading RSS before and after each
/// (after `settle`).
pub async fn open_fleet(
    target: &Target,
    ledger: Arc<Ledger>,
    opts: &FleetOptions,
    settle: Duration,
) -> Result<(Fleet, Sockets)> {
    let mut fleet = Fleet::new(target.chats.clone(), ledger);
    engine::LARGEST_GREETING_FRAME.store(0, std::sync::atomic::Ordering::Relaxed);
    tokio::time::sleep(settle).await;
    let rss_before = target.rss_kib();
    let open_visitors_secs = fleet.open_visitors(opts).await?;
    tokio::time::sleep(settle).await;
    let rss_visitors = target.rss_kib();
    let open_staff_secs = fleet.open_staff(opts).await?;
    tokio::time::sleep(settle).await;
    let rss_staff = target.rss_kib();
    let n = target.chats.len().max(1);
    let staff_sockets = target
        .chats
        .len()
        .div_ceil(opts.chats_per_staff.clamp(1, 500));
    let per = |after: u64, before: u64, count: usize| {
        (after as f64 - before as f64) * 1024.0 / count.max(1) as f64
    };
    let sockets = Sockets {
        visitor_sockets: target.chats.len(),
        staff_sockets,
        open_visitors_secs,
        open_staff_secs,
        rss_before_kib: rss_before,
        rss_after_visitors_kib: rss_visitors,
        rss_after_staff_kib: rss_staff,
        bytes_per_visitor_socket: per(rss_visitors, rss_before, n).round(),
        bytes_per_staff_socket: per(rss_staff, rss_visitors, staff_sockets).round(),
        server_fds: target.fds(),
        largest_greeting_frame_bytes: engine::LARGEST_GREETING_FRAME
            .swap(0, std::sync::atomic::Ordering::Relaxed),
    };
    Ok((fleet, sockets))
}

/// Client sockets this run needs (visitors, staff, console), and the source addresses to
/// spread them over (about 10,000 each, well within the 28,000-port ephemeral range).
pub fn plan_sockets(chats: usize, chats_per_staff: usize) -> (usize, u8) {
    let total = chats + chats.div_ceil(chats_per_staff.clamp(1, 500)) + 1;
    let sources = total.div_ceil(10_000).clamp(1, 100) as u8;
    (total, sources)
}

/// Fails early when the file-descriptor limit cannot hold the sockets of a run.
pub fn check_fd_budget(total_sockets: usize) -> Result<(u64, u64)> {
    let (soft, hard) = sys::raise_nofile();
    // Each socket is one descriptor here and one in the server (a separate process).
    if total_sockets as u64 + 200 > soft {
        return Err(err(format!(
            "{total_sockets} sockets need more file descriptors than RLIMIT_NOFILE allows (soft {soft}, hard {hard}); \
             lower --chats, raise --chats-per-staff, or raise the hard limit (ulimit -Hn as root)"
        )));
    }
    Ok((soft, hard))
}
