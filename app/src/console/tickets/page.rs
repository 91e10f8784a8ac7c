//! One ticket: the whole chat transcript (with the notices only staff see), its status and
//! assignee (changed here, each change recorded in the history), and the transcript emails with
//! what became of them.

use super::{staff_of, staff_resource, when, StaffPage};
use crate::api::{self, ApiError};
use crate::components::transcript::TranscriptView;
use crate::model::Me;
use crate::rules::StaffRef;
use crate::ticket::{self, MailState, TicketChange, TicketDetail, TicketStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TicketPage() -> impl IntoView {
    view! { <StaffPage title="Ticket · Helpdesk" page=|me| view! { <Page me/> }.into_any()/> }
}

#[component]
fn Page(me: Me) -> impl IntoView {
    let _ = me;
    let everyone = staff_resource();
    let params = use_params_map();
    let number = Memo::new(move |_| {
        params.with(|p| {
            p.get("number")
                .and_then(|n| n.trim_start_matches('#').parse::<i64>().ok())
        })
    });
    // Bumped to fetch the ticket again after a change.
    let version = RwSignal::new(0u32);
    // Kept here, so that they outlive the refetch that follows a change.
    let saved = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let detail = LocalResource::new(move || {
        version.track();
        let n = number.get();
        async move {
            match n {
                Some(n) => api::tickets::ticket(n).await,
                None => Err(ApiError::NotFound),
            }
        }
    });
    // While an email waits in the outbox, look again every few seconds.
    #[cfg(feature = "browser")]
    {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                let waiting = detail.with_untracked(|d| {
                    d.as_ref().is_some_and(|d| {
                        d.as_ref().is_ok_and(|d| {
                            d.mail
                                .iter()
                                .any(|m| matches!(m.state, MailState::Queued { .. }))
                        })
                    })
                });
                if waiting {
                    version.update(|v| *v += 1);
                }
            },
            std::time::Duration::from_secs(3),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    view! {
        <Suspense fallback=|| view! { <p class="placeholder">"Loading ticket…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <Ticket detail=d everyone version saved error/> }.into_any(),
                    Err(ApiError::NotFound) => view! {
                        <section class="ticket">
                            <p><a href="/console/tickets">"All tickets"</a></p>
                            <h1>"Ticket not found"</h1>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Ticket(
    detail: TicketDetail,
    everyone: LocalResource<Result<Vec<StaffRef>, ApiError>>,
    version: RwSignal<u32>,
    saved: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let t = detail.ticket.clone();
    let number = t.number;
    let busy = RwSignal::new(false);
    let change = move |c: TicketChange| {
        busy.set(true);
        error.set(None);
        saved.set(None);
        leptos::task::spawn_local(async move {
            match api::tickets::update_ticket(number, c.clone()).await {
                Ok(after) => {
                    saved.set(Some(match c {
                        TicketChange::Status(s) => format!("Status changed to {}.", s.label()),
                        TicketChange::Assignee(_) => match after.assignee {
                            Some(a) => format!("Assigned to {}.", a.name),
                            None => "Unassigned.".to_string(),
                        },
                    }));
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let resend = move |_| {
        busy.set(true);
        error.set(None);
        saved.set(None);
        leptos::task::spawn_local(async move {
            match api::tickets::resend_transcript(number).await {
                Ok(item) => {
                    saved.set(Some(format!("Transcript email queued to {}.", item.to)));
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let status = t.status;
    let assignee = t.assignee.as_ref().map(|a| a.id);
    let staff = move || staff_of(everyone);
    // An assignee who left the directory still shows by name.
    let assignee_name = t.assignee.as_ref().map(|a| a.name.clone());
    let title = format!("{} {}", ticket::label(number), t.subject);
    let requester = t.requester.clone();
    let mailto = format!("mailto:{}", requester.email);
    let events = Signal::derive({
        let events = detail.transcript.clone();
        move || events.clone()
    });
    let chat_times = detail
        .transcript
        .first()
        .zip(detail.transcript.last())
        .map(|(a, b)| format!("{} – {}", when(a.at), when(b.at)));
    let visitor_name = requester.name.clone();
    let has_mail = !detail.mail.is_empty();
    view! {
        <article class="ticket" aria-labelledby="ticket-title">
            <p class="back"><a href="/console/tickets">"All tickets"</a></p>
            <h1 id="ticket-title">{title}</h1>
            <dl class="ticket-facts">
                <dt>"Requester"</dt>
                <dd>{requester.name.clone()} " " <a href=mailto>{requester.email.clone()}</a></dd>
                <dt>"Department"</dt>
                <dd>{t.department.as_ref().map(|d| d.name.clone()).unwrap_or_else(|| "Any".into())}</dd>
                <dt>"Created"</dt>
                <dd><time>{when(t.created_at)}</time></dd>
                <dt>"Updated"</dt>
                <dd><time>{when(t.updated_at)}</time></dd>
                {t.chat_id.map(|id| view! {
                    <dt>"Chat"</dt>
                    <dd>{format!("Chat {id}")}{chat_times.map(|c| format!(", {c}"))}</dd>
                })}
                {detail.page_url.clone().map(|u| view! {
                    <dt>"Page"</dt>
                    <dd class="page-url">{u}</dd>
                })}
            </dl>

            <section class="ticket-properties" aria-label="Ticket properties">
                <div class="field">
                    <label for="ticket-page-status">"Ticket status"</label>
                    <select id="ticket-page-status" disabled=move || busy.get()
                        prop:value=status.as_str()
                        on:change=move |ev| {
                            if let Some(s) = TicketStatus::parse(&event_target_value(&ev)) {
                                change(TicketChange::Status(s));
                            }
                        }>
                        {TicketStatus::ALL.map(|s| view! {
                            <option value=s.as_str() selected=s == status>{s.label()}</option>
                        })}
                    </select>
                </div>
                <div class="field">
                    <label for="ticket-page-assignee">"Assignee"</label>
                    <select id="ticket-page-assignee" disabled=move || busy.get()
                        prop:value=move || { everyone.track(); assignee.map(|id| id.to_string()).unwrap_or_default() }
                        on:change=move |ev| change(TicketChange::Assignee(event_target_value(&ev).parse::<i64>().ok()))>
                        <option value="">"Nobody"</option>
                        {move || {
                            let list = staff();
                            let known = assignee.is_none_or(|id| list.iter().any(|s| s.id == id));
                            let missing = (!known).then(|| {
                                let id = assignee.unwrap_or_default();
                                view! { <option value=id.to_string() selected=true>{assignee_name.clone()}</option> }
                            });
                            view! {
                                {missing}
                                {list.into_iter().map(|s| {
                                    let id = s.id;
                                    view! { <option value=id.to_string() selected=assignee == Some(id)>{s.name}</option> }
                                }).collect_view()}
                            }
                        }}
                    </select>
                </div>
                <p class="saved" role="status">{move || saved.get()}</p>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </section>

            <section class="ticket-mail" aria-labelledby="ticket-mail-title">
                <h2 id="ticket-mail-title">"Email"</h2>
                {if has_mail {
                    view! {
                        <ul class="mail-list">
                            {detail.mail.iter().map(|m| {
                                let state = m.state.clone();
                                let class = match &state {
                                    MailState::Queued { .. } => "mail queued",
                                    MailState::Sent { .. } => "mail sent",
                                    MailState::Failed { .. } => "mail failed",
                                    MailState::WrittenToDisk { .. } => "mail written",
                                };
                                let at = match &state {
                                    MailState::Sent { at } | MailState::WrittenToDisk { at, .. } => Some(*at),
                                    _ => None,
                                };
                                view! {
                                    <li class=class>
                                        {format!("Transcript to {}: {}", m.to, state.describe())}
                                        {at.map(|at| view! { " " <time>{when(at)}</time> })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                } else {
                    view! { <p class="empty">"No email sent for this ticket yet."</p> }.into_any()
                }}
                <button type="button" disabled=move || busy.get() on:click=resend>
                    {if has_mail { "Resend transcript" } else { "Send transcript" }}
                </button>
            </section>

            <section class="ticket-transcript" aria-labelledby="ticket-transcript-title">
                <h2 id="ticket-transcript-title">"Transcript"</h2>
                {detail.message.clone().map(|m| view! {
                    <div class="left-message">
                        <p class="meta">{format!("Message left by {} while nobody was available", visitor_name)}</p>
                        <p class="body">{m}</p>
                    </div>
                })}
                {(!detail.transcript.is_empty()).then(|| {
                    let name = requester.name.clone();
                    view! {
                        <TranscriptView events pending=Signal::derive(Vec::new)
                            chat_id=detail.ticket.chat_id.unwrap_or_default()
                            visitor_name=Signal::derive(move || name.clone())
                            my_name=Signal::derive(String::new)/>
                    }
                })}
            </section>

            <section class="ticket-history" aria-labelledby="ticket-history-title">
                <h2 id="ticket-history-title">"History"</h2>
                <ol>
                    {detail.history.iter().map(|h| view! {
                        <li><time>{when(h.at)}</time> " " <strong>{h.actor.clone()}</strong> ": " {h.what.clone()}</li>
                    }).collect_view()}
                </ol>
            </section>
        </article>
    }
}
