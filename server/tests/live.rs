//! HTTP and WebSocket tests against the real router on a random port (DESIGN.md §8).
//!
//! Each test gets its own data directory and server. Waits are bounded (see `common::WAIT`), and
//! "nothing else arrived" is checked with a Ping/Pong barrier, never with a sleep.

mod common;

use app::api::ApiError;
use app::protocol::{ClientFrame, ErrorCode, ServerFrame, VisitorAuth};
use app::rules::{Event, Phase, Role, MAX_MESSAGE_CHARS};
use common::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

async fn setup() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    (dir, server)
}

fn error_codes(frames: &[ServerFrame]) -> Vec<ErrorCode> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Error { code, .. } => Some(*code),
            _ => None,
        })
        .collect()
}

/// Test 1: a visitor who drops off and comes back gets exactly what they missed, then live
/// messages keep flowing, and no sequence number is ever seen twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_visitor_gets_exactly_the_missed_events() {
    let (_dir, srv) = setup().await;
    let sales = srv.add_department("Sales").await;
    srv.add_staff("Alice Agent", "alice@example.com", &["Sales"])
        .await;
    let alice = srv.login("alice@example.com").await;
    let chat = srv
        .start_chat("Vera Visitor", "Where is my order?", Some(sales))
        .await;
    let id = chat.chat_id;

    let mut visitor = srv.visitor("visitor", &chat, 0).await;
    assert_eq!(
        messages(&visitor.events(id)),
        vec![(1, "Where is my order?".to_string())]
    );
    let mut staff = srv.staff("alice", &alice).await;
    let transcript = staff.watch(id, 0).await;
    assert_eq!(
        seqs(&transcript),
        vec![1],
        "staff sees the waiting chat's question"
    );

    srv.chat_op(&alice, id, "Accept").await;
    visitor.wait_for_seq(id, 2).await;
    assert!(
        matches!(&visitor.events(id)[1].event, Event::Accepted { staff } if staff.name == "Alice Agent"),
        "the visitor is told who accepted: {:?}",
        visitor.events(id)
    );

    let mut acks = Vec::new();
    for i in 1..=3 {
        acks.push(
            visitor
                .say_ok(id, &format!("v-{i}"), &format!("visitor message {i}"))
                .await,
        );
    }
    assert_strictly_increasing("acks", &acks);
    visitor.wait_for_seq(id, acks[2]).await;
    visitor.sync().await;
    let before = visitor.events(id);
    let last_seen = visitor.last_seq(id);
    assert_eq!(last_seen, acks[2]);
    assert_eq!(
        visitor_messages(&before),
        [
            "Where is my order?",
            "visitor message 1",
            "visitor message 2",
            "visitor message 3"
        ]
    );
    visitor.close().await;

    // While the visitor is away.
    let s1 = staff.say_ok(id, "s-1", "staff reply 1").await;
    let s2 = staff.say_ok(id, "s-2", "staff reply 2").await;
    assert_eq!((s1, s2), (last_seen + 1, last_seen + 2));

    let mut back = srv.connect("visitor again", None).await;
    back.hello_visitor(id, &chat.token).await;
    let missed = back.watch(id, last_seen).await;
    assert_eq!(
        messages(&missed),
        vec![
            (s1, "staff reply 1".to_string()),
            (s2, "staff reply 2".to_string())
        ]
    );
    assert_eq!(missed.len(), 2, "exactly the missed events: {missed:?}");

    // Live messages still flow both ways.
    let s3 = staff.say_ok(id, "s-3", "staff reply 3").await;
    back.wait_for_seq(id, s3).await;
    let v4 = back.say_ok(id, "v-4", "visitor message 4").await;
    staff.wait_for_seq(id, v4).await;
    back.wait_for_seq(id, v4).await;
    back.sync().await;
    staff.sync().await;

    let session: Vec<_> = before
        .iter()
        .chain(back.events(id).iter())
        .cloned()
        .collect();
    let visitor_seqs = seqs(&session);
    assert_strictly_increasing("the visitor's whole session", &visitor_seqs);
    assert_eq!(
        visitor_seqs,
        (1..=v4).collect::<Vec<_>>(),
        "every event once, none missing"
    );
    let staff_seqs = seqs(&staff.events(id));
    assert_strictly_increasing("staff", &staff_seqs);
    assert_eq!(staff_seqs, (1..=v4).collect::<Vec<_>>());
    assert!(back.errors().is_empty() && staff.errors().is_empty());
}

