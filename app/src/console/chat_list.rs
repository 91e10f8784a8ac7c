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
    let chats_in = move |group: Group| {
        let mut list: Vec<ChatSummary> = live.chats.with(|c| {
            c.values()
                .filter(|c| me.with_value(|me| group_of(c, me)) == Some(group))
                .cloned()
                .collect()
        });
        list.sort_by_key(|c| (c.created_at, c.id));
        list
    };
    let section = move |title: &'static str, group: Group, empty: &'static str| {
        view! {
            <section class="chat-group">
                <h2>{title}</h2>
                {move || {
                    let list = chats_in(group);
                    if list.is_empty() {
                        view! { <p class="empty">{empty}</p> }.into_any()
                    } else {
                        view! {
                            <ul>
                                {list.into_iter().map(|c| {
                                    let id = c.id;
                                    let current = move || (selected.get() == Some(id)).then_some("page");
                                    let since = c.created_at;
                                    let routed = (c.phase() == Phase::Waiting).then(|| {
                                        let me_id = me.with_value(|m| m.id);
                                        match (c.offered_to, c.route) {
                                            (Some(id), _) if id == me_id => "Offered to you".to_string(),
                                            (_, Route::Staff(id)) if id == me_id => "For you".to_string(),
                                            (_, Route::Staff(id)) => format!("For {}", staff_name(id)),
                                            (_, Route::Department(d)) => department_name(d),
                                            (_, Route::Everyone) => String::new(),
                                        }
                                    }).filter(|s| !s.is_empty());
                                    let rated = match c.state.rating {
                                        Rating::Answered { score, .. } => Some(score),
                                        _ => None,
                                    };
                                    view! {
                                        <li>
                                            <a href=format!("/console?chat={id}") aria-current=current
                                                class:current=move || selected.get() == Some(id)>
                                                <span class="visitor">{c.visitor.name.clone()}</span>
                                                " "
                                                <span class="question">{c.visitor.question.clone()}</span>
                                                " "
                                                {routed.map(|r| view! { <span class="routed">{r}</span> " " })}
                                                {rated.map(|n| view! {
                                                    <span class="rated">{format!("Rated {n} of 5")}</span> " "
                                                })}
                                                <span class="age">{move || {
                                                    let n = now.get();
                                                    if n == 0 { String::new() } else { age(n - since) }
                                                }}</span>
                                            </a>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                }}
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
