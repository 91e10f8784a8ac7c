//! The conversation: messages and files with author and time, notices, and this tab's unsent
//! messages.
//!
//! A long conversation opens on its newest events only: building, styling and laying out costs
//! about 0.25 ms per event in the browser, so a chat of 1,000 messages would take ~250 ms to
//! show. Earlier ones come a page at a time, from what the tab holds (a ticket's whole
//! transcript, or the rest of the server's first page) or else from the server.

use super::clock;
use super::live::Pending;
use crate::api::files::{chat_file_url, previewable};
use crate::model::{file_size, ChatId, StoredEvent};
use crate::protocol::HISTORY_PAGE;
use crate::rules::{Author, Event, RatingStyle};
use leptos::html::Div;
use leptos::prelude::*;

/// How many events a conversation shows when it opens: enough to fill a pane 1,400 px tall with
/// one-line messages, and each one more costs time before the chat shows.
const SHOWN_ON_OPEN: usize = 25;

/// How many more each "Show earlier messages" adds from what the tab holds: half of the server's
/// page, so the first clicks show the rest of it at once, without a round trip.
const PAGE: usize = HISTORY_PAGE / 2;

/// Where the shown part of a conversation starts: `from` is the first shown event's `seq`, or
/// `None` to show the newest [`SHOWN_ON_OPEN`] events.
fn shown_start(events: &[StoredEvent], from: Option<i64>) -> usize {
    match from {
        Some(seq) => events.partition_point(|e| e.seq < seq),
        None => events.len().saturating_sub(SHOWN_ON_OPEN),
    }
}

#[component]
pub fn TranscriptView(
    #[prop(into)] events: Signal<Vec<StoredEvent>>,
    #[prop(into)] pending: Signal<Vec<Pending>>,
    /// The visitor's name, shown on their messages.
    #[prop(into)]
    visitor_name: Signal<String>,
    /// How this tab's own unsent messages are labelled.
    #[prop(into)]
    my_name: Signal<String>,
    #[prop(optional, into)] on_dismiss: Option<Callback<String>>,
    /// Whether the server holds older events than `events`, and how to ask for them.
    #[prop(optional, into)]
    earlier: Option<Signal<bool>>,
    #[prop(optional)] on_earlier: Option<Callback<()>>,
    /// The chat, and the visitor's token when the visitor is the one reading: file links need them.
    chat_id: ChatId,
    #[prop(optional)] file_token: Option<String>,
) -> impl IntoView {
    let file_token = StoredValue::new(file_token);
    let log = NodeRef::<Div>::new();
    // Pinned at the first event shown, so new messages add to what is shown instead of
    // pushing the oldest shown ones out of view.
    let from = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        if from.get().is_none() {
            events.with(|all| {
                if let Some(first) = all.get(shown_start(all, None)) {
                    from.set(Some(first.seq));
                }
            });
        }
    });
    let start = move || events.with(|all| shown_start(all, from.get()));
    let more_on_server = move || earlier.is_some_and(|e| e.get());
    // Held events first; then a page from the server, shown whole when it comes.
    let show_earlier = move |_| {
        let start = events.with_untracked(|all| shown_start(all, from.get_untracked()));
        if start > 0 {
            events.with_untracked(|all| from.set(Some(all[start.saturating_sub(PAGE)].seq)));
        } else if let Some(load) = on_earlier {
            from.set(Some(i64::MIN));
            load.run(());
        }
    };
    // Keep the newest message in view as the conversation grows (not when earlier ones come).
    let newest = Memo::new(move |_| events.with(|all| all.last().map(|e| e.seq)));
    Effect::new(move |_| {
        // Read, not just tracked: a memo nobody reads never learns of its sources' changes.
        newest.get();
        pending.with(|_| ());
        // In the next frame: the list's own update may not have reached the DOM yet.
        if let Some(el) = log.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });
    view! {
        <div class="transcript" role="log" aria-label="Conversation" aria-live="polite" node_ref=log>
            <Show when=move || { start() > 0 || more_on_server() }>
                <button type="button" class="earlier" on:click=show_earlier>"Show earlier messages"</button>
            </Show>
            <For
                each=move || events.with(|all| all[shown_start(all, from.get())..].to_vec())
                key=|e| e.seq
                children=move |e| view! { <EventItem event=e visitor_name chat_id file_token=file_token.get_value()/> }
            />
            <For
                each=move || pending.get()
                key=|p| (p.client_id.clone(), p.error.clone())
                children=move |p| {
                    let id = p.client_id.clone();
                    view! {
                        <div class="msg mine pending">
                            <div class="meta">
                                <span class="author">{move || my_name.get()}</span>
                                <span class="status">
                                    {if p.error.is_some() { "Not sent" } else { "Sending…" }}
                                </span>
                            </div>
                            <p class="body">{p.body.clone()}</p>
                            {p.error.clone().map(|err| view! {
                                <p class="error" role="alert">{err}</p>
                                {on_dismiss.map(|cb| view! {
                                    <button type="button" on:click=move |_| cb.run(id.clone())>"Dismiss"</button>
                                })}
                            })}
                        </div>
                    }
                }
            />
        </div>
    }
}

