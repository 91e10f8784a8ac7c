//! The console's top bar: where you are, your status, your average rating, who you are.

use crate::api::{self, Logout};
use crate::components::live::{Conn, Live};
use crate::model::{Me, RatingAverage, Status};
use crate::rules::Rating;
use leptos::prelude::*;

#[component]
pub fn Header(
    me: Me,
    /// The desk's live socket, to show when it is reconnecting.
    #[prop(optional)]
    live: Option<Live>,
    /// This staff member's chosen status, if the page knows it.
    #[prop(optional, into)]
    status: Option<RwSignal<Option<Status>>>,
) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let status = status.unwrap_or_else(|| RwSignal::new(None));
    let status_error = RwSignal::new(None::<String>);
    // In the browser only: effects do not run during server rendering.
    Effect::new(move |_| {
        if status.get_untracked().is_none() {
            leptos::task::spawn_local(async move {
                if let Ok(s) = api::my_status().await {
                    status.set(Some(s));
                }
            });
        }
    });
    let choose = move |value: String| {
        let Some(chosen) = Status::parse(&value) else {
            return;
        };
        let before = status.get_untracked();
        status.set(Some(chosen));
        leptos::task::spawn_local(async move {
            match api::set_status(chosen).await {
                Ok(()) => status_error.set(None),
                Err(e) => {
                    status.set(before);
                    status_error.set(Some(e.to_string()));
                }
            }
        });
    };
    let rating = RwSignal::new(None::<RatingAverage>);
    // The answered ratings the live chats show: a new answer means a new average.
    let answers = Memo::new(move |_| {
        live.map(|l| {
            l.chats.with(|chats| {
                let mut answered: Vec<(i64, u8)> = chats
                    .values()
                    .filter_map(|c| match c.state.rating {
                        Rating::Answered { score, .. } => Some((c.id, score)),
                        _ => None,
                    })
                    .collect();
                answered.sort_unstable();
                answered
            })
        })
    });
    Effect::new(move |_| {
        // Read, not just tracked: a memo computes (and follows the chats) only once it is read.
        answers.with(|_| ());
        leptos::task::spawn_local(async move {
            if let Ok(average) = api::rating::my_rating().await {
                rating.set(average);
            }
        });
    });
    let admin = me.is_admin;
    view! {
        <header class="console-header">
            <span class="brand">"Helpdesk"</span>
            <nav class="sections" aria-label="Console">
                <a href="/console">"Chats"</a>
                <a href="/console/tickets" rel="external">"Tickets"</a>
                <a href="/console/articles" rel="external">"Articles"</a>
                <a href="/console/drive" rel="external">"Drive"</a>
                {admin.then(|| view! {
                    <a href="/console/team">"Team"</a>
                    <a href="/console/automation">"Automation"</a>
                    <a href="/console/settings">"Live chat settings"</a>
                    <a href="/console/audit">"Audit trail"</a>
                })}
            </nav>
            <span class="connection" role="status">
                {move || match live.map(|l| l.conn.get()) {
                    Some(Conn::Connecting) => "Connecting…",
                    Some(Conn::Retrying) => "Reconnecting…",
                    _ => "",
                }}
            </span>
            <label class="status-select">
                <span class="sr-only">"Status"</span>
                <select
                    aria-label="Status"
                    on:change=move |ev| choose(event_target_value(&ev))
                    prop:value=move || status.get().map(|s| s.as_str()).unwrap_or("online")
                >
                    {[Status::Online, Status::Away, Status::Offline].map(|s| view! {
                        <option value=s.as_str()>{s.label()}</option>
                    })}
                </select>
            </label>
            {move || status_error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
            {move || rating.get().map(|r| {
                let chats = if r.chats == 1 { "1 chat".to_string() } else { format!("{} chats", r.chats) };
                view! {
                    <span class="my-rating" role="status">
                        {format!("Your rating: {:.1} of 5 ({chats})", r.average)}
                    </span>
                }
            })}
            <span class="who">{me.name.clone()}</span>
            <ActionForm action=logout>
                <button type="submit" class="link">"Sign out"</button>
            </ActionForm>
        </header>
    }
}
