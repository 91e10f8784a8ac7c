//! The chat's "more" menu and the dialogs behind it. The menu lists only what the shared chat
//! rules permit this staff member now; the server checks again with the same rules.

use crate::api::{self, ApiError, StaffOp};
use crate::components::live::Live;
use crate::model::{ChatSummary, Me, StaffEntry, Status};
use crate::rules::{Op, Role};
use crate::ticket::{self, Closing, TicketStatus};
use leptos::html::{Input, Select};
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialog {
    Forward,
    Invite,
    /// `End chat`: the chat becomes a ticket with the values picked here.
    End,
    /// `Leave chat` as the last staff member: the chat closes and becomes a ticket.
    Leave,
}

fn now_ms() -> i64 {
    #[cfg(feature = "browser")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "browser"))]
    {
        0
    }
}

#[component]
pub fn MoreMenu(
    live: Live,
    me: Me,
    #[prop(into)] chat: Signal<Option<ChatSummary>>,
    /// Runs an operation and reports failures where the pane shows them.
    run: Callback<StaffOp>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let dialog = RwSignal::new(None::<Dialog>);
    let me = StoredValue::new(me);
    let items = move || {
        let Some(chat) = chat.get() else {
            return Vec::new();
        };
        me.with_value(|me| chat.state.menu_for(&me.as_ref(), now_ms()))
    };
    // Whether I am the only staff member the visitor sees (a monitor's leaving ends nothing).
    let leaving_ends_chat = move || {
        let my_id = me.with_value(|m| m.id);
        chat.with_untracked(|c| {
            c.as_ref().is_some_and(|c| {
                matches!(c.role_of(my_id), Some(Role::Owner | Role::Participant))
                    && c.state.visible_staff().all(|m| m.staff.id == my_id)
            })
        })
    };
    let choose = move |op: Op| {
        open.set(false);
        match op {
            Op::Forward => dialog.set(Some(Dialog::Forward)),
            Op::Invite => dialog.set(Some(Dialog::Invite)),
            Op::Join => run.run(StaffOp::Join),
            Op::JoinInvisibly => run.run(StaffOp::JoinInvisibly),
            Op::Take => run.run(StaffOp::Take),
            // The last visible staff member's leaving closes the chat into a ticket: ask first.
            Op::Leave if leaving_ends_chat() => dialog.set(Some(Dialog::Leave)),
            Op::Leave => run.run(StaffOp::Leave),
            Op::AskRating => run.run(StaffOp::AskRating),
            Op::End => dialog.set(Some(Dialog::End)),
            _ => {}
        }
    };
    view! {
        <div class="more" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
            {move || chat.with(|c| c.as_ref().and_then(|c| c.ticket_number)).map(|n| view! {
                <p class="ticket-link" role="status">
                    "Chat ended · "
                    <a href=format!("/console/tickets/{n}") rel="external">{format!("Ticket {}", ticket::label(n))}</a>
                </p>
            })}
            <button type="button" class="more-button" aria-haspopup="menu"
                aria-expanded=move || open.get().to_string()
                disabled=move || items().is_empty()
                on:click=move |_| open.update(|o| *o = !*o)>"More"</button>
            <Show when=move || open.get()>
                <div class="menu" role="menu" aria-label="Chat actions">
                    {move || items().into_iter().map(|op| view! {
                        <button type="button" role="menuitem" on:click=move |_| choose(op)>{op.label()}</button>
                    }).collect_view()}
                </div>
            </Show>
            {move || dialog.get().map(|d| {
                let close = Callback::new(move |()| dialog.set(None));
                match d {
                    Dialog::End | Dialog::Leave => {
                        view! { <CloseChat live me=me.get_value() chat dialog=d close/> }.into_any()
                    }
                    _ => view! { <PickStaff live me=me.get_value() chat dialog=d run close/> }.into_any(),
                }
            })}
        </div>
    }
}

