//! The transport-only baseline relay (see `bench::relay`), run as its own process by `load` and
//! `throughput` so that its memory is read apart from the load generator's.

use clap::Parser;

#[derive(Parser)]
#[command(about = "Minimal WebSocket relay with the server's socket settings and no storage")]
struct Args {
    /// Where to listen, e.g. 127.0.0.1:4000.
    #[arg(long)]
    bind: std::net::SocketAddr,
    /// Set TCP_NODELAY on accepted sockets (the server does not).
    #[arg(long)]
    nodelay: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    bench::sys::raise_nofile();
    if let Err(e) = bench::relay::serve(args.bind, args.nodelay).await {
        eprintln!("relay: {e}");
        std::process::exit(1);
    }
}
