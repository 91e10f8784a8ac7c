//! Admin server functions over the real router: who may call them, departments and membership,
//! live chat workflow rules (with their effect on where a new chat goes), and the audit trail.

mod common;

use app::api::admin::{AuditPage, Automation, Team};
use app::api::ApiError;
use app::model::{Department, Me};
use app::routing::{Action, Condition, Matching, Route, Rule};
use app::server::service::AddStaff;
use common::*;
use serde_json::{json, Value};

struct Desk {
    server: TestServer,
    _dir: tempfile::TempDir,
    sales: i64,
    support: i64,
    /// Admin.
    ada: (Me, String),
    /// Staff in Sales.
    ann: (Me, String),
    bob: (Me, String),
}

/// Sales and Support; Ada the admin; Ann and Bob in Sales; all signed in.
async fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let sales = server.add_department("Sales").await;
    let support = server.add_department("Support").await;
    let ada = server
        .service
        .add_staff(AddStaff {
            name: "Ada Admin".into(),
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            is_admin: true,
            departments: vec![],
        })
        .await
        .expect("add the admin");
    let ann = server
        .add_staff("Ann Lee", "ann@example.com", &["Sales"])
        .await;
    let bob = server
        .add_staff("Bob Stone", "bob@example.com", &["Sales"])
        .await;
    let ada = (ada, server.login("ada@example.com").await);
    let ann = (ann, server.login("ann@example.com").await);
    let bob = (bob, server.login("bob@example.com").await);
    Desk {
        server,
        _dir: dir,
        sales,
        support,
        ada,
        ann,
        bob,
    }
}

