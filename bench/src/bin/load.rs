//! Load: N chats, a visitor socket and staff sockets each, R messages per second in both
//! directions for a duration, through the real server with its real storage, then the same
//! against the transport-only relay. Prints a table and one JSON line (the last line).
//!
//! cargo run -p bench --release --bin load -- --chats 1000 --rate 1000 --duration 20

use bench::engine::{self, FleetOptions, Ledger};
use bench::scenario::{self, ServerOpts, Sockets, Target};
use bench::stats::{kib, r2};
use bench::{sys, Result};
use clap::Parser;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Clone)]
#[command(
    about = "Delivery latency, loss and memory per socket: real server vs transport-only relay"
)]
struct Args {
    /// Chats (each with a visitor socket).
    #[arg(long, default_value_t = 1000)]
    chats: usize,
    /// Messages per second, all chats together, half visitor → staff, half staff → visitor.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Chats watched by one staff socket: 1 = a staff socket per chat (the shape);
    /// up to 500 (the server's limit per socket).
    #[arg(long, default_value_t = 1)]
    chats_per_staff: usize,
    /// The server binary (started on a fresh temporary data directory).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// The site root (LEPTOS_SITE_ROOT).
    #[arg(long)]
    site_root: Option<PathBuf>,
    /// Use a running server instead, e.g. http://127.0.0.1:3000 (with --email/--password).
    #[arg(long)]
    url: Option<String>,
    /// The running server's pid, to read its memory.
    #[arg(long)]
    pid: Option<u32>,
    #[arg(long, default_value = bench::proc::STAFF_EMAIL)]
    email: String,
    #[arg(long, default_value = bench::proc::STAFF_PASSWORD)]
    password: String,
    /// Sockets (and HTTP set-up calls) in flight at once while opening.
    #[arg(long, default_value_t = 64)]
    parallel: usize,
    /// Seconds to wait before each memory reading.
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    /// Longest wait, after sending stops, for the last messages.
    #[arg(long, default_value_t = 60.0)]
    drain: f64,
    /// Only the real server.
    #[arg(long)]
    skip_relay: bool,
    /// Only the relay.
    #[arg(long)]
    skip_server: bool,
    /// Set TCP_NODELAY in the relay (the server does not; for comparison).
    #[arg(long)]
    relay_nodelay: bool,
    /// After the fleet, open this many more idle visitor sockets (extra tabs, spread over the
    /// chats) and report their memory per socket; they stay open, idle, through the run.
    #[arg(long, default_value_t = 0)]
    idle_tabs: usize,
    /// Also append the JSON line to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct Report {
    target: &'static str,
    setup_secs: f64,
    sockets: Sockets,
    idle_tabs: IdleTabs,
    send_secs: f64,
    sent_per_sec: f64,
    delivery: engine::Summary,
    errors: u64,
    error_samples: Vec<String>,
    closed_sockets: u64,
    /// Chat lists and chat_changed frames the staff sockets got while messages flowed.
    chat_lists_during_run: u64,
    chat_list_bytes_during_run: u64,
    chat_changed_during_run: u64,
    drain_secs: f64,
    rss_after_run_kib: u64,
    rss_peak_kib: u64,
    target_cpu_pct: f64,
    /// Target CPU while sending by thread name, % of one CPU.
    target_threads_cpu_pct: std::collections::BTreeMap<String, f64>,
    loadgen_cpu_pct: f64,
    loadavg_before: String,
    loadavg_after: String,
}

#[derive(Default, serde::Serialize)]
struct IdleTabs {
    sockets: usize,
    open_secs: f64,
    rss_before_kib: u64,
    rss_after_kib: u64,
    bytes_per_socket: f64,
}