/// Test 2: a visitor's token opens their own chat and nothing else; staff operations need a
/// session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_token_reaches_only_its_own_chat() {
    let (_dir, srv) = setup().await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    let alice = srv.login("alice@example.com").await;
    let a = srv.start_chat("Ann A", "Question from A", None).await;
    let b = srv
        .start_chat("Ben B", "Secret question from B", None)
        .await;
    assert_ne!(a.chat_id, b.chat_id);

    let mut va = srv.visitor("visitor A", &a, 0).await;

    // Watching chat B: NotFound, and nothing of B.
    va.send(&ClientFrame::Watch {
        chat_id: b.chat_id,
        after: 0,
    })
    .await;
    let frames = va.sync().await;
    assert_eq!(
        error_codes(&frames),
        vec![ErrorCode::NotFound],
        "frames: {frames:?}"
    );
    assert!(events_in(&va.frames, b.chat_id).is_empty());
    assert!(
        va.frames_mentioning("Ben B").is_empty()
            && va.frames_mentioning("Secret question").is_empty(),
        "chat B leaked to visitor A: {:?}",
        va.frames_mentioning("B")
    );

    // Sending into chat B is refused and stores nothing.
    let refused = va.say(b.chat_id, "sneak-1", "sneaky text from A").await;
    assert_eq!(refused, Err(ErrorCode::NotFound));
    let mut staff = srv.staff("alice", &alice).await;
    let b_events = staff.watch(b.chat_id, 0).await;
    assert_eq!(
        messages(&b_events),
        vec![(1, "Secret question from B".to_string())],
        "B's transcript as staff read it"
    );
    // Visitor A's own chat still works on the same socket.
    va.say_ok(a.chat_id, "own-1", "still here").await;
    assert!(va.frames_mentioning("Ben B").is_empty());

    // Hello naming chat B with chat A's token: refused and closed.
    let mut forger = srv.connect("forger", None).await;
    forger
        .send(&ClientFrame::Hello {
            visitor: Some(VisitorAuth {
                chat_id: b.chat_id,
                token: a.token.clone(),
            }),
        })
        .await;
    match forger.recv().await {
        ServerFrame::Error { code, .. } => assert!(
            matches!(code, ErrorCode::Unauthorized | ErrorCode::NotFound),
            "code {code:?}"
        ),
        other => panic!("expected an Error frame, got {other:?}"),
    }
    forger.expect_close().await;
    assert!(!forger
        .frames
        .iter()
        .any(|f| matches!(f, ServerFrame::Ready)));

    // A socket that does not say hello gets nothing; one claiming to be staff without a session
    // is refused and closed.
    let mut rude = srv.connect("no hello", None).await;
    rude.send(&ClientFrame::Watch {
        chat_id: b.chat_id,
        after: 0,
    })
    .await;
    let frames = rude.sync().await;
    assert_eq!(error_codes(&frames), vec![ErrorCode::Unauthorized]);
    assert!(events_in(&frames, b.chat_id).is_empty());
    let mut fake_staff = srv.connect("fake staff", Some("not-a-session")).await;
    fake_staff.send(&ClientFrame::Hello { visitor: None }).await;
    assert!(matches!(
        fake_staff.recv().await,
        ServerFrame::Error {
            code: ErrorCode::Unauthorized,
            ..
        }
    ));
    fake_staff.expect_close().await;

    // Staff operations without (or with a made-up) session are refused.
    for session in [None, Some("0123456789abcdef")] {
        let (status, body) = srv.chat_op_raw(session, b.chat_id, "Accept").await;
        assert!(
            !status.is_success(),
            "chat_op with session {session:?} answered {status}: {body}"
        );
        let err: ApiError =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("body {body:?}: {e}"));
        assert_eq!(err, ApiError::Unauthorized);
    }
    let open = srv.service.open_chats().await.unwrap();
    let chat_b = open
        .iter()
        .find(|c| c.id == b.chat_id)
        .expect("chat B is open");
    assert_eq!(
        chat_b.phase(),
        Phase::Waiting,
        "the refused Accept changed nothing"
    );
    assert_eq!(chat_b.last_seq, 1);
}

