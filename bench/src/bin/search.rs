//! Search: times the real article search (`app`'s `Service::search_articles` on the SQLite
//! store, the code behind the server function) over a knowledge base of generated articles.
//!
//! Unlike the other programs this one links `app`: the search runs in-process, so what is timed
//! is the query code itself, not HTTP. The articles are generated with a Zipf-like word
//! frequency (a few very common words, a long tail of rare ones) and inserted with SQL straight
//! into the store's tables (the FTS triggers index them), 1,000 per transaction.
//!
//! cargo run -p bench --release --bin search -- --articles 100000

use app::server::sqlite::SqliteStore;
use app::server::store::{NewStaff, Store};
use app::server::Service;
use bench::stats::{ms, quantile};
use bench::{sys, Result};
use clap::Parser;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Article search latency (p50/p99/p99.9) over generated solution articles")]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    articles: usize,
    /// Timed searches per kind of query.
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// Search drafts too, as the console's article list does (the composer does not).
    #[arg(long)]
    drafts: bool,
    /// Keep (or reuse, if present) the database here instead of a fresh temporary one.
    #[arg(long)]
    db: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// splitmix64: a small deterministic generator, so every run searches the same articles.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Function words: the top Zipf ranks, in nearly every article, never searched for alone.
const FUNCTION: &str = "the to and a of you your in is for it on can this that with be or if \
    are not from by as at will an then all have we when how more what which there do";

/// Words of help articles, most frequent first. They are spread over the first ~1,500 ranks,
/// among made-up words standing for the rest of a real vocabulary.
const DOMAIN: &str = "click select account settings page open use new order \
    get set up see make sure email password sign log name change update user data time add \
    help app first screen number menu list product payment invoice customer support team \
    access file report check choose enter address phone device browser window option view \
    edit delete save remove create find show link message service plan billing subscription \
    refund shipping delivery return card credit bank error problem issue code version download \
    install mobile desktop security reset verify login profile admin permission role group \
    contact request ticket chat agent status history notification mail domain server network \
    connection internet wifi router printer document upload image photo video calendar event \
    meeting schedule price discount coupon cart checkout stock warehouse tracking package label \
    tax currency country language region backup restore sync cloud storage folder share export \
    import integration api token key webhook field form template theme dashboard analytics \
    search filter sort column table row";

/// How many function words lead the ranks; domain words then take every `DOMAIN_EVERY`-th rank.
const DOMAIN_EVERY: usize = 5;

/// The vocabulary, most frequent first: function words, then domain words among made-up ones
/// (product names, error codes, jargon) up to `size`.
fn vocabulary(size: usize, rng: &mut Rng) -> Vec<String> {
    const ONSETS: [&str; 20] = [
        "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st",
        "tr", "pl",
    ];
    const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
    const CODAS: [&str; 10] = ["", "", "n", "r", "s", "t", "l", "x", "nd", "ck"];
    let mut words: Vec<String> = FUNCTION.split_whitespace().map(str::to_string).collect();
    let mut domain = DOMAIN.split_whitespace();
    let mut seen: std::collections::HashSet<String> = FUNCTION
        .split_whitespace()
        .chain(DOMAIN.split_whitespace())
        .map(str::to_string)
        .collect();
    while words.len() < size {
        if words.len() % DOMAIN_EVERY == 0 {
            if let Some(w) = domain.next() {
                words.push(w.to_string());
                continue;
            }
        }
        let syllables = 2 + rng.below(3);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(ONSETS[rng.below(ONSETS.len())]);
            w.push_str(VOWELS[rng.below(VOWELS.len())]);
        }
        w.push_str(CODAS[rng.below(CODAS.len())]);
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    words
}

/// Draws ranks with probability proportional to 1 / rank (Zipf, s = 1).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|r| {
                total += 1.0 / r as f64;
                total
            })
            .collect();
        Zipf { cumulative }
    }
    fn rank(&self, rng: &mut Rng) -> usize {
        let x = rng.unit() * self.cumulative.last().copied().unwrap_or(0.0);
        self.cumulative.partition_point(|&c| c < x)
    }
}