/// The field names of an `Invalid` error.
fn fields(e: &ApiError) -> Vec<String> {
    match e {
        ApiError::Invalid(errors) => errors.iter().map(|e| e.field.clone()).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn rule(name: &str, conditions: Vec<Condition>, action: Action) -> Rule {
    Rule {
        id: 0,
        name: name.into(),
        position: 0,
        enabled: true,
        matching: Matching::All,
        conditions,
        action,
    }
}

async fn save_rule(d: &Desk, rule: &Rule) -> Rule {
    call(
        &d.server,
        &d.ada.1,
        "admin_save_rule",
        json!({ "rule": rule }),
    )
    .await
}

async fn rules(d: &Desk) -> Vec<Rule> {
    let a: Automation = call(&d.server, &d.ada.1, "admin_automation", json!({})).await;
    a.rules
}

async fn team(d: &Desk) -> Team {
    call(&d.server, &d.ada.1, "admin_team", json!({})).await
}

fn names(rules: &[Rule]) -> Vec<&str> {
    rules.iter().map(|r| r.name.as_str()).collect()
}

#[tokio::test]
async fn admin_calls_need_an_admin() {
    let d = desk().await;
    let refund = rule(
        "Refunds",
        vec![Condition::QuestionContains("refund".into())],
        Action::RouteToDepartment(d.support),
    );
    let stored = save_rule(&d, &refund).await;
    let calls: Vec<(&str, Value)> = vec![
        ("admin_team", json!({})),
        ("admin_add_department", json!({ "name": "Billing" })),
        (
            "admin_rename_department",
            json!({ "id": d.sales, "name": "Sold" }),
        ),
        ("admin_delete_department", json!({ "id": d.sales })),
        (
            "admin_set_staff_departments",
            json!({ "staff_id": d.ann.0.id, "departments": [d.support] }),
        ),
        (
            "admin_add_staff",
            json!({ "name": "Eve", "email": "eve@example.com", "password": "long enough pw", "is_admin": true, "departments": [] }),
        ),
        ("admin_automation", json!({})),
        (
            "admin_save_rule",
            json!({ "rule": rule("Sneaky", vec![Condition::EmailEndsWith("x.io".into())], Action::RouteToStaff(d.ann.0.id)) }),
        ),
        (
            "admin_set_rule_enabled",
            json!({ "id": stored.id, "enabled": false }),
        ),
        ("admin_delete_rule", json!({ "id": stored.id })),
        ("admin_reorder_rules", json!({ "ids": [stored.id] })),
        ("admin_audit", json!({})),
    ];
    for (endpoint, body) in &calls {
        assert_eq!(
            refused(&d.server, Some(&d.ann.1), endpoint, body.clone()).await,
            ApiError::Forbidden,
            "{endpoint} as a staff member who is not an admin"
        );
        assert_eq!(
            refused(&d.server, None, endpoint, body.clone()).await,
            ApiError::Unauthorized,
            "{endpoint} signed out"
        );
        assert_eq!(
            refused(
                &d.server,
                Some("not-a-real-session"),
                endpoint,
                body.clone()
            )
            .await,
            ApiError::Unauthorized,
            "{endpoint} with a made-up session"
        );
    }
    // Nothing changed.
    let t = team(&d).await;
    assert_eq!(
        t.departments,
        vec![
            Department {
                id: d.sales,
                name: "Sales".into()
            },
            Department {
                id: d.support,
                name: "Support".into()
            },
        ]
    );
    assert_eq!(t.staff.len(), 3, "no staff was added: {:?}", t.staff);
    let ann = t.staff.iter().find(|s| s.id == d.ann.0.id).unwrap();
    assert_eq!(ann.departments, vec![d.sales]);
    assert_eq!(rules(&d).await, vec![stored]);
}

#[tokio::test]
async fn departments_are_added_renamed_and_deleted() {
    let d = desk().await;
    let billing: Department = call(
        &d.server,
        &d.ada.1,
        "admin_add_department",
        json!({ "name": "  Billing " }),
    )
    .await;
    assert_eq!(billing.name, "Billing");
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_add_department",
        json!({ "name": "  " }),
    )
    .await;
    assert_eq!(fields(&e), ["name"]);

    let renamed: Department = call(
        &d.server,
        &d.ada.1,
        "admin_rename_department",
        json!({ "id": billing.id, "name": "Invoices" }),
    )
    .await;
    assert_eq!(
        renamed,
        Department {
            id: billing.id,
            name: "Invoices".into()
        }
    );
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_rename_department",
        json!({ "id": billing.id, "name": "Sales" }),
    )
    .await;
    assert!(
        matches!(&e, ApiError::Conflict(m) if m.contains("Sales")),
        "{e:?}"
    );
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_rename_department",
        json!({ "id": billing.id, "name": "x".repeat(101) }),
    )
    .await;
    assert_eq!(fields(&e), ["name"]);
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_rename_department",
        json!({ "id": 999, "name": "Ghosts" }),
    )
    .await;
    assert_eq!(e, ApiError::NotFound);

    let names = |t: &Team| {
        t.departments
            .iter()
            .map(|d| d.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&team(&d).await), ["Invoices", "Sales", "Support"]);
    // Visitors see the new name in the pre-chat form.
    let public: Vec<Department> = call(&d.server, &d.ann.1, "departments", json!({})).await;
    assert!(public.iter().any(|p| p.name == "Invoices"));

    // A department a workflow rule uses cannot go.
    let used = save_rule(
        &d,
        &rule(
            "To invoices",
            vec![Condition::PageUrlContains("/billing".into())],
            Action::RouteToDepartment(billing.id),
        ),
    )
    .await;
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_delete_department",
        json!({ "id": billing.id }),
    )
    .await;
    assert!(
        matches!(&e, ApiError::Conflict(m) if m.contains("To invoices")),
        "{e:?}"
    );
    assert_eq!(names(&team(&d).await), ["Invoices", "Sales", "Support"]);

    // Once the rule is gone it can, and its members lose it.
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_delete_rule",
        json!({ "id": used.id }),
    )
    .await;
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_set_staff_departments",
        json!({ "staff_id": d.bob.0.id, "departments": [d.sales, billing.id] }),
    )
    .await;
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_delete_department",
        json!({ "id": billing.id }),
    )
    .await;
    let t = team(&d).await;
    assert_eq!(names(&t), ["Sales", "Support"]);
    assert_eq!(
        t.staff
            .iter()
            .find(|s| s.id == d.bob.0.id)
            .unwrap()
            .departments,
        vec![d.sales]
    );
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_delete_department",
        json!({ "id": billing.id }),
    )
    .await;
    assert_eq!(e, ApiError::NotFound);
}

