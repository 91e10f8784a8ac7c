//! The message box: Enter sends, Shift+Enter starts a new line. With emojis on for this portal,
//! the `Emojis` picker beside it inserts at the caret. With attachments on, the `Attachment`
//! button sends files, and so do files dropped on the box or images pasted into it.

use super::attach::{AttachButton, UploadList, Uploads};
use super::emoji::EmojiPicker;
use crate::rules::MAX_MESSAGE_CHARS;
use leptos::html::Textarea;
use leptos::prelude::*;

/// The byte index in `s` of the browser's caret position `utf16` (textareas count UTF-16 units).
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
fn byte_index(s: &str, utf16: u32) -> usize {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        if units >= utf16 as usize {
            return i;
        }
        units += c.len_utf16();
    }
    s.len()
}

/// The selection in the textarea as byte indices in `text`; the end of it when unknown.
fn selection(area: NodeRef<Textarea>, text: &str) -> (usize, usize) {
    #[cfg(feature = "browser")]
    if let Some(el) = area.get_untracked() {
        if let (Ok(Some(start)), Ok(Some(end))) = (el.selection_start(), el.selection_end()) {
            return (byte_index(text, start), byte_index(text, end));
        }
    }
    let _ = area;
    (text.len(), text.len())
}

/// Focuses the textarea once it has re-rendered, with the caret at `at` (UTF-16 units) if given.
fn focus(area: NodeRef<Textarea>, at: Option<u32>) {
    #[cfg(feature = "browser")]
    request_animation_frame(move || {
        if let Some(el) = area.get_untracked() {
            let _ = el.focus();
            if let Some(at) = at {
                let _ = el.set_selection_range(at, at);
            }
        }
    });
    #[cfg(not(feature = "browser"))]
    let _ = (area, at);
}

#[component]
pub fn Composer(
    #[prop(into)] on_send: Callback<String>,
    /// Why sending is not possible now, if it is not.
    #[prop(into)]
    blocked: Signal<Option<String>>,
    /// Told when this user starts typing (at most every few seconds) and when they send.
    #[prop(optional)]
    on_typing: Option<Callback<bool>>,
    /// Whether this portal offers the `Emojis` picker (live chat settings).
    #[prop(into)]
    emojis: Signal<bool>,
    /// The message being written, when the page puts text into it too (the console's tools).
    #[prop(optional)]
    draft: Option<RwSignal<String>>,
    /// Tools shown above the message box (the console's `Solution articles`).
    #[prop(optional, into)]
    tools: Option<ViewFn>,
    /// Files into this chat, when this portal may attach them.
    #[prop(optional)]
    uploads: Option<Uploads>,
) -> impl IntoView {
    let text = draft.unwrap_or_else(|| RwSignal::new(String::new()));
    let area = NodeRef::<Textarea>::new();
    let picking = RwSignal::new(false);
    // Settings may turn emojis off while the picker is open.
    Effect::new(move |_| {
        if !emojis.get() {
            picking.set(false);
        }
    });
    let insert = Callback::new(move |emoji: &'static str| {
        let current = text.get_untracked();
        let (start, end) = selection(area, &current);
        let next = format!("{}{emoji}{}", &current[..start], &current[end..]);
        let caret = next[..start + emoji.len()].encode_utf16().count() as u32;
        text.set(next);
        picking.set(false);
        focus(area, Some(caret));
    });
    let last_typing = StoredValue::new(0f64);
    let typed = move || {
        let Some(cb) = on_typing else { return };
        #[cfg(feature = "browser")]
        {
            let now = js_sys::Date::now();
            if now - last_typing.get_value() > 3_000.0 {
                last_typing.set_value(now);
                cb.run(true);
            }
        }
        #[cfg(not(feature = "browser"))]
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
    let can_attach = move || uploads.is_some_and(|u| u.enabled.get()) && blocked.get().is_none();
    // Dropped files and pasted images go up like picked ones.
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        if can_attach() {
            ev.prevent_default();
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        if !can_attach() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "browser")]
        if let Some(u) = uploads {
            u.add_list(ev.data_transfer().and_then(|d| d.files()));
        }
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        #[cfg(feature = "browser")]
        if let (true, Some(u)) = (can_attach(), uploads) {
            let files = ev.clipboard_data().and_then(|d| d.files());
            if files.as_ref().is_some_and(|f| f.length() > 0) {
                ev.prevent_default();
                u.add_list(files);
            }
        }
        #[cfg(not(feature = "browser"))]
        let _ = ev;
    };
    view! {
        <form class="composer" on:submit=move |ev| {
            ev.prevent_default();
            submit();
        } on:dragover=on_dragover on:drop=on_drop on:paste=on_paste>
            {tools.map(|tools| view! { <div class="composer-tools">{tools.run()}</div> })}
            {uploads.map(|u| view! { <UploadList uploads=u/> })}
            <label class="sr-only" for="composer-message">"Message"</label>
            <textarea
                id="composer-message"
                node_ref=area
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
            {uploads.map(|u| view! {
                <Show when=move || u.enabled.get()>
                    <AttachButton uploads=u disabled=Signal::derive(move || blocked.get().is_some())/>
                </Show>
            })}
            <Show when=move || emojis.get()>
                <button type="button" class="emoji-button" aria-haspopup="dialog"
                    aria-expanded=move || picking.get().to_string()
                    disabled=move || blocked.get().is_some()
                    on:click=move |_| picking.update(|p| *p = !*p)>"Emojis"</button>
            </Show>
            <Show when=move || picking.get()>
                <EmojiPicker on_pick=insert on_close=Callback::new(move |()| {
                    picking.set(false);
                    focus(area, None);
                })/>
            </Show>
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

#[cfg(test)]
mod tests {
    use super::byte_index;

    #[test]
    fn caret_positions_count_utf16_units() {
        let s = "a😀b";
        assert_eq!(byte_index(s, 0), 0);
        assert_eq!(byte_index(s, 1), 1);
        // The emoji takes two UTF-16 units and four bytes.
        assert_eq!(byte_index(s, 3), 5);
        assert_eq!(byte_index(s, 4), 6);
        assert_eq!(byte_index(s, 99), 6);
    }
}