/// A socket need not wait for each Ack: messages sent back to back are stored in the order
/// sent (group commit may take several at once), each acknowledged in that order, and the
/// other party receives them once each, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_back_to_back_keep_their_order() {
    let (_dir, srv) = setup().await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    let alice = srv.login("alice@example.com").await;
    let chat = srv.start_chat("Vera Visitor", "Hello?", None).await;
    let id = chat.chat_id;
    let mut staff = srv.staff("alice", &alice).await;
    staff.watch(id, 0).await;
    srv.chat_op(&alice, id, "Accept").await;
    let mut visitor = srv.visitor("visitor", &chat, 0).await;

    const N: usize = 40;
    for i in 0..N {
        visitor
            .send(&ClientFrame::Send {
                chat_id: id,
                client_id: format!("burst-{i}"),
                body: format!("burst {i}"),
            })
            .await;
    }
    let last_id = format!("burst-{}", N - 1);
    let frames = visitor
        .recv_until(
            "the last Ack",
            |f| matches!(f, ServerFrame::Ack { client_id, .. } if *client_id == last_id),
        )
        .await;
    let acks: Vec<(String, i64)> = frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Ack { client_id, seq, .. } => Some((client_id.clone(), *seq)),
            _ => None,
        })
        .collect();
    let first = acks[0].1;
    let expected: Vec<(String, i64)> = (0..N)
        .map(|i| (format!("burst-{i}"), first + i as i64))
        .collect();
    assert_eq!(acks, expected, "one Ack each, in the order sent");

    let last = first + N as i64 - 1;
    staff.wait_for_seq(id, last).await;
    staff.sync().await;
    let bodies: Vec<String> = messages(&staff.events(id))
        .into_iter()
        .filter(|(_, b)| b.starts_with("burst "))
        .map(|(_, b)| b)
        .collect();
    let sent: Vec<String> = (0..N).map(|i| format!("burst {i}")).collect();
    assert_eq!(bodies, sent, "the other party gets each once, in order");
}

/// Test 3: a retried Send (same client_id) is stored once, also across a reconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_send_is_stored_once() {
    let (_dir, srv) = setup().await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    let alice = srv.login("alice@example.com").await;
    let chat = srv.start_chat("Vera Visitor", "Hello?", None).await;
    let id = chat.chat_id;
    let mut staff = srv.staff("alice", &alice).await;
    staff.watch(id, 0).await;
    srv.chat_op(&alice, id, "Accept").await;

    let mut visitor = srv.visitor("visitor", &chat, 0).await;
    let first = visitor.say_ok(id, "retry-me-1", "only once please").await;
    let second = visitor.say_ok(id, "retry-me-1", "only once please").await;
    assert_eq!(first, second, "both Acks name the stored message");
    visitor.wait_for_seq(id, first).await;
    visitor.sync().await;
    let bodies: Vec<_> = messages(&visitor.events(id));
    assert_eq!(
        bodies
            .iter()
            .filter(|(_, b)| b == "only once please")
            .count(),
        1,
        "the visitor saw it once: {bodies:?}"
    );
    let last = visitor.last_seq(id);
    visitor.close().await;

    // The tab reconnects and replays its unacknowledged send.
    let mut again = srv.connect("visitor again", None).await;
    again.hello_visitor(id, &chat.token).await;
    assert!(again.watch(id, last).await.is_empty());
    let third = again.say_ok(id, "retry-me-1", "only once please").await;
    assert_eq!(third, first);
    assert!(
        events_in(&again.sync().await, id).is_empty(),
        "a duplicate publishes nothing"
    );

    // A later message follows straight on: the duplicates took no sequence numbers.
    let next = again.say_ok(id, "retry-me-2", "and then this").await;
    assert_eq!(next, first + 1);

    staff.wait_for_seq(id, next).await;
    staff.sync().await;
    let live = messages(&staff.events(id));
    assert_eq!(
        live.iter().filter(|(_, b)| b == "only once please").count(),
        1,
        "{live:?}"
    );
    assert_strictly_increasing("staff", &seqs(&staff.events(id)));
    let mut fresh = srv.staff("alice 2", &alice).await;
    let stored = messages(&fresh.watch(id, 0).await);
    assert_eq!(
        stored,
        vec![
            (1, "Hello?".to_string()),
            (first, "only once please".to_string()),
            (next, "and then this".to_string())
        ]
    );
}

