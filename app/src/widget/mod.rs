//! The visitor's widget at `/widget`: the pre-chat form, then the conversation.
//! The chat's token lives in this browser's storage, so closing the tab and coming back resumes.

mod conversation;
mod prechat;
mod rating;

use crate::model::Started;
use leptos::prelude::*;

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const STORAGE_KEY: &str = "helpdesk.chat";

fn load() -> Option<Started> {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window()?.local_storage().ok()??;
        let raw = storage.get_item(STORAGE_KEY).ok()??;
        serde_json::from_str(&raw).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

fn save(started: Option<&Started>) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = match started {
            Some(s) => storage.set_item(STORAGE_KEY, &serde_json::to_string(s).unwrap_or_default()),
            None => storage.remove_item(STORAGE_KEY),
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = started;
}

#[component]
pub fn Widget() -> impl IntoView {
    let session = RwSignal::new(None::<Started>);
    // The stored chat is only known in the browser, so the server renders a placeholder.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| {
        session.set(load());
        mounted.set(true);
    });
    let started = Callback::new(move |s: Started| {
        save(Some(&s));
        session.set(Some(s));
    });
    let reset = Callback::new(move |()| {
        save(None);
        session.set(None);
    });
    view! {
        <leptos_meta::Title text="Chat with us"/>
        <main class="widget">
            <header class="widget-header">
                <h1>"Chat with us"</h1>
            </header>
            {move || {
                if !mounted.get() {
                    view! { <p class="placeholder">"Loading…"</p> }.into_any()
                } else if let Some(s) = session.get() {
                    view! { <conversation::Conversation session=s on_reset=reset/> }.into_any()
                } else {
                    view! { <prechat::PreChat on_started=started/> }.into_any()
                }
            }}
        </main>
    }
}
