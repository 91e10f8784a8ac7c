//! The chat's "more" menu and the dialogs behind it. The menu lists only what the shared chat
//! rules permit this staff member now; the server checks again with the same rules.

use crate::api::{self, StaffOp};
use crate::components::live::Live;
use crate::model::{ChatSummary, Me, StaffEntry, Status};
use crate::rules::{Op, Role};
use leptos::prelude::*;

/// Operations wired in the console so far, in menu order.
const OFFERED: [Op; 7] = [
    Op::Join,
    Op::JoinInvisibly,
    Op::Take,
    Op::Forward,
    Op::Invite,
    Op::Leave,
    Op::End,
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialog {
    Forward,
    Invite,
}

fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
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
        let Some(chat) = chat.get() else { return Vec::new() };
        let allowed = me.with_value(|me| chat.state.menu_for(&me.as_ref(), now_ms()));
        OFFERED.into_iter().filter(|op| allowed.contains(op)).collect::<Vec<_>>()
    };
    let choose = move |op: Op| {
        open.set(false);
        match op {
            Op::Forward => dialog.set(Some(Dialog::Forward)),
            Op::Invite => dialog.set(Some(Dialog::Invite)),
            Op::Join => run.run(StaffOp::Join),
            Op::JoinInvisibly => run.run(StaffOp::JoinInvisibly),
            Op::Take => run.run(StaffOp::Take),
            Op::Leave => run.run(StaffOp::Leave),
            Op::End => run.run(StaffOp::End),
            _ => {}
        }
    };
    view! {
        <div class="more" on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
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
                view! { <PickStaff live me=me.get_value() chat dialog=d run close/> }
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
        Dialog::Forward => ("Forward chat", "Forward", "Nobody else is online and available right now."),
        Dialog::Invite => ("Invite operator", "Invite", "Nobody else is online right now."),
    };
    // Who can be picked: not me, not already visibly in the chat; forwarding needs an available
    // colleague, inviting an online one.
    let eligible = move |s: &StaffEntry| {
        let in_chat = chat.with(|c| {
            c.as_ref().is_some_and(|c| {
                matches!(c.role_of(s.id), Some(Role::Owner | Role::Participant))
            })
        });
        s.id != me.id
            && !in_chat
            && match dialog {
                Dialog::Forward => s.presence == Status::Online,
                Dialog::Invite => s.presence != Status::Offline,
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
        let Some(to) = picked.get_untracked() else { return };
        let note = note.get_untracked();
        run.run(match dialog {
            Dialog::Forward => StaffOp::Forward { to, note },
            Dialog::Invite => StaffOp::Invite { to, note },
        });
        close.run(());
    };
    let title_id = match dialog {
        Dialog::Forward => "dialog-forward",
        Dialog::Invite => "dialog-invite",
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
