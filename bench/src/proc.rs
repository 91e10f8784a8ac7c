//! Child processes under test: the real server (fresh data directory) and the baseline relay.
//! Both are stopped (SIGTERM, then SIGKILL) and their temporary data removed on drop.

use crate::{err, Result};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const STAFF_EMAIL: &str = "bench@example.com";
pub const STAFF_PASSWORD: &str = "bench-password-1";

/// The address the servers listen on; clients connect from other 127.0.0.x addresses.
pub const SERVER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));

pub struct Running {
    child: Child,
    pub addr: SocketAddr,
    pub data_dir: Option<PathBuf>,
    pub log: PathBuf,
    pub what: &'static str,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The last lines of the child's log, for error reports.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, up to 5 s for a graceful stop, then SIGKILL.
    pub fn stop(&mut self) {
        if !self.alive() {
            return;
        }
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !self.alive() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A port free on `ip` right now.
pub fn free_port(ip: IpAddr) -> Result<u16> {
    Ok(TcpListener::bind(SocketAddr::new(ip, 0))?
        .local_addr()?
        .port())
}

/// A new empty directory under the system's temporary directory.
pub fn temp_dir(prefix: &str) -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn server_env(cmd: &mut Command, data_dir: &Path, site_root: &Path, addr: Option<SocketAddr>) {
    cmd.env("DATA_DIR", data_dir)
        .env("LEPTOS_OUTPUT_NAME", "helpdesk")
        .env("LEPTOS_SITE_ROOT", site_root)
        .env("LEPTOS_ENV", "PROD")
        .env("RUST_LOG", "warn");
    if let Some(addr) = addr {
        cmd.env("BIND_ADDR", addr.to_string())
            .env("LEPTOS_SITE_ADDR", addr.to_string());
    }
    // Experiments without editing the server, e.g. bench/scripts/nodelay.c (TCP_NODELAY on
    // accepted sockets): BENCH_SERVER_LD_PRELOAD=/tmp/libnodelay.so.
    if let Some(preload) = std::env::var_os("BENCH_SERVER_LD_PRELOAD").filter(|v| !v.is_empty()) {
        cmd.env("LD_PRELOAD", preload);
    }
}

/// Starts `server` on a fresh data directory with one staff member ([`STAFF_EMAIL`]), and waits
/// for `/healthz`.
pub async fn start_server(bin: &Path, site_root: &Path, root: &Path) -> Result<Running> {
    if !bin.exists() {
        return Err(err(format!(
            "{} not found: build it with `source scripts/env.sh && scripts/build.sh`",
            bin.display()
        )));
    }
    let data_dir = temp_dir("hd-bench")?;
    let log = data_dir.join("server.log");
    let mut add = Command::new(bin);
    add.args([
        "staff",
        "add",
        "--name",
        "Bench Staff",
        "--email",
        STAFF_EMAIL,
        "--password",
        STAFF_PASSWORD,
        "--admin",
    ])
    .current_dir(root)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    server_env(&mut add, &data_dir, site_root, None);
    let out = add.output()?;
    if !out.status.success() {
        return Err(err(format!(
            "`server staff add` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let addr = SocketAddr::new(SERVER_IP, free_port(SERVER_IP)?);
    let mut cmd = Command::new(bin);
    cmd.current_dir(root)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log)?)
        .stderr(std::fs::File::create(data_dir.join("server.err"))?);
    server_env(&mut cmd, &data_dir, site_root, Some(addr));
    let child = cmd.spawn()?;
    let mut running = Running {
        child,
        addr,
        data_dir: Some(data_dir.clone()),
        log: data_dir.join("server.err"),
        what: "server",
    };
    wait_http(&mut running, "/healthz").await?;
    Ok(running)
}

/// Starts the baseline relay (`relay` next to this executable) and waits until it answers.
pub async fn start_relay(extra_args: &[String]) -> Result<Running> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("relay");
    if !bin.exists() {
        return Err(err(format!(
            "{} not found: build with `cargo build -p bench --release`",
            bin.display()
        )));
    }
    let dir = temp_dir("hd-relay")?;
    let log = dir.join("relay.err");
    let addr = SocketAddr::new(SERVER_IP, free_port(SERVER_IP)?);
    let child = Command::new(bin)
        .arg("--bind")
        .arg(addr.to_string())
        .args(extra_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .spawn()?;
    let mut running = Running {
        child,
        addr,
        data_dir: Some(dir),
        log,
        what: "relay",
    };
    wait_http(&mut running, "/healthz").await?;
    Ok(running)
}

async fn wait_http(running: &mut Running, path: &str) -> Result<()> {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", running.base_url());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if !running.alive() {
            return Err(err(format!(
                "the {} exited at start:\n{}",
                running.what,
                running.log_tail(20)
            )));
        }
        if let Ok(r) = client
            .get(&url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
        {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(err(format!(
                "the {} did not answer {url} within 60 s",
                running.what
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
