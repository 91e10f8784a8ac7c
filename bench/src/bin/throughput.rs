//! Throughput: raises the message rate stage by stage through the real server (real storage)
//! until send→deliver p99 passes the limit (50 ms), and reports the highest sustained persisted
//! messages per second. In the same run, the same rows go into a fresh SQLite file with the
//! server's schema and pragmas: batched (many rows per transaction), one row per transaction,
//! and one server-like transaction per message (read state, insert, update, read back).
//!
//! cargo run -p bench --release --bin throughput -- --chats 1000

use bench::engine::{self, FleetOptions, Ledger};
use bench::scenario::{self, ServerOpts};
use bench::stats::r2;
use bench::{proc, sys, Result};
use clap::Parser;
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Row;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    about = "Highest sustained persisted messages/s before p99 passes the limit, vs raw SQLite inserts"
)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    chats: usize,
    #[arg(long, default_value_t = 1)]
    chats_per_staff: usize,
    /// Offered rates (messages/s), tried in order until one fails.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "500,1000,2000,3000,4000,5000,6000,8000,10000,12500,15000,20000,25000,30000"
    )]
    rates: Vec<f64>,
    /// Seconds per stage.
    #[arg(long, default_value_t = 10.0)]
    stage: f64,
    /// A stage passes while send→deliver p99 stays at or under this.
    #[arg(long, default_value_t = 50.0)]
    p99_limit_ms: f64,
    /// Longest wait after a stage for its last messages.
    #[arg(long, default_value_t = 60.0)]
    drain: f64,
    /// Rows for the raw insert measurements.
    #[arg(long, default_value_t = 100_000)]
    raw_rows: u64,
    /// Rows per transaction in the batched raw insert.
    #[arg(long, default_value_t = 1000)]
    raw_batch: usize,
    /// Only the raw SQLite measurements.
    #[arg(long)]
    raw_only: bool,
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[arg(long)]
    site_root: Option<PathBuf>,
    #[arg(long, default_value_t = 64)]
    parallel: usize,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct Stage {
    offered: f64,
    sent_per_sec: f64,
    persisted_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    ack_p99_ms: f64,
    lost: u64,
    duplicated: u64,
    errors: u64,
    server_cpu_pct: f64,
    server_threads_cpu_pct: std::collections::BTreeMap<String, f64>,
    loadgen_cpu_pct: f64,
    loadavg: String,
    pass: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("throughput: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let root = bench::repo_root();
    let date = bench::utc_now();
    let mut stages: Vec<Stage> = Vec::new();
    if !args.raw_only {
        let (sockets, sources) = scenario::plan_sockets(args.chats, args.chats_per_staff);
        scenario::check_fd_budget(sockets)?;
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
            url: None,
            pid: None,
            email: proc::STAFF_EMAIL.into(),
            password: proc::STAFF_PASSWORD.into(),
        };
        eprintln!("[server] starting {} chats over HTTP…", args.chats);
        let target = scenario::server(&opts, args.chats, 16).await?;
        let cap: f64 = args.rates.iter().map(|r| r * args.stage * 1.05).sum();
        let ledger = Ledger::new(cap as u64 + 1000);
        let fleet_opts = FleetOptions {
            server: target.addr,
            sources: engine::source_ips(sources),
            staff_cookie: target.cookie.clone(),
            chats_per_staff: args.chats_per_staff,
            parallel: args.parallel,
        };
        let (mut fleet, _) = scenario::open_fleet(
            &target,
            ledger.clone(),
            &fleet_opts,
            Duration::from_millis(500),
        )
        .await?;
        println!(
            "throughput: {} chats, {} chat(s) per staff socket, {} s stages, p99 limit {} ms, {} CPUs",
            args.chats,
            args.chats_per_staff,
            args.stage,
            args.p99_limit_ms,
            sys::cpus()
        );
        println!(
            "{:>8} {:>9} {:>11} {:>8} {:>8} {:>9} {:>9} {:>6} {:>6} {:>6} {:>7} {:>7} {:>15}",
            "offered",
            "sent/s",
            "persisted/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "ack p99",
            "lost",
            "dup",
            "errors",
            "srv CPU",
            "gen CPU",
            "load average"
        );
        for &rate in &args.rates {
            let errors0 = ledger.errors.load(std::sync::atomic::Ordering::Relaxed);
            let (cpu0, self0, threads0) =
                (target.cpu_secs(), sys::self_cpu_secs(), target.thread_cpu());
            let (ids, secs) = fleet.drive(rate, Duration::from_secs_f64(args.stage)).await;
            let (cpu1, self1, threads1) =
                (target.cpu_secs(), sys::self_cpu_secs(), target.thread_cpu());
            ledger
                .drain(ids.clone(), Duration::from_secs_f64(args.drain))
                .await;
            let s = ledger.summary(ids.clone());
            let errors = ledger.errors.load(std::sync::atomic::Ordering::Relaxed) - errors0;
            let sent_per_sec = s.sent as f64 / secs.max(1e-9);
            let pass = s.p99_ms <= args.p99_limit_ms
                && s.lost == 0
                && s.duplicated == 0
                && errors == 0
                && sent_per_sec >= 0.97 * rate;
            let stage = Stage {
                offered: rate,
                sent_per_sec: r2(sent_per_sec),
                persisted_per_sec: r2(s.acked as f64 / secs.max(1e-9)),
                p50_ms: s.p50_ms,
                p99_ms: s.p99_ms,
                p999_ms: s.p999_ms,
                ack_p99_ms: s.ack_p99_ms,
                lost: s.lost,
                duplicated: s.duplicated,
                errors,
                server_cpu_pct: r2((cpu1 - cpu0) / secs * 100.0),
                server_threads_cpu_pct: sys::thread_cpu_pct(&threads0, &threads1, secs),
                loadgen_cpu_pct: r2((self1 - self0) / secs * 100.0),
                loadavg: sys::loadavg(),
                pass,
            };
            println!(
                "{:>8.0} {:>9.0} {:>11.0} {:>8.2} {:>8.2} {:>9.2} {:>9.2} {:>6} {:>6} {:>6} {:>6.0}% {:>6.0}% {:>15}{}",
                stage.offered,
                stage.sent_per_sec,
                stage.persisted_per_sec,
                stage.p50_ms,
                stage.p99_ms,
                stage.p999_ms,
                stage.ack_p99_ms,
                stage.lost,
                stage.duplicated,
                stage.errors,
                stage.server_cpu_pct,
                stage.loadgen_cpu_pct,
                stage.loadavg,
                if pass { "" } else { "  ← over the limit" }
            );
            println!(
                "         server threads (% of a CPU): {}",
                stage
                    .server_threads_cpu_pct
                    .iter()
                    .map(|(k, v)| format!("{k} {v:.0}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            stages.push(stage);
            if !pass {
                break;
            }
            if fleet.next_id() >= ledger.cap() {
                break;
            }
        }
        for e in ledger.error_samples() {
            println!("  error sample: {e}");
        }
        fleet.close().await;
        drop(target);
    }
    let best = stages
        .iter()
        .filter(|s| s.pass)
        .map(|s| s.persisted_per_sec)
        .fold(0.0, f64::max);

    let raw = raw_inserts(args.chats.max(1), args.raw_rows, args.raw_batch).await?;
    println!();
    println!(
        "raw SQLite (sqlx, WAL, synchronous=NORMAL, the server's migrations), {} rows:",
        args.raw_rows
    );
    println!(
        "  batched, {} rows per transaction: {:>9.0} rows/s",
        args.raw_batch, raw.batched_per_sec
    );
    println!(
        "  one row per transaction:          {:>9.0} rows/s",
        raw.single_per_sec
    );
    println!("  server-like transaction per row:  {:>9.0} rows/s (read state, insert, update chat, read chat back)", raw.apply_like_per_sec);
    if !args.raw_only {
        println!();
        println!(
            "highest sustained persisted rate with p99 ≤ {} ms: {:.0} msg/s = {:.0}% of raw batched inserts (load average {})",
            args.p99_limit_ms,
            best,
            if raw.batched_per_sec > 0.0 { best / raw.batched_per_sec * 100.0 } else { 0.0 },
            sys::loadavg()
        );
    }
    let line = json!({
        "bench": "throughput",
        "date": date,
        "cpus": sys::cpus(),
        "chats": args.chats,
        "chats_per_staff": args.chats_per_staff,
        "stage_secs": args.stage,
        "p99_limit_ms": args.p99_limit_ms,
        "stages": stages,
        "best_persisted_per_sec": r2(best),
        "raw": raw,
        "best_over_raw_batched": if raw.batched_per_sec > 0.0 { Some(r2(best / raw.batched_per_sec)) } else { None },
        "loadavg": sys::loadavg(),
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

#[derive(serde::Serialize)]
struct Raw {
    rows: u64,
    batch: usize,
    batched_per_sec: f64,
    single_rows: u64,
    single_per_sec: f64,
    apply_like_rows: u64,
    apply_like_per_sec: f64,
}

fn event_json(id: u64, chats: usize) -> String {
    let from_staff = (id / chats as u64) % 2 == 1;
    let body = bench::proto::body(from_staff, id, id * 100);
    if from_staff {
        format!(
            r#"{{"Message":{{"author":{{"Staff":{{"id":1,"name":"Bench Staff"}}}},"body":"{body}"}}}}"#
        )
    } else {
        format!(r#"{{"Message":{{"author":"Visitor","body":"{body}"}}}}"#)
    }
}

const INSERT: &str = "INSERT INTO chat_events (chat_id, seq, audience, client_id, event, at) VALUES (?, ?, ?, ?, ?, ?)";

/// The same rows as the load sends, into a fresh database with the server's schema and pragmas.
async fn raw_inserts(chats: usize, rows: u64, batch: usize) -> Result<Raw> {
    let dir = proc::temp_dir("hd-raw")?;
    let url = format!("sqlite://{}", dir.join("raw.db").display());
    let options = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
    let now = 1_700_000_000_000i64;
    let state = r#"{"phase":"Active"}"#;
    let mut tx = pool.begin().await?;
    for c in 0..chats {
        sqlx::query(
            "INSERT INTO chats (id, token_hash, visitor_name, visitor_email, question, phase, state, last_seq, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, 'Active', ?, 0, ?, ?)",
        )
        .bind(c as i64 + 1)
        .bind(format!("hash{c}"))
        .bind(format!("Visitor {c}"))
        .bind(format!("visitor{c}@example.com"))
        .bind(format!("Question number {c}"))
        .bind(state)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;

    let row = |id: u64| -> (i64, i64, String, String) {
        let chat = (id % chats as u64) as i64 + 1;
        let seq = (id / chats as u64) as i64 + 1;
        (
            chat,
            seq,
            bench::proto::client_id(id),
            event_json(id, chats),
        )
    };

    // Batched: `batch` rows per transaction.
    let start = Instant::now();
    let mut id = 0u64;
    while id < rows {
        let mut tx = pool.begin().await?;
        let end = (id + batch.max(1) as u64).min(rows);
        for i in id..end {
            let (chat, seq, cid, event) = row(i);
            sqlx::query(INSERT)
                .bind(chat)
                .bind(seq)
                .bind("everyone")
                .bind(cid)
                .bind(event)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        id = end;
    }
    let batched = rows as f64 / start.elapsed().as_secs_f64();

    // One row per transaction (autocommit), continuing the same table.
    let single_rows = (rows / 5).max(1);
    let start = Instant::now();
    for i in rows..rows + single_rows {
        let (chat, seq, cid, event) = row(i);
        sqlx::query(INSERT)
            .bind(chat)
            .bind(seq)
            .bind("everyone")
            .bind(cid)
            .bind(event)
            .bind(now)
            .execute(&pool)
            .await?;
    }
    let single = single_rows as f64 / start.elapsed().as_secs_f64();

    // What the server's store does per message (app/src/server/sqlite: apply_in), minus the
    // rules: duplicate check, read state, insert, update the chat, read the chat back.
    let apply_rows = (rows / 5).max(1);
    let first = rows + single_rows;
    let start = Instant::now();
    for i in first..first + apply_rows {
        let (chat, _, cid, event) = row(i);
        let mut tx = pool.begin().await?;
        let seen: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM chat_events WHERE chat_id = ? AND client_id = ?")
                .bind(chat)
                .bind(&cid)
                .fetch_optional(&mut *tx)
                .await?;
        assert!(seen.is_none());
        let r = sqlx::query("SELECT state, last_seq FROM chats WHERE id = ?")
            .bind(chat)
            .fetch_one(&mut *tx)
            .await?;
        let state: String = r.try_get("state")?;
        let _: serde_json::Value = serde_json::from_str(&state)?;
        let seq: i64 = r.try_get::<i64, _>("last_seq")? + 1;
        // Offset past the rows inserted above, which used sequence numbers from 1.
        sqlx::query(INSERT)
            .bind(chat)
            .bind(seq + 1_000_000)
            .bind("everyone")
            .bind(&cid)
            .bind(&event)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE chats SET state = ?, phase = ?, last_seq = ?, version = version + 1, updated_at = ? WHERE id = ?")
            .bind(&state)
            .bind("Active")
            .bind(seq)
            .bind(now)
            .bind(chat)
            .execute(&mut *tx)
            .await?;
        let _ = sqlx::query(
            "SELECT c.id, c.visitor_name, c.visitor_email, c.question, c.department_id, d.name AS department_name, c.page_url, \
             c.state, c.last_seq, c.version, c.created_at, c.route, c.offered_to, \
             (SELECT t.id FROM tickets t WHERE t.chat_id = c.id) AS ticket_number \
             FROM chats c LEFT JOIN departments d ON d.id = c.department_id WHERE c.id = ?",
        )
        .bind(chat)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let apply_like = apply_rows as f64 / start.elapsed().as_secs_f64();
    pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(Raw {
        rows,
        batch,
        batched_per_sec: r2(batched),
        single_rows,
        single_per_sec: r2(single),
        apply_like_rows: apply_rows,
        apply_like_per_sec: r2(apply_like),
    })
}