/// Test 4: malformed frames are answered with bad_frame and leave the socket usable; overlong
/// messages and a monitor's messages are refused; a monitor stays invisible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_and_refused_sends_keep_the_socket_usable() {
    let (_dir, srv) = setup().await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    srv.add_staff("Bob Monitor", "bob@example.com", &[]).await;
    let alice = srv.login("alice@example.com").await;
    let bob = srv.login("bob@example.com").await;
    let chat = srv.start_chat("Vera Visitor", "Hello?", None).await;
    let id = chat.chat_id;

    let mut visitor = srv.visitor("visitor", &chat, 0).await;

    for bad in [
        "this is not json",
        r#"{"dance":{"chat_id":1}}"#,
        r#"{"send":{"chat_id":"x"}}"#,
    ] {
        visitor.send_raw(bad).await;
        let frames = visitor.sync().await;
        assert_eq!(
            error_codes(&frames),
            vec![ErrorCode::BadFrame],
            "{bad:?} gave {frames:?}"
        );
    }

    // Longest allowed message (counted in characters, not bytes) is accepted; one more is not.
    let longest = "é".repeat(MAX_MESSAGE_CHARS);
    visitor.say_ok(id, "longest", &longest).await;
    let too_long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    visitor
        .send(&ClientFrame::Send {
            chat_id: id,
            client_id: "too-long".into(),
            body: too_long,
        })
        .await;
    let frames = visitor.sync().await;
    let errors: Vec<_> = frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Error {
                code, client_id, ..
            } => Some((*code, client_id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        vec![(ErrorCode::Refused, Some("too-long".to_string()))]
    );
    visitor.wait_for_message(id, &longest).await;
    let stored = messages(&visitor.events(id));
    assert_eq!(stored.iter().filter(|(_, b)| *b == longest).count(), 1);
    assert!(
        !stored.iter().any(|(_, b)| b.starts_with("xxxx")),
        "nothing stored for an overlong message"
    );

    // A monitor cannot send, and nobody but the monitor learns of them.
    let mut staff_a = srv.staff("alice", &alice).await;
    staff_a.watch(id, 0).await;
    srv.chat_op(&alice, id, "Accept").await;
    visitor.wait_for_seq(id, 3).await;
    let mut staff_b = srv.staff("bob", &bob).await;
    staff_b.watch(id, 0).await;
    let me_b = srv.service.staff_for_session(&bob).await.unwrap().unwrap();
    // Everything before the invisible join has arrived: the visitor's chat channel and alice's
    // chat list (a new chat shows up after all earlier changes).
    visitor.sync().await;
    staff_a.staff_feed_barrier(&srv, "Marker One").await;
    let (visitor_mark, alice_mark) = (visitor.frames.len(), staff_a.frames.len());

    srv.chat_op(&bob, id, "JoinInvisibly").await;
    staff_b
        .recv_until("bob's ChatChanged as monitor", |f| {
            matches!(f, ServerFrame::ChatChanged { chat } if chat.id == id && chat.role_of(me_b.id) == Some(Role::Monitor))
        })
        .await;
    assert_eq!(
        staff_b.say(id, "monitor-1", "can anyone hear me").await,
        Err(ErrorCode::Refused)
    );

    let hello = staff_a.say_ok(id, "alice-1", "Alice here").await;
    visitor.wait_for_seq(id, hello).await;
    staff_b.wait_for_seq(id, hello).await;
    staff_a.staff_feed_barrier(&srv, "Marker Two").await;
    visitor.sync().await;
    staff_b.sync().await;

    // Not even a changed summary tells the others that something happened (DESIGN.md §3).
    for (ws, mark) in [(&visitor, visitor_mark), (&staff_a, alice_mark)] {
        let changed: Vec<_> = ws.frames[mark..]
            .iter()
            .filter(|f| matches!(f, ServerFrame::ChatChanged { chat } if chat.id == id))
            .collect();
        assert!(
            changed.is_empty(),
            "{} heard of the invisible join: {changed:?}",
            ws.label
        );
    }
    for ws in [&visitor, &staff_a] {
        let leaks: Vec<_> = ["Bob Monitor", "bob@example.com", "can anyone hear me"]
            .iter()
            .flat_map(|needle| ws.frames_mentioning(needle))
            .collect();
        assert!(
            leaks.is_empty(),
            "{} learned of the monitor: {leaks:?}",
            ws.label
        );
    }
    assert!(
        messages(&staff_b.events(id))
            .iter()
            .any(|(_, b)| b == "Hello?"),
        "the monitor reads the transcript: {:?}",
        staff_b.events(id)
    );
    assert!(staff_b.frames_mentioning("can anyone hear me").is_empty());
    assert!(!messages(&staff_a.events(id))
        .iter()
        .any(|(_, b)| b.contains("can anyone")));

    // Binary frames are refused too; the socket still answers.
    visitor.send_binary(b"\"ping\"").await;
    let frames = visitor.sync().await;
    assert_eq!(error_codes(&frames), vec![ErrorCode::BadFrame]);
}

