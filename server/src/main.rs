//! `server`: serves the helpdesk, and manages staff and departments from the command line.
//!
//! Exit codes: 0 done; 2 bad usage or invalid input; 3 already exists; 1 anything else.

#![recursion_limit = "256"]

use app::server::service::AddStaff;
use app::server::ServiceError;
use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use server::config::Config;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "server", about = "Helpdesk live chat server", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console, the widget and the live socket (the default).
    Serve,
    /// Manage departments (teams).
    Department {
        #[command(subcommand)]
        action: DepartmentAction,
    },
    /// Manage staff accounts.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
}

#[derive(Subcommand)]
enum DepartmentAction {
    /// Add a department.
    Add { name: String },
    /// List departments.
    List,
}

#[derive(Subcommand)]
enum StaffAction {
    /// Add a staff member.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// At least 8 characters.
        #[arg(long, env = "STAFF_PASSWORD", hide_env_values = true)]
        password: String,
        /// A department they belong to (repeat for several).
        #[arg(long = "department")]
        departments: Vec<String>,
        /// Make them an admin.
        #[arg(long)]
        admin: bool,
    },
}

fn fail(e: ServiceError) -> ExitCode {
    match e {
        ServiceError::Invalid(errors) => {
            for e in errors {
                eprintln!("error: {}", e.message);
            }
            ExitCode::from(2)
        }
        ServiceError::Conflict(m) => {
            eprintln!("error: {m}");
            ExitCode::from(3)
        }
        other => {
            eprintln!("error: {other}");
            ExitCode::from(1)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let service = match server::open_service(&config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let code = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config, service.clone()).await,
        Command::Department {
            action: DepartmentAction::Add { name },
        } => match service.add_department(&name).await {
            Ok(d) => {
                println!("added department {} (id {})", d.name, d.id);
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Department {
            action: DepartmentAction::List,
        } => match service.departments().await {
            Ok(list) => {
                for d in list {
                    println!("{}\t{}", d.id, d.name);
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Staff {
            action:
                StaffAction::Add {
                    name,
                    email,
                    password,
                    departments,
                    admin,
                },
        } => {
            let new = AddStaff {
                name,
                email,
                password,
                is_admin: admin,
                departments,
            };
            match service.add_staff(new).await {
                Ok(me) => {
                    println!(
                        "added staff {} <{}> (id {}{})",
                        me.name,
                        me.email,
                        me.id,
                        if me.is_admin { ", admin" } else { "" }
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
    };
    // Other nodes on the same database need not wait for this one's silence to time out.
    service.leave_cluster().await;
    code
}

async fn serve(config: Config, service: std::sync::Arc<app::server::Service>) -> ExitCode {
    let leptos_options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(e) => {
            eprintln!("error: Leptos configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = config.bind.unwrap_or(leptos_options.site_addr);
    let shutdown = CancellationToken::new();
    server::spawn_workers(service.clone(), shutdown.clone());
    let state = server::AppState {
        leptos_options,
        service,
        shutdown: shutdown.clone(),
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    tracing::info!(
        "listening on http://{addr} (data in {})",
        config.data_dir.display()
    );
    let app = server::router(state);
    // Chat frames are small: send them at once instead of waiting on delayed ACKs (Nagle).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("TCP_NODELAY: {e}");
        }
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stop_signal().await;
            tracing::info!("shutting down");
            shutdown.cancel();
        })
        .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