/// The Forward chat / Invite operator dialog: pick a colleague (grouped by department), add a note.
#[component]
fn PickStaff(
    live: Live,
    me: Me,
    chat: Signal<Option<ChatSummary>>,
    dialog: Dialog,
    run: Callback<StaffOp>,
    close: Callback<()>,
) -> impl IntoView {
    let picked = RwSignal::new(None::<i64>);
    let note = RwSignal::new(String::new());
    let (title, action, empty) = match dialog {
        Dialog::Forward => (
            "Forward chat",
            "Forward",
            "Nobody else is online and available right now.",
        ),
        _ => (
            "Invite operator",
            "Invite",
            "Nobody else is online right now.",
        ),
    };
    // Who can be picked: not me, not already visibly in the chat; forwarding needs an available
    // colleague, inviting an online one.
    let eligible = move |s: &StaffEntry| {
        let in_chat = chat.with(|c| {
            c.as_ref()
                .is_some_and(|c| matches!(c.role_of(s.id), Some(Role::Owner | Role::Participant)))
        });
        s.id != me.id
            && !in_chat
            && match dialog {
                Dialog::Forward => s.presence == Status::Online,
                _ => s.presence != Status::Offline,
            }
    };
    let groups = move || {
        let staff = live.staff.get();
        let mut groups: Vec<(String, Vec<StaffEntry>)> = live
            .departments
            .get()
            .into_iter()
            .map(|d| {
                let members = staff
                    .iter()
                    .filter(|s| s.departments.contains(&d.id) && eligible(s))
                    .cloned()
                    .collect();
                (d.name, members)
            })
            .collect();
        let loose: Vec<StaffEntry> = staff
            .iter()
            .filter(|s| s.departments.is_empty() && eligible(s))
            .cloned()
            .collect();
        groups.push(("No department".to_string(), loose));
        groups.retain(|(_, members)| !members.is_empty());
        groups
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(to) = picked.get_untracked() else {
            return;
        };
        let note = note.get_untracked();
        run.run(match dialog {
            Dialog::Forward => StaffOp::Forward { to, note },
            _ => StaffOp::Invite { to, note },
        });
        close.run(());
    };
    let title_id = match dialog {
        Dialog::Forward => "dialog-forward",
        _ => "dialog-invite",
    };
    view! {
        <div class="backdrop">
            <form class="dialog" role="dialog" aria-modal="true" aria-labelledby=title_id
                on:submit=submit on:keydown=move |ev| if ev.key() == "Escape" { close.run(()) }>
                <h2 id=title_id>{title}</h2>
                {move || {
                    let groups = groups();
                    if groups.is_empty() {
                        view! { <p class="empty">{empty}</p> }.into_any()
                    } else {
                        groups.into_iter().map(|(department, members)| view! {
                            <fieldset>
                                <legend>{department}</legend>
                                {members.into_iter().map(|s| {
                                    let id = s.id;
                                    let away = (s.presence == Status::Away).then_some(" (away)");
                                    view! {
                                        <label class="pick">
                                            <input type="radio" name="staff" value=id.to_string()
                                                prop:checked=move || picked.get() == Some(id)
                                                on:change=move |_| picked.set(Some(id))/>
                                            {s.name}{away}
                                        </label>
                                    }
                                }).collect_view()}
                            </fieldset>
                        }).collect_view().into_any()
                    }
                }}
                <div class="field">
                    <label for="dialog-note">"Note"</label>
                    <textarea id="dialog-note" rows="2" maxlength="500"
                        placeholder="Optional: what they should know"
                        prop:value=move || note.get()
                        on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </div>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" disabled=move || picked.get().is_none()>{action}</button>
                </div>
            </form>
        </div>
    }
}

