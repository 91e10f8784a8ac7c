//! `/console/automation`: live chat workflow rules. Admins create, edit, reorder, enable or
//! disable and delete them; the first enabled rule that matches a new chat decides its route.

use super::{field_error, focus_later, loaded, message, AdminShell, Load};
use crate::api::admin as api;
use crate::api::ApiError;
use crate::model::{Department, StaffEntry};
use crate::routing::{Action, Condition, Matching, Rule};
use crate::validate::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;

// ---- Rules in words ---------------------------------------------------------------------------

fn department_name(departments: &[Department], id: i64) -> String {
    departments
        .iter()
        .find(|d| d.id == id)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| "(deleted department)".to_string())
}

fn staff_name(staff: &[StaffEntry], id: i64) -> String {
    staff
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "(deleted staff member)".to_string())
}

/// One condition as the rule list shows it, e.g. `Question contains “refund”`.
pub fn describe_condition(condition: &Condition, departments: &[Department]) -> String {
    match condition {
        Condition::DepartmentIs(d) => format!("Department is {}", department_name(departments, *d)),
        Condition::DepartmentIsNot(d) => {
            format!("Department is not {}", department_name(departments, *d))
        }
        Condition::QuestionContains(words) => format!("Question contains \u{201c}{words}\u{201d}"),
        Condition::EmailEndsWith(domain) => format!("Email ends with {domain}"),
        Condition::PageUrlContains(part) => format!("Page URL contains {part}"),
    }
}

/// A rule's action, e.g. `Route to department Sales` or `Route to Bob Stone`.
pub fn describe_action(
    action: &Action,
    departments: &[Department],
    staff: &[StaffEntry],
) -> String {
    match action {
        Action::RouteToDepartment(d) => {
            format!("Route to department {}", department_name(departments, *d))
        }
        Action::RouteToStaff(s) => format!("Route to {}", staff_name(staff, *s)),
    }
}

pub fn describe_matching(matching: Matching, conditions: usize) -> &'static str {
    match (matching, conditions) {
        (_, 1) => "If this condition holds:",
        (Matching::All, _) => "If all of these conditions hold:",
        (Matching::Any, _) => "If any of these conditions holds:",
    }
}

/// The kinds of condition, as the form's "Condition" select offers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    DepartmentIs,
    DepartmentIsNot,
    QuestionContains,
    EmailEndsWith,
    PageUrlContains,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::DepartmentIs,
        Kind::DepartmentIsNot,
        Kind::QuestionContains,
        Kind::EmailEndsWith,
        Kind::PageUrlContains,
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::DepartmentIs => "Department is",
            Kind::DepartmentIsNot => "Department is not",
            Kind::QuestionContains => "Question contains",
            Kind::EmailEndsWith => "Email ends with",
            Kind::PageUrlContains => "Page URL contains",
        }
    }

    fn value(self) -> &'static str {
        match self {
            Kind::DepartmentIs => "department-is",
            Kind::DepartmentIsNot => "department-is-not",
            Kind::QuestionContains => "question-contains",
            Kind::EmailEndsWith => "email-ends-with",
            Kind::PageUrlContains => "page-url-contains",
        }
    }

    fn parse(value: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.value() == value)
    }

    fn of(condition: &Condition) -> Kind {
        match condition {
            Condition::DepartmentIs(_) => Kind::DepartmentIs,
            Condition::DepartmentIsNot(_) => Kind::DepartmentIsNot,
            Condition::QuestionContains(_) => Kind::QuestionContains,
            Condition::EmailEndsWith(_) => Kind::EmailEndsWith,
            Condition::PageUrlContains(_) => Kind::PageUrlContains,
        }
    }

    fn is_department(self) -> bool {
        matches!(self, Kind::DepartmentIs | Kind::DepartmentIsNot)
    }

    /// The label of the value beside the condition.
    fn value_label(self) -> &'static str {
        match self {
            Kind::DepartmentIs | Kind::DepartmentIsNot => "Department",
            Kind::QuestionContains => "Words",
            Kind::EmailEndsWith => "Domain",
            Kind::PageUrlContains => "Text",
        }
    }

    fn placeholder(self) -> &'static str {
        match self {
            Kind::QuestionContains => "refund",
            Kind::EmailEndsWith => "example.com",
            Kind::PageUrlContains => "/pricing",
            _ => "",
        }
    }

    /// The condition for this kind and the form's value (a department id for department kinds;
    /// an unchosen department becomes 0, which the server reports).
    fn condition(self, value: &str) -> Condition {
        let department = || value.parse::<i64>().unwrap_or(0);
        match self {
            Kind::DepartmentIs => Condition::DepartmentIs(department()),
            Kind::DepartmentIsNot => Condition::DepartmentIsNot(department()),
            Kind::QuestionContains => Condition::QuestionContains(value.to_string()),
            Kind::EmailEndsWith => Condition::EmailEndsWith(value.to_string()),
            Kind::PageUrlContains => Condition::PageUrlContains(value.to_string()),
        }
    }
}