#[tokio::test]
async fn membership_is_saved_and_reaches_the_directory() {
    let d = desk().await;
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_set_staff_departments",
        json!({ "staff_id": d.ann.0.id, "departments": [d.support, d.sales, d.support] }),
    )
    .await;
    let t = team(&d).await;
    let ann = t.staff.iter().find(|s| s.id == d.ann.0.id).unwrap();
    let mut both = vec![d.sales, d.support];
    both.sort_unstable();
    assert_eq!(ann.departments, both);
    assert_eq!(ann.name, "Ann Lee");
    assert!(!ann.is_admin);
    assert!(
        t.staff
            .iter()
            .find(|s| s.id == d.ada.0.id)
            .unwrap()
            .is_admin
    );
    // The directory every console holds (and routing uses) has it too.
    let directory = d.server.service.directory();
    assert_eq!(directory.staff(d.ann.0.id).unwrap().departments, both);

    // An unknown department is refused and nothing changes.
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_set_staff_departments",
        json!({ "staff_id": d.ann.0.id, "departments": [d.sales, 4242] }),
    )
    .await;
    assert_eq!(fields(&e), ["departments"]);
    assert_eq!(
        d.server
            .service
            .directory()
            .staff(d.ann.0.id)
            .unwrap()
            .departments,
        both
    );
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_set_staff_departments",
        json!({ "staff_id": 4242, "departments": [] }),
    )
    .await;
    assert_eq!(e, ApiError::NotFound);

    // None at all.
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_set_staff_departments",
        json!({ "staff_id": d.ann.0.id, "departments": [] }),
    )
    .await;
    assert!(team(&d)
        .await
        .staff
        .iter()
        .find(|s| s.id == d.ann.0.id)
        .unwrap()
        .departments
        .is_empty());
}

#[tokio::test]
async fn staff_accounts_can_be_added() {
    let d = desk().await;
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_add_staff",
        json!({ "name": "Cara Diaz", "email": "cara@example.com", "password": PASSWORD, "is_admin": false, "departments": [d.support] }),
    )
    .await;
    let t = team(&d).await;
    let cara = t
        .staff
        .iter()
        .find(|s| s.name == "Cara Diaz")
        .expect("Cara is listed");
    assert_eq!(cara.departments, vec![d.support]);
    d.server.login("cara@example.com").await;
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_add_staff",
        json!({ "name": "", "email": "nope", "password": "short", "is_admin": false, "departments": [] }),
    )
    .await;
    assert_eq!(fields(&e), ["name", "email", "password"]);
}

