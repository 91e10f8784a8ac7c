//! The left-hand panel: waiting chats, my chats, other ongoing chats, updated live.

use crate::components::age;
use crate::components::live::Live;
use crate::model::{ChatSummary, Me};
use crate::routing::Route;
use crate::rules::{Phase, Rating};
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Waiting,
    Mine,
    Others,
}

fn group_of(chat: &ChatSummary, me: &Me) -> Option<Group> {
    match chat.phase() {
        Phase::Ended => None,
        Phase::Waiting => Some(Group::Waiting),
        Phase::Active if chat.role_of(me.id).is_some() => Some(Group::Mine),
        Phase::Active => Some(Group::Others),
    }
}

#[component]
pub fn ChatList(
    live: Live,
    me: Me,
    selected: Signal<Option<i64>>,
    now: ReadSignal<i64>,
) -> impl IntoView {
    let me = StoredValue::new(me);
    let staff_name = move |id: i64| {
        live.staff
            .with_untracked(|s| s.iter().find(|s| s.id == id).map(|s| s.name.clone()))
            .unwrap_or_default()
    };
    let department_name = move |id: i64| {
        live.departments
            .with_untracked(|d| d.iter().find(|d| d.id == id).map(|d| d.name.clone()))
            .unwrap_or_default()
    };
    // What each row shows, oldest chat first: rows are keyed by it, so a change rebuilds only the
    // rows it touches, and a change nobody sees (a message, a watch) rebuilds none.
    let rows_in = move |group: Group| {
        let me_id = me.with_value(|m| m.id);
        let mut list: Vec<Row> = live.chats.with(|c| {
            c.values()
                .filter(|c| me.with_value(|me| group_of(c, me)) == Some(group))
                .map(|c| {
                    let routed = (c.phase() == Phase::Waiting)
                        .then(|| match (c.offered_to, c.route) {
                            (Some(id), _) if id == me_id => "Offered to you".to_string(),
                            (_, Route::Staff(id)) if id == me_id => "For you".to_string(),
                            (_, Route::Staff(id)) => format!("For {}", staff_name(id)),
                            (_, Route::Department(d)) => department_name(d),
                            (_, Route::Everyone) => String::new(),
                        })
                        .filter(|s| !s.is_empty());
                    let rated = match c.state.rating {
                        Rating::Answered { score, .. } => Some(score),
                        _ => None,
                    };
                    Row {
                        id: c.id,
                        visitor: c.visitor.name.clone(),
                        question: c.visitor.question.clone(),
                        routed,
                        rated,
                        since: c.created_at,
                    }
                })
                .collect()
        });
        list.sort_by_key(|r| (r.since, r.id));
        list
    };
    let section = move |title: &'static str, group: Group, empty: &'static str| {
        let rows = Memo::new(move |_| rows_in(group));
        view! {
            <section class="chat-group">
                <h2>{title}</h2>
                <Show when=move || rows.with(|r| !r.is_empty())
                    fallback=move || view! { <p class="empty">{empty}</p> }>
                    <ul>
                        <For each=move || rows.get() key=|row| row.clone() let:row>
                            <ChatRow row selected now/>
                        </For>
                    </ul>
                </Show>
            </section>
        }
    };
    view! {
        <nav class="chat-list" aria-label="Chats">
            {section("Waiting", Group::Waiting, "No one is waiting.")}
            {section("My chats", Group::Mine, "You are in no chats.")}
            {section("Other ongoing chats", Group::Others, "No other chats.")}
        </nav>
    }
}

/// What one row of the list shows.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Row {
    id: i64,
    visitor: String,
    question: String,
    routed: Option<String>,
    rated: Option<u8>,
    since: i64,
}

#[component]
fn ChatRow(row: Row, selected: Signal<Option<i64>>, now: ReadSignal<i64>) -> impl IntoView {
    let Row {
        id,
        visitor,
        question,
        routed,
        rated,
        since,
    } = row;
    view! {
        <li>
            <a href=format!("/console?chat={id}") aria-current=move || (selected.get() == Some(id)).then_some("page")
                class:current=move || selected.get() == Some(id)>
                <span class="visitor">{visitor}</span>
                " "
                <span class="question">{question}</span>
                " "
                {routed.map(|r| view! { <span class="routed">{r}</span> " " })}
                {rated.map(|n| view! { <span class="rated">{format!("Rated {n} of 5")}</span> " " })}
                <span class="age">{move || {
                    let n = now.get();
                    if n == 0 { String::new() } else { age(n - since) }
                }}</span>
            </a>
        </li>
    }
}