fn condition_value(condition: &Condition) -> String {
    match condition {
        Condition::DepartmentIs(d) | Condition::DepartmentIsNot(d) => d.to_string(),
        Condition::QuestionContains(s)
        | Condition::EmailEndsWith(s)
        | Condition::PageUrlContains(s) => s.clone(),
    }
}

// ---- The page ---------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct RulesState {
    rules: RwSignal<Vec<Rule>>,
    departments: RwSignal<Vec<Department>>,
    staff: RwSignal<Vec<StaffEntry>>,
    /// The rule being written: `Some` with id 0 for a new one.
    editing: RwSignal<Option<Rule>>,
    /// What the last change did, for the status line.
    notice: RwSignal<String>,
    /// A failure not tied to one rule.
    failure: RwSignal<Option<String>>,
    state: RwSignal<Load>,
}

impl RulesState {
    /// Reloads the rules and the names they refer to.
    async fn refresh(self) {
        match api::admin_automation().await {
            Ok(a) => {
                self.rules.set(a.rules);
                self.departments.set(a.departments);
                self.staff.set(a.staff);
                self.state.set(Load::Ready);
            }
            Err(e) => self.state.set(Load::Failed(e.to_string())),
        }
    }
}

#[component]
pub fn AutomationPage() -> impl IntoView {
    view! {
        <AdminShell title="Live chat workflow rules">
            <Automation/>
        </AdminShell>
    }
}

