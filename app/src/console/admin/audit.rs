//! `/console/audit`: the audit trail of chat operations, newest first, invisible joins included.

use super::{loaded, message, AdminShell, Load};
use crate::api::admin as api;
use crate::model::AuditEntry;
use crate::rules::{Millis, Op};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// An operation as the audit trail words it: the console's label for it, plus what the server
/// noted (e.g. `Forward chat to Bob Stone`).
pub fn describe(op: &str, detail: &str) -> String {
    let detail = detail.trim();
    let parsed: Option<Op> = serde_json::from_value(serde_json::Value::String(op.to_string())).ok();
    let label = match parsed {
        Some(Op::AcceptForward) => "Accept forwarded chat",
        Some(Op::DeclineForward) => "Decline forwarded chat",
        Some(Op::AcceptInvite) => "Accept invitation",
        Some(Op::DeclineInvite) => "Decline invitation",
        Some(Op::DismissRating) => "Dismiss rating",
        Some(Op::Expire) => "Offer lapsed",
        Some(other) => other.label(),
        None => op,
    };
    let detail = match parsed {
        // "to Bob Stone: note" reads as "Invite operator Bob Stone: note".
        Some(Op::Invite) => detail.strip_prefix("to ").unwrap_or(detail),
        _ => detail,
    };
    if detail.is_empty() {
        label.to_string()
    } else {
        format!("{label} {detail}")
    }
}

/// `2024-05-01T14:03:09Z`, for the `datetime` attribute.
pub fn iso_utc(at: Millis) -> String {
    let secs = at.div_euclid(1000);
    let (y, m, d) = crate::components::civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// The time as staff read it: local time in the browser (the table only renders there).
fn local_time(at: Millis) -> String {
    #[cfg(feature = "browser")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes(),
            d.get_seconds()
        )
    }
    #[cfg(not(feature = "browser"))]
    {
        iso_utc(at).replace('T', " ").replace('Z', " UTC")
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <AdminShell title="Audit trail">
            <Audit/>
        </AdminShell>
    }
}

#[component]
fn Audit() -> impl IntoView {
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let more = RwSignal::new(false);
    let state = RwSignal::new(Load::Loading);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    // `before = None` loads the newest page afresh; otherwise the page after it is appended.
    let load = move |before: Option<i64>| {
        busy.set(true);
        spawn_local(async move {
            let result = api::audit_log(before, None).await;
            busy.set(false);
            match result {
                Ok(page) => {
                    failure.set(None);
                    more.set(page.more);
                    if before.is_none() {
                        entries.set(page.entries);
                    } else {
                        entries.update(|e| e.extend(page.entries));
                    }
                    state.set(Load::Ready);
                }
                Err(e) if before.is_none() => state.set(Load::Failed(e.to_string())),
                Err(e) => failure.set(Some(message(&e))),
            }
        });
    };
    Effect::new(move |_| load(None));
    let older = move |_| {
        if let Some(last) = entries.with_untracked(|e| e.last().map(|e| e.id)) {
            load(Some(last));
        }
    };
    view! {
        <p class="lead">"Every operation staff ran on a chat, invisible joins included. Newest first."</p>
        {loaded(state, move || view! {
            <div class="toolbar">
                <button type="button" disabled=move || busy.get() on:click=move |_| load(None)>"Refresh"</button>
                <p class="saved" role="status">
                    {move || match entries.with(Vec::len) {
                        0 => String::new(),
                        1 => "Showing 1 entry.".to_string(),
                        n => format!("Showing {n} entries."),
                    }}
                </p>
            </div>
            <Show
                when=move || entries.with(|e| !e.is_empty())
                fallback=|| view! { <p class="empty">"No operations yet."</p> }
            >
                <div class="table-wrap">
                    <table class="admin-table audit-table">
                        <caption class="sr-only">"Chat operations, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"Chat"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || entries.get() key=|e| e.id let:entry>
                                <tr>
                                    <td><time datetime=iso_utc(entry.at)>{local_time(entry.at)}</time></td>
                                    <td>{entry.staff_name.clone()}</td>
                                    <td>{describe(&entry.op, &entry.detail)}</td>
                                    <td>
                                        {entry.chat_id.map(|id| view! {
                                            <a href=format!("/console?chat={id}")>{format!("Chat {id}")}</a>
                                        })}
                                    </td>
                                </tr>
                            </For>
                        </tbody>
                    </table>
                </div>
            </Show>
            {move || failure.get().map(|f| view! { <p class="error" role="alert">{f}</p> })}
            <Show when=move || more.get()>
                <button type="button" class="older" disabled=move || busy.get() on:click=older>"Older entries"</button>
            </Show>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_in_words() {
        assert_eq!(describe("JoinInvisibly", ""), "Join invisibly");
        assert_eq!(
            describe("Forward", "to Bob Stone"),
            "Forward chat to Bob Stone"
        );
        assert_eq!(
            describe("Forward", "to Bob Stone: VIP"),
            "Forward chat to Bob Stone: VIP"
        );
        assert_eq!(
            describe("Invite", "to Cara Diaz"),
            "Invite operator Cara Diaz"
        );
        assert_eq!(describe("AcceptForward", ""), "Accept forwarded chat");
        assert_eq!(describe("DeclineInvite", ""), "Decline invitation");
        assert_eq!(describe("Accept", ""), "Accept chat");
        assert_eq!(describe("End", ""), "End chat");
        assert_eq!(describe("SomethingNew", "x"), "SomethingNew x");
    }

    #[test]
    fn times() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_714_572_189_000), "2024-05-01T14:03:09Z");
        assert_eq!(iso_utc(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
