//! `/console/team`: departments (add, rename, delete) and which staff belong to them.

use super::{field_error, focus_later, loaded, message, AdminShell, Load};
use crate::api::admin as api;
use crate::api::ApiError;
use crate::model::{Department, StaffEntry, Status};
use crate::validate::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Clone, Copy)]
struct TeamState {
    departments: RwSignal<Vec<Department>>,
    staff: RwSignal<Vec<StaffEntry>>,
    state: RwSignal<Load>,
}

impl TeamState {
    /// Reloads departments and staff from the server.
    async fn refresh(self) {
        match api::admin_team().await {
            Ok(team) => {
                self.departments.set(team.departments);
                self.staff.set(team.staff);
                self.state.set(Load::Ready);
            }
            Err(e) => self.state.set(Load::Failed(e.to_string())),
        }
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    view! {
        <AdminShell title="Team">
            <Team/>
        </AdminShell>
    }
}

#[component]
fn Team() -> impl IntoView {
    let departments = RwSignal::new(Vec::<Department>::new());
    let staff = RwSignal::new(Vec::<StaffEntry>::new());
    let state = RwSignal::new(Load::Loading);
    let team = TeamState {
        departments,
        staff,
        state,
    };
    // In the browser only: effects do not run during server rendering.
    Effect::new(move |_| spawn_local(team.refresh()));
    view! {
        {loaded(state, move || view! {
            <Departments team/>
            <Staff team/>
            <AddStaff team/>
        })}
    }
}

// ---- Departments ------------------------------------------------------------------------------

#[component]
fn Departments(team: TeamState) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        done.set(String::new());
        let wanted = name.get_untracked();
        spawn_local(async move {
            let result = api::add_department(wanted).await;
            busy.set(false);
            match result {
                Ok(d) => {
                    name.set(String::new());
                    error.set(None);
                    done.set(format!("Added {}.", d.name));
                    team.refresh().await;
                }
                Err(e) => {
                    error.set(Some(message(&e)));
                    focus_later("new-department".into());
                }
            }
        });
    };
    view! {
        <section class="admin-section" aria-labelledby="departments-title">
            <h2 id="departments-title">"Departments"</h2>
            <Show
                when=move || team.departments.with(|d| !d.is_empty())
                fallback=|| view! { <p class="empty">"No departments yet."</p> }
            >
                <ul class="department-list">
                    <For
                        each=move || team.departments.get()
                        key=|d| (d.id, d.name.clone())
                        let:department
                    >
                        <DepartmentRow team department/>
                    </For>
                </ul>
            </Show>
            <form class="inline-form" on:submit=add novalidate>
                <div class="field" class:invalid=move || error.get().is_some()>
                    <label for="new-department">"Department name"</label>
                    <input id="new-department" type="text" maxlength="100" autocomplete="off"
                        aria-invalid=move || error.get().is_some().to_string()
                        aria-describedby="new-department-error"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p class="field-error" id="new-department-error" role="alert">{move || error.get()}</p>
                </div>
                <button type="submit" disabled=move || busy.get()>"Add department"</button>
                <p class="saved" role="status">{move || done.get()}</p>
            </form>
        </section>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RowMode {
    Showing,
    Renaming,
    ConfirmingDelete,
}

#[component]
fn DepartmentRow(team: TeamState, department: Department) -> impl IntoView {
    let id = department.id;
    let mode = RwSignal::new(RowMode::Showing);
    let draft = RwSignal::new(department.name.clone());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let name = StoredValue::new(department.name);
    let name_id = format!("department-{id}-name");
    let members = move || {
        team.staff
            .with(|s| s.iter().filter(|s| s.departments.contains(&id)).count())
    };
    let members_text = move || match members() {
        0 => "no staff".to_string(),
        1 => "1 staff member".to_string(),
        n => format!("{n} staff members"),
    };

    let start_rename = move |_| {
        draft.set(name.get_value());
        error.set(None);
        mode.set(RowMode::Renaming);
        focus_later(format!("department-{id}-rename-input"));
    };
    let cancel = move || {
        mode.set(RowMode::Showing);
        error.set(None);
        focus_later(format!("department-{id}-rename"));
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let wanted = draft.get_untracked();
        spawn_local(async move {
            let result = api::rename_department(id, wanted).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    team.refresh().await;
                    mode.set(RowMode::Showing);
                    // The row is rebuilt under its new name; keep focus on its Rename button.
                    focus_later(format!("department-{id}-rename"));
                }
                Err(e) => error.set(Some(message(&e))),
            }
        });
    };
    let delete = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = api::delete_department(id).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    team.refresh().await;
                    focus_later("new-department".into());
                }
                Err(e) => {
                    error.set(Some(message(&e)));
                    mode.set(RowMode::Showing);
                    focus_later(format!("department-{id}-delete"));
                }
            }
        });
    };
    let name_id_for_describe = name_id.clone();
    view! {
        <li class="department">
            {move || match mode.get() {
                RowMode::Showing | RowMode::ConfirmingDelete => view! {
                    <span class="department-name" id=name_id.clone()>{name.get_value()}</span>
                    <span class="muted">{members_text}</span>
                    <span class="row-buttons">
                        <button type="button" id=format!("department-{id}-rename")
                            aria-describedby=name_id_for_describe.clone()
                            on:click=start_rename>"Rename"</button>
                        <button type="button" class="danger" id=format!("department-{id}-delete")
                            aria-describedby=name_id_for_describe.clone()
                            disabled=move || mode.get() == RowMode::ConfirmingDelete
                            on:click=move |_| {
                                error.set(None);
                                mode.set(RowMode::ConfirmingDelete);
                                focus_later(format!("department-{id}-delete-cancel"));
                            }>"Delete"</button>
                    </span>
                }.into_any(),
                RowMode::Renaming => view! {
                    <form class="rename" on:submit=save
                        on:keydown=move |ev| if ev.key() == "Escape" { cancel() }>
                        <label for=format!("department-{id}-rename-input")>
                            {format!("New name for {}", name.get_value())}
                        </label>
                        <input id=format!("department-{id}-rename-input") type="text" maxlength="100"
                            autocomplete="off"
                            aria-invalid=move || error.get().is_some().to_string()
                            aria-describedby=format!("department-{id}-error")
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))/>
                        <button type="submit" disabled=move || busy.get()>"Save"</button>
                        <button type="button" on:click=move |_| cancel()>"Cancel"</button>
                    </form>
                }.into_any(),
            }}
            <Show when=move || mode.get() == RowMode::ConfirmingDelete>
                <div class="confirm" role="group" aria-label=format!("Delete {}?", name.get_value())>
                    <span>
                        {move || match members() {
                            0 => format!("Delete {}? No staff belong to it.", name.get_value()),
                            _ => format!(
                                "Delete {}? Its {} will lose this membership; chats keep their history.",
                                name.get_value(),
                                members_text(),
                            ),
                        }}
                    </span>
                    <button type="button" class="danger" disabled=move || busy.get() on:click=delete>
                        "Yes, delete"
                    </button>
                    <button type="button" id=format!("department-{id}-delete-cancel")
                        on:click=move |_| {
                            mode.set(RowMode::Showing);
                            focus_later(format!("department-{id}-delete"));
                        }>"Cancel"</button>
                </div>
            </Show>
            <p class="field-error" id=format!("department-{id}-error") role="alert">{move || error.get()}</p>
        </li>
    }
}