#[component]
fn Automation() -> impl IntoView {
    let rules = RwSignal::new(Vec::<Rule>::new());
    let departments = RwSignal::new(Vec::<Department>::new());
    let staff = RwSignal::new(Vec::<StaffEntry>::new());
    let state = RwSignal::new(Load::Loading);
    let page = RulesState {
        rules,
        departments,
        staff,
        editing: RwSignal::new(None),
        notice: RwSignal::new(String::new()),
        failure: RwSignal::new(None),
        state,
    };
    // In the browser only: effects do not run during server rendering.
    Effect::new(move |_| spawn_local(page.refresh()));
    let new_rule = move |_| {
        let first_department = departments.with_untracked(|d| d.first().map(|d| d.id));
        page.notice.set(String::new());
        page.editing.set(Some(Rule {
            id: 0,
            name: String::new(),
            position: 0,
            enabled: true,
            matching: Matching::All,
            conditions: vec![Condition::QuestionContains(String::new())],
            action: first_department
                .map_or(Action::RouteToDepartment(0), Action::RouteToDepartment),
        }));
        focus_later("rule-name".into());
    };
    view! {
        <p class="lead">
            "When a chat starts, the first enabled rule whose conditions match decides where it goes. "
            "Chats no rule matches go to the department the visitor chose, or to everyone."
        </p>
        {loaded(state, move || view! {
            <div class="toolbar">
                <button type="button" class="primary" id="new-rule"
                    disabled=move || page.editing.with(Option::is_some)
                    on:click=new_rule>"New rule"</button>
                <p class="saved" role="status">{move || page.notice.get()}</p>
            </div>
            {move || page.failure.get().map(|f| view! { <p class="error" role="alert">{f}</p> })}
            {move || page.editing.get().map(|rule| view! { <RuleForm page rule/> })}
            <Show
                when=move || page.rules.with(|r| !r.is_empty())
                fallback=|| view! { <p class="empty">"No rules yet. Every chat goes to the department the visitor chose."</p> }
            >
                <ol class="rule-list" aria-label="Rules, in the order they are tried">
                    <For
                        each=move || {
                            let list = page.rules.get();
                            let last = list.len().saturating_sub(1);
                            list.into_iter().enumerate().map(move |(i, r)| (i, i == last, r)).collect::<Vec<_>>()
                        }
                        key=|(i, last, r)| (*i, *last, format!("{r:?}"))
                        let:item
                    >
                        <RuleRow page index=item.0 last=item.1 rule=item.2/>
                    </For>
                </ol>
            </Show>
        })}
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Move {
    Up,
    Down,
}

#[component]
fn RuleRow(page: RulesState, index: usize, last: bool, rule: Rule) -> impl IntoView {
    let id = rule.id;
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let name_id = format!("rule-{id}-name");
    let name = StoredValue::new(rule.name.clone());
    let stored = StoredValue::new(rule.clone());

    let conditions = move || {
        let departments = page.departments.get();
        stored.with_value(|r| {
            r.conditions
                .iter()
                .map(|c| describe_condition(c, &departments))
                .collect::<Vec<_>>()
        })
    };
    let action = move || {
        let departments = page.departments.get();
        let staff = page.staff.get();
        stored.with_value(|r| describe_action(&r.action, &departments, &staff))
    };

    let toggle = move |ev: leptos::ev::Event| {
        let enabled = event_target_checked(&ev);
        busy.set(true);
        spawn_local(async move {
            let result = api::set_rule_enabled(id, enabled).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    error.set(None);
                    page.notice.set(format!(
                        "{} is {}.",
                        name.get_value(),
                        if enabled { "enabled" } else { "disabled" }
                    ));
                    page.refresh().await;
                    focus_later(format!("rule-{id}-enabled"));
                }
                Err(e) => {
                    error.set(Some(message(&e)));
                    page.refresh().await;
                }
            }
        });
    };
    let shift = move |direction: Move| {
        let mut ids: Vec<i64> = page
            .rules
            .with_untracked(|r| r.iter().map(|r| r.id).collect());
        let Some(at) = ids.iter().position(|x| *x == id) else {
            return;
        };
        let to = match direction {
            Move::Up if at > 0 => at - 1,
            Move::Down if at + 1 < ids.len() => at + 1,
            _ => return,
        };
        ids.swap(at, to);
        busy.set(true);
        spawn_local(async move {
            let result = api::reorder_rules(ids.clone()).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    page.failure.set(None);
                    page.notice
                        .set(format!("Moved {} to place {}.", name.get_value(), to + 1));
                    // Keep focus on the same button of the moved rule, or its twin at an end.
                    let edge = match direction {
                        Move::Up => to == 0,
                        Move::Down => to + 1 == ids.len(),
                    };
                    let button = match (direction, edge) {
                        (Move::Up, false) | (Move::Down, true) => "up",
                        (Move::Down, false) | (Move::Up, true) => "down",
                    };
                    page.refresh().await;
                    focus_later(format!("rule-{id}-{button}"));
                }
                Err(e) => {
                    page.failure.set(Some(message(&e)));
                    page.refresh().await;
                }
            }
        });
    };
    let delete = move |_| {
        busy.set(true);
        spawn_local(async move {
            let result = api::delete_rule(id).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    page.notice.set(format!("Deleted {}.", name.get_value()));
                    if page
                        .editing
                        .with_untracked(|e| e.as_ref().is_some_and(|e| e.id == id))
                    {
                        page.editing.set(None);
                    }
                    page.refresh().await;
                    focus_later("new-rule".into());
                }
                Err(e) => {
                    confirming.set(false);
                    error.set(Some(message(&e)));
                }
            }
        });
    };
    let edit = move |_| {
        page.notice.set(String::new());
        page.editing.set(Some(stored.get_value()));
        focus_later("rule-name".into());
    };
    let described = name_id.clone();
    let enabled = rule.enabled;
    view! {
        <li class="rule" class:off=!enabled aria-labelledby=name_id.clone()>
            <div class="rule-head">
                <span class="rule-place" aria-hidden="true">{index + 1}</span>
                <h3 id=name_id.clone()>{rule.name.clone()}</h3>
                {(!enabled).then(|| view! { <span class="rule-badge">"Disabled"</span> })}
                <label class="check toggle">
                    <input type="checkbox" id=format!("rule-{id}-enabled")
                        aria-describedby=described.clone()
                        prop:checked=enabled
                        disabled=move || busy.get()
                        on:change=toggle/>
                    "Enabled"
                </label>
            </div>
            <p class="rule-match">{describe_matching(rule.matching, rule.conditions.len())}</p>
            <ul class="rule-conditions">
                {move || conditions().into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
            </ul>
            <p class="rule-action"><span class="then">"Then "</span>{action}</p>
            <div class="row-buttons">
                <button type="button" id=format!("rule-{id}-edit") aria-describedby=described.clone()
                    on:click=edit>"Edit"</button>
                <button type="button" id=format!("rule-{id}-up") aria-describedby=described.clone()
                    disabled=move || busy.get() || index == 0
                    on:click=move |_| shift(Move::Up)>"Move up"</button>
                <button type="button" id=format!("rule-{id}-down") aria-describedby=described.clone()
                    disabled=move || busy.get() || last
                    on:click=move |_| shift(Move::Down)>"Move down"</button>
                <button type="button" class="danger" id=format!("rule-{id}-delete") aria-describedby=described.clone()
                    disabled=move || confirming.get()
                    on:click=move |_| {
                        confirming.set(true);
                        focus_later(format!("rule-{id}-delete-cancel"));
                    }>"Delete"</button>
            </div>
            <Show when=move || confirming.get()>
                <div class="confirm" role="group" aria-label=format!("Delete {}?", name.get_value())>
                    <span>{format!("Delete the rule {}? This cannot be undone.", name.get_value())}</span>
                    <button type="button" class="danger" disabled=move || busy.get() on:click=delete>"Yes, delete"</button>
                    <button type="button" id=format!("rule-{id}-delete-cancel")
                        on:click=move |_| {
                            confirming.set(false);
                            focus_later(format!("rule-{id}-delete"));
                        }>"Cancel"</button>
                </div>
            </Show>
            <p class="field-error" role="alert">{move || error.get()}</p>
        </li>
    }
}

