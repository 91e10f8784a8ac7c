//! The message box: Enter sends, Shift+Enter starts a new line.

use crate::rules::MAX_MESSAGE_CHARS;
use leptos::prelude::*;

#[component]
pub fn Composer(
    #[prop(into)] on_send: Callback<String>,
    /// Why sending is not possible now, if it is not.
    #[prop(into)]
    blocked: Signal<Option<String>>,
    /// Told when this user starts typing (at most every few seconds) and when they send.
    #[prop(optional)]
    on_typing: Option<Callback<bool>>,
    /// The message being written, when the page puts text into it too (the console's tools).
    #[prop(optional)]
    draft: Option<RwSignal<String>>,
    /// Tools shown above the message box (the console's `Solution articles`).
    #[prop(optional, into)]
    tools: Option<ViewFn>,
) -> impl IntoView {
    let text = draft.unwrap_or_else(|| RwSignal::new(String::new()));
    let last_typing = StoredValue::new(0f64);
    let typed = move || {
        let Some(cb) = on_typing else { return };
        #[cfg(feature = "hydrate")]
        {
            let now = js_sys::Date::now();
            if now - last_typing.get_value() > 3_000.0 {
                last_typing.set_value(now);
                cb.run(true);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (cb, last_typing);
    };
    let too_long = move || text.with(|t| t.chars().count() > MAX_MESSAGE_CHARS);
    let submit = move || {
        let body = text.get_untracked();
        if body.trim().is_empty() || too_long() || blocked.get_untracked().is_some() {
            return;
        }
        on_send.run(body);
        text.set(String::new());
        if let Some(cb) = on_typing {
            last_typing.set_value(0.0);
            cb.run(false);
        }
    };
    view! {
        <form class="composer" on:submit=move |ev| {
            ev.prevent_default();
            submit();
        }>
            {tools.map(|tools| view! { <div class="composer-tools">{tools.run()}</div> })}
            <label class="sr-only" for="composer-message">"Message"</label>
            <textarea
                id="composer-message"
                rows="2"
                placeholder=move || blocked.get().unwrap_or_else(|| "Type a message".to_string())
                prop:value=move || text.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    typed();
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit();
                    }
                }
                disabled=move || blocked.get().is_some()
                aria-describedby="composer-help"
            ></textarea>
            <button type="submit" disabled=move || blocked.get().is_some() || too_long()>"Send"</button>
            <p id="composer-help" class="help">
                {move || match blocked.get() {
                    Some(why) => why,
                    None if too_long() => format!("Messages can have at most {MAX_MESSAGE_CHARS} characters."),
                    None => String::new(),
                }}
            </p>
        </form>
    }
}
