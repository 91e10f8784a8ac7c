//! Staff operations over the real router and sockets (issue 3): each operation, each refusal,
//! and that an invisible join reaches no one else's socket at all.

mod common;

use app::model::{ChatId, ChatSummary, Status};
use app::protocol::{ClientFrame, ErrorCode, ServerFrame};
use app::routing::{Action, Condition, Matching, Route, Rule};
use app::rules::{Event, Role};
use common::*;
use serde_json::json;

struct Team {
    server: TestServer,
    _dir: tempfile::TempDir,
    sales: i64,
    ann: (i64, String),
    bob: (i64, String),
    cara: (i64, String),
}

/// Ann and Bob in Sales, Cara in Support, all signed in.
async fn team() -> Team {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    let sales = server.add_department("Sales").await;
    server.add_department("Support").await;
    let ann = server
        .add_staff("Ann Lee", "ann@example.com", &["Sales"])
        .await;
    let bob = server
        .add_staff("Bob Stone", "bob@example.com", &["Sales"])
        .await;
    let cara = server
        .add_staff("Cara Diaz", "cara@example.com", &["Support"])
        .await;
    let ann = (ann.id, server.login("ann@example.com").await);
    let bob = (bob.id, server.login("bob@example.com").await);
    let cara = (cara.id, server.login("cara@example.com").await);
    Team {
        server,
        _dir: dir,
        sales,
        ann,
        bob,
        cara,
    }
}

async fn refused(
    server: &TestServer,
    session: &str,
    chat: ChatId,
    op: serde_json::Value,
) -> String {
    let (status, body) = server.chat_op_raw(Some(session), chat, op.clone()).await;
    assert!(
        !status.is_success(),
        "{op} should have been refused, got {status}: {body}"
    );
    body
}

fn owner_count(chat: &ChatSummary) -> usize {
    chat.state
        .members
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count()
}

async fn chat(t: &Team, id: ChatId) -> ChatSummary {
    t.server
        .service
        .open_chats()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .expect("the chat is open")
}

/// A visitor in Sales whose chat Ann has accepted, with sockets for the visitor and Ann.
async fn accepted(t: &Team) -> (ChatId, Ws, Ws) {
    let started = t
        .server
        .start_chat("Vera Visitor", "Where is my parcel?", Some(t.sales))
        .await;
    let mut ann = t.server.staff("ann", &t.ann.1).await;
    t.server.chat_op(&t.ann.1, started.chat_id, "Accept").await;
    ann.watch(started.chat_id, 0).await;
    let mut visitor = t.server.visitor("visitor", &started, 0).await;
    visitor.wait_for_seq(started.chat_id, 2).await;
    (started.chat_id, visitor, ann)
}

#[tokio::test]
async fn an_invisible_join_reaches_no_other_socket_and_the_monitor_cannot_send() {
    let t = team().await;
    let (id, mut visitor, mut ann) = accepted(&t).await;
    let mut bob = t.server.staff("bob", &t.bob.1).await;
    bob.watch(id, 0).await;
    visitor.sync().await;
    ann.sync().await;
    let counted = |ws: &Ws| {
        ws.frames
            .iter()
            .filter(|f| !matches!(f, ServerFrame::Pong))
            .count()
    };
    let (visitor_before, ann_before) = (counted(&visitor), counted(&ann));

    t.server.chat_op(&t.bob.1, id, "JoinInvisibly").await;
    // Bob's own socket learns his role; he types and tries to send.
    bob.recv_until("Bob's own view as monitor", |f| match f {
        ServerFrame::ChatChanged { chat } => {
            chat.id == id && chat.role_of(t.bob.0) == Some(Role::Monitor)
        }
        _ => false,
    })
    .await;
    bob.send(&ClientFrame::Typing {
        chat_id: id,
        typing: true,
    })
    .await;
    assert_eq!(
        bob.say(id, "bob-1", "I should not be heard").await,
        Err(ErrorCode::Refused)
    );

    // Not one frame reached the visitor or Ann because of it.
    let visitor_after: Vec<_> = visitor.sync().await;
    let ann_after: Vec<_> = ann.sync().await;
    assert!(visitor_after.is_empty(), "visitor got {visitor_after:?}");
    assert!(ann_after.is_empty(), "Ann got {ann_after:?}");
    assert_eq!(
        (counted(&visitor), counted(&ann)),
        (visitor_before, ann_before)
    );
    assert!(visitor.frames_mentioning("Bob").is_empty());
    assert!(ann.frames_mentioning("Bob").is_empty());
    // Neither does a fresh look at the chat list show him to Ann.
    let mut ann2 = t.server.connect("ann again", Some(&t.ann.1)).await;
    ann2.hello_staff().await;
    assert!(
        ann2.frames_mentioning("Bob Stone").is_empty(),
        "{:?}",
        ann2.frames
    );

    // The monitor reads live: the visitor writes, Bob receives it.
    visitor.say_ok(id, "v-1", "anyone there?").await;
    bob.watch(id, 0).await;
    bob.wait_for_message(id, "anyone there?").await;

    // Join makes him a participant, and now everyone hears of it.
    t.server.chat_op(&t.bob.1, id, "Join").await;
    for ws in [&mut visitor, &mut ann] {
        ws.recv_until("Bob's join notice", |f| match f {
            ServerFrame::Events { events, .. } => events
                .iter()
                .any(|e| matches!(&e.event, Event::Joined { staff } if staff.name == "Bob Stone")),
            _ => false,
        })
        .await;
    }
    bob.say_ok(id, "bob-2", "Now you can hear me").await;
    visitor.wait_for_message(id, "Now you can hear me").await;
}