#[tokio::test]
async fn rules_are_created_listed_edited_reordered_toggled_and_deleted() {
    let d = desk().await;
    assert!(rules(&d).await.is_empty());
    let a = save_rule(
        &d,
        &Rule {
            matching: Matching::Any,
            ..rule(
                "  Refunds ",
                vec![
                    Condition::QuestionContains(" refund ".into()),
                    Condition::PageUrlContains("/returns".into()),
                ],
                Action::RouteToDepartment(d.support),
            )
        },
    )
    .await;
    assert!(a.id > 0);
    assert_eq!(a.name, "Refunds", "names are trimmed");
    assert_eq!(a.matching, Matching::Any);
    assert_eq!(
        a.conditions,
        vec![
            Condition::QuestionContains("refund".into()),
            Condition::PageUrlContains("/returns".into()),
        ]
    );
    let b = save_rule(
        &d,
        &rule(
            "Big customer",
            vec![Condition::EmailEndsWith("@bigcorp.com".into())],
            Action::RouteToStaff(d.bob.0.id),
        ),
    )
    .await;
    assert_eq!(
        b.conditions,
        vec![Condition::EmailEndsWith("bigcorp.com".into())]
    );
    let c = save_rule(
        &d,
        &rule(
            "Not sales",
            vec![
                Condition::DepartmentIsNot(d.sales),
                Condition::DepartmentIs(d.support),
            ],
            Action::RouteToDepartment(d.support),
        ),
    )
    .await;
    let listed = rules(&d).await;
    assert_eq!(names(&listed), ["Refunds", "Big customer", "Not sales"]);
    assert_eq!(listed[0], a);

    // Move "Not sales" up, then to the top.
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_reorder_rules",
        json!({ "ids": [a.id, c.id, b.id] }),
    )
    .await;
    assert_eq!(
        names(&rules(&d).await),
        ["Refunds", "Not sales", "Big customer"]
    );
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_reorder_rules",
        json!({ "ids": [c.id, a.id, b.id] }),
    )
    .await;
    assert_eq!(
        names(&rules(&d).await),
        ["Not sales", "Refunds", "Big customer"]
    );
    // Orders that are not a permutation of the rules change nothing.
    for ids in [
        json!([c.id, a.id]),
        json!([c.id, a.id, b.id, 999]),
        json!([c.id, a.id, a.id]),
    ] {
        let e = refused(
            &d.server,
            Some(&d.ada.1),
            "admin_reorder_rules",
            json!({ "ids": ids }),
        )
        .await;
        assert!(
            matches!(e, ApiError::Conflict(_) | ApiError::Invalid(_)),
            "{ids}: {e:?}"
        );
    }
    assert_eq!(
        names(&rules(&d).await),
        ["Not sales", "Refunds", "Big customer"]
    );

    // Editing keeps the place.
    let edited = save_rule(
        &d,
        &Rule {
            id: a.id,
            ..rule(
                "Refunds and returns",
                vec![Condition::QuestionContains("return".into())],
                Action::RouteToStaff(d.ann.0.id),
            )
        },
    )
    .await;
    assert_eq!(edited.id, a.id);
    let listed = rules(&d).await;
    assert_eq!(
        names(&listed),
        ["Not sales", "Refunds and returns", "Big customer"]
    );
    assert_eq!(listed[1].action, Action::RouteToStaff(d.ann.0.id));
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_save_rule",
        json!({ "rule": Rule { id: 999, ..rule("Ghost", vec![Condition::QuestionContains("x".into())], Action::RouteToDepartment(d.sales)) } }),
    )
    .await;
    assert_eq!(e, ApiError::NotFound);

    // Enable and disable.
    let off: Rule = call(
        &d.server,
        &d.ada.1,
        "admin_set_rule_enabled",
        json!({ "id": b.id, "enabled": false }),
    )
    .await;
    assert!(!off.enabled);
    assert!(
        !rules(&d)
            .await
            .iter()
            .find(|r| r.id == b.id)
            .unwrap()
            .enabled
    );
    let on: Rule = call(
        &d.server,
        &d.ada.1,
        "admin_set_rule_enabled",
        json!({ "id": b.id, "enabled": true }),
    )
    .await;
    assert!(on.enabled);
    assert_eq!(
        refused(
            &d.server,
            Some(&d.ada.1),
            "admin_set_rule_enabled",
            json!({ "id": 999, "enabled": true })
        )
        .await,
        ApiError::NotFound
    );

    // Delete.
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_delete_rule",
        json!({ "id": c.id }),
    )
    .await;
    assert_eq!(
        names(&rules(&d).await),
        ["Refunds and returns", "Big customer"]
    );
    assert_eq!(
        refused(
            &d.server,
            Some(&d.ada.1),
            "admin_delete_rule",
            json!({ "id": c.id })
        )
        .await,
        ApiError::NotFound
    );
}

