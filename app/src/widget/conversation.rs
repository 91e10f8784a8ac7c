//! The visitor's side of a chat.

use super::rating::RatingPrompt;
use crate::components::attach::Uploads;
use crate::components::composer::Composer;
use crate::components::live::{Conn, Live};
use crate::components::transcript::TranscriptView;
use crate::model::Started;
use crate::protocol::VisitorAuth;
use crate::rules::{Phase, Rating};
use leptos::prelude::*;

#[component]
pub fn Conversation(session: Started, on_reset: Callback<()>) -> impl IntoView {
    let chat_id = session.chat_id;
    let token = StoredValue::new(session.token.clone());
    let live = Live::new(Some(VisitorAuth {
        chat_id,
        token: session.token,
    }));
    live.watch(chat_id);
    live.start();

    // A chat this browser remembers but the server does not know: start afresh.
    Effect::new(move |_| {
        if live.refused.get().is_some() {
            on_reset.run(());
        }
    });

    let chat = move || live.chats.with(|c| c.get(&chat_id).cloned());
    let phase = move || chat().map(|c| c.phase());
    let visitor_name = Signal::derive(move || chat().map(|c| c.visitor.name).unwrap_or_default());
    let staff_names = move || {
        chat()
            .map(|c| {
                c.state
                    .visible_staff()
                    .map(|m| m.staff.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let status = move || match phase() {
        None => "Connecting…".to_string(),
        Some(Phase::Waiting) => match chat().and_then(|c| c.queue_position) {
            Some(1) => "Waiting for staff to join… You are next in the queue.".to_string(),
            Some(n) => format!("Waiting for staff to join… You are number {n} in the queue."),
            None => "Waiting for staff to join…".to_string(),
        },
        Some(Phase::Active) => match staff_names() {
            names if names.is_empty() => "Waiting for staff to join…".to_string(),
            names => format!("You are chatting with {names}"),
        },
        Some(Phase::Ended) => match chat().and_then(|c| c.ticket_number) {
            Some(n) => format!(
                "Chat ended. Your request continues as ticket {}.",
                crate::ticket::label(n)
            ),
            None => "Chat ended".to_string(),
        },
    };
    let blocked = Signal::derive(move || match phase() {
        Some(Phase::Ended) => Some("This chat has ended.".to_string()),
        _ => None,
    });
    // Memos, so that other changes to the chat keep a half-filled prompt as it is.
    let asked = Memo::new(move |_| {
        chat().and_then(|c| match c.state.rating {
            Rating::Asked { style } if c.phase() != Phase::Ended => Some(style),
            _ => None,
        })
    });
    let answered = Memo::new(move |_| {
        chat().is_some_and(|c| matches!(c.state.rating, Rating::Answered { .. }))
    });
    let uploads = Uploads::chat(
        chat_id,
        Some(token.get_value()),
        Signal::derive(move || live.attachments.get() && phase() != Some(Phase::Ended)),
        live.max_file_bytes.into(),
        None,
    );
    let events = Signal::derive(move || live.transcript(chat_id));
    let pending = Signal::derive(move || live.pending_for(chat_id));

    view! {
        <section class="conversation" aria-label="Chat">
            <p class="chat-status" role="status">{status}</p>
            {move || (live.conn.get() == Conn::Retrying).then(|| view! {
                <p class="connection" role="status">"Reconnecting…"</p>
            })}
            <TranscriptView events pending visitor_name my_name=visitor_name chat_id
                file_token=token.get_value()
                on_dismiss=Callback::new(move |id: String| live.dismiss(&id))
                earlier=Signal::derive(move || live.has_earlier(chat_id))
                on_earlier=Callback::new(move |()| live.load_earlier(chat_id))/>
            <p class="typing" aria-live="polite">
                {move || live.typing_in(chat_id).first().map(|n| format!("{n} is typing…"))}
            </p>
            {move || match asked.get() {
                Some(style) => view! { <RatingPrompt chat_id token=token.get_value() style/> }.into_any(),
                None => answered.get().then(|| view! {
                    <p class="rating-thanks" role="status">"Thank you for your rating."</p>
                }).into_any(),
            }}
            <Composer on_send=Callback::new(move |body| live.send(chat_id, body)) blocked
                on_typing=Callback::new(move |t| live.set_typing(chat_id, t)) emojis=live.emojis
                uploads/>
            {move || (phase() == Some(Phase::Ended)).then(|| view! {
                <button type="button" class="secondary" on:click=move |_| on_reset.run(())>"Start a new chat"</button>
            })}
        </section>
    }
}
