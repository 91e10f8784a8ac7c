//! The conversation: messages and files with author and time, notices, and this tab's unsent
//! messages.

use super::clock;
use super::live::Pending;
use crate::api::files::{chat_file_url, previewable};
use crate::model::{file_size, ChatId, StoredEvent};
use crate::rules::{Author, Event, RatingStyle};
use leptos::html::Div;
use leptos::prelude::*;

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
    /// The chat, and the visitor's token when the visitor is the one reading: file links need them.
    chat_id: ChatId,
    #[prop(optional)] file_token: Option<String>,
) -> impl IntoView {
    let file_token = StoredValue::new(file_token);
    let log = NodeRef::<Div>::new();
    // Keep the newest message in view as the conversation grows.
    Effect::new(move |_| {
        events.track();
        pending.track();
        if let Some(el) = log.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    view! {
        <div class="transcript" role="log" aria-label="Conversation" aria-live="polite" node_ref=log>
            <For
                each=move || events.get()
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
