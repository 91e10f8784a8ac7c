//! The pre-chat form: name, email, department, question. The same checks run on the server.
//! When nobody can pick up a chat for the chosen department, it says so and turns into
//! "Leave a message": submitting creates a ticket straight away and shows its number.

use crate::api::{self, ApiError};
use crate::model::Started;
use crate::ticket::{self, Availability, TicketNumber};
use crate::validate::{self, FieldError};
use leptos::prelude::*;

#[component]
pub fn PreChat(on_started: Callback<Started>) -> impl IntoView {
    let departments = LocalResource::new(api::departments);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let department = RwSignal::new(String::new());
    let question = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // The loader passes the host page's address, which staff see with the chat.
    let host = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
        .and_then(|q| q.get("host"));
    // Whether anyone can pick up a chat now, for the chosen department; asked again on a change
    // and every little while, so the form follows staff coming and going. While nobody is
    // there it asks again sooner at first (staff may be just connecting), then every 15 s.
    let availability = RwSignal::new(None::<Availability>);
    let left = RwSignal::new(None::<TicketNumber>);
    let tick = RwSignal::new(0u32);
    let unavailable_streak = StoredValue::new(0usize);
    // Each check bumps this; an older check's answer or timer no longer counts.
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        tick.track();
        let chosen = department.get();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        let current = move || generation.try_get_value() == Some(mine);
        leptos::task::spawn_local(async move {
            let department_id = chosen.parse::<i64>().ok();
            let found = api::tickets::check_availability(department_id).await.ok();
            // The form may be gone by now, or the department changed meanwhile.
            if !current() {
                return;
            }
            if let Some(found) = found {
                if availability.try_get_untracked() != Some(Some(found)) {
                    availability.try_set(Some(found));
                }
            }
            let streak = unavailable_streak
                .try_update_value(|n| {
                    *n = if found == Some(Availability::Available) {
                        0
                    } else {
                        *n + 1
                    };
                    *n
                })
                .unwrap_or(usize::MAX);
            let wait_ms: u32 = match streak {
                0 => 15_000,
                1 => 1_500,
                2 => 3_000,
                3 => 5_000,
                _ => 15_000,
            };
            gloo_timers::future::TimeoutFuture::new(wait_ms).await;
            // Nothing changed meanwhile (a change asks at once by itself): ask again.
            if current() {
                tick.try_update(|t| *t += 1);
            }
        });
    });
    let leave = move || {
        matches!(
            availability.get(),
            Some(Availability::NobodyOnline | Availability::Busy)
        )
    };

    let error_for = move |field: &'static str| {
        move || {
            errors.with(|e| {
                e.iter()
                    .find(|e| e.field == field)
                    .map(|e| e.message.clone())
            })
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let found = validate::pre_chat(
            &name.get_untracked(),
            &email.get_untracked(),
            &question.get_untracked(),
        );
        errors.set(found.clone());
        failure.set(None);
        if !found.is_empty() {
            return;
        }
        busy.set(true);
        let department_id = department.get_untracked().parse::<i64>().ok();
        let host = host.clone();
        if leave() {
            leptos::task::spawn_local(async move {
                let result = api::tickets::leave_message(
                    name.get_untracked(),
                    email.get_untracked(),
                    department_id,
                    question.get_untracked(),
                    host,
                )
                .await;
                busy.set(false);
                match result {
                    Ok(number) => left.set(Some(number)),
                    Err(ApiError::Invalid(found)) => errors.set(found),
                    Err(other) => failure.set(Some(other.to_string())),
                }
            });
            return;
        }
        leptos::task::spawn_local(async move {
            let result = api::start_chat(
                name.get_untracked(),
                email.get_untracked(),
                department_id,
                question.get_untracked(),
                host,
            )
            .await;
            busy.set(false);
            match result {
                Ok(started) => on_started.run(started),
                Err(ApiError::Invalid(found)) => errors.set(found),
                Err(other) => failure.set(Some(other.to_string())),
            }
        });
    };

    let start_over = move |_| {
        question.set(String::new());
        errors.set(Vec::new());
        failure.set(None);
        left.set(None);
    };

    view! {
        <Show when=move || left.get().is_some()>
            <section class="prechat left-message" role="status" aria-label="Message sent">
                <p class="thanks">
                    {move || left.get().map(|n| format!("Thanks! Your ticket number is {}.", ticket::label(n)))}
                </p>
                <p>{move || format!("We will answer by email at {}.", email.get().trim())}</p>
                <button type="button" class="secondary" on:click=start_over>"Start over"</button>
            </section>
        </Show>
        <form class="prechat" class:leave-message=leave on:submit=submit novalidate
            hidden=move || left.get().is_some()>
            {move || if leave() {
                view! {
                    <h2 class="leave-title">"Leave a message"</h2>
                    <p class="unavailable" role="status">
                        {match availability.get() {
                            Some(Availability::Busy) => "Sorry, all our staff are busy and the wait is long right now.",
                            _ => "Sorry, nobody is available to chat right now.",
                        }}
                        " Leave a message and we will answer by email; you will get a ticket number."
                    </p>
                }.into_any()
            } else {
                view! {
                    <p class="intro">"Tell us who you are and what you need; someone from our team will join you."</p>
                }.into_any()
            }}
            <Field id="pc-name" label="Name" error=Signal::derive(error_for("name"))>
                <input id="pc-name" type="text" autocomplete="name" maxlength="100"
                    aria-invalid=move || error_for("name")().is_some().to_string()
                    aria-describedby="pc-name-error"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </Field>
            <Field id="pc-email" label="Email" error=Signal::derive(error_for("email"))>
                <input id="pc-email" type="email" autocomplete="email" maxlength="254"
                    aria-invalid=move || error_for("email")().is_some().to_string()
                    aria-describedby="pc-email-error"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))/>
            </Field>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = departments.await.unwrap_or_default();
                    (!list.is_empty()).then(|| view! {
                        <Field id="pc-department" label="Department" error=Signal::derive(error_for("department"))>
                            <select id="pc-department" aria-describedby="pc-department-error"
                                on:change=move |ev| department.set(event_target_value(&ev))>
                                <option value="">"Any department"</option>
                                {list.into_iter().map(|d| view! {
                                    <option value=d.id.to_string()>{d.name}</option>
                                }).collect_view()}
                            </select>
                        </Field>
                    })
                })}
            </Suspense>
            <Field id="pc-question" label="Question" error=Signal::derive(error_for("question"))>
                <textarea id="pc-question" rows="3" maxlength="1000"
                    aria-invalid=move || error_for("question")().is_some().to_string()
                    aria-describedby="pc-question-error"
                    prop:value=move || question.get()
                    on:input=move |ev| question.set(event_target_value(&ev))></textarea>
            </Field>
            {move || failure.get().map(|f| view! { <p class="error" role="alert">{f}</p> })}
            <button type="submit" disabled=move || busy.get()>
                {move || if leave() { "Leave a message" } else { "Start chat" }}
            </button>
        </form>
    }
}

/// A labelled form field with its error beside it.
#[component]
pub fn Field(
    id: &'static str,
    label: &'static str,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            {children()}
            <p class="field-error" id=format!("{id}-error")>{move || error.get()}</p>
        </div>
    }
}