#[tokio::test]
async fn staff_outside_the_chat_cannot_send_and_only_the_right_people_answer_offers() {
    let t = team().await;
    let (id, mut visitor, _ann) = accepted(&t).await;
    let mut cara = t.server.staff("cara", &t.cara.1).await;
    assert_eq!(cara.say(id, "c-1", "hello?").await, Err(ErrorCode::Refused));

    // Forward to Bob: Cara cannot answer it, Bob can.
    let _bob_socket = t.server.staff("bob", &t.bob.1).await;
    t.server
        .chat_op(
            &t.ann.1,
            id,
            json!({"Forward": {"to": t.bob.0, "note": "refund"}}),
        )
        .await;
    let body = refused(&t.server, &t.cara.1, id, json!("AcceptForward")).await;
    assert!(body.contains("NoOffer"), "{body}");
    let body = refused(
        &t.server,
        &t.ann.1,
        id,
        json!({"Forward": {"to": t.cara.0, "note": ""}}),
    )
    .await;
    assert!(body.contains("ForwardPending"), "{body}");
    t.server.chat_op(&t.bob.1, id, "AcceptForward").await;
    let now = chat(&t, id).await;
    assert_eq!(now.state.owner().map(|s| s.id), Some(t.bob.0));
    assert_eq!(now.role_of(t.ann.0), None, "the forwarder left");
    // The visitor saw the forward notice but never the offer itself.
    visitor
        .recv_until("the forward notice", |f| match f {
            ServerFrame::Events { events, .. } => events
                .iter()
                .any(|e| matches!(e.event, Event::Forwarded { .. })),
            _ => false,
        })
        .await;
    assert!(visitor.frames_mentioning("ForwardOffered").is_empty());
    assert!(
        visitor.frames_mentioning("refund").is_empty(),
        "the note is for staff only"
    );

    // Invite: only the invitee answers; an invitation to someone offline is refused.
    t.server
        .chat_op(
            &t.bob.1,
            id,
            json!({"Invite": {"to": t.cara.0, "note": ""}}),
        )
        .await;
    let body = refused(&t.server, &t.ann.1, id, json!("AcceptInvite")).await;
    assert!(body.contains("NoInvitation"), "{body}");
    t.server.chat_op(&t.cara.1, id, "AcceptInvite").await;
    assert_eq!(
        chat(&t, id).await.role_of(t.cara.0),
        Some(Role::Participant)
    );
    cara.watch(id, 0).await;
    cara.say_ok(id, "c-2", "Cara here").await;
    visitor.wait_for_message(id, "Cara here").await;
}

#[tokio::test]
async fn forwarding_needs_an_available_receiver_and_inviting_an_online_one() {
    let t = team().await;
    let (id, _visitor, _ann) = accepted(&t).await;
    // Bob has no console open: offline.
    let body = refused(
        &t.server,
        &t.ann.1,
        id,
        json!({"Forward": {"to": t.bob.0, "note": ""}}),
    )
    .await;
    assert!(body.contains("TargetUnavailable"), "{body}");
    let body = refused(
        &t.server,
        &t.ann.1,
        id,
        json!({"Invite": {"to": t.bob.0, "note": ""}}),
    )
    .await;
    assert!(body.contains("TargetOffline"), "{body}");
    // Online but away: may be invited, not forwarded to.
    let _bob = t.server.staff("bob", &t.bob.1).await;
    t.server
        .service
        .set_status(t.bob.0, Status::Away)
        .await
        .unwrap();
    let body = refused(
        &t.server,
        &t.ann.1,
        id,
        json!({"Forward": {"to": t.bob.0, "note": ""}}),
    )
    .await;
    assert!(body.contains("TargetUnavailable"), "{body}");
    t.server
        .chat_op(&t.ann.1, id, json!({"Invite": {"to": t.bob.0, "note": ""}}))
        .await;
}

#[tokio::test]
async fn two_staff_taking_at_once_leave_exactly_one_owner() {
    let t = team().await;
    let (id, _visitor, _ann) = accepted(&t).await;
    let (a, b) = tokio::join!(
        t.server.chat_op_raw(Some(&t.bob.1), id, json!("Take")),
        t.server.chat_op_raw(Some(&t.cara.1), id, json!("Take")),
    );
    assert!(a.0.is_success() || b.0.is_success(), "{a:?} {b:?}");
    let now = chat(&t, id).await;
    assert_eq!(owner_count(&now), 1, "{:?}", now.state.members);
    assert_eq!(
        now.role_of(t.ann.0),
        Some(Role::Participant),
        "the first owner stays"
    );
}