// ---- Staff and membership ----------------------------------------------------------------------

fn presence_class(s: Status) -> &'static str {
    match s {
        Status::Online => "presence online",
        Status::Away => "presence away",
        Status::Offline => "presence offline",
    }
}

#[component]
fn Staff(team: TeamState) -> impl IntoView {
    view! {
        <section class="admin-section" aria-labelledby="staff-title">
            <h2 id="staff-title">"Staff"</h2>
            <Show when=move || team.departments.with(|d| d.is_empty())>
                <p class="muted">"Add a department above to put staff in it."</p>
            </Show>
            <div class="table-wrap">
                <table class="admin-table staff-table">
                    <caption class="sr-only">"Staff members and their departments"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Admin"</th>
                            <th scope="col">"Presence"</th>
                            <th scope="col">"Departments"</th>
                            <th scope="col"><span class="sr-only">"Save changes"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || team.staff.get()
                            key=|s| (s.id, s.name.clone(), s.email.clone(), s.presence, s.is_admin)
                            let:member
                        >
                            <StaffRow team member/>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn StaffRow(team: TeamState, member: StaffEntry) -> impl IntoView {
    let id = member.id;
    let sorted = |mut d: Vec<i64>| {
        d.sort_unstable();
        d.dedup();
        d
    };
    // As stored: follows reloads, while the row (keyed without departments) keeps its ticks.
    let saved = Memo::new(move |_| {
        team.staff
            .with(|s| s.iter().find(|s| s.id == id).map(|s| s.departments.clone()))
            .map(sorted)
            .unwrap_or_default()
    });
    let chosen = RwSignal::new(sorted(member.departments.clone()));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(String::new());
    let name = StoredValue::new(member.name.clone());
    let name_id = format!("staff-{id}-name");
    let dirty = move || {
        // Departments deleted meanwhile do not count as a change.
        let known: Vec<i64> = team.departments.with(|d| d.iter().map(|d| d.id).collect());
        let mut now = sorted(chosen.get());
        now.retain(|d| known.contains(d));
        let mut before = saved.get();
        before.retain(|d| known.contains(d));
        now != before
    };
    let save = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        done.set(String::new());
        let wanted = sorted(chosen.get_untracked());
        spawn_local(async move {
            let result = api::set_staff_departments(id, wanted).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    error.set(None);
                    done.set("Saved".to_string());
                    team.refresh().await;
                }
                Err(e) => error.set(Some(message(&e))),
            }
        });
    };
    view! {
        <tr>
            <th scope="row" id=name_id.clone()>{member.name.clone()}</th>
            <td>{member.email.clone()}</td>
            <td>{if member.is_admin { "Yes" } else { "No" }}</td>
            <td><span class=presence_class(member.presence)>{member.presence.label()}</span></td>
            <td>
                <div class="checks" role="group" aria-label=format!("Departments of {}", member.name)>
                    <For
                        each=move || team.departments.get()
                        key=|d| (d.id, d.name.clone())
                        let:department
                    >
                        {
                            let d = department.id;
                            view! {
                                <label class="check">
                                    <input type="checkbox"
                                        aria-label=format!("{} in {}", name.get_value(), department.name)
                                        prop:checked=move || chosen.with(|c| c.contains(&d))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            done.set(String::new());
                                            chosen.update(|c| {
                                                c.retain(|x| *x != d);
                                                if on {
                                                    c.push(d);
                                                }
                                            });
                                        }/>
                                    {department.name.clone()}
                                </label>
                            }
                        }
                    </For>
                </div>
                <p class="field-error" role="alert">{move || error.get()}</p>
            </td>
            <td class="save-cell">
                <button type="button" aria-describedby=name_id
                    disabled=move || busy.get()
                    on:click=save>"Save"</button>
                <span class="saved" role="status">
                    {move || if dirty() { "Unsaved changes".to_string() } else { done.get() }}
                </span>
            </td>
        </tr>
    }
}