/// A monitor who was already looking at the chat gets its transcript as soon as they join
/// invisibly, without waiting for somebody to say something.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_invisibly_delivers_the_transcript_at_once() {
    let (_dir, srv) = setup().await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    srv.add_staff("Bob Monitor", "bob@example.com", &[]).await;
    let alice = srv.login("alice@example.com").await;
    let bob = srv.login("bob@example.com").await;
    let chat = srv.start_chat("Vera Visitor", "Hello?", None).await;
    let id = chat.chat_id;
    srv.chat_op(&alice, id, "Accept").await;

    let mut staff_b = srv.staff("bob", &bob).await;
    assert!(
        staff_b.watch(id, 0).await.is_empty(),
        "an active chat is closed to non-members"
    );
    let me_b = srv.service.staff_for_session(&bob).await.unwrap().unwrap();
    srv.chat_op(&bob, id, "JoinInvisibly").await;
    staff_b
        .recv_until("bob's ChatChanged as monitor", |f| {
            matches!(f, ServerFrame::ChatChanged { chat } if chat.id == id && chat.role_of(me_b.id) == Some(Role::Monitor))
        })
        .await;
    // No new event comes to prompt it: the join itself must bring the transcript.
    staff_b.wait_for_seq(id, 2).await;
    assert_eq!(seqs(&staff_b.events(id)), vec![1, 2]);
}

