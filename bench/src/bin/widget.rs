//! Widget weight: bytes (raw, gzip, brotli) of what a host page loads before the visitor clicks
//! (the loader, `widget.js`) and of what the widget loads when opened (the `/widget` page and
//! every asset it references: WASM, JS, CSS, fonts, icon), from the release build; then what
//! the pre-chat form adds once the visitor starts a chat (the conversation's bundle). Sizes are
//! given as served by the running server (its compression layer) and as the best offline
//! compression (gzip -9, brotli q11). With `--tti`, also runs bench/scripts/tti.mjs (headless
//! Chromium) for time to interactive.
//!
//! cargo run -p bench --release --bin widget -- --tti

use bench::{err, proc, sys, Result};
use clap::Parser;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    about = "Bytes of the widget loader and of the opened widget; optional time to interactive"
)]
struct Args {
    #[arg(long)]
    server_bin: Option<PathBuf>,
    #[arg(long)]
    site_root: Option<PathBuf>,
    /// Use a running server instead of starting one.
    #[arg(long)]
    url: Option<String>,
    /// Also measure time to interactive in headless Chromium (needs node and chromium).
    #[arg(long)]
    tti: bool,
    /// Page loads for the time to interactive.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(Clone, Debug, serde::Serialize)]
struct Sizes {
    path: String,
    content_type: String,
    raw: usize,
    gzip9: usize,
    brotli11: usize,
    served_gzip: usize,
    served_br: usize,
}

fn gzip9(data: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip in memory");
    enc.finish().expect("gzip in memory").len()
}

fn brotli11(data: &[u8]) -> usize {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(data).expect("brotli in memory");
    }
    out.len()
}

async fn fetch(client: &reqwest::Client, url: &str, encoding: &str) -> Result<(Vec<u8>, String)> {
    let r = client
        .get(url)
        .header(reqwest::header::ACCEPT_ENCODING, encoding)
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(err(format!("GET {url}: {}", r.status())));
    }
    let ct = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Ok((r.bytes().await?.to_vec(), ct))
}

async fn sizes(client: &reqwest::Client, base: &str, path: &str) -> Result<(Sizes, Vec<u8>)> {
    let url = format!("{base}{path}");
    let (raw, content_type) = fetch(client, &url, "identity").await?;
    let (gz, _) = fetch(client, &url, "gzip").await?;
    let (br, _) = fetch(client, &url, "br").await?;
    Ok((
        Sizes {
            path: path.to_string(),
            content_type,
            raw: raw.len(),
            gzip9: gzip9(&raw),
            brotli11: brotli11(&raw),
            served_gzip: gz.len(),
            served_br: br.len(),
        },
        raw,
    ))
}

/// The conversation's bundle, which the pre-chat form starts.
const CHAT_BUNDLE: [&str; 2] = ["/widget-pkg/widget.js", "/widget-pkg/widget_bg.wasm"];

/// Sums of (raw, gzip -9, brotli 11, served gzip, served brotli).
fn totals(list: &[Sizes]) -> (usize, usize, usize, usize, usize) {
    let total = |f: fn(&Sizes) -> usize| list.iter().map(f).sum::<usize>();
    (
        total(|s| s.raw),
        total(|s| s.gzip9),
        total(|s| s.brotli11),
        total(|s| s.served_gzip),
        total(|s| s.served_br),
    )
}

