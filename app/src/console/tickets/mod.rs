//! Tickets in the console: the list at `/console/tickets` (filters by status and assignee, a
//! search on subject and requester) and one ticket at `/console/tickets/:number` (the whole chat
//! transcript, status, assignee, the transcript emails, and the history of every change).
//!
//! Ticket data is fetched in the browser only (`LocalResource`), so times show in the staff
//! member's own time zone and hydration never sees two different renderings.
//!
//! These pages open no live socket: `Live`'s socket task outlives the component that started it,
//! so one started here would break the next page after a client-side navigation.

mod list;
mod page;

pub use list::TicketList;
pub use page::TicketPage;

use super::Header;
use crate::api::{self, ApiError};
use crate::model::Me;
use crate::rules::StaffRef;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// `2026-11-25 14:03` in the browser's time zone.
pub(crate) fn when(ms: i64) -> String {
    #[cfg(feature = "browser")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes()
        )
    }
    #[cfg(not(feature = "browser"))]
    {
        crate::components::clock(ms)
    }
}

/// Everyone a ticket can be assigned to, loaded once per page.
pub(crate) fn staff_resource() -> LocalResource<Result<Vec<StaffRef>, ApiError>> {
    LocalResource::new(api::tickets::ticket_staff)
}

/// The staff list once loaded (empty until then).
pub(crate) fn staff_of(res: LocalResource<Result<Vec<StaffRef>, ApiError>>) -> Vec<StaffRef> {
    res.get().and_then(Result::ok).unwrap_or_default()
}

/// A signed-in staff page with the console header; sends anyone else to the sign-in page.
#[component]
pub(crate) fn StaffPage(title: &'static str, page: fn(Me) -> AnyView) -> impl IntoView {
    let me = Resource::new(|| (), |_| api::whoami());
    view! {
        <leptos_meta::Title text=title/>
        <Suspense fallback=|| view! { <p class="placeholder">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => view! { <Signed me page/> }.into_any(),
                    Ok(None) | Err(ApiError::Unauthorized) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Signed(me: Me, page: fn(Me) -> AnyView) -> impl IntoView {
    // The page itself is drawn in the browser only (its data is), so what the server sends and
    // what hydration finds always agree.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let me = StoredValue::new(me);
    view! {
        <div class="console tickets-console">
            <Header me=me.get_value()/>
            <main class="tickets-main">
                {move || if mounted.get() {
                    page(me.get_value())
                } else {
                    view! { <p class="placeholder">"Loading…"</p> }.into_any()
                }}
            </main>
        </div>
    }
}