#[component]
fn EventItem(
    event: StoredEvent,
    visitor_name: Signal<String>,
    chat_id: ChatId,
    file_token: Option<String>,
) -> impl IntoView {
    let time = clock(event.at);
    match event.event {
        Event::Attachment { author, file } => {
            let (class, name) = match author {
                Author::Visitor => ("msg from-visitor attachment", None),
                Author::Staff(s) => ("msg from-staff attachment", Some(s.name)),
            };
            let name = move || name.clone().unwrap_or_else(|| visitor_name.get());
            let url = chat_file_url(chat_id, file.id, file_token.as_deref());
            let preview = previewable(&file.content_type).then(|| {
                let sep = if url.contains('?') { '&' } else { '?' };
                view! {
                    <img class="preview" src=format!("{url}{sep}inline=1") alt=file.name.clone() loading="lazy"/>
                }
            });
            view! {
                <div class=class>
                    <div class="meta">
                        <span class="author">{name}</span>
                        " "
                        <time>{time}</time>
                    </div>
                    {preview}
                    <p class="file">
                        <a href=url.clone() download=file.name.clone()>{file.name.clone()}</a>
                        " "
                        <span class="file-meta">{format!("{} · {}", file_size(file.size), file.content_type)}</span>
                    </p>
                </div>
            }
            .into_any()
        }
        Event::Message { author, body } => {
            let (class, name) = match author {
                Author::Visitor => ("msg from-visitor", None),
                Author::Staff(s) => ("msg from-staff", Some(s.name)),
            };
            let name = move || name.clone().unwrap_or_else(|| visitor_name.get());
            view! {
                <div class=class>
                    <div class="meta">
                        <span class="author">{name}</span>
                        " "
                        <time>{time}</time>
                    </div>
                    <p class="body">{body}</p>
                </div>
            }
            .into_any()
        }
        Event::Rated {
            style,
            score,
            comment,
        } => {
            let scale = match style {
                RatingStyle::Star => "stars",
                RatingStyle::Smiley => "on the smiley scale",
            };
            view! {
                <p class="notice">
                    {format!("Rated {score} of 5 {scale}")}
                    {(!comment.is_empty()).then(|| format!(": “{comment}”"))}
                    " " <time>{time}</time>
                </p>
            }
            .into_any()
        }
        other => match other.notice() {
            Some(text) => view! {
                <p class="notice">{text} " " <time>{time}</time></p>
            }
            .into_any(),
            None => ().into_any(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(n: i64) -> Vec<StoredEvent> {
        (1..=n)
            .map(|seq| StoredEvent {
                seq,
                at: 0,
                client_id: None,
                event: Event::Message {
                    author: Author::Visitor,
                    body: format!("message {seq}"),
                },
            })
            .collect()
    }

    #[test]
    fn a_short_chat_shows_everything() {
        assert_eq!(shown_start(&events(0), None), 0);
        assert_eq!(shown_start(&events(SHOWN_ON_OPEN as i64), None), 0);
    }

    #[test]
    fn a_long_chat_opens_on_its_newest_events() {
        let all = events(1_000);
        let start = shown_start(&all, None);
        assert_eq!(all.len() - start, SHOWN_ON_OPEN);
        assert_eq!(all[start].seq, 976);
    }

    #[test]
    fn a_pinned_start_keeps_its_place_as_the_chat_grows() {
        let pinned = Some(951);
        assert_eq!(shown_start(&events(1_000), pinned), 950);
        assert_eq!(shown_start(&events(1_050), pinned), 950);
        assert_eq!(shown_start(&events(1_000), Some(1)), 0);
    }
}