/// Same-origin paths referenced from HTML (`href="/…"`, `src="/…"`, `'/pkg/…'` in the inline
/// hydration script) or CSS (`url(…)`).
fn references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['"', '\''] {
        for part in text.split(quote).skip(1).step_by(2) {
            if part.starts_with('/')
                && !part.starts_with("//")
                && part.len() < 200
                && !part.contains(' ')
            {
                found.push(part.to_string());
            }
        }
    }
    for part in text.split("url(").skip(1) {
        if let Some(end) = part.find(')') {
            let p = part[..end].trim_matches(|c| c == '"' || c == '\'' || c == ' ');
            if p.starts_with('/') && !p.starts_with("//") {
                found.push(p.to_string());
            }
        }
    }
    found
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("widget: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let root = bench::repo_root();
    let site_root = args
        .site_root
        .clone()
        .unwrap_or_else(|| root.join("target/site"));
    let wasm = site_root.join("widget-pkg/widget_bg.wasm");
    let built = std::fs::metadata(&wasm)
        .and_then(|m| m.modified())
        .ok()
        .map(|t| {
            let secs = std::time::SystemTime::now()
                .duration_since(t)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("{:.1} h ago", secs as f64 / 3600.0)
        })
        .unwrap_or_else(|| "missing".into());
    if std::fs::metadata(&wasm)
        .map(|m| m.len() > 2_000_000)
        .unwrap_or(false)
    {
        eprintln!(
            "widget: warning: {} is over 2 MB, which looks like a debug build; build the release site with\n  \
             source scripts/env.sh && LEPTOS_SITE_ROOT=/tmp/hd-site-release scripts/build.sh\n\
             and pass --site-root /tmp/hd-site-release",
            wasm.display()
        );
    }
    let running;
    let base = match &args.url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let bin = args
                .server_bin
                .clone()
                .unwrap_or_else(|| root.join("target/release/server"));
            running = proc::start_server(&bin, &site_root, &root).await?;
            running.base_url()
        }
    };
    let client = reqwest::Client::builder().build()?;

    // Before the click: the loader only.
    let (loader, _) = sizes(&client, &base, "/widget.js").await?;

    // On open: the page, then everything it references, then what the CSS references.
    let mut opened = Vec::new();
    let (page, html) = sizes(&client, &base, "/widget").await?;
    opened.push(page);
    let mut queue: Vec<String> = references(&String::from_utf8_lossy(&html));
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = queue.pop() {
        let clean = path.split('#').next().unwrap_or("").to_string();
        if clean.is_empty() || clean == "/widget" || !seen.insert(clean.clone()) {
            continue;
        }
        let (s, body) = match sizes(&client, &base, &clean).await {
            Ok(x) => x,
            Err(e) => {
                eprintln!("  skipped {clean}: {e}");
                continue;
            }
        };
        if s.content_type.contains("css") {
            queue.extend(references(&String::from_utf8_lossy(&body)));
        }
        opened.push(s);
    }
    // Once the visitor starts a chat (or comes back to one): the conversation's bundle, which
    // the pre-chat form's WASM names (app::widget::prechat), so no page refers to it.
    let mut chat = Vec::new();
    for path in CHAT_BUNDLE {
        chat.push(sizes(&client, &base, path).await?.0);
    }
    let (raw, gz, br, sgz, sbr) = totals(&opened);
    let started: Vec<Sizes> = opened.iter().chain(&chat).cloned().collect();
    let chat_total = totals(&started);

    println!(
        "widget weight (release build in {}, WASM built {built}; load average {})",
        site_root.display(),
        sys::loadavg()
    );
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>12} {:>10}",
        "what", "raw", "gzip -9", "brotli 11", "served gzip", "served br"
    );
    let line = |s: &Sizes| {
        println!(
            "{:<34} {:>10} {:>10} {:>10} {:>12} {:>10}",
            s.path, s.raw, s.gzip9, s.brotli11, s.served_gzip, s.served_br
        )
    };
    println!("before the click (host page):");
    line(&loader);
    println!("when the widget opens (iframe):");
    for s in &opened {
        line(s);
    }
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>12} {:>10}",
        "total on open", raw, gz, br, sgz, sbr
    );
    println!("once a chat starts (the conversation's bundle):");
    for s in &chat {
        line(s);
    }
    let (craw, cgz, cbr, csgz, csbr) = chat_total;
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>12} {:>10}",
        "total with a chat", craw, cgz, cbr, csgz, csbr
    );
    println!(
        "targets: loader ≤ 1 KB gzip: {} B ({}); widget on open ≤ 100 KB gzip: {:.1} KB gzip -9, {:.1} KB as served ({})",
        loader.gzip9,
        if loader.gzip9 <= 1000 { "met" } else { "missed" },
        gz as f64 / 1000.0,
        sgz as f64 / 1000.0,
        if gz <= 100_000 { "met" } else { "missed" },
    );

    let mut tti = serde_json::Value::Null;
    if args.tti {
        // A staff member online, as during opening hours: the form offers a chat.
        let mut console = None;
        if args.url.is_none() {
            let http = bench::http::client();
            let cookie =
                bench::http::login(&http, &base, proc::STAFF_EMAIL, proc::STAFF_PASSWORD).await?;
            let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse()?;
            let mut ws = bench::engine::open_ws(addr, proc::SERVER_IP, Some(&cookie)).await?;
            bench::engine::greet(&mut ws, bench::proto::hello_staff(), &[]).await?;
            let (_stop, rx) = tokio::sync::watch::channel(false);
            console = Some((
                bench::engine::spawn_conn(
                    ws,
                    bench::engine::Role::Staff,
                    bench::engine::Ledger::new(0),
                    rx,
                ),
                _stop,
            ));
        }
        let script = root.join("bench/scripts/tti.mjs");
        let out = std::process::Command::new("node")
            .arg(&script)
            .arg("--url")
            .arg(&base)
            .arg("--runs")
            .arg(args.runs.to_string())
            .current_dir(&root)
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            eprintln!(
                "tti.mjs failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            for l in stdout.lines().filter(|l| !l.starts_with('{')) {
                println!("{l}");
            }
            if let Some(last) = stdout.lines().rev().find(|l| l.starts_with('{')) {
                tti = serde_json::from_str(last).unwrap_or(serde_json::Value::Null);
            }
        }
        drop(console);
    }

    let json = json!({
        "bench": "widget",
        "date": bench::utc_now(),
        "loadavg": sys::loadavg(),
        "wasm_built": built,
        "loader": loader,
        "opened": opened,
        "opened_total": {"raw": raw, "gzip9": gz, "brotli11": br, "served_gzip": sgz, "served_br": sbr},
        "chat": chat,
        "chat_total": {"raw": craw, "gzip9": cgz, "brotli11": cbr, "served_gzip": csgz, "served_br": csbr},
        "tti": tti,
        "knobs": sys::knobs(),
    })
    .to_string();
    println!("{json}");
    if let Some(path) = &args.json_out {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{json}")?;
    }
    Ok(())
}
