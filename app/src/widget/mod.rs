//! The visitor's widget at `/widget`: the pre-chat form, then the conversation.
//! The chat's token lives in this browser's storage, so closing the tab and coming back resumes.
//! Built only for the browser, into a bundle of its own (`frontend/widget`): the server sends
//! `/widget` as a static page and this is mounted into it.

mod conversation;
mod prechat;
mod rating;

use crate::model::Started;
use leptos::prelude::*;

const STORAGE_KEY: &str = "helpdesk.chat";

fn load() -> Option<Started> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let raw = storage.get_item(STORAGE_KEY).ok()??;
    serde_json::from_str(&raw).ok()
}

fn save(started: Option<&Started>) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = match started {
            Some(s) => storage.set_item(STORAGE_KEY, &serde_json::to_string(s).unwrap_or_default()),
            None => storage.remove_item(STORAGE_KEY),
        };
    }
}

#[component]
pub fn Widget() -> impl IntoView {
    let session = RwSignal::new(load());
    let started = Callback::new(move |s: Started| {
        save(Some(&s));
        session.set(Some(s));
    });
    let reset = Callback::new(move |()| {
        save(None);
        session.set(None);
    });
    view! {
        <main class="widget">
            <header class="widget-header">
                <h1>"Chat with us"</h1>
            </header>
            {move || {
                if let Some(s) = session.get() {
                    view! { <conversation::Conversation session=s on_reset=reset/> }.into_any()
                } else {
                    view! { <prechat::PreChat on_started=started/> }.into_any()
                }
            }}
        </main>
    }
}