#[tokio::test]
async fn leaving_passes_ownership_to_the_longest_present_participant() {
    let t = team().await;
    let (id, mut visitor, _ann) = accepted(&t).await;
    t.server.chat_op(&t.bob.1, id, "Join").await;
    t.server.chat_op(&t.cara.1, id, "Join").await;
    t.server.chat_op(&t.ann.1, id, "Leave").await;
    let now = chat(&t, id).await;
    assert_eq!(now.state.owner().map(|s| s.id), Some(t.bob.0));
    assert_eq!(now.role_of(t.cara.0), Some(Role::Participant));
    visitor
        .recv_until("Ann's leave notice", |f| match f {
            ServerFrame::Events { events, .. } => events
                .iter()
                .any(|e| e.event.notice().as_deref() == Some("Ann Lee has left the chat")),
            _ => false,
        })
        .await;
    // Ann is out: she can no longer write.
    let mut ann = t.server.staff("ann again", &t.ann.1).await;
    assert_eq!(
        ann.say(id, "a-9", "still here?").await,
        Err(ErrorCode::Refused)
    );
}

#[tokio::test]
async fn a_waiting_chat_is_seen_and_accepted_only_on_its_route() {
    let t = team().await;
    let mut cara = t.server.staff("cara", &t.cara.1).await;
    let mut ann = t.server.staff("ann", &t.ann.1).await;
    let started = t
        .server
        .start_chat("Sam Sales", "Quote for 40 seats", Some(t.sales))
        .await;
    ann.recv_until(
        "the new chat",
        |f| matches!(f, ServerFrame::ChatChanged { chat } if chat.id == started.chat_id),
    )
    .await;
    cara.sync().await;
    assert!(
        cara.frames_mentioning("Quote for 40 seats").is_empty(),
        "Support staff see Sales chats"
    );
    let body = refused(&t.server, &t.cara.1, started.chat_id, json!("Accept")).await;
    assert!(body.contains("NotFound"), "{body}");
    // Offered to Ann (the only one available in Sales) and accepted by her.
    let waiting = chat(&t, started.chat_id).await;
    assert_eq!(waiting.offered_to, Some(t.ann.0));
    t.server.chat_op(&t.ann.1, started.chat_id, "Accept").await;
}

#[tokio::test]
async fn a_rule_routes_to_a_named_staff_member_who_gets_it_when_available() {
    let t = team().await;
    let rule = Rule {
        id: 0,
        name: "VIP to Bob".into(),
        position: 0,
        enabled: true,
        matching: Matching::All,
        conditions: vec![Condition::QuestionContains("vip".into())],
        action: Action::RouteToStaff(t.bob.0),
    };
    t.server.service.save_rule(rule).await.unwrap();
    let started = t.server.start_chat("Val", "VIP order help", None).await;
    let waiting = chat(&t, started.chat_id).await;
    assert_eq!(waiting.route, Route::Staff(t.bob.0));
    assert_eq!(waiting.offered_to, None, "Bob is offline: it waits for him");
    let mut visitor = t.server.visitor("visitor", &started, 0).await;
    let _bob = t.server.staff("bob", &t.bob.1).await;
    visitor
        .recv_until("the chat being offered", |f| match f {
            ServerFrame::ChatChanged { chat } => chat.offered_to == Some(t.bob.0),
            _ => false,
        })
        .await;
    // A chat for someone else: Cara (no shared department) cannot take it.
    let body = refused(&t.server, &t.cara.1, started.chat_id, json!("Accept")).await;
    assert!(body.contains("NotFound"), "{body}");
    t.server.chat_op(&t.bob.1, started.chat_id, "Accept").await;
}

#[tokio::test]
async fn closing_every_console_makes_staff_offline_after_the_grace_period() {
    let t = team().await;
    let presence = |t: &Team| {
        t.server
            .service
            .directory()
            .staff(t.bob.0)
            .map(|s| s.presence)
            .unwrap()
    };
    assert_eq!(presence(&t), Status::Offline);
    let bob = t.server.staff("bob", &t.bob.1).await;
    assert_eq!(presence(&t), Status::Online);
    bob.close().await;
    // Still present during the grace period (a reload must not flap), then offline.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(presence(&t), Status::Online);
    let deadline = tokio::time::Instant::now() + t.server.service.presence_grace + WAIT;
    while presence(&t) != Status::Offline {
        assert!(tokio::time::Instant::now() < deadline, "still not offline");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Reopening restores the chosen status.
    t.server
        .service
        .set_status(t.bob.0, Status::Away)
        .await
        .unwrap();
    let _bob = t.server.staff("bob again", &t.bob.1).await;
    assert_eq!(presence(&t), Status::Away);
}
