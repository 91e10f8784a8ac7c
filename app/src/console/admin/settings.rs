//! `/console/settings`: live chat settings. Emojis on or off for the staff portal and for the
//! client portal (the widget), the rating style, and attachments (whether visitors may attach
//! files, the maximum file size, the blocked file types). Saved settings reach open consoles and
//! widgets at once, through their live sockets.

use super::{loaded, message, AdminShell, Load};
use crate::api::admin as api;
use crate::model::{ChatSettings, MAX_MAX_FILE_BYTES};
use crate::rules::RatingStyle;
use leptos::prelude::*;
use leptos::task::spawn_local;

const MB: u64 = 1024 * 1024;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <AdminShell title="Live chat settings">
            <Settings/>
        </AdminShell>
    }
}

#[component]
fn Settings() -> impl IntoView {
    let settings = RwSignal::new(ChatSettings::default());
    let state = RwSignal::new(Load::Loading);
    // In the browser only: effects do not run during server rendering.
    Effect::new(move |_| {
        spawn_local(async move {
            match api::live_chat_settings().await {
                Ok(s) => {
                    settings.set(s);
                    state.set(Load::Ready);
                }
                Err(e) => state.set(Load::Failed(message(&e))),
            }
        })
    });
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<(), String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        outcome.set(None);
        spawn_local(async move {
            let result = api::save_live_chat_settings(settings.get_untracked()).await;
            busy.set(false);
            outcome.set(Some(match result {
                Ok(saved) => {
                    settings.set(saved);
                    Ok(())
                }
                Err(e) => Err(message(&e)),
            }));
        });
    };
    let style_choice = move |style: RatingStyle, label: &'static str| {
        view! {
            <label class="pick">
                <input type="radio" name="rating-style"
                    prop:checked=move || settings.with(|s| s.rating_style == style)
                    on:change=move |_| settings.update(|s| s.rating_style = style)/>
                {label}
            </label>
        }
    };
    // One checkbox per switch; `portal` picks it in the settings.
    let switch = move |portal: fn(&mut ChatSettings) -> &mut bool, label: &'static str| {
        view! {
            <label class="pick">
                <input type="checkbox"
                    prop:checked=move || *portal(&mut settings.get())
                    on:change=move |ev| settings.update(|s| *portal(s) = event_target_checked(&ev))/>
                {label}
            </label>
        }
    };
    view! {
        {loaded(state, move || view! {
            <form class="settings" on:submit=save>
                <fieldset>
                    <legend>"Emojis"</legend>
                    <p class="help">"The Emojis button beside the chat box. Emojis people type are always shown."</p>
                    {switch(|s| &mut s.staff_emojis, "Emojis in the staff portal")}
                    {switch(|s| &mut s.client_emojis, "Emojis in the client portal")}
                </fieldset>
                <fieldset>
                    <legend>"Rating style"</legend>
                    <p class="help">"What Ask for rating shows the visitor."</p>
                    {style_choice(RatingStyle::Smiley, "Smiley")}
                    {style_choice(RatingStyle::Star, "Star")}
                </fieldset>
                <fieldset>
                    <legend>"Attachments"</legend>
                    <p class="help">"The Attachment button beside the chat box. Staff may always attach files."</p>
                    {switch(|s| &mut s.visitor_attachments, "Visitors may attach files")}
                    <label class="field">
                        "Maximum file size (MB)"
                        <input type="number" min="1" max=MAX_MAX_FILE_BYTES / MB step="1"
                            prop:value=move || settings.with(|s| (s.max_file_bytes / MB).max(1).to_string())
                            on:change=move |ev| {
                                if let Ok(mb) = event_target_value(&ev).trim().parse::<u64>() {
                                    settings.update(|s| s.max_file_bytes = mb * MB);
                                }
                            }/>
                    </label>
                    <p class="help">"Blocked file types are recognised by their content, not only by their name."</p>
                    {switch(|s| &mut s.block_executables, "Block executables (.exe, .dll, .msi, programs)")}
                    {switch(|s| &mut s.block_scripts, "Block scripts (.sh, .bat, .ps1, .js, …)")}
                    {switch(|s| &mut s.block_archives, "Block archives (.zip, .rar, .7z, …)")}
                </fieldset>
                {move || outcome.get().map(|o| match o {
                    Ok(()) => view! { <p class="done" role="status">"Settings saved."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                })}
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>"Save settings"</button>
                </div>
            </form>
        })}
    }
}