/// An event meant for staff (an invitation) never goes down a visitor's socket, neither live nor
/// when read back from storage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_only_events_never_reach_the_visitor() {
    let (_dir, srv) = setup().await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    let carol = srv
        .add_staff("Carol Colleague", "carol@example.com", &[])
        .await;
    let alice = srv.login("alice@example.com").await;
    let carol_session = srv.login("carol@example.com").await;
    let chat = srv.start_chat("Vera Visitor", "Hello?", None).await;
    let id = chat.chat_id;

    // Carol's open console makes her online, so she can be invited.
    let mut staff_c = srv.staff("carol", &carol_session).await;
    let mut staff_a = srv.staff("alice", &alice).await;
    staff_a.watch(id, 0).await;
    srv.chat_op(&alice, id, "Accept").await;
    let mut visitor = srv.visitor("visitor", &chat, 0).await;

    srv.chat_op(
        &alice,
        id,
        serde_json::json!({ "Invite": { "to": carol.id, "note": "Can you help with this?" } }),
    )
    .await;
    staff_a
        .recv_until("the invitation in alice's transcript", |f| {
            matches!(f, ServerFrame::Events { events, .. } if events.iter().any(|e| matches!(e.event, Event::Invited { .. })))
        })
        .await;
    let invited_seq = staff_a
        .events(id)
        .iter()
        .find(|e| matches!(e.event, Event::Invited { .. }))
        .unwrap()
        .seq;
    let after = staff_a.say_ok(id, "a-1", "One moment please").await;
    visitor.wait_for_seq(id, after).await;
    visitor.sync().await;

    let expected: Vec<i64> = (1..=after).filter(|s| *s != invited_seq).collect();
    assert_eq!(
        seqs(&visitor.events(id)),
        expected,
        "live: everything but the invitation"
    );
    for needle in ["Carol", "Can you help"] {
        assert!(
            visitor.frames_mentioning(needle).is_empty(),
            "the visitor learned of the invitation: {:?}",
            visitor.frames_mentioning(needle)
        );
    }
    let mut reload = srv.connect("visitor reload", None).await;
    reload.hello_visitor(id, &chat.token).await;
    assert_eq!(
        seqs(&reload.watch(id, 0).await),
        expected,
        "from storage: the same"
    );
    assert!(reload.frames_mentioning("Carol").is_empty());

    // The invitee may read the chat and sees the invitation.
    let seen_by_carol = staff_c.watch(id, 0).await;
    assert_eq!(seqs(&seen_by_carol), (1..=after).collect::<Vec<_>>());
}

/// Test 5: a staff socket gets the open chats after Ready, then every new chat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_get_the_chat_list_and_new_chats() {
    let (_dir, srv) = setup().await;
    let support = srv.add_department("Support").await;
    srv.add_staff("Alice Agent", "alice@example.com", &["Support"])
        .await;
    let alice = srv.login("alice@example.com").await;
    let early = srv.start_chat("Early Bird", "First!", Some(support)).await;

    let mut staff = srv.connect("alice", Some(&alice)).await;
    // Ready, then (after the directory) the open chats.
    let chats = staff.hello_staff().await;
    let listed = chats
        .iter()
        .find(|c| c.id == early.chat_id)
        .expect("the open chat is listed");
    assert_eq!(listed.visitor.name, "Early Bird");
    assert_eq!(
        listed.visitor.department.as_ref().map(|d| d.id),
        Some(support)
    );
    assert_eq!(listed.phase(), Phase::Waiting);

    let late = srv.start_chat("Late Comer", "Am I too late?", None).await;
    let frames = staff
        .recv_until(
            "ChatChanged for the new chat",
            |f| matches!(f, ServerFrame::ChatChanged { chat } if chat.id == late.chat_id),
        )
        .await;
    match frames.last().unwrap() {
        ServerFrame::ChatChanged { chat } => {
            assert_eq!(chat.visitor.name, "Late Comer");
            assert_eq!(chat.visitor.question, "Am I too late?");
            assert_eq!(chat.phase(), Phase::Waiting);
            assert_eq!(chat.last_seq, 1);
        }
        _ => unreachable!(),
    }

    // An accepted chat is announced too, with its new owner.
    srv.chat_op(&alice, late.chat_id, "Accept").await;
    staff
        .recv_until("ChatChanged for the accepted chat", |f| {
            matches!(f, ServerFrame::ChatChanged { chat } if chat.id == late.chat_id && chat.phase() == Phase::Active)
        })
        .await;
}

