//! Several server nodes on one PostgreSQL (issue 6), always on PostgreSQL whatever
//! `TEST_BACKEND` says: sockets on different nodes chat live, operations and presence cross
//! nodes, queue positions agree, a node that dies loses and duplicates nothing, a node that
//! leaves or was forgotten tells the others, a node whose listening connection drops catches
//! up, and background work runs once.
//!
//! Node "A" and node "B" are two routers in this process on one database and one data
//! directory; a stopped node says no goodbye (it is simply gone, as after a crash).

mod common;

use app::model::{ChatSummary, Status};
use app::protocol::{ClientFrame, ServerFrame};
use app::rules::{Event, Phase, Role, SharedFile};
use app::server::cluster::Liveness;
use common::*;
use serde_json::json;
use sqlx::Connection;
use std::path::Path;
use std::time::Duration;

/// Short enough that a dead node is noticed within a test's wait.
const LIVENESS: Liveness = Liveness {
    heartbeat: Duration::from_millis(200),
    timeout: Duration::from_millis(1500),
};

async fn node(dir: &Path, liveness: Liveness) -> TestServer {
    let mut config = postgres_config_for(dir).await;
    config.liveness = liveness;
    TestServer::start_with(config).await
}

/// Two nodes on a fresh database, with Sales, Ann and Bob (in Sales); both signed in.
struct Two {
    dir: tempfile::TempDir,
    a: TestServer,
    b: TestServer,
    sales: i64,
    ann: (i64, String),
    bob: (i64, String),
}

async fn two_nodes() -> Two {
    two_nodes_with(LIVENESS).await
}

async fn two_nodes_with(liveness: Liveness) -> Two {
    let dir = tempfile::tempdir().unwrap();
    let a = node(dir.path(), liveness).await;
    let b = node(dir.path(), liveness).await;
    let sales = a.add_department("Sales").await;
    let ann = a.add_staff("Ann Lee", "ann@example.com", &["Sales"]).await;
    let bob = b
        .add_staff("Bob Stone", "bob@example.com", &["Sales"])
        .await;
    // A session made on one node works on every node.
    let ann = (ann.id, a.login("ann@example.com").await);
    let bob = (bob.id, b.login("bob@example.com").await);
    Two {
        dir,
        a,
        b,
        sales,
        ann,
        bob,
    }
}

fn presence_on(node: &TestServer, staff: i64) -> Option<Status> {
    node.service.directory().staff(staff).map(|s| s.presence)
}

/// Waits until `node` shows `staff` as `status`.
async fn until_presence(node: &TestServer, staff: i64, status: Status, what: &str) {
    eventually(what, WAIT, || async {
        (presence_on(node, staff) == Some(status)).then_some(())
    })
    .await;
}

/// The newest summary of the chat among the socket's ChatChanged frames.
fn latest(ws: &Ws, chat_id: i64) -> Option<ChatSummary> {
    ws.frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::ChatChanged { chat } if chat.id == chat_id => Some(chat.clone()),
            ServerFrame::Chats { chats } => chats.iter().find(|c| c.id == chat_id).cloned(),
            _ => None,
        })
        .max_by_key(|c| c.version)
}

/// Receives until the socket's newest view of the chat satisfies `check`.
async fn until_chat(ws: &mut Ws, chat_id: i64, what: &str, check: impl Fn(&ChatSummary) -> bool) {
    if latest(ws, chat_id).is_some_and(|c| check(&c)) {
        return;
    }
    ws.recv_until(what, |f| match f {
        ServerFrame::ChatChanged { chat } if chat.id == chat_id => check(chat),
        _ => false,
    })
    .await;
}