/// The `End chat` dialog (subject, status, assignee, email copy) and the last staff member's
/// `Leave chat` dialog (assignee, email): both close the chat into a ticket through the
/// `create_ticket` server function.
#[component]
fn CloseChat(
    live: Live,
    me: Me,
    chat: Signal<Option<ChatSummary>>,
    dialog: Dialog,
    close: Callback<()>,
) -> impl IntoView {
    let ending = dialog == Dialog::End;
    let (chat_id, question, visitor_email) = chat.with_untracked(|c| {
        c.as_ref()
            .map(|c| (c.id, c.visitor.question.clone(), c.visitor.email.clone()))
            .unwrap_or_default()
    });
    let subject = RwSignal::new(ticket::one_line(&question));
    let status = RwSignal::new(TicketStatus::Open);
    // Ending: the ticket stays with me by default. Leaving: with nobody, unless I pick someone.
    let assignee = RwSignal::new(if ending { Some(me.id) } else { None });
    let send_email = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let first = NodeRef::<Input>::new();
    let first_select = NodeRef::<Select>::new();
    Effect::new(move |_| {
        if let Some(el) = first.get() {
            let _ = el.focus();
        } else if let Some(el) = first_select.get() {
            let _ = el.focus();
        }
    });
    let staff = move || {
        let mut all = live.staff.get();
        all.sort_by_key(|s| s.name.to_lowercase());
        all
    };
    let field_error =
        move |name: &'static str| move || error.with(|e| e.as_ref().and_then(|e| e.field(name)));
    let failure = move || {
        error.with(|e| match e {
            Some(ApiError::Invalid(_)) | None => None,
            Some(other) => Some(other.to_string()),
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let closing = if ending {
            Closing::End {
                subject: subject.get_untracked(),
                status: status.get_untracked(),
                assignee: assignee.get_untracked(),
                send_email: send_email.get_untracked(),
            }
        } else {
            Closing::Leave {
                assignee: assignee.get_untracked(),
                send_email: send_email.get_untracked(),
            }
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = api::tickets::create_ticket(chat_id, closing).await;
            busy.set(false);
            match result {
                Ok(_) => close.run(()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let (title_id, title, action) = if ending {
        ("dialog-end", "End chat", "End chat")
    } else {
        ("dialog-leave", "Leave chat", "Leave chat")
    };
    let email_label = if ending {
        "Send email copy to client"
    } else {
        "Send email"
    };
    let email_hint = format!("The chat transcript goes to {visitor_email}.");
    view! {
        <div class="backdrop">
            <form class="dialog close-chat" role="dialog" aria-modal="true" aria-labelledby=title_id
                aria-describedby=format!("{title_id}-about")
                on:submit=submit on:keydown=move |ev| if ev.key() == "Escape" { close.run(()) }>
                <h2 id=title_id>{title}</h2>
                {if ending {
                    view! {
                        <p class="about" id="dialog-end-about">"The chat closes for everyone and becomes a ticket."</p>
                        <div class="field" class:invalid=move || field_error("subject")().is_some()>
                            <label for="ticket-subject">"Subject"</label>
                            <input id="ticket-subject" type="text" maxlength=ticket::MAX_SUBJECT_CHARS.to_string()
                                node_ref=first aria-describedby="ticket-subject-error"
                                aria-invalid=move || field_error("subject")().is_some().to_string()
                                prop:value=move || subject.get()
                                on:input=move |ev| subject.set(event_target_value(&ev))/>
                            <p class="field-error" id="ticket-subject-error">{field_error("subject")}</p>
                        </div>
                        <div class="field">
                            <label for="ticket-status">"Status"</label>
                            <select id="ticket-status"
                                prop:value=move || status.get().as_str()
                                on:change=move |ev| {
                                    if let Some(s) = TicketStatus::parse(&event_target_value(&ev)) {
                                        status.set(s)
                                    }
                                }>
                                {TicketStatus::ALL.map(|s| view! { <option value=s.as_str()>{s.label()}</option> })}
                            </select>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="about" id="dialog-leave-about">
                            <p>"You are the only staff member in this chat. When you leave, the chat closes and a ticket is created with the visitor's question as its subject:"</p>
                            <blockquote>{question.clone()}</blockquote>
                        </div>
                    }.into_any()
                }}
                <div class="field" class:invalid=move || field_error("assignee")().is_some()>
                    <label for="ticket-assignee">"Assign to"</label>
                    <select id="ticket-assignee" node_ref=first_select aria-describedby="ticket-assignee-error"
                        prop:value=move || assignee.get().map(|id| id.to_string()).unwrap_or_default()
                        on:change=move |ev| assignee.set(event_target_value(&ev).parse::<i64>().ok())>
                        <option value="">"Nobody"</option>
                        {move || staff().into_iter().map(|s| view! {
                            <option value=s.id.to_string() selected=move || assignee.get() == Some(s.id)>{s.name}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="ticket-assignee-error">{field_error("assignee")}</p>
                </div>
                <div class="field check">
                    <input id="ticket-email" type="checkbox" aria-describedby="ticket-email-hint"
                        prop:checked=move || send_email.get()
                        on:change=move |ev| send_email.set(event_target_checked(&ev))/>
                    <label for="ticket-email">{email_label}</label>
                    <p class="help" id="ticket-email-hint">{email_hint}</p>
                </div>
                {move || failure().map(|f| view! { <p class="error" role="alert">{f}</p> })}
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| close.run(())>"Cancel"</button>
                    <button type="submit" disabled=move || busy.get()>{action}</button>
                </div>
            </form>
        </div>
    }
}

/// Forward offers and invitations addressed to me, to `Accept` or `Decline`.
#[component]
pub fn Requests(live: Live, me: Me) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let answer = Callback::new(move |(chat_id, op, open_after): (i64, StaffOp, bool)| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::chat_op(chat_id, op).await {
                Ok(()) => {
                    error.set(None);
                    if open_after {
                        navigate(&format!("/console?chat={chat_id}"), Default::default());
                    }
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let requests = move || {
        let mut out = Vec::new();
        live.chats.with(|chats| {
            for c in chats.values() {
                if let Some(offer) = c.state.forward.as_ref().filter(|o| o.to.id == me.id) {
                    out.push((c.clone(), offer.clone(), true));
                }
                for inv in c.state.invitations.iter().filter(|o| o.to.id == me.id) {
                    out.push((c.clone(), inv.clone(), false));
                }
            }
        });
        out.sort_by_key(|(c, o, _)| (o.expires_at, c.id));
        out
    };
    view! {
        <Show when=move || !requests().is_empty() || error.get().is_some()>
            <section class="requests" role="region" aria-label="Requests">
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                {move || requests().into_iter().map(|(chat, offer, forward)| {
                    let id = chat.id;
                    let what = if forward {
                        format!("{} wants to forward you the chat with {}", offer.from.name, chat.visitor.name)
                    } else {
                        format!("{} invites you to the chat with {}", offer.from.name, chat.visitor.name)
                    };
                    let (accept, decline) = if forward {
                        (StaffOp::AcceptForward, StaffOp::DeclineForward)
                    } else {
                        (StaffOp::AcceptInvite, StaffOp::DeclineInvite)
                    };
                    let label = what.clone();
                    view! {
                        <article class="request" aria-label=label>
                            <p class="what">{what}</p>
                            <p class="question">{chat.visitor.question.clone()}</p>
                            {(!offer.note.is_empty()).then(|| view! { <p class="note">"Note: " {offer.note.clone()}</p> })}
                            <div class="actions">
                                <button type="button" class="primary" on:click=move |_| answer.run((id, accept.clone(), true))>"Accept"</button>
                                <button type="button" on:click=move |_| answer.run((id, decline.clone(), false))>"Decline"</button>
                            </div>
                        </article>
                    }
                }).collect_view()}
            </section>
        </Show>
    }
}
