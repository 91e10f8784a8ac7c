//! Console: time for the staff console to open a chat of 1,000 messages. Starts the real
//! server, seeds one chat with 1,000 messages through the sockets (visitor and staff in turn,
//! each acked), then runs bench/scripts/console.mjs in headless Chromium.
//!
//! cargo run -p bench --release --bin console

use bench::engine::{self, Ws};
use bench::proto::{self, Frame};
use bench::{err, http, proc, sys, Result};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser)]
#[command(about = "Time for the console to render a chat of N messages (Playwright)")]
struct Args {
    #[arg(long, default_value_t = 1000)]
    messages: usize,
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[arg(long)]
    site_root: Option<PathBuf>,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// Seeded messages alternate: the visitor writes the even ones, staff the odd ones.
fn is_staff(i: usize) -> bool {
    i % 2 == 1
}

fn body(i: usize) -> String {
    if is_staff(i) {
        format!("Reply {i}: thanks for waiting, I am checking the order history for you right now.")
    } else {
        format!("Message {i}: my order has not arrived yet, could you tell me where it is?")
    }
}

async fn send_and_ack(ws: &mut Ws, chat: i64, cid: &str, body: &str) -> Result<()> {
    let frame = json!({"send": {"chat_id": chat, "client_id": cid, "body": body}}).to_string();
    ws.send(Message::Text(frame.into())).await?;
    let wait = async {
        while let Some(msg) = ws.next().await {
            if let Message::Text(t) = msg? {
                match serde_json::from_str::<Frame>(t.as_str()) {
                    Ok(Frame::Ack { client_id, .. }) if client_id == cid => return Ok(()),
                    Ok(Frame::Error { message, .. }) => return Err(err(message)),
                    _ => {}
                }
            }
        }
        Err(err("socket closed"))
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .map_err(|_| err("no ack in 30 s"))?
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("console: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let root = bench::repo_root();
    let site_root = args
        .site_root
        .clone()
        .unwrap_or_else(|| root.join("target/site"));
    let bin = args
        .server_bin
        .clone()
        .unwrap_or_else(|| root.join("target/release/server"));
    let server = proc::start_server(&bin, &site_root, &root).await?;
    let base = server.base_url();
    let client = http::client();
    let cookie = http::login(&client, &base, proc::STAFF_EMAIL, proc::STAFF_PASSWORD).await?;
    let mut console = engine::open_ws(server.addr, proc::SERVER_IP, Some(&cookie)).await?;
    engine::greet(&mut console, proto::hello_staff(), &[]).await?;
    let started = http::start_chat(&client, &base, 1).await?;
    http::chat_op(&client, &base, &cookie, started.chat_id, "Accept").await?;
    let source = engine::source_ips(1)[0];
    let mut staff = engine::open_ws(server.addr, source, Some(&cookie)).await?;
    engine::greet(&mut staff, proto::hello_staff(), &[started.chat_id]).await?;
    let mut visitor = engine::open_ws(server.addr, source, None).await?;
    engine::greet(
        &mut visitor,
        proto::hello_visitor(started.chat_id, &started.token),
        &[started.chat_id],
    )
    .await?;

    let seed_start = Instant::now();
    let mut each = Vec::with_capacity(args.messages);
    for i in 0..args.messages {
        let t = Instant::now();
        let from_staff = is_staff(i);
        let body = body(i);
        let ws = if from_staff { &mut staff } else { &mut visitor };
        send_and_ack(ws, started.chat_id, &format!("seed{i}"), &body).await?;
        each.push(t.elapsed().as_micros() as u32);
    }
    let seed_secs = seed_start.elapsed().as_secs_f64();
    let first: Vec<u32> = each[..each.len() / 10].to_vec();
    let last: Vec<u32> = each[each.len() - each.len() / 10..].to_vec();
    each.sort_unstable();
    let mean =
        |v: &[u32]| v.iter().map(|&x| x as f64).sum::<f64>() / v.len().max(1) as f64 / 1000.0;
    eprintln!(
        "seeded chat {} with {} messages in {:.1} s: send→ack p50 {:.2} ms, p99 {:.2} ms, mean of the first tenth {:.2} ms, of the last tenth {:.2} ms",
        started.chat_id,
        args.messages,
        seed_secs,
        bench::stats::ms(bench::stats::quantile(&each, 0.5)),
        bench::stats::ms(bench::stats::quantile(&each, 0.99)),
        mean(&first),
        mean(&last),
    );
    drop((staff, visitor));
    // Keep the console socket open (the staff member stays online) but idle.

    let out = std::process::Command::new("node")
        .arg(root.join("bench/scripts/console.mjs"))
        .args([
            "--url",
            &base,
            "--email",
            proc::STAFF_EMAIL,
            "--password",
            proc::STAFF_PASSWORD,
        ])
        .args(["--chat", &started.chat_id.to_string()])
        .args(["--count", &(args.messages + 1).to_string()])
        .args(["--last", &body(args.messages - 1)])
        .args(["--runs", &args.runs.to_string()])
        .current_dir(&root)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(err(format!(
            "console.mjs failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    println!(
        "console: open a chat of {} messages (+ the question) — load average {}",
        args.messages,
        sys::loadavg()
    );
    for l in stdout.lines().filter(|l| !l.starts_with('{')) {
        println!("  {l}");
    }
    let result: serde_json::Value = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null);
    let line = json!({
        "bench": "console",
        "date": bench::utc_now(),
        "loadavg": sys::loadavg(),
        "messages": args.messages,
        "seed_secs": (seed_secs * 100.0).round() / 100.0,
        "result": result,
        "knobs": bench::sys::knobs(),
    })
    .to_string();
    println!("{line}");
    if let Some(path) = &args.json_out {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{line}")?;
    }
    drop(console);
    drop(server);
    Ok(())
}