// ---- Add a staff member -----------------------------------------------------------------------

#[component]
fn AddStaff(team: TeamState) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let admin = RwSignal::new(false);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        done.set(String::new());
        let (n, e, p, a) = (
            name.get_untracked(),
            email.get_untracked(),
            password.get_untracked(),
            admin.get_untracked(),
        );
        spawn_local(async move {
            let result = api::add_staff(n.clone(), e, p, a, Vec::new()).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    errors.set(Vec::new());
                    failure.set(None);
                    name.set(String::new());
                    email.set(String::new());
                    password.set(String::new());
                    admin.set(false);
                    done.set(format!("Added {}. Tick their departments above.", n.trim()));
                    team.refresh().await;
                }
                Err(ApiError::Invalid(found)) => {
                    failure.set(None);
                    if let Some(first) = found.first() {
                        focus_later(format!("new-staff-{}", first.field));
                    }
                    errors.set(found);
                }
                Err(other) => {
                    errors.set(Vec::new());
                    failure.set(Some(message(&other)));
                }
            }
        });
    };
    let text_field = move |field: &'static str,
                           label: &'static str,
                           kind: &'static str,
                           autocomplete: &'static str,
                           value: RwSignal<String>| {
        let id = format!("new-staff-{field}");
        let error_id = format!("{id}-error");
        let error = move || field_error(errors, field.to_string());
        view! {
            <div class="field" class:invalid=move || error().is_some()>
                <label for=id.clone()>{label}</label>
                <input id=id type=kind autocomplete=autocomplete maxlength="254"
                    aria-invalid=move || error().is_some().to_string()
                    aria-describedby=error_id.clone()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
                <p class="field-error" id=error_id role="alert">{error}</p>
            </div>
        }
    };
    view! {
        <section class="admin-section" aria-labelledby="add-staff-title">
            <h2 id="add-staff-title">"Add staff member"</h2>
            <form class="add-staff" on:submit=submit novalidate>
                {text_field("name", "Name", "text", "off", name)}
                {text_field("email", "Email", "email", "off", email)}
                {text_field("password", "First password", "password", "new-password", password)}
                <label class="check">
                    <input type="checkbox" prop:checked=move || admin.get()
                        on:change=move |ev| admin.set(event_target_checked(&ev))/>
                    "Admin"
                </label>
                {move || failure.get().map(|f| view! { <p class="error" role="alert">{f}</p> })}
                <div class="actions start">
                    <button type="submit" disabled=move || busy.get()>"Add staff member"</button>
                    <span class="saved" role="status">{move || done.get()}</span>
                </div>
            </form>
        </section>
    }
}
