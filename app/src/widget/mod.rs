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

/// The chat this browser has: in its storage, or, where a browser refuses storage to a frame
/// on another site, on the page (the conversation's bundle runs in the same page as the form).
fn load() -> Option<Started> {
    let window = web_sys::window()?;
    let stored = window
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    let raw = stored.or_else(|| {
        js_sys::Reflect::get(&window, &STORAGE_KEY.into())
            .ok()?
            .as_string()
    })?;
    serde_json::from_str(&raw).ok()
}

fn save(started: Option<&Started>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let raw = started.map(|s| serde_json::to_string(s).unwrap_or_default());
    if let Some(storage) = window.local_storage().ok().flatten() {
        let _ = match &raw {
            Some(raw) => storage.set_item(STORAGE_KEY, raw),
            None => storage.remove_item(STORAGE_KEY),
        };
    }
    let value = raw.map_or(wasm_bindgen::JsValue::UNDEFINED, |r| r.into());
    let _ = js_sys::Reflect::set(&window, &STORAGE_KEY.into(), &value);
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