// ---- The rule form ----------------------------------------------------------------------------

/// One condition row of the form; `key` stays with the row while others come and go.
#[derive(Clone, Copy)]
struct Row {
    key: usize,
    kind: RwSignal<Kind>,
    value: RwSignal<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Department,
    Staff,
}

#[component]
fn RuleForm(page: RulesState, rule: Rule) -> impl IntoView {
    let id = rule.id;
    let title = if id == 0 {
        "New rule".to_string()
    } else {
        format!("Edit rule {}", rule.name)
    };
    let name = RwSignal::new(rule.name.clone());
    let matching = RwSignal::new(rule.matching);
    let enabled = RwSignal::new(rule.enabled);
    let next_key = StoredValue::new(rule.conditions.len());
    let rows = RwSignal::new(
        rule.conditions
            .iter()
            .enumerate()
            .map(|(key, c)| Row {
                key,
                kind: RwSignal::new(Kind::of(c)),
                value: RwSignal::new(condition_value(c)),
            })
            .collect::<Vec<_>>(),
    );
    let (target_kind, target_value) = match rule.action {
        Action::RouteToDepartment(d) => (Target::Department, d),
        Action::RouteToStaff(s) => (Target::Staff, s),
    };
    let target = RwSignal::new(target_kind);
    let target_id = RwSignal::new(if target_value == 0 {
        String::new()
    } else {
        target_value.to_string()
    });
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let first_department = move || {
        page.departments
            .with_untracked(|d| d.first().map(|d| d.id.to_string()))
            .unwrap_or_default()
    };
    let add_condition = move |_| {
        errors.update(|e| e.retain(|e| e.field != "conditions"));
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|r| {
            r.push(Row {
                key,
                kind: RwSignal::new(Kind::QuestionContains),
                value: RwSignal::new(String::new()),
            })
        });
        focus_later(format!("cond-{key}-kind"));
    };
    let close = move || {
        page.editing.set(None);
        focus_later(if id == 0 {
            "new-rule".to_string()
        } else {
            format!("rule-{id}-edit")
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let conditions = rows
            .get_untracked()
            .iter()
            .map(|r| r.kind.get_untracked().condition(&r.value.get_untracked()))
            .collect();
        let chosen = target_id.get_untracked().parse::<i64>().unwrap_or(0);
        let action = match target.get_untracked() {
            Target::Department => Action::RouteToDepartment(chosen),
            Target::Staff => Action::RouteToStaff(chosen),
        };
        let candidate = Rule {
            id,
            name: name.get_untracked(),
            position: 0,
            enabled: enabled.get_untracked(),
            matching: matching.get_untracked(),
            conditions,
            action,
        };
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            let result = api::save_rule(candidate).await;
            busy.set(false);
            match result {
                Ok(saved) => {
                    errors.set(Vec::new());
                    page.notice.set(format!(
                        "{} rule {}.",
                        if id == 0 { "Created" } else { "Saved" },
                        saved.name
                    ));
                    page.refresh().await;
                    page.editing.set(None);
                    focus_later(format!("rule-{}-edit", saved.id));
                }
                Err(ApiError::Invalid(found)) => {
                    let first = found.first().map(|e| match e.field.as_str() {
                        "name" => "rule-name".to_string(),
                        "action" => "rule-target".to_string(),
                        "conditions" => "add-condition".to_string(),
                        other => other
                            .strip_prefix("conditions.")
                            .and_then(|i| i.parse::<usize>().ok())
                            .and_then(|i| rows.with_untracked(|r| r.get(i).map(|r| r.key)))
                            .map(|key| format!("cond-{key}-value"))
                            .unwrap_or_else(|| "rule-name".to_string()),
                    });
                    errors.set(found);
                    failure.set(Some("Please correct the highlighted fields.".into()));
                    if let Some(first) = first {
                        focus_later(first);
                    }
                }
                Err(other) => failure.set(Some(message(&other))),
            }
        });
    };
    let error_of = move |field: &'static str| move || field_error(errors, field.to_string());
    // Fixing a field clears its error (and the summary once none is left).
    let clear = move |field: String| {
        errors.update(|e| e.retain(|e| e.field != field));
        if errors.with_untracked(Vec::is_empty) {
            failure.set(None);
        }
    };

    view! {
        <form class="rule-form" on:submit=submit novalidate aria-labelledby="rule-form-title"
            on:keydown=move |ev| if ev.key() == "Escape" { close() }>
            <h2 id="rule-form-title">{title}</h2>
            <div class="field" class:invalid=move || error_of("name")().is_some()>
                <label for="rule-name">"Rule name"</label>
                <input id="rule-name" type="text" maxlength="100" autocomplete="off"
                    aria-invalid=move || error_of("name")().is_some().to_string()
                    aria-describedby="rule-name-error"
                    prop:value=move || name.get()
                    on:input=move |ev| {
                        name.set(event_target_value(&ev));
                        clear("name".into());
                    }/>
                <p class="field-error" id="rule-name-error" role="alert">{error_of("name")}</p>
            </div>
            <div class="field narrow">
                <label for="rule-matching">"Match"</label>
                <select id="rule-matching"
                    prop:value=move || match matching.get() { Matching::All => "all", Matching::Any => "any" }
                    on:change=move |ev| matching.set(if event_target_value(&ev) == "any" { Matching::Any } else { Matching::All })>
                    <option value="all" selected=move || matching.get() == Matching::All>"All conditions"</option>
                    <option value="any" selected=move || matching.get() == Matching::Any>"Any condition"</option>
                </select>
            </div>
            <fieldset class="conditions" aria-describedby="rule-conditions-error">
                <legend>"Conditions"</legend>
                <ol class="condition-rows">
                    <For each=move || rows.get() key=|r| r.key let:row>
                        <ConditionRow page row rows errors clear/>
                    </For>
                </ol>
                <p class="field-error" id="rule-conditions-error" role="alert">{error_of("conditions")}</p>
                <button type="button" id="add-condition" on:click=add_condition>"Add condition"</button>
            </fieldset>
            <fieldset class="action">
                <legend>"Action"</legend>
                <div class="action-row">
                    <div class="field">
                        <label for="rule-action">"Then"</label>
                        <select id="rule-action"
                            prop:value=move || match target.get() { Target::Department => "department", Target::Staff => "staff" }
                            on:change=move |ev| {
                                let staff = event_target_value(&ev) == "staff";
                                target.set(if staff { Target::Staff } else { Target::Department });
                                clear("action".into());
                                target_id.set(if staff {
                                    page.staff.with_untracked(|s| s.first().map(|s| s.id.to_string())).unwrap_or_default()
                                } else {
                                    first_department()
                                });
                            }>
                            <option value="department" selected=move || target.get() == Target::Department>"Route to department"</option>
                            <option value="staff" selected=move || target.get() == Target::Staff>"Route to staff member"</option>
                        </select>
                    </div>
                    <div class="field" class:invalid=move || error_of("action")().is_some()>
                        <label for="rule-target">
                            {move || match target.get() { Target::Department => "Target department", Target::Staff => "Target staff member" }}
                        </label>
                        <select id="rule-target"
                            aria-invalid=move || error_of("action")().is_some().to_string()
                            aria-describedby="rule-action-error"
                            prop:value=move || target_id.get()
                            on:change=move |ev| {
                                target_id.set(event_target_value(&ev));
                                clear("action".into());
                            }>
                            <option value="" disabled=true>"Choose…"</option>
                            {move || match target.get() {
                                Target::Department => page.departments.get().into_iter().map(|d| {
                                    let value = d.id.to_string();
                                    let chosen = value.clone();
                                    view! {
                                        <option value=value selected=move || target_id.with(|t| *t == chosen)>{d.name}</option>
                                    }
                                }).collect_view().into_any(),
                                Target::Staff => page.staff.get().into_iter().map(|s| {
                                    let value = s.id.to_string();
                                    let chosen = value.clone();
                                    view! {
                                        <option value=value selected=move || target_id.with(|t| *t == chosen)>{s.name}</option>
                                    }
                                }).collect_view().into_any(),
                            }}
                        </select>
                    </div>
                </div>
                <p class="field-error" id="rule-action-error" role="alert">{error_of("action")}</p>
            </fieldset>
            <label class="check">
                <input type="checkbox" id="rule-enabled" prop:checked=move || enabled.get()
                    on:change=move |ev| enabled.set(event_target_checked(&ev))/>
                "Enabled"
            </label>
            <p class="error" role="alert">{move || failure.get()}</p>
            <div class="actions start">
                <button type="submit" disabled=move || busy.get()>"Save rule"</button>
                <button type="button" on:click=move |_| close()>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn ConditionRow(
    page: RulesState,
    row: Row,
    rows: RwSignal<Vec<Row>>,
    errors: RwSignal<Vec<FieldError>>,
    /// Clears one field's error once it is edited.
    clear: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let key = row.key;
    let index = move || rows.with(|r| r.iter().position(|r| r.key == key).unwrap_or(0));
    let number = move || format!(" {}", index() + 1);
    let error = move || field_error(errors, format!("conditions.{}", index()));
    let kind_id = format!("cond-{key}-kind");
    let value_id = format!("cond-{key}-value");
    let error_id = format!("cond-{key}-error");
    let remove = move |_| {
        let at = index();
        rows.update(|r| r.retain(|r| r.key != key));
        // The errors were numbered by the old order.
        errors.update(|e| e.retain(|e| !e.field.starts_with("conditions.")));
        let next = rows.with_untracked(|r| r.get(at).or_else(|| r.last()).map(|r| r.key));
        focus_later(match next {
            Some(k) => format!("cond-{k}-kind"),
            None => "add-condition".to_string(),
        });
    };
    let change_kind = move |ev: leptos::ev::Event| {
        let Some(kind) = Kind::parse(&event_target_value(&ev)) else {
            return;
        };
        let was = row.kind.get_untracked();
        row.kind.set(kind);
        clear(format!("conditions.{}", index()));
        if was.is_department() != kind.is_department() {
            row.value.set(if kind.is_department() {
                page.departments
                    .with_untracked(|d| d.first().map(|d| d.id.to_string()))
                    .unwrap_or_default()
            } else {
                String::new()
            });
        }
    };
    let value_id2 = value_id.clone();
    let error_id2 = error_id.clone();
    view! {
        <li class="condition-row" class:invalid=move || error().is_some()>
            <div class="field">
                <label for=kind_id.clone()>"Condition"<span class="sr-only">{number}</span></label>
                <select id=kind_id prop:value=move || row.kind.get().value() on:change=change_kind>
                    {Kind::ALL.map(|k| view! {
                        <option value=k.value() selected=move || row.kind.get() == k>{k.label()}</option>
                    })}
                </select>
            </div>
            <div class="field grow">
                <label for=value_id.clone()>
                    {move || row.kind.get().value_label()}<span class="sr-only">{number}</span>
                </label>
                {move || {
                    let kind = row.kind.get();
                    let value_id = value_id2.clone();
                    let error_id = error_id2.clone();
                    if kind.is_department() {
                        view! {
                            <select id=value_id aria-describedby=error_id
                                aria-invalid=move || error().is_some().to_string()
                                prop:value=move || row.value.get()
                                on:change=move |ev| {
                                    row.value.set(event_target_value(&ev));
                                    clear(format!("conditions.{}", index()));
                                }>
                                <option value="" disabled=true>"Choose…"</option>
                                {page.departments.get().into_iter().map(|d| {
                                    let value = d.id.to_string();
                                    let chosen = value.clone();
                                    view! {
                                        <option value=value selected=move || row.value.with(|v| *v == chosen)>{d.name}</option>
                                    }
                                }).collect_view()}
                            </select>
                        }.into_any()
                    } else {
                        view! {
                            <input id=value_id type="text" maxlength="200" autocomplete="off"
                                placeholder=kind.placeholder()
                                aria-describedby=error_id
                                aria-invalid=move || error().is_some().to_string()
                                prop:value=move || row.value.get()
                                on:input=move |ev| {
                                    row.value.set(event_target_value(&ev));
                                    clear(format!("conditions.{}", index()));
                                }/>
                        }.into_any()
                    }
                }}
                <p class="field-error" id=error_id role="alert">{error}</p>
            </div>
            <button type="button" class="link danger remove" on:click=remove>
                "Remove condition"<span class="sr-only">{number}</span>
            </button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    #[test]
    fn rules_in_words() {
        let departments = vec![Department {
            id: 1,
            name: "Sales".into(),
        }];
        let staff = vec![StaffEntry {
            id: 7,
            name: "Bob Stone".into(),
            email: "bob@example.com".into(),
            is_admin: false,
            departments: vec![],
            status: Status::Online,
            presence: Status::Offline,
        }];
        let words = |c: Condition| describe_condition(&c, &departments);
        assert_eq!(words(Condition::DepartmentIs(1)), "Department is Sales");
        assert_eq!(
            words(Condition::DepartmentIsNot(1)),
            "Department is not Sales"
        );
        assert_eq!(
            words(Condition::DepartmentIs(9)),
            "Department is (deleted department)"
        );
        assert_eq!(
            words(Condition::QuestionContains("refund".into())),
            "Question contains \u{201c}refund\u{201d}"
        );
        assert_eq!(
            words(Condition::EmailEndsWith("example.com".into())),
            "Email ends with example.com"
        );
        assert_eq!(
            words(Condition::PageUrlContains("/pricing".into())),
            "Page URL contains /pricing"
        );
        assert_eq!(
            describe_action(&Action::RouteToDepartment(1), &departments, &staff),
            "Route to department Sales"
        );
        assert_eq!(
            describe_action(&Action::RouteToStaff(7), &departments, &staff),
            "Route to Bob Stone"
        );
    }

    #[test]
    fn kinds_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.value()), Some(kind));
            let c = kind.condition(if kind.is_department() { "3" } else { "x" });
            assert_eq!(Kind::of(&c), kind);
            assert_eq!(
                condition_value(&c),
                if kind.is_department() { "3" } else { "x" }
            );
        }
        assert_eq!(Kind::DepartmentIs.condition(""), Condition::DepartmentIs(0));
    }
}