struct Article {
    title: String,
    keywords: String,
    body: String,
    published: bool,
}

fn words(vocab: &[String], zipf: &Zipf, rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n).map(|_| vocab[zipf.rank(rng)].clone()).collect()
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn article(vocab: &[String], zipf: &Zipf, rng: &mut Rng) -> Article {
    let n = 3 + rng.below(6);
    let title = words(vocab, zipf, rng, n);
    let keywords = if rng.below(2) == 0 {
        let n = 1 + rng.below(5);
        words(vocab, zipf, rng, n).join(" ")
    } else {
        String::new()
    };
    // 80 to 400 words in sentences of 6 to 20, paragraphs of 2 to 5 sentences.
    let target = 80 + rng.below(321);
    let mut body = String::new();
    let mut count = 0;
    while count < target {
        let sentences = 2 + rng.below(4);
        for _ in 0..sentences {
            let n = 6 + rng.below(15);
            let s = words(vocab, zipf, rng, n);
            body.push_str(&capitalised(&s[0]));
            for w in &s[1..] {
                body.push(' ');
                body.push_str(w);
            }
            body.push_str(". ");
            count += n;
        }
        body.push_str("\n\n");
    }
    Article {
        title: capitalised(&title.join(" ")),
        keywords,
        body: body.trim_end().to_string(),
        published: rng.below(10) != 0,
    }
}

/// Fills the store's articles table (the FTS triggers index each row).
async fn generate(url: &str, args: &Args, vocab: &[String], zipf: &Zipf) -> Result<Vec<String>> {
    let pool = sqlx::SqlitePool::connect(url).await?;
    let mut rng = Rng(args.seed ^ 0xa11);
    let mut titles = Vec::with_capacity(args.articles);
    let started = Instant::now();
    let mut id = 0usize;
    while id < args.articles {
        let mut tx = pool.begin().await?;
        for _ in 0..1000.min(args.articles - id) {
            id += 1;
            let a = article(vocab, zipf, &mut rng);
            sqlx::query(
                "INSERT INTO articles (slug, title, body, keywords, published, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, 0, 0)",
            )
            .bind(format!("article-{id}"))
            .bind(&a.title)
            .bind(&a.body)
            .bind(&a.keywords)
            .bind(a.published)
            .execute(&mut *tx)
            .await?;
            titles.push(a.title);
        }
        tx.commit().await?;
    }
    eprintln!(
        "generated {} articles in {:.1} s",
        args.articles,
        started.elapsed().as_secs_f64()
    );
    pool.close().await;
    Ok(titles)
}

/// Titles of the articles already in a reused database, for the multi-word queries.
async fn titles_of(url: &str) -> Result<Vec<String>> {
    let pool = sqlx::SqlitePool::connect(url).await?;
    let titles = sqlx::query_scalar("SELECT title FROM articles ORDER BY id")
        .fetch_all(&pool)
        .await?;
    pool.close().await;
    Ok(titles)
}