#[tokio::test]
async fn invalid_rules_are_refused_with_field_errors_and_nothing_is_stored() {
    let d = desk().await;
    let cases: Vec<(Rule, Vec<&str>)> = vec![
        (
            rule("No conditions", vec![], Action::RouteToDepartment(d.sales)),
            vec!["conditions"],
        ),
        (
            rule(
                "Unknown department",
                vec![Condition::DepartmentIs(4242)],
                Action::RouteToDepartment(4343),
            ),
            vec!["conditions.0", "action"],
        ),
        (
            rule(
                "Unknown staff",
                vec![Condition::QuestionContains("x".into())],
                Action::RouteToStaff(4242),
            ),
            vec!["action"],
        ),
        (
            rule(
                "  ",
                vec![
                    Condition::QuestionContains("fine".into()),
                    Condition::EmailEndsWith("   ".into()),
                    Condition::PageUrlContains("x".repeat(201)),
                    Condition::DepartmentIsNot(d.sales),
                ],
                Action::RouteToDepartment(d.sales),
            ),
            vec!["name", "conditions.1", "conditions.2"],
        ),
        (
            rule(
                &"n".repeat(101),
                vec![Condition::EmailEndsWith("exa mple.com".into())],
                Action::RouteToDepartment(d.sales),
            ),
            vec!["name", "conditions.0"],
        ),
    ];
    for (bad, expected) in cases {
        let e = refused(
            &d.server,
            Some(&d.ada.1),
            "admin_save_rule",
            json!({ "rule": bad }),
        )
        .await;
        assert_eq!(fields(&e), expected, "{bad:?}");
        if let ApiError::Invalid(errors) = &e {
            assert!(errors.iter().all(|e| !e.message.is_empty()));
        }
    }
    assert!(rules(&d).await.is_empty(), "nothing was stored");

    // Nor does an invalid edit change a stored rule.
    let good = save_rule(
        &d,
        &rule(
            "Good",
            vec![Condition::QuestionContains("x".into())],
            Action::RouteToDepartment(d.sales),
        ),
    )
    .await;
    let e = refused(
        &d.server,
        Some(&d.ada.1),
        "admin_save_rule",
        json!({ "rule": Rule { id: good.id, conditions: vec![], ..good.clone() } }),
    )
    .await;
    assert_eq!(fields(&e), ["conditions"]);
    assert_eq!(rules(&d).await, vec![good]);
}

#[tokio::test]
async fn a_rule_decides_where_a_new_chat_waits() {
    let d = desk().await;
    let refunds = save_rule(
        &d,
        &rule(
            "Refunds",
            vec![Condition::QuestionContains("refund".into())],
            Action::RouteToDepartment(d.support),
        ),
    )
    .await;
    let route_of = |id: i64| {
        let service = d.server.service.clone();
        async move {
            service
                .open_chats()
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.id == id)
                .expect("the chat is open")
                .route
        }
    };
    let refund = d
        .server
        .start_chat(
            "Vera Visitor",
            "I would like a REFUND please",
            Some(d.sales),
        )
        .await;
    assert_eq!(route_of(refund.chat_id).await, Route::Department(d.support));
    let other = d
        .server
        .start_chat("Walt Visitor", "Where is my parcel?", Some(d.sales))
        .await;
    assert_eq!(
        route_of(other.chat_id).await,
        Route::Department(d.sales),
        "no rule matched: the chosen department"
    );

    // Disabled, it no longer applies.
    call::<Rule>(
        &d.server,
        &d.ada.1,
        "admin_set_rule_enabled",
        json!({ "id": refunds.id, "enabled": false }),
    )
    .await;
    let later = d
        .server
        .start_chat("Xena Visitor", "refund?", Some(d.sales))
        .await;
    assert_eq!(route_of(later.chat_id).await, Route::Department(d.sales));

    // Order decides between two matching rules.
    call::<Rule>(
        &d.server,
        &d.ada.1,
        "admin_set_rule_enabled",
        json!({ "id": refunds.id, "enabled": true }),
    )
    .await;
    let to_bob = save_rule(
        &d,
        &rule(
            "Example customers",
            vec![Condition::EmailEndsWith("example.com".into())],
            Action::RouteToStaff(d.bob.0.id),
        ),
    )
    .await;
    let both = d
        .server
        .start_chat("Yuri Visitor", "refund for yuri", None)
        .await;
    assert_eq!(
        route_of(both.chat_id).await,
        Route::Department(d.support),
        "Refunds is tried first"
    );
    call::<()>(
        &d.server,
        &d.ada.1,
        "admin_reorder_rules",
        json!({ "ids": [to_bob.id, refunds.id] }),
    )
    .await;
    let again = d
        .server
        .start_chat("Zoe Visitor", "refund for zoe", None)
        .await;
    assert_eq!(
        route_of(again.chat_id).await,
        Route::Staff(d.bob.0.id),
        "after the reorder"
    );
}