/// Test 6: stopping the server and starting another on the same data directory loses nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(dir.path()).await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    let alice = srv.login("alice@example.com").await;
    let chat = srv
        .start_chat("Vera Visitor", "Still there after a restart?", None)
        .await;
    let id = chat.chat_id;

    let mut staff = srv.staff("alice", &alice).await;
    staff.watch(id, 0).await;
    srv.chat_op(&alice, id, "Accept").await;
    let mut visitor = srv.visitor("visitor", &chat, 0).await;
    visitor.say_ok(id, "v-1", "before the restart").await;
    let s1 = staff.say_ok(id, "s-1", "me too").await;
    visitor.wait_for_seq(id, s1).await;
    visitor.sync().await;
    let before = visitor.events(id);
    let last_seen = visitor.last_seq(id);
    assert_eq!(last_seen, s1);
    let first_addr = srv.addr;

    srv.stop().await;
    for ws in [&mut visitor, &mut staff] {
        let close = ws.expect_close().await;
        let close = close.unwrap_or_else(|| panic!("{} got no close frame", ws.label));
        assert_eq!(close.code, CloseCode::Restart, "{}: {close:?}", ws.label);
    }

    let srv = TestServer::start(dir.path()).await;
    assert_ne!(srv.addr, first_addr);
    // The session and the visitor's token survive the restart.
    let mut staff = srv.staff("alice after restart", &alice).await;
    assert_eq!(seqs(&staff.watch(id, last_seen).await), Vec::<i64>::new());
    let s2 = staff.say_ok(id, "s-2", "after the restart").await;
    let s3 = staff.say_ok(id, "s-3", "still here").await;
    assert_eq!(
        (s2, s3),
        (last_seen + 1, last_seen + 2),
        "sequences carry on"
    );
    // A duplicate of a send from before the restart is still recognised.
    assert_eq!(staff.say_ok(id, "s-1", "me too").await, s1);

    let mut visitor = srv.connect("visitor after restart", None).await;
    visitor.hello_visitor(id, &chat.token).await;
    let after = visitor.watch(id, last_seen).await;
    assert_eq!(
        messages(&after),
        vec![
            (s2, "after the restart".to_string()),
            (s3, "still here".to_string())
        ]
    );
    assert_eq!(after.len(), 2);

    let mut full = srv.connect("visitor full reload", None).await;
    full.hello_visitor(id, &chat.token).await;
    let everything = full.watch(id, 0).await;
    let expected: Vec<_> = before.iter().chain(after.iter()).cloned().collect();
    assert_eq!(
        everything, expected,
        "the stored transcript is what was delivered"
    );
    srv.stop().await;
}

/// Test 7: the health check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_ok() {
    let (_dir, srv) = setup().await;
    let res = srv.http().get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
}

