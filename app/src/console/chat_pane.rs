//! One chat in the console: who the visitor is, the conversation, and what I can do in it.

use super::drive::DrivePicker;
use super::operations::MoreMenu;
use super::solution_articles::SolutionArticles;
use crate::api::{self, StaffOp};
use crate::components::attach::Uploads;
use crate::components::composer::Composer;
use crate::components::live::Live;
use crate::components::transcript::TranscriptView;
use crate::model::Me;
use crate::rules::{Phase, Role};
use leptos::prelude::*;

#[component]
pub fn ChatPane(live: Live, me: Me, chat_id: i64) -> impl IntoView {
    live.watch(chat_id);
    let me = StoredValue::new(me);
    // This chat only: a change to another chat in the list leaves the pane as it is.
    let chat = Memo::new(move |_| live.chats.with(|c| c.get(&chat_id).cloned()));
    let my_role =
        move || chat.with(|c| c.as_ref().and_then(|c| c.role_of(me.with_value(|m| m.id))));
    let phase = move || chat.with(|c| c.as_ref().map(|c| c.phase()));
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let run = Callback::new(move |op: StaffOp| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::chat_op(chat_id, op).await {
                // Joining or taking grants access to the transcript: ask for it again.
                Ok(()) => live.watch(chat_id),
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    });

    let blocked = Signal::derive(move || match (phase(), my_role()) {
        (Some(Phase::Ended), _) => Some("This chat has ended.".to_string()),
        (_, Some(Role::Owner | Role::Participant)) => None,
        (_, Some(Role::Monitor)) => {
            Some("You are monitoring invisibly; join the chat to send messages.".to_string())
        }
        (Some(Phase::Waiting), None) => Some("Accept the chat to reply.".to_string()),
        _ => Some("You are not in this chat.".to_string()),
    });
    let picking_drive = RwSignal::new(false);
    let uploads = Uploads::chat(
        chat_id,
        None,
        Signal::derive(move || live.attachments.get()),
        live.max_file_bytes.into(),
        Some(Callback::new(move |()| picking_drive.set(true))),
    );
    let events = Signal::derive(move || live.transcript(chat_id));
    let pending = Signal::derive(move || live.pending_for(chat_id));
    let visitor_name = Signal::derive(move || {
        chat.with(|c| {
            c.as_ref()
                .map_or_else(String::new, |c| c.visitor.name.clone())
        })
    });
    let my_name = Signal::derive(move || me.with_value(|m| m.name.clone()));

    let header = move || {
        let Some(c) = chat.get() else {
            return view! { <header class="chat-header"><p class="placeholder">"Loading chat…"</p></header> }.into_any();
        };
        let v = c.visitor.clone();
        let my_id = me.with_value(|m| m.id);
        let staff: Vec<String> = c
            .state
            .members
            .iter()
            .map(|m| match m.role {
                Role::Owner => format!("{} (owner)", m.staff.name),
                // Only my own monitoring ever reaches this view.
                Role::Monitor if m.staff.id == my_id => "you (invisibly)".to_string(),
                _ => m.staff.name.clone(),
            })
            .collect();
        view! {
            <header class="chat-header">
                <div>
                    <h1>{v.name.clone()}</h1>
                    <p class="visitor-meta">
                        <a href=format!("mailto:{}", v.email)>{v.email.clone()}</a>
                        {v.department.map(|d| format!(" · {}", d.name))}
                        {v.page_url.map(|u| view! { " · " <span class="page-url">{u}</span> })}
                    </p>
                    <p class="visitor-question">{v.question.clone()}</p>
                    {(!staff.is_empty()).then(|| view! { <p class="staff-in-chat">"In this chat: " {staff.join(", ")}</p> })}
                </div>
                <div class="chat-actions">
                    {(c.phase() == Phase::Waiting).then(|| view! {
                        <button type="button" class="primary" disabled=move || busy.get()
                            on:click=move |_| run.run(StaffOp::Accept)>"Accept chat"</button>
                    })}
                </div>
            </header>
        }
        .into_any()
    };

    let typing = move || live.typing_in(chat_id);
    let draft = RwSignal::new(String::new());
    view! {
        <section class="chat" aria-label="Chat">
            <div class="chat-top">
                {header}
                <MoreMenu live me=me.get_value() chat run/>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <TranscriptView events pending visitor_name my_name chat_id
                on_dismiss=Callback::new(move |id: String| live.dismiss(&id))
                earlier=Signal::derive(move || live.has_earlier(chat_id))
                on_earlier=Callback::new(move |()| live.load_earlier(chat_id))/>
            <p class="typing" aria-live="polite">
                {move || match typing().as_slice() {
                    [] => String::new(),
                    [one] => format!("{one} is typing…"),
                    many => format!("{} are typing…", many.join(", ")),
                }}
            </p>
            <Composer on_send=Callback::new(move |body| live.send(chat_id, body)) blocked
                on_typing=Callback::new(move |t| live.set_typing(chat_id, t)) emojis=live.emojis
                draft tools=move || view! { <SolutionArticles draft/> } uploads/>
            <Show when=move || picking_drive.get()>
                <DrivePicker chat_id on_close=Callback::new(move |()| picking_drive.set(false))/>
            </Show>
        </section>
    }
}
