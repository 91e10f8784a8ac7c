//! The pre-chat form: name, email, department, question. The same checks run on the server.

use crate::api::{self, ApiError};
use crate::model::Started;
use crate::validate::{self, FieldError};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

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
    let host = use_query_map().with_untracked(|q| q.get("host"));

    let error_for = move |field: &'static str| {
        move || {
            errors.with(|e| e.iter().find(|e| e.field == field).map(|e| e.message.clone()))
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let found = validate::pre_chat(&name.get_untracked(), &email.get_untracked(), &question.get_untracked());
        errors.set(found.clone());
        failure.set(None);
        if !found.is_empty() {
            return;
        }
        busy.set(true);
        let department_id = department.get_untracked().parse::<i64>().ok();
        let host = host.clone();
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

    view! {
        <form class="prechat" on:submit=submit novalidate>
            <p class="intro">"Tell us who you are and what you need; someone from our team will join you."</p>
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
            <button type="submit" disabled=move || busy.get()>"Start chat"</button>
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
