//! Admin pages of the console: team (departments and membership), live chat workflow rules
//! (Automation), live chat settings, and the audit trail.
//!
//! Each page loads the signed-in staff member the way the console does (a resource awaited in
//! `Suspense`, so the server renders the same frame the browser hydrates), then loads its own
//! data in the browser only: the server renders "Loading…", which is also what the browser
//! shows while hydrating, so the two always match.

mod audit;
mod rules;
mod settings;
mod team;

pub use audit::AuditPage;
pub use rules::AutomationPage;
pub use settings::SettingsPage;
pub use team::TeamPage;

use crate::api::{self, ApiError};
use crate::console::Header;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// The frame of an admin page: title, the console header, the heading, and the page itself
/// for admins only.
#[component]
fn AdminShell(
    /// The page's heading (and window title).
    title: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let me = Resource::new(|| (), |_| api::whoami());
    view! {
        <leptos_meta::Title text=format!("{title} · Helpdesk")/>
        <Suspense fallback=|| view! { <p class="placeholder">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) => {
                            let admin = me.is_admin;
                            view! {
                                <div class="admin-page">
                                    <Header me/>
                                    <main class="admin" aria-labelledby="page-title">
                                        <h1 id="page-title">{title}</h1>
                                        {if admin {
                                            children().into_any()
                                        } else {
                                            view! {
                                                <p class="notice-box" role="alert">"Only admins can see this page."</p>
                                            }.into_any()
                                        }}
                                    </main>
                                </div>
                            }.into_any()
                        }
                        Ok(None) | Err(ApiError::Unauthorized) => {
                            view! { <Redirect path="/login"/> }.into_any()
                        }
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Where a page's data stands.
#[derive(Clone, Debug, PartialEq)]
enum Load {
    Loading,
    Ready,
    Failed(String),
}

/// Shows "Loading…" or the failure until the data is ready, then `ready` (built once).
fn loaded<V: IntoView + 'static>(
    state: RwSignal<Load>,
    ready: impl Fn() -> V + Send + Sync + 'static,
) -> impl IntoView {
    move || match state.get() {
        Load::Loading => view! { <p class="placeholder" role="status">"Loading…"</p> }.into_any(),
        Load::Failed(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
        Load::Ready => ready().into_any(),
    }
}

/// The message to show for a failed call.
fn message(e: &ApiError) -> String {
    match e {
        ApiError::Invalid(errors) if errors.len() == 1 => errors[0].message.clone(),
        other => other.to_string(),
    }
}

/// Moves keyboard focus to the element with this id once the page has re-rendered (browser
/// only), so that focus is not lost when the control that had it is replaced.
fn focus_later(id: String) {
    #[cfg(feature = "browser")]
    request_animation_frame(move || {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id(&id)
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "browser"))]
    let _ = id;
}

/// The error for one form field, if any, from a list of them.
fn field_error(
    errors: RwSignal<Vec<crate::validate::FieldError>>,
    field: String,
) -> Option<String> {
    errors.with(|e| {
        e.iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    })
}
