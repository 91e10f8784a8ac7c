//! The helpdesk server: configuration, start-up and the HTTP router (Leptos pages and server
//! functions, the live socket, file downloads, the demo host page, health).

#![recursion_limit = "256"]

pub mod config;
pub mod files;
mod subs;
pub mod ws;

use app::server::postgres::PgStore;
use app::server::sqlite::SqliteStore;
use app::server::store::Store;
use app::server::Service;
use axum::extract::FromRef;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use config::Config;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Arc<Service>,
    /// Cancelled on shutdown, so live sockets close and the server can stop.
    pub shutdown: CancellationToken,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// A pending upload not written to for this long was cut short (a stop, a crash).
const STALE_UPLOAD: Duration = Duration::from_secs(3600);

/// Opens the database named by the configuration (creating the data directory) and the service.
pub async fn open_service(config: &Config) -> Result<Arc<Service>, String> {
    let url = config.database_url.as_str();
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        Arc::new(SqliteStore::open(url).await.map_err(|e| e.to_string())?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Arc::new(PgStore::open(url).await.map_err(|e| e.to_string())?)
    } else {
        return Err(format!(
            "DATABASE_URL must start with sqlite: or postgres: (got {})",
            url.split(':').next().unwrap_or_default()
        ));
    };
    let mut service = Service::new(store, config.secure_cookies());
    service.liveness = config.liveness;
    let service = Arc::new(service);
    service.configure_mail(app::server::mail::Mailer::new(
        &app::server::mail::MailConfig {
            smtp_url: config.smtp_url.clone(),
            from: config.mail_from.clone(),
            outbox_dir: config.data_dir.join("outbox"),
        },
    )?);
    service.set_chat_wait_limit(config.chat_wait_limit);
    let blobs = app::server::blobs::DiskBlobs::new(config.data_dir.join("files"));
    blobs
        .sweep_pending(STALE_UPLOAD)
        .map_err(|e| format!("cannot clear unfinished uploads: {e}"))?;
    service.set_blobs(Arc::new(blobs));
    service.start().await.map_err(|e| e.to_string())?;
    Ok(service)
}

/// Background work: lapse forward offers and invitations whose minute is up; deliver the
/// email outbox; hear the other nodes and say this one is alive.
pub fn spawn_workers(service: Arc<Service>, shutdown: CancellationToken) {
    spawn_outbox_worker(service.clone(), shutdown.clone());
    spawn_hearing(service.clone(), shutdown.clone());
    let s = service.clone();
    every(
        Duration::from_secs(1),
        shutdown.clone(),
        "lapsing offers",
        move || {
            let s = s.clone();
            async move { s.expire_offers().await.map(|_| ()) }
        },
    );
    let period = service.liveness.heartbeat;
    every(period, shutdown, "heartbeat", move || {
        let s = service.clone();
        async move { s.heartbeat().await }
    });
}

/// Runs `job` every `period` until shutdown; a failure is logged and the next round goes on.
fn every<F, Fut>(period: Duration, shutdown: CancellationToken, what: &'static str, mut job: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), app::server::ServiceError>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {
                    if let Err(e) = job().await {
                        tracing::warn!("{what}: {e}");
                    }
                }
            }
        }
    });
}

/// Hears what other nodes on the same database stored, in order.
fn spawn_hearing(service: Arc<Service>, shutdown: CancellationToken) {
    let Some(mut heard) = service.take_heard() else {
        return;
    };
    tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return,
                next = heard.recv() => next,
            };
            let Some(next) = next else { return };
            if let Err(e) = service.hear(next).await {
                tracing::warn!("hearing another node: {e}");
            }
        }
    });
}

/// Delivers queued emails (transcripts) as soon as they are queued, retrying failures with
/// backoff; stops with the shutdown token.
fn spawn_outbox_worker(service: Arc<Service>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let wake = service.mail_wakeup();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                result = service.deliver_mail() => {
                    if let Err(e) = result {
                        tracing::warn!("outbox: {e}");
                    }
                }
            }
            let pause = service.next_mail_in().await;
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    });
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let service = state.service.clone();
    let options = state.leptos_options.clone();
    // The widget's bundle comes with brotli-11 and gzip-9 copies made at build time, smaller
    // than what the compression layer makes on the fly; it leaves encoded responses alone.
    let widget_pkg = tower_http::services::ServeDir::new(
        std::path::Path::new(options.site_root.as_ref()).join("widget-pkg"),
    )
    .precompressed_br()
    .precompressed_gzip();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/demo", get(demo))
        .route("/widget", get(widget))
        .nest_service("/widget-pkg", widget_pkg)
        .route("/ws", get(ws::upgrade))
        .route("/files/chat/{chat}/{id}", get(files::chat_file))
        .route("/files/drive/{id}", get(files::drive_file))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(service.clone()),
            move || app::shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.service.departments().await {
        Ok(_) => (axum::http::StatusCode::OK, "ok"),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable",
        ),
    }
}

/// The visitor's widget: a static page that mounts the widget's own bundle (built by
/// `scripts/build-widget.sh` into `widget-pkg/` of the site), so visitors load none of the console.
async fn widget() -> Html<&'static str> {
    Html(include_str!("widget.html"))
}

/// A plain host page that embeds the widget the way a customer's site would.
async fn demo() -> Html<&'static str> {
    Html(include_str!("demo.html"))
}
