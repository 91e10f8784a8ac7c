//! Round trip on one quiet chat: send, wait for the ack, send the next (closed loop), visitor
//! and staff in turn, against the real server, the relay, and the relay with TCP_NODELAY. This
//! is what one conversation feels like with nothing else going on; it separates the per-message
//! path (storage, socket settings) from load effects.
//!
//! With `--url` (a server already running, its staff member seeded as `proc::STAFF_EMAIL`) and
//! `--staff-url` (another node on the same database), it measures one node against two: the
//! visitor on the first node, staff on the second, every message crossing through PostgreSQL.
//!
//! cargo run -p bench --release --bin roundtrip -- --messages 300

use bench::engine::{self, Ws};
use bench::proto::{self, Frame};
use bench::scenario::{self, ServerOpts};
use bench::stats::{ms, quantile};
use bench::{err, proc, sys, Result};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
#[command(
    about = "Closed-loop send→ack and send→delivery on one chat: server vs relay (± TCP_NODELAY)"
)]
struct Args {
    #[arg(long, default_value_t = 300)]
    messages: usize,
    /// Only visitor → staff (no alternation).
    #[arg(long)]
    one_way: bool,
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// A running server to measure instead of starting one (no relay runs then).
    #[arg(long)]
    url: Option<String>,
    /// Another node of `--url`'s database: staff connect there, the visitor to `--url`.
    #[arg(long, requires = "url")]
    staff_url: Option<String>,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// Sends on `from`, then reads `from` until the ack and `to` until the message: returns
/// (send→ack, send→delivery) in µs. `tag` keeps the client ids of two measurements on one chat
/// apart (a repeated id is a retry, stored once and not delivered again).
async fn one(from: &mut Ws, to: &mut Ws, chat: i64, tag: usize, i: usize) -> Result<(u32, u32)> {
    let cid = format!("rt{tag}-{i}");
    let body = format!("round trip {tag}-{i}");
    let start = Instant::now();
    from.send(Message::Text(
        json!({"send": {"chat_id": chat, "client_id": cid, "body": body}})
            .to_string()
            .into(),
    ))
    .await?;
    let mut ack = None;
    let mut delivered = None;
    let wait = async {
        while ack.is_none() || delivered.is_none() {
            tokio::select! {
                m = from.next(), if ack.is_none() => {
                    if let Some(Ok(Message::Text(t))) = m {
                        match serde_json::from_str::<Frame>(t.as_str()) {
                            Ok(Frame::Ack { client_id, .. }) if client_id == cid => ack = Some(start.elapsed()),
                            Ok(Frame::Error { message, .. }) => return Err(err(message)),
                            _ => {}
                        }
                    } else if m.is_none() { return Err(err("closed")) }
                }
                m = to.next(), if delivered.is_none() => {
                    if let Some(Ok(Message::Text(t))) = m {
                        if let Ok(Frame::Events { events, .. }) = serde_json::from_str::<Frame>(t.as_str()) {
                            if events.iter().any(|e| e.message_body() == Some(body.as_str())) {
                                delivered = Some(start.elapsed());
                            }
                        }
                    } else if m.is_none() { return Err(err("closed")) }
                }
            }
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .map_err(|_| err("no answer in 10 s"))??;
    // The sender's own copy comes after its ack; read it so it does not pile up.
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        while let Some(Ok(Message::Text(t))) = from.next().await {
            if t.as_str().contains(&body) {
                break;
            }
        }
    })
    .await;
    Ok((
        ack.unwrap().as_micros() as u32,
        delivered.unwrap().as_micros() as u32,
    ))
}

async fn measure(
    name: &str,
    tag: usize,
    addr: std::net::SocketAddr,
    staff_addr: std::net::SocketAddr,
    cookie: Option<&str>,
    chat: (i64, String),
    args: &Args,
) -> Result<serde_json::Value> {
    let source = engine::source_ips(1)[0];
    let mut visitor = engine::open_ws(addr, source, None).await?;
    engine::greet(
        &mut visitor,
        proto::hello_visitor(chat.0, &chat.1),
        &[chat.0],
    )
    .await?;
    let mut staff = engine::open_ws(staff_addr, source, cookie).await?;
    engine::greet(&mut staff, proto::hello_staff(), &[chat.0]).await?;
    let (mut acks, mut dels) = (Vec::new(), Vec::new());
    for i in 0..args.messages {
        let from_staff = !args.one_way && i % 2 == 1;
        let (a, d) = if from_staff {
            one(&mut staff, &mut visitor, chat.0, tag, i).await?
        } else {
            one(&mut visitor, &mut staff, chat.0, tag, i).await?
        };
        acks.push(a);
        dels.push(d);
    }
    acks.sort_unstable();
    dels.sort_unstable();
    let mean =
        |v: &[u32]| v.iter().map(|&x| x as f64).sum::<f64>() / v.len().max(1) as f64 / 1000.0;
    println!(
        "{name:<16} ack p50 {:>7.2} p99 {:>7.2} mean {:>7.2} ms | delivery p50 {:>7.2} p99 {:>7.2} mean {:>7.2} ms",
        ms(quantile(&acks, 0.5)),
        ms(quantile(&acks, 0.99)),
        mean(&acks),
        ms(quantile(&dels, 0.5)),
        ms(quantile(&dels, 0.99)),
        mean(&dels)
    );
    Ok(json!({
        "target": name,
        "ack_p50_ms": ms(quantile(&acks, 0.5)), "ack_p99_ms": ms(quantile(&acks, 0.99)), "ack_mean_ms": (mean(&acks) * 1000.0).round() / 1000.0,
        "delivery_p50_ms": ms(quantile(&dels, 0.5)), "delivery_p99_ms": ms(quantile(&dels, 0.99)), "delivery_mean_ms": (mean(&dels) * 1000.0).round() / 1000.0,
    }))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("roundtrip: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let root = bench::repo_root();
    println!(
        "roundtrip: {} messages on one chat, closed loop, {} (load average {})",
        args.messages,
        if args.one_way {
            "visitor → staff only"
        } else {
            "visitor and staff in turn"
        },
        sys::loadavg()
    );
    let mut results = Vec::new();
    let opts = ServerOpts {
        server_bin: args
            .server_bin
            .clone()
            .unwrap_or_else(|| root.join("target/release/server")),
        site_root: root.join("target/site"),
        root: root.clone(),
        url: args.url.clone(),
        pid: None,
        email: proc::STAFF_EMAIL.into(),
        password: proc::STAFF_PASSWORD.into(),
    };
    let target = scenario::server(&opts, 1, 1).await?;
    let chat = (target.chats[0].id, target.chats[0].token.clone());
    let cookie = target.cookie.as_deref();
    results.push(
        measure(
            "server",
            0,
            target.addr,
            target.addr,
            cookie,
            chat.clone(),
            &args,
        )
        .await?,
    );
    if let Some(url) = &args.staff_url {
        let staff_addr = url
            .trim_end_matches('/')
            .trim_start_matches("http://")
            .parse()
            .map_err(|e| err(format!("{url} is not http://<ip>:<port>: {e}")))?;
        results.push(
            measure(
                "across nodes",
                1,
                target.addr,
                staff_addr,
                cookie,
                chat,
                &args,
            )
            .await?,
        );
    }
    drop(target);
    if args.url.is_some() {
        return report(&args, results);
    }
    for nodelay in [false, true] {
        let target = scenario::relay(1, nodelay).await?;
        let name = if nodelay { "relay+nodelay" } else { "relay" };
        let addr = target.addr;
        results.push(measure(name, 0, addr, addr, None, (1, "relay".into()), &args).await?);
    }
    report(&args, results)
}

/// Prints the JSON line (and appends it to `--json-out`).
fn report(args: &Args, results: Vec<serde_json::Value>) -> Result<()> {
    let line = json!({"bench": "roundtrip", "date": bench::utc_now(), "loadavg": sys::loadavg(), "messages": args.messages, "one_way": args.one_way, "url": args.url, "staff_url": args.staff_url, "results": results, "knobs": sys::knobs()}).to_string();
    println!("{line}");
    if let Some(path) = &args.json_out {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{line}")?;
    }
    Ok(())
}