#[tokio::test]
async fn the_audit_trail_shows_who_did_what_to_which_chat() {
    let d = desk().await;
    let started = d
        .server
        .start_chat("Vera Visitor", "Where is my parcel?", Some(d.sales))
        .await;
    let id = started.chat_id;
    d.server.chat_op(&d.ann.1, id, "Accept").await;
    d.server.chat_op(&d.bob.1, id, "JoinInvisibly").await;

    let page: AuditPage = call(&d.server, &d.ada.1, "admin_audit", json!({})).await;
    assert!(!page.more);
    let seen: Vec<(&str, &str, Option<i64>)> = page
        .entries
        .iter()
        .map(|e| (e.op.as_str(), e.staff_name.as_str(), e.chat_id))
        .collect();
    assert_eq!(
        seen,
        [
            ("JoinInvisibly", "Bob Stone", Some(id)),
            ("Accept", "Ann Lee", Some(id))
        ],
        "newest first, the invisible join included"
    );
    assert_eq!(page.entries[0].staff_id, Some(d.bob.0.id));
    assert!(page.entries[0].id > page.entries[1].id);

    // Paging with the `before` cursor.
    let first: AuditPage = call(&d.server, &d.ada.1, "admin_audit", json!({ "limit": 1 })).await;
    assert_eq!(first.entries.len(), 1);
    assert!(first.more);
    assert_eq!(first.entries[0].op, "JoinInvisibly");
    let second: AuditPage = call(
        &d.server,
        &d.ada.1,
        "admin_audit",
        json!({ "limit": 1, "before": first.entries[0].id }),
    )
    .await;
    assert_eq!(second.entries.len(), 1);
    assert_eq!(second.entries[0].op, "Accept");
    assert!(!second.more);
}

/// The pages render on the server: the heading for admins, a refusal for other staff, and the
/// sign-in page for strangers.
#[tokio::test]
async fn admin_pages_render_for_admins_only() {
    let d = desk().await;
    for (path, heading) in [
        ("/console/team", "Team"),
        ("/console/automation", "Live chat workflow rules"),
        ("/console/audit", "Audit trail"),
    ] {
        let get = |session: Option<&str>| {
            // As a browser asks for a page.
            let mut req = d
                .server
                .http()
                .get(d.server.url(path))
                .header(reqwest::header::ACCEPT, "text/html");
            if let Some(s) = session {
                req = req.header(reqwest::header::COOKIE, format!("hd_session={s}"));
            }
            req.send()
        };
        let res = get(Some(&d.ada.1)).await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!(">{heading}</h1>")),
            "{path} as admin: {html}"
        );
        assert!(!html.contains("Only admins can see this page."), "{path}");

        let html = get(Some(&d.ann.1)).await.unwrap().text().await.unwrap();
        assert!(
            html.contains("Only admins can see this page."),
            "{path} as staff: {html}"
        );

        let res = get(None).await.unwrap();
        let status = res.status();
        let location = res.headers().get(reqwest::header::LOCATION).cloned();
        let html = res.text().await.unwrap();
        assert!(
            status.is_redirection()
                && location.as_ref().and_then(|v| v.to_str().ok()) == Some("/login"),
            "{path} signed out should redirect to /login, got {status} {location:?}: {html}"
        );
        assert!(
            !html.contains(&format!(">{heading}</h1>")),
            "{path} signed out"
        );
    }
}