/// Sign-in with a wrong password sets no cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_opens_no_session() {
    let (_dir, srv) = setup().await;
    srv.add_staff("Alice Agent", "alice@example.com", &[]).await;
    let res = srv
        .http()
        .post(srv.url("/api/login"))
        .form(&[
            ("email", "alice@example.com"),
            ("password", "wrong-password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success(), "status {}", res.status());
    assert!(
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .all(
                |c| !c.to_str().unwrap_or_default().starts_with("hd_session=")
                    || c.to_str().unwrap().starts_with("hd_session=;")
            ),
        "no session cookie on a failed sign-in"
    );
    let body = res.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<ApiError>(&body).ok(),
        Some(ApiError::BadLogin),
        "{body}"
    );
}

/// Whether the newest Events frame of the chat on this socket said older history remains.
fn said_earlier(ws: &Ws, chat_id: app::model::ChatId) -> bool {
    ws.frames
        .iter()
        .rev()
        .find_map(|f| match f {
            ServerFrame::Events {
                chat_id: c,
                earlier,
                ..
            } if *c == chat_id => Some(*earlier),
            _ => None,
        })
        .expect("an Events frame of the chat")
}

/// A long chat comes in pages: a tab with nothing gets the newest page and word of more, each
/// Earlier the page before it, a tab catching up everything it missed; nobody pages a chat
/// they do not watch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_chat_comes_in_pages() {
    let (_dir, srv) = setup().await;
    let sales = srv.add_department("Sales").await;
    srv.add_staff("Alice Agent", "alice@example.com", &["Sales"])
        .await;
    let alice = srv.login("alice@example.com").await;
    let chat = srv
        .start_chat("Vera Visitor", "Where is my order?", Some(sales))
        .await;
    let other = srv.start_chat("Otto Other", "Someone else's", None).await;
    let id = chat.chat_id;
    srv.chat_op(&alice, id, "Accept").await;
    let mut visitor = srv.visitor("visitor", &chat, 0).await;
    // The question is 1, the acceptance 2, then 250 lines: 252 events.
    let mut last = 0;
    for i in 1..=250 {
        last = visitor
            .say_ok(id, &format!("v-{i}"), &format!("line {i}"))
            .await;
    }
    assert_eq!(last, 252);

    let mut staff = srv.staff("alice", &alice).await;
    assert_eq!(
        seqs(&staff.watch(id, 0).await),
        (153..=252).collect::<Vec<_>>()
    );
    assert!(said_earlier(&staff, id));
    staff
        .send(&ClientFrame::Earlier {
            chat_id: id,
            before: 153,
        })
        .await;
    assert_eq!(
        seqs(&events_in(&staff.sync().await, id)),
        (53..=152).collect::<Vec<_>>()
    );
    assert!(said_earlier(&staff, id));
    staff
        .send(&ClientFrame::Earlier {
            chat_id: id,
            before: 53,
        })
        .await;
    let first = events_in(&staff.sync().await, id);
    assert_eq!(seqs(&first), (1..=52).collect::<Vec<_>>());
    assert!(
        !said_earlier(&staff, id),
        "the first page says nothing is left"
    );
    assert_eq!(messages(&first)[0], (1, "Where is my order?".to_string()));

    // Catching up is never cut short: all 152 events after 100.
    let mut back = srv.visitor("visitor again", &chat, 100).await;
    assert_eq!(seqs(&back.events(id)), (101..=252).collect::<Vec<_>>());

    // Paging a chat not watched (another visitor's, or any for staff) is refused, and tells nothing.
    back.send(&ClientFrame::Earlier {
        chat_id: other.chat_id,
        before: 10,
    })
    .await;
    let frames = back.sync().await;
    assert_eq!(
        error_codes(&frames),
        vec![ErrorCode::BadFrame],
        "{frames:?}"
    );
    assert!(back.frames_mentioning("Someone else").is_empty());
    staff
        .send(&ClientFrame::Earlier {
            chat_id: other.chat_id,
            before: 10,
        })
        .await;
    assert_eq!(error_codes(&staff.sync().await), vec![ErrorCode::BadFrame]);
}

/// A long chat list comes in frames of at most `CHAT_LIST_CHUNK` chats, each chat once, so no
/// socket keeps a write buffer the size of the whole list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_chat_list_comes_in_small_frames() {
    let (_dir, srv) = setup().await;
    srv.add_admin("Alice Agent", "alice@example.com").await;
    let alice = srv.login("alice@example.com").await;
    let mut started = Vec::new();
    for i in 0..230 {
        started.push(
            srv.start_chat(&format!("Visitor {i}"), "Hello?", None)
                .await
                .chat_id,
        );
    }
    let mut staff = srv.connect("alice", Some(&alice)).await;
    let mut listed: Vec<_> = staff.hello_staff().await.iter().map(|c| c.id).collect();
    listed.sort_unstable();
    assert_eq!(listed, started, "every open chat, once");
    let sizes: Vec<usize> = staff
        .frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Chats { chats } | ServerFrame::MoreChats { chats } => Some(chats.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, vec![100, 100, 30]);
}
