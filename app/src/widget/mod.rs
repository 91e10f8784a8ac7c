//! The visitor's widget at `/widget`: the pre-chat form, then the conversation.
//! The chat's token lives in this browser's storage, so closing the tab and coming back resumes.
//! Built only for the browser, into two bundles of their own: the server sends `/widget` as a
//! static page, which runs the pre-chat form's (`frontend/prechat`); that one starts the
//! conversation's (`frontend/widget`), which is mounted into the page in its place.

mod conversation;
pub mod prechat;
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

/// The conversation's bundle starts here: it takes the page over from the pre-chat form.
pub fn mount_conversation() {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        body.set_text_content(None);
    }
    leptos::mount::mount_to_body(Widget);
}

/// The chat this browser has; without one (or once it is over and the visitor wants another),
/// the page loads again and shows the pre-chat form.
#[component]
fn Widget() -> impl IntoView {
    let reset = Callback::new(move |()| {
        save(None);
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    let session = load();
    if session.is_none() {
        reset.run(());
    }
    view! {
        <main class="widget">
            <header class="widget-header">
                <h1>"Chat with us"</h1>
            </header>
            {session.map(|s| view! { <conversation::Conversation session=s on_reset=reset/> })}
        </main>
    }
}