/// Opens `n` more visitor sockets (hello + watch) over the chats in turn, and keeps them idle.
async fn open_idle_tabs(
    target: &Target,
    n: usize,
    sources: &[std::net::IpAddr],
    parallel: usize,
    settle: Duration,
    stop: &tokio::sync::watch::Sender<bool>,
) -> Result<(IdleTabs, Vec<(engine::Conn, tokio::task::JoinHandle<()>)>)> {
    use futures::StreamExt;
    let rss_before = target.rss_kib();
    let start = std::time::Instant::now();
    let chats = target.chats.clone();
    let addr = target.addr;
    let opened: Vec<Result<engine::Ws>> = futures::stream::iter(0..n)
        .map(|i| {
            let chat = chats[i % chats.len()].clone();
            // After the fleet's sockets on the same addresses.
            let source = sources[(i + chats.len() * 2) % sources.len()];
            async move {
                let mut ws = engine::open_ws(addr, source, None).await?;
                engine::greet(
                    &mut ws,
                    bench::proto::hello_visitor(chat.id, &chat.token),
                    &[chat.id],
                )
                .await?;
                Ok(ws)
            }
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let open_secs = start.elapsed().as_secs_f64();
    let quiet = Ledger::new(0);
    let mut tasks = Vec::new();
    for ws in opened {
        // Keep the sender: a socket's task ends when its sender is dropped.
        tasks.push(engine::spawn_conn(
            ws?,
            engine::Role::Visitor,
            quiet.clone(),
            stop.subscribe(),
        ));
    }
    tokio::time::sleep(settle).await;
    let rss_after = target.rss_kib();
    Ok((
        IdleTabs {
            sockets: n,
            open_secs: r2(open_secs),
            rss_before_kib: rss_before,
            rss_after_kib: rss_after,
            bytes_per_socket: ((rss_after as f64 - rss_before as f64) * 1024.0 / n.max(1) as f64)
                .round(),
        },
        tasks,
    ))
}

async fn measure(target: &Target, args: &Args, sources: Vec<std::net::IpAddr>) -> Result<Report> {
    let cap = (args.rate * args.duration * 1.05) as u64 + 1000;
    let ledger = Ledger::new(cap);
    let opts = FleetOptions {
        server: target.addr,
        sources,
        staff_cookie: target.cookie.clone(),
        chats_per_staff: args.chats_per_staff,
        parallel: args.parallel,
    };
    eprintln!(
        "[{}] opening {} visitor sockets and their staff sockets…",
        target.name,
        target.chats.len()
    );
    let (mut fleet, sockets) = scenario::open_fleet(
        target,
        ledger.clone(),
        &opts,
        Duration::from_secs_f64(args.settle),
    )
    .await?;
    eprintln!(
        "[{}] sockets open: RSS {} → {} (visitors) → {} (staff); sending {} msg/s for {} s…",
        target.name,
        kib(sockets.rss_before_kib * 1024),
        kib(sockets.rss_after_visitors_kib * 1024),
        kib(sockets.rss_after_staff_kib * 1024),
        args.rate,
        args.duration
    );
    let (tabs_stop, _) = tokio::sync::watch::channel(false);
    let (idle_tabs, tab_tasks) = if args.idle_tabs > 0 {
        eprintln!(
            "[{}] opening {} idle visitor tabs…",
            target.name, args.idle_tabs
        );
        let (tabs, tasks) = open_idle_tabs(
            target,
            args.idle_tabs,
            &opts.sources,
            args.parallel,
            Duration::from_secs_f64(args.settle),
            &tabs_stop,
        )
        .await?;
        eprintln!(
            "[{}] idle tabs: {:.0} bytes per socket",
            target.name, tabs.bytes_per_socket
        );
        (tabs, tasks)
    } else {
        (IdleTabs::default(), Vec::new())
    };
    let loadavg_before = sys::loadavg();
    let lists0 = ledger.chat_lists.load(std::sync::atomic::Ordering::Relaxed);
    let list_bytes0 = ledger
        .chat_list_bytes
        .load(std::sync::atomic::Ordering::Relaxed);
    let changed0 = ledger
        .chat_changed
        .load(std::sync::atomic::Ordering::Relaxed);
    let (cpu0, self0, threads0) = (target.cpu_secs(), sys::self_cpu_secs(), target.thread_cpu());
    let (ids, send_secs) = fleet
        .drive(args.rate, Duration::from_secs_f64(args.duration))
        .await;
    let (cpu1, self1, threads1) = (target.cpu_secs(), sys::self_cpu_secs(), target.thread_cpu());
    let drain = ledger
        .drain(ids.clone(), Duration::from_secs_f64(args.drain))
        .await;
    let delivery = ledger.summary(ids.clone());
    let report = Report {
        target: target.name,
        setup_secs: r2(target.setup_secs),
        sockets,
        idle_tabs,
        send_secs: r2(send_secs),
        sent_per_sec: r2((ids.end - ids.start) as f64 / send_secs.max(1e-9)),
        delivery,
        errors: ledger.errors.load(std::sync::atomic::Ordering::Relaxed),
        error_samples: ledger.error_samples(),
        closed_sockets: ledger.closed.load(std::sync::atomic::Ordering::Relaxed),
        chat_lists_during_run: ledger.chat_lists.load(std::sync::atomic::Ordering::Relaxed)
            - lists0,
        chat_list_bytes_during_run: ledger
            .chat_list_bytes
            .load(std::sync::atomic::Ordering::Relaxed)
            - list_bytes0,
        chat_changed_during_run: ledger
            .chat_changed
            .load(std::sync::atomic::Ordering::Relaxed)
            - changed0,
        drain_secs: r2(drain.as_secs_f64()),
        rss_after_run_kib: target.rss_kib(),
        rss_peak_kib: target.hwm_kib(),
        target_cpu_pct: r2((cpu1 - cpu0) / send_secs.max(1e-9) * 100.0),
        target_threads_cpu_pct: sys::thread_cpu_pct(&threads0, &threads1, send_secs),
        loadgen_cpu_pct: r2((self1 - self0) / send_secs.max(1e-9) * 100.0),
        loadavg_before,
        loadavg_after: sys::loadavg(),
    };
    fleet.close().await;
    let _ = tabs_stop.send(true);
    let tab_tasks: Vec<_> = tab_tasks.into_iter().map(|(_conn, task)| task).collect();
    let _ = tokio::time::timeout(
        Duration::from_secs(20),
        futures::future::join_all(tab_tasks),
    )
    .await;
    Ok(report)
}

fn print_table(reports: &[Report], args: &Args) {
    println!();
    println!(
        "load: {} chats, {} msg/s for {} s, {} chat(s) per staff socket, {} CPUs, load average now {}",
        args.chats,
        args.rate,
        args.duration,
        args.chats_per_staff,
        sys::cpus(),
        sys::loadavg()
    );
    let row = |label: &str, f: &dyn Fn(&Report) -> String| {
        let cells: Vec<String> = reports.iter().map(|r| format!("{:>18}", f(r))).collect();
        println!("{label:<34}{}", cells.join(""));
    };
    row("", &|r| r.target.to_string());
    row("chats set up over HTTP (s)", &|r| {
        format!("{:.1}", r.setup_secs)
    });
    row("visitor / staff sockets", &|r| {
        format!(
            "{} / {}",
            r.sockets.visitor_sockets, r.sockets.staff_sockets
        )
    });
    row("RSS before sockets", &|r| {
        kib(r.sockets.rss_before_kib * 1024)
    });
    row("RSS with visitor sockets", &|r| {
        kib(r.sockets.rss_after_visitors_kib * 1024)
    });
    row("RSS with all sockets", &|r| {
        kib(r.sockets.rss_after_staff_kib * 1024)
    });
    row("memory per idle visitor socket", &|r| {
        kib(r.sockets.bytes_per_visitor_socket.max(0.0) as u64)
    });
    row("memory per staff socket", &|r| {
        kib(r.sockets.bytes_per_staff_socket.max(0.0) as u64)
    });
    row("largest frame while greeting", &|r| {
        kib(r.sockets.largest_greeting_frame_bytes as u64)
    });
    if reports.iter().any(|r| r.idle_tabs.sockets > 0) {
        row("idle visitor tabs", &|r| r.idle_tabs.sockets.to_string());
        row("RSS with idle tabs", &|r| {
            kib(r.idle_tabs.rss_after_kib * 1024)
        });
        row("memory per idle tab socket", &|r| {
            kib(r.idle_tabs.bytes_per_socket.max(0.0) as u64)
        });
    }
    row("RSS after run / peak", &|r| {
        format!(
            "{:.0}/{:.0} MiB",
            r.rss_after_run_kib as f64 / 1024.0,
            r.rss_peak_kib as f64 / 1024.0
        )
    });
    row("sent (msg/s achieved)", &|r| {
        format!("{} ({:.0})", r.delivery.sent, r.sent_per_sec)
    });
    row("delivered to the other party", &|r| {
        r.delivery.delivered.to_string()
    });
    row("lost (after drain) / duplicated", &|r| {
        format!("{} / {}", r.delivery.lost, r.delivery.duplicated)
    });
    row("acked / echo not exactly once", &|r| {
        format!("{} / {}", r.delivery.acked, r.delivery.echo_wrong)
    });
    row("errors / sockets closed", &|r| {
        format!("{} / {}", r.errors, r.closed_sockets)
    });
    row("chat lists resent while sending", &|r| {
        format!(
            "{} ({:.1} MB)",
            r.chat_lists_during_run,
            r.chat_list_bytes_during_run as f64 / 1e6
        )
    });
    row("send→deliver p50 (ms)", &|r| {
        format!("{:.2}", r.delivery.p50_ms)
    });
    row("send→deliver p99 (ms)", &|r| {
        format!("{:.2}", r.delivery.p99_ms)
    });
    row("send→deliver p99.9 (ms)", &|r| {
        format!("{:.2}", r.delivery.p999_ms)
    });
    row("send→deliver max (ms)", &|r| {
        format!("{:.2}", r.delivery.max_ms)
    });
    row("send→ack p50 / p99 (ms)", &|r| {
        format!(
            "{:.2} / {:.2}",
            r.delivery.ack_p50_ms, r.delivery.ack_p99_ms
        )
    });
    row("target CPU while sending", &|r| {
        format!("{:.0}%", r.target_cpu_pct)
    });
    row("  by thread", &|r| {
        r.target_threads_cpu_pct
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}:{v:.0}",
                    k.trim_end_matches('-').split('-').next().unwrap_or(k)
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    });
    row("load generator CPU", &|r| {
        format!("{:.0}%", r.loadgen_cpu_pct)
    });
    row("load average before → after", &|r| {
        format!(
            "{} → {}",
            r.loadavg_before.split(' ').next().unwrap_or(""),
            r.loadavg_after.split(' ').next().unwrap_or("")
        )
    });
    for r in reports {
        for e in &r.error_samples {
            println!("  {} error sample: {e}", r.target);
        }
    }
    if let (Some(s), Some(b)) = (
        reports.iter().find(|r| r.target == "server"),
        reports.iter().find(|r| r.target == "relay"),
    ) {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        println!(
            "server / relay: p50 ×{:.1}, p99 ×{:.1}, p99.9 ×{:.1}, memory per visitor socket ×{:.1}",
            ratio(s.delivery.p50_ms, b.delivery.p50_ms),
            ratio(s.delivery.p99_ms, b.delivery.p99_ms),
            ratio(s.delivery.p999_ms, b.delivery.p999_ms),
            ratio(s.sockets.bytes_per_visitor_socket, b.sockets.bytes_per_visitor_socket),
        );
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("load: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let root = bench::repo_root();
    let (sockets, sources) = scenario::plan_sockets(args.chats, args.chats_per_staff);
    let sockets = sockets + args.idle_tabs;
    let sources = (sockets.div_ceil(10_000) as u8).max(sources);
    let (soft, hard) = scenario::check_fd_budget(sockets)?;
    let count = sources;
    let sources = engine::source_ips_from(2, count);
    let relay_sources = engine::source_ips_from(2 + count, count);
    eprintln!(
        "load: {} client sockets from {} source address(es); RLIMIT_NOFILE {soft}/{hard}; load average {}",
        sockets,
        sources.len(),
        sys::loadavg()
    );
    let date = bench::utc_now();
    let mut reports = Vec::new();
    if !args.skip_server {
        let opts = ServerOpts {
            server_bin: args
                .server_bin
                .clone()
                .unwrap_or_else(|| root.join("target/release/server")),
            site_root: args
                .site_root
                .clone()
                .unwrap_or_else(|| root.join("target/site")),
            root: root.clone(),
            url: args.url.clone(),
            pid: args.pid,
            email: args.email.clone(),
            password: args.password.clone(),
        };
        eprintln!("[server] starting chats over HTTP…");
        let target = scenario::server(&opts, args.chats, args.parallel.min(16)).await?;
        match measure(&target, &args, sources.clone()).await {
            Ok(r) => reports.push(r),
            Err(e) => {
                eprintln!("[server] failed: {e}\n{}", target.log_tail());
                return Err(e);
            }
        }
        drop(target);
    }
    if !args.skip_relay {
        let target = scenario::relay(args.chats, args.relay_nodelay).await?;
        reports.push(measure(&target, &args, relay_sources.clone()).await?);
        drop(target);
    }
    print_table(&reports, &args);
    let ratio = match (
        reports.iter().find(|r| r.target == "server"),
        reports.iter().find(|r| r.target == "relay"),
    ) {
        (Some(s), Some(b)) if b.delivery.p99_ms > 0.0 => {
            Some(r2(s.delivery.p99_ms / b.delivery.p99_ms))
        }
        _ => None,
    };
    let line = json!({
        "bench": "load",
        "date": date,
        "cpus": sys::cpus(),
        "chats": args.chats,
        "rate": args.rate,
        "duration": args.duration,
        "chats_per_staff": args.chats_per_staff,
        "p99_ratio_server_over_relay": ratio,
        "results": reports,
        "knobs": sys::knobs(),
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
    Ok(())
}
