//! The ticket list: number, subject, requester, status, assignee, updated; filtered by status and
//! assignee, searched on subject and requester. The filter lives in the address, so it can be
//! bookmarked and survives a reload.

use super::{staff_of, staff_resource, when, StaffPage};
use crate::api;
use crate::model::Me;
use crate::ticket::{self, AssigneeFilter, TicketFilter, TicketStatus};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn TicketList() -> impl IntoView {
    view! { <StaffPage title="Tickets · Helpdesk" page=|me| view! { <List me/> }.into_any()/> }
}

fn assignee_param(a: AssigneeFilter) -> String {
    match a {
        AssigneeFilter::Anyone => String::new(),
        AssigneeFilter::Nobody => "nobody".into(),
        AssigneeFilter::Staff(id) => id.to_string(),
    }
}

fn parse_assignee(s: &str) -> AssigneeFilter {
    match s {
        "nobody" => AssigneeFilter::Nobody,
        other => other
            .parse()
            .map_or(AssigneeFilter::Anyone, AssigneeFilter::Staff),
    }
}

/// `/console/tickets?status=open&assignee=3&q=order`, leaving out what is not set.
fn href(filter: &TicketFilter) -> String {
    let mut parts = Vec::new();
    if let Some(s) = filter.status {
        parts.push(format!("status={}", s.as_str()));
    }
    let a = assignee_param(filter.assignee);
    if !a.is_empty() {
        parts.push(format!("assignee={a}"));
    }
    let q = filter.search.trim();
    if !q.is_empty() {
        parts.push(format!("q={}", encode(q)));
    }
    if parts.is_empty() {
        "/console/tickets".into()
    } else {
        format!("/console/tickets?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[component]
fn List(me: Me) -> impl IntoView {
    let everyone = staff_resource();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| TicketFilter {
            status: q.get("status").and_then(|s| TicketStatus::parse(&s)),
            assignee: q
                .get("assignee")
                .map_or(AssigneeFilter::Anyone, |a| parse_assignee(&a)),
            search: q.get("q").unwrap_or_default(),
        })
    });
    let tickets = LocalResource::new(move || {
        let f = filter.get();
        async move { api::tickets::tickets(f).await }
    });
    let navigate = use_navigate();
    let go = StoredValue::new_local(move |f: TicketFilter| navigate(&href(&f), Default::default()));
    let search = RwSignal::new(filter.get_untracked().search);
    // Follow the address (back/forward) in the search box.
    Effect::new(move |_| search.set(filter.get().search));
    let staff = move || staff_of(everyone);
    let my_id = me.id;

    view! {
        <section class="tickets" aria-labelledby="tickets-title">
            <h1 id="tickets-title">"Tickets"</h1>
            <form class="ticket-filters" role="search" aria-label="Filter tickets"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    let mut f = filter.get_untracked();
                    f.search = search.get_untracked();
                    go.with_value(|go| go(f));
                }>
                <label>
                    <span>"Filter by status"</span>
                    <select prop:value=move || filter.get().status.map(|s| s.as_str()).unwrap_or("")
                        on:change=move |ev| {
                            let mut f = filter.get_untracked();
                            f.status = TicketStatus::parse(&event_target_value(&ev));
                            go.with_value(|go| go(f));
                        }>
                        <option value="">"Any status"</option>
                        {TicketStatus::ALL.map(|s| view! { <option value=s.as_str()>{s.label()}</option> })}
                    </select>
                </label>
                <label>
                    <span>"Filter by assignee"</span>
                    <select prop:value=move || assignee_param(filter.get().assignee)
                        on:change=move |ev| {
                            let mut f = filter.get_untracked();
                            f.assignee = parse_assignee(&event_target_value(&ev));
                            go.with_value(|go| go(f));
                        }>
                        <option value="">"Anyone"</option>
                        <option value="nobody">"Nobody"</option>
                        <option value=my_id.to_string()>"Me"</option>
                        {move || staff().into_iter().filter(|s| s.id != my_id).map(|s| {
                            let id = s.id;
                            view! {
                                <option value=id.to_string()
                                    selected=move || filter.get().assignee == AssigneeFilter::Staff(id)>{s.name}</option>
                            }
                        }).collect_view()}
                    </select>
                </label>
                <label class="grow">
                    <span>"Search tickets"</span>
                    <input type="search" placeholder="Subject, requester or #number"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))
                        on:search=move |ev: leptos::ev::Event| {
                            // The clear button of a search box.
                            if event_target_value(&ev).is_empty() {
                                let mut f = filter.get_untracked();
                                f.search = String::new();
                                go.with_value(|go| go(f));
                            }
                        }/>
                </label>
                <button type="submit">"Search"</button>
            </form>
            <Suspense fallback=|| view! { <p class="placeholder">"Loading tickets…"</p> }>
                {move || Suspend::new(async move {
                    match tickets.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty" role="status">"No tickets match."</p>
                        }.into_any(),
                        Ok(list) => {
                            let count = match list.len() {
                                1 => "1 ticket".to_string(),
                                n => format!("{n} tickets"),
                            };
                            view! {
                                <p class="count" role="status">{count}</p>
                                <table class="ticket-table" aria-label="Tickets">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Number"</th>
                                            <th scope="col">"Subject"</th>
                                            <th scope="col">"Requester"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Assignee"</th>
                                            <th scope="col">"Updated"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.into_iter().map(|t| {
                                            let link = format!("/console/tickets/{}", t.number);
                                            let link2 = link.clone();
                                            let status = t.status;
                                            view! {
                                                <tr>
                                                    <td><a href=link>{ticket::label(t.number)}</a></td>
                                                    <td class="subject"><a href=link2>{t.subject}</a></td>
                                                    <td>
                                                        <span class="name">{t.requester.name}</span>
                                                        " "
                                                        <span class="email">{t.requester.email}</span>
                                                    </td>
                                                    <td><span class=format!("badge status-{}", status.as_str())>{status.label()}</span></td>
                                                    <td>{t.assignee.map(|a| a.name).unwrap_or_else(|| "Nobody".into())}</td>
                                                    <td><time>{when(t.updated_at)}</time></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_address() {
        let f = TicketFilter {
            status: Some(TicketStatus::Pending),
            assignee: AssigneeFilter::Nobody,
            search: "order #12 & more".into(),
        };
        assert_eq!(
            href(&f),
            "/console/tickets?status=pending&assignee=nobody&q=order%20%2312%20%26%20more"
        );
        assert_eq!(href(&TicketFilter::default()), "/console/tickets");
        assert_eq!(parse_assignee("7"), AssigneeFilter::Staff(7));
        assert_eq!(parse_assignee(""), AssigneeFilter::Anyone);
    }
}
