//! The staff console at `/console`: chats on the left, the selected chat in the centre.

pub mod admin;
pub mod articles;
mod chat_list;
mod chat_pane;
pub mod drive;
mod header;
mod login;
mod operations;
mod solution_articles;
pub mod tickets;

pub use header::Header;
pub use login::Login;

use crate::api::{self, ApiError};
use crate::components::live::Live;
use crate::model::Me;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Console() -> impl IntoView {
    let me = Resource::new(|| (), |_| api::whoami());
    view! {
        <leptos_meta::Title text="Console · Helpdesk"/>
        <Suspense fallback=|| view! { <p class="placeholder">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => view! { <Desk me/> }.into_any(),
                    Ok(None) | Err(ApiError::Unauthorized) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A ticking clock for "waiting since" labels; still during server rendering.
fn now_signal() -> ReadSignal<i64> {
    let (now, set_now) = signal(0i64);
    #[cfg(feature = "browser")]
    {
        set_now.set(js_sys::Date::now() as i64);
        let handle = set_interval_with_handle(
            move || set_now.set(js_sys::Date::now() as i64),
            std::time::Duration::from_secs(1),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    }
    let _ = set_now;
    now
}

#[component]
fn Desk(me: Me) -> impl IntoView {
    let live = Live::new(None);
    live.start();
    let query = use_query_map();
    let selected =
        Signal::derive(move || query.with(|q| q.get("chat").and_then(|c| c.parse::<i64>().ok())));
    let now = now_signal();
    let me = StoredValue::new(me);
    view! {
        <div class="console">
            <Header me=me.get_value() live/>
            <chat_list::ChatList live me=me.get_value() selected now/>
            <main class="pane">
                <operations::Requests live me=me.get_value()/>
                {move || match selected.get() {
                    Some(id) => view! { <chat_pane::ChatPane live me=me.get_value() chat_id=id/> }.into_any(),
                    None => view! {
                        <p class="placeholder">"Select a chat on the left."</p>
                    }.into_any(),
                }}
            </main>
        </div>
    }
}