/// Query texts by kind, as someone typing into the search box would send them.
fn queries(
    args: &Args,
    vocab: &[String],
    zipf: &Zipf,
    titles: &[String],
) -> Vec<(&'static str, Vec<String>)> {
    let mut rng = Rng(args.seed ^ 0x9e7);
    // Searches name things: function words ("the", "to", "your") are not searched for alone.
    let functions = FUNCTION.split_whitespace().count();
    let content_word = |rng: &mut Rng| loop {
        let r = zipf.rank(rng);
        if r >= functions {
            return vocab[r].clone();
        }
    };
    let n = args.queries;
    let word = (0..n).map(|_| content_word(&mut rng)).collect();
    // Two or three consecutive words of an article's title, as typed, the last one whole.
    let multi = (0..n)
        .map(|_| {
            let t: Vec<&str> = titles[rng.below(titles.len())].split_whitespace().collect();
            let len = (2 + rng.below(2)).min(t.len());
            let start = rng.below(t.len() - len + 1);
            t[start..start + len].join(" ")
        })
        .collect();
    let prefix = (0..n)
        .map(|_| loop {
            let w = content_word(&mut rng);
            if w.chars().count() > 3 {
                return w.chars().take(3).collect::<String>();
            }
        })
        .collect();
    let miss = (0..n)
        .map(|i| format!("zq{}x{}", i, rng.below(1000)))
        .collect();
    // The first three letters of the 20 most common domain words ("cli", "sel", "acc"): the
    // widest matches anyone would type, the worst case.
    let common = DOMAIN
        .split_whitespace()
        .filter(|w| w.chars().count() > 3)
        .take(20)
        .cycle()
        .take(n)
        .map(|w| w.chars().take(3).collect())
        .collect();
    vec![
        ("full word", word),
        ("multi-word", multi),
        ("3-letter prefix", prefix),
        ("miss", miss),
        ("common 3-letter prefix", common),
    ]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let scratch = std::env::temp_dir().join(format!("bench-search-{}", std::process::id()));
    let path = match &args.db {
        Some(p) => p.clone(),
        None => {
            std::fs::create_dir_all(&scratch)?;
            scratch.join("search.db")
        }
    };
    let reuse = path.exists();
    let url = format!("sqlite://{}", path.display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await?);
    let mut rng = Rng(args.seed);
    let vocab = vocabulary(50_000, &mut rng);
    let zipf = Zipf::new(vocab.len());
    let titles = if reuse {
        eprintln!("reusing {}", path.display());
        titles_of(&url).await?
    } else {
        store
            .add_staff(
                NewStaff {
                    name: "Bench".into(),
                    email: "bench@example.com".into(),
                    password_hash: "-".into(),
                    is_admin: true,
                    department_ids: vec![],
                },
                0,
            )
            .await?;
        generate(&url, &args, &vocab, &zipf).await?
    };
    let service = Service::new(store, false);
    let kinds = queries(&args, &vocab, &zipf, &titles);
    let load_before = sys::loadavg();

    // One untimed pass warms SQLite's page cache, as a server that has been up a while.
    for (_, qs) in &kinds {
        for q in qs.iter().take(100) {
            service.search_articles(q, args.drafts).await?;
        }
    }
    println!(
        "{} articles, {} searches per kind, drafts {}, load average {}",
        titles.len(),
        args.queries,
        args.drafts,
        load_before
    );
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "query", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "hits avg"
    );
    let mut results = serde_json::Map::new();
    for (kind, qs) in &kinds {
        let mut times = Vec::with_capacity(qs.len());
        let mut hits = 0usize;
        for q in qs {
            let t = Instant::now();
            hits += service.search_articles(q, args.drafts).await?.len();
            times.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
        }
        times.sort_unstable();
        let (p50, p99, p999, max) = (
            ms(quantile(&times, 0.5)),
            ms(quantile(&times, 0.99)),
            ms(quantile(&times, 0.999)),
            ms(*times.last().unwrap_or(&0)),
        );
        let avg = hits as f64 / qs.len().max(1) as f64;
        println!("{kind:<24} {p50:>9.3} {p99:>9.3} {p999:>9.3} {max:>9.3} {avg:>9.1}");
        results.insert(
            kind.to_string(),
            json!({"p50_ms": p50, "p99_ms": p99, "p999_ms": p999, "max_ms": max, "hits_avg": avg, "queries": qs.len()}),
        );
    }
    let line = json!({
        "bench": "search",
        "at": bench::utc_now(),
        "articles": titles.len(),
        "drafts": args.drafts,
        "results": results,
        "loadavg_before": load_before,
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
    if args.db.is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}