async fn message_rows(dir: &Path, body: &str) -> i64 {
    let url = postgres_config_for(dir).await.database_url;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM chat_events WHERE event LIKE $1")
        .bind(format!("%\"{body}\"%"))
        .fetch_one(&mut db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_on_one_node_and_staff_on_another_chat_live() {
    let t = two_nodes().await;
    let started =
        t.a.start_chat("Vera Visitor", "Where is my parcel?", Some(t.sales))
            .await;
    let id = started.chat_id;
    let mut visitor = t.a.visitor("visitor@A", &started, 0).await;

    // Ann's console on B lists the chat started on A, and she is online on A's directory too.
    let mut ann = t.b.connect("ann@B", Some(&t.ann.1)).await;
    let chats = ann.hello_staff().await;
    assert!(chats.iter().any(|c| c.id == id), "{chats:?}");
    until_presence(
        &t.a,
        t.ann.0,
        Status::Online,
        "Ann online as node A sees it",
    )
    .await;
    ann.watch(id, 0).await;

    // An operation on B reaches the visitor on A.
    t.b.chat_op(&t.ann.1, id, "Accept").await;
    visitor.wait_for_seq(id, 2).await;
    assert!(
        matches!(&visitor.events(id)[1].event, Event::Accepted { staff } if staff.name == "Ann Lee"),
        "{:?}",
        visitor.events(id)
    );

    // Messages both ways, typing too.
    let v1 = visitor.say_ok(id, "v-1", "Hello from node A").await;
    ann.wait_for_message(id, "Hello from node A").await;
    let a1 = ann.say_ok(id, "a-1", "Hello from node B").await;
    visitor.wait_for_message(id, "Hello from node B").await;
    assert!(a1 > v1);
    ann.send(&ClientFrame::Typing {
        chat_id: id,
        typing: true,
    })
    .await;
    visitor
        .recv_until("Ann typing, from node B", |f| {
            matches!(f, ServerFrame::Typing { chat_id, name, typing: true } if *chat_id == id && name == "Ann Lee")
        })
        .await;
    visitor
        .send(&ClientFrame::Typing {
            chat_id: id,
            typing: true,
        })
        .await;
    ann.recv_until("the visitor typing, from node A", |f| {
        matches!(f, ServerFrame::Typing { chat_id, name, typing: true } if *chat_id == id && name == "Vera Visitor")
    })
    .await;

    // A file sent through A downloads from B: the data directory is shared.
    let shared: SharedFile = post_multipart(
        &t.a,
        "upload_attachment",
        None,
        &[
            ("chat_id", id.to_string()),
            ("token", started.token.clone()),
        ],
        Some(("receipt.txt", b"paid in full".as_slice())),
    )
    .await
    .expect("upload on A");
    ann.recv_until("the file, on B", |f| {
        matches!(f, ServerFrame::Events { events, .. } if events.iter().any(|e| matches!(&e.event, Event::Attachment { file, .. } if file.id == shared.id)))
    })
    .await;
    let res =
        t.b.http()
            .get(t.b.url(&format!("/files/chat/{id}/{}", shared.id)))
            .header(reqwest::header::COOKIE, format!("hd_session={}", t.ann.1))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"paid in full");

    // Forward from Ann (on B) to Bob (on A): Bob is available as B sees him.
    let mut bob = t.a.staff("bob@A", &t.bob.1).await;
    until_presence(
        &t.b,
        t.bob.0,
        Status::Online,
        "Bob online as node B sees it",
    )
    .await;
    t.b.chat_op(
        &t.ann.1,
        id,
        json!({ "Forward": { "to": t.bob.0, "note": "billing" } }),
    )
    .await;
    until_chat(&mut bob, id, "the forward offer, on A", |c| {
        c.state.forward.as_ref().is_some_and(|o| o.to.id == t.bob.0)
    })
    .await;
    t.a.chat_op(&t.bob.1, id, "AcceptForward").await;
    until_chat(&mut ann, id, "Bob owning the chat, on B", |c| {
        c.role_of(t.bob.0) == Some(Role::Owner)
    })
    .await;

    // Ending on A reaches the visitor there and Ann's list on B.
    bob.watch(id, 0).await;
    t.a.chat_op(&t.bob.1, id, "End").await;
    until_chat(&mut visitor, id, "the chat ended, on A", |c| {
        c.phase() == Phase::Ended && c.ticket_number.is_some()
    })
    .await;
    until_chat(&mut ann, id, "the chat ended, on B", |c| {
        c.phase() == Phase::Ended
    })
    .await;

    // Every socket saw every sequence number once, in order.
    for ws in [&visitor, &ann] {
        let seen = seqs(&ws.events(id));
        assert_strictly_increasing(&ws.label, &seen);
    }
    t.a.stop().await;
    t.b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_positions_and_offers_agree_across_nodes() {
    let t = two_nodes().await;
    // Nobody is online: chats wait, started alternately on A and B.
    let mut visitors = Vec::new();
    for (i, name) in ["Una", "Dov", "Tre"].into_iter().enumerate() {
        let node = if i % 2 == 0 { &t.a } else { &t.b };
        let started = node
            .start_chat(name, &format!("Question {i}"), Some(t.sales))
            .await;
        let ws = node.visitor(name, &started, 0).await;
        visitors.push((started.chat_id, ws));
    }
    for (i, (id, ws)) in visitors.iter_mut().enumerate() {
        let place = i as u32 + 1;
        until_chat(ws, *id, &format!("place {place}"), |c| {
            c.queue_position == Some(place)
        })
        .await;
    }
    // Ann comes online on B: the first chat is offered to her, and every node agrees.
    let mut ann = t.b.staff("ann@B", &t.ann.1).await;
    let first = visitors[0].0;
    until_chat(&mut ann, first, "the offer to Ann", |c| {
        c.offered_to == Some(t.ann.0)
    })
    .await;
    eventually("node A sees the offer", WAIT, || async {
        (t.a.service
            .chat(&app::server::service::Viewer::System, first)
            .await
            .is_ok_and(|c| c.offered_to == Some(t.ann.0)))
        .then_some(())
    })
    .await;
    // She accepts on B; the others move up on whichever node they are.
    t.b.chat_op(&t.ann.1, first, "Accept").await;
    for (i, (id, ws)) in visitors.iter_mut().enumerate().skip(1) {
        let place = i as u32;
        until_chat(ws, *id, &format!("moved up to {place}"), |c| {
            c.queue_position == Some(place)
        })
        .await;
    }
    t.a.stop().await;
    t.b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_dies_loses_and_duplicates_nothing() {
    let t = two_nodes().await;
    let started =
        t.a.start_chat("Vera Visitor", "Is my refund through?", Some(t.sales))
            .await;
    let id = started.chat_id;
    let mut visitor = t.a.visitor("visitor@A", &started, 0).await;
    let mut ann = t.b.staff("ann@B", &t.ann.1).await;
    // Bob's console is on A, which is about to die.
    let _bob = t.a.staff("bob@A", &t.bob.1).await;
    until_presence(&t.b, t.bob.0, Status::Online, "Bob online as B sees it").await;
    t.b.chat_op(&t.ann.1, id, "Accept").await;
    ann.watch(id, 0).await;
    let mut last = 0;
    for i in 1..=3 {
        last = visitor
            .say_ok(id, &format!("v-{i}"), &format!("before {i}"))
            .await;
    }
    visitor.wait_for_seq(id, last).await;
    ann.wait_for_message(id, "before 3").await;
    let seen_before = visitor.last_seq(id);
    assert_eq!(seen_before, last);

    // Node A dies mid-conversation; Ann goes on writing on B.
    let Two {
        dir,
        a,
        b,
        bob: (bob_id, _),
        ..
    } = t;
    a.stop().await;
    for i in 1..=2 {
        ann.say_ok(id, &format!("a-{i}"), &format!("while away {i}"))
            .await;
    }
    // The visitor's widget reconnects, to B, from where it was.
    let mut again = b.visitor("visitor@B", &started, seen_before).await;
    again.wait_for_message(id, "while away 2").await;
    let caught_up = again.events(id);
    assert_eq!(
        messages(&caught_up),
        vec![
            (seen_before + 1, "while away 1".to_string()),
            (seen_before + 2, "while away 2".to_string())
        ],
        "exactly what was missed"
    );
    again.say_ok(id, "v-4", "after").await;
    ann.wait_for_message(id, "after").await;
    let all: Vec<i64> = seqs(&visitor.events(id))
        .into_iter()
        .chain(seqs(&again.events(id)))
        .collect();
    assert_strictly_increasing("the visitor's sequences across both nodes", &all);
    for body in ["before 1", "before 3", "while away 1", "after"] {
        assert_eq!(message_rows(dir.path(), body).await, 1, "{body}");
    }
    // Bob's console died with A: B counts him offline once A's silence times out.
    until_presence(&b, bob_id, Status::Offline, "Bob offline once A is gone").await;
    b.stop().await;
}

/// A node's farewell (what `server` says when it stops cleanly) takes its staff offline on the
/// other nodes at once. Beats and the timeout here are far longer than any wait, and Bob's
/// console stays open, so only the farewell can do it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_leaves_takes_its_staff_offline_at_once() {
    let t = two_nodes_with(Liveness {
        heartbeat: Duration::from_secs(600),
        timeout: Duration::from_secs(600),
    })
    .await;
    let bob = t.bob.0;
    let _console = t.a.staff("bob@A", &t.bob.1).await;
    until_presence(&t.b, bob, Status::Online, "Bob online as B sees it").await;
    t.a.service.leave_cluster().await;
    until_presence(&t.b, bob, Status::Offline, "Bob offline on B once A left").await;
    t.a.stop().await;
    t.b.stop().await;
}

/// A node whose heartbeats stalled past the timeout (a loaded machine, a long pause) is
/// forgotten by the others, and its staff go offline there. Once it beats again they must be
/// back online everywhere, though nothing else changed to tell the others. Here B forgets A the
/// way B's heartbeat would (A's row goes, B reloads) while A goes on beating.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_forgotten_while_stalled_brings_its_staff_back() {
    let t = two_nodes().await;
    let bob = t.bob.0;
    let _console = t.a.staff("bob@A", &t.bob.1).await;
    until_presence(&t.b, bob, Status::Online, "Bob online as B sees it").await;
    let url = postgres_config_for(t.dir.path()).await.database_url;
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    // Retried in case A beats between the two steps: then B has not forgotten it yet.
    eventually("B to forget A", WAIT, || {
        let db = db.clone();
        let b = &t.b;
        async move {
            sqlx::query(
                "DELETE FROM nodes WHERE id IN \
                 (SELECT node_id FROM node_presence WHERE staff_id = $1)",
            )
            .bind(bob)
            .execute(&db)
            .await
            .unwrap();
            b.service.refresh_directory().await.unwrap();
            (presence_on(b, bob) == Some(Status::Offline)).then_some(())
        }
    })
    .await;
    until_presence(
        &t.b,
        bob,
        Status::Online,
        "Bob online on B again once A beats",
    )
    .await;
    db.close().await;
    t.a.stop().await;
    t.b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_lost_its_listener_catches_up() {
    let t = two_nodes().await;
    let started =
        t.a.start_chat("Vera Visitor", "Are you there?", Some(t.sales))
            .await;
    let id = started.chat_id;
    let mut visitor = t.a.visitor("visitor@A", &started, 0).await;
    let mut ann = t.b.staff("ann@B", &t.ann.1).await;
    t.b.chat_op(&t.ann.1, id, "Accept").await;
    ann.watch(id, 0).await;
    visitor.wait_for_seq(id, 2).await;
    ann.sync().await;
    let lists = |frames: &[ServerFrame]| {
        frames
            .iter()
            .filter(|f| matches!(f, ServerFrame::Chats { .. }))
            .count()
    };
    let lists_before = lists(&ann.frames);

    // Cut every listening connection, then write at once: the hint may go nowhere.
    let url = postgres_config_for(t.dir.path()).await.database_url;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(cut.len() >= 2, "one listener per node: {cut:?}");
    visitor.say_ok(id, "v-1", "during the cut").await;

    // B resynchronises: Ann's console gets the list afresh and the message, in either order
    // (the message may come by a hint of the new listener before the resync's list).
    ann.wait_for_message(id, "during the cut").await;
    if lists(&ann.frames) == lists_before {
        ann.recv_until("a fresh chat list after the resync", |f| {
            matches!(f, ServerFrame::Chats { .. })
        })
        .await;
    }
    assert!(lists(&ann.frames) > lists_before);
    // And hints flow again afterwards.
    visitor.say_ok(id, "v-2", "after the cut").await;
    ann.wait_for_message(id, "after the cut").await;
    assert_strictly_increasing("Ann's sequences", &seqs(&ann.events(id)));
    t.a.stop().await;
    t.b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_sends_each_email_once_with_two_nodes() {
    let t = two_nodes().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let started =
            t.a.start_chat(&format!("Mia {i}"), "Please email me", Some(t.sales))
                .await;
        ids.push(started.chat_id);
    }
    // Both nodes deliver at the same time, over and over, while the emails are queued.
    let deliver = |node: &TestServer| {
        let service = node.service.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                let _ = service.deliver_mail().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let (da, db) = (deliver(&t.a), deliver(&t.b));
    for (i, id) in ids.iter().enumerate() {
        let node = if i % 2 == 0 { &t.a } else { &t.b };
        node.chat_op(&t.ann.1, *id, "Accept").await;
        let closing = json!({ "End": { "subject": "Mail", "status": "Open", "assignee": null, "send_email": true } });
        call_raw(
            node,
            Some(&t.ann.1),
            "create_ticket",
            json!({ "chat_id": id, "closing": closing }),
        )
        .await
        .expect("End chat makes a ticket");
    }
    da.await.unwrap();
    db.await.unwrap();
    // A delivery writes the file before it records the outcome, so wait for the records.
    let url = postgres_config_for(t.dir.path()).await.database_url;
    let outbox_rows = || async {
        let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_as::<_, (String, i64)>("SELECT status, attempts FROM outbox ORDER BY id")
            .fetch_all(&mut db)
            .await
            .unwrap()
    };
    eventually("every email recorded", WAIT, || async {
        let rows = outbox_rows().await;
        (rows.len() == ids.len() && rows.iter().all(|(status, _)| status != "queued")).then_some(())
    })
    .await;
    // Give a second delivery every chance to happen, then count.
    t.a.service.deliver_mail().await.unwrap();
    t.b.service.deliver_mail().await.unwrap();
    let outbox = t.dir.path().join("outbox");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), ids.len());
    let attempts = outbox_rows().await;
    assert_eq!(attempts, vec![("written".to_string(), 1); ids.len()]);
    t.a.stop().await;
    t.b.stop().await;
}
