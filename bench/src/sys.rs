//! What the operating system says: file-descriptor limits, a process's memory and CPU time,
//! the load average.

/// Raises the soft RLIMIT_NOFILE to the hard limit (children inherit it). Returns (soft, hard)
/// after the change.
pub fn raise_nofile() -> (u64, u64) {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return (0, 0);
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                lim = want;
            }
        }
        #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
        (lim.rlim_cur as u64, lim.rlim_max as u64)
    }
}

fn status_field_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Resident set size in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> u64 {
    status_field_kb(pid, "VmRSS:").unwrap_or(0)
}

/// Peak resident set size in KiB (VmHWM).
pub fn hwm_kib(pid: u32) -> u64 {
    status_field_kb(pid, "VmHWM:").unwrap_or(0)
}

/// Number of open file descriptors of a process.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// User + system CPU time of a process, in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let Some(rest) = text.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(14) + ticks(15)) as f64 / hz
}

/// CPU time of this process (the load generator itself).
pub fn self_cpu_secs() -> f64 {
    cpu_secs(std::process::id())
}

/// The first three fields of /proc/loadavg.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Number of CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// CPU seconds of each thread of a process, summed by thread name (e.g. "tokio-runtime-w",
/// "sqlx-sqlite-wor"), to see which kind of work is busy.
pub fn thread_cpu_secs(pid: u32) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
            continue;
        };
        let name = text[open + 1..close].to_string();
        let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i - 3)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        *out.entry(name).or_insert(0.0) += (ticks(14) + ticks(15)) as f64 / hz;
    }
    out
}

/// Per-thread-name CPU use between two readings, in percent of one CPU over `secs`.
pub fn thread_cpu_pct(
    before: &std::collections::BTreeMap<String, f64>,
    after: &std::collections::BTreeMap<String, f64>,
    secs: f64,
) -> std::collections::BTreeMap<String, f64> {
    after
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                ((v - before.get(k).copied().unwrap_or(0.0)) / secs.max(1e-9) * 1000.0).round()
                    / 10.0,
            )
        })
        .filter(|(_, v)| *v > 0.0)
        .collect()
}

/// This process's nice value (children inherit it), for the reports.
pub fn niceness() -> i32 {
    // SAFETY: getpriority has no memory preconditions.
    unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
}

/// Experiment knobs in effect, recorded with every JSON line.
pub fn knobs() -> serde_json::Value {
    serde_json::json!({
        "nice": niceness(),
        "server_ld_preload": std::env::var("BENCH_SERVER_LD_PRELOAD").unwrap_or_default(),
    })
}
