//! The storage suite: every [`Store`] backend must pass it (DESIGN.md §8).
//!
//! The checks live in `suite`, as functions of an `Arc<dyn Store>` on an empty database, so that a
//! PostgreSQL backend runs the very same ones; the bottom of this file runs them against a fresh
//! SQLite file and a fresh PostgreSQL database each.

#![cfg(feature = "ssr")]

mod common;

use app::model::{ChatId, ChatSummary, Visitor};
use app::routing::Route;
use app::rules::{self, Actor, Command, Event, StaffRef};
use app::server::store::{AuditNote, Batched, NewChat, NewStaff, Store, StoreError};
use std::sync::Arc;

const NOW: i64 = 1_700_000_000_000;

pub mod suite {
    use super::*;
    use app::model::Status;
    use app::rules::{Author, EndReason, Phase, Refusal, Role};

    fn new_staff(name: &str, email: &str, department_ids: Vec<i64>) -> NewStaff {
        NewStaff {
            name: name.into(),
            email: email.into(),
            password_hash: "not-a-real-hash".into(),
            is_admin: false,
            department_ids,
        }
    }

    async fn staff(store: &Arc<dyn Store>, name: &str) -> StaffRef {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        store
            .add_staff(new_staff(name, &email, vec![]), NOW)
            .await
            .expect("add staff")
            .as_ref()
    }

    fn visitor(name: &str, question: &str) -> Visitor {
        Visitor {
            name: name.into(),
            email: "visitor@example.com".into(),
            question: question.into(),
            department: None,
            page_url: Some("https://shop.example.com/".into()),
        }
    }

    /// Creates a waiting chat whose event 1 is the visitor's question.
    async fn chat(
        store: &Arc<dyn Store>,
        token_hash: &str,
        question: &str,
        now: i64,
    ) -> ChatSummary {
        let first = Event::Message {
            author: Author::Visitor,
            body: question.into(),
        };
        let new = NewChat {
            token_hash: token_hash.into(),
            visitor: visitor("Vera", question),
            route: Route::Everyone,
        };
        store
            .create_chat(new, first, now)
            .await
            .expect("create chat")
            .0
    }

    /// Runs a command through the rules inside the store's transaction.
    async fn command(
        store: &Arc<dyn Store>,
        id: i64,
        actor: &Actor,
        command: Command,
        client_id: Option<&str>,
    ) -> Result<app::server::store::Applied, StoreError> {
        let decide = |state: &rules::ChatState| rules::decide(state, actor, &command, NOW);
        store.apply(id, NOW, client_id, None, &decide).await
    }

    fn send(body: &str) -> Command {
        Command::Send { body: body.into() }
    }

    fn bodies(events: &[app::model::StoredEvent]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match &e.event {
                Event::Message { body, .. } => Some(body.clone()),
                _ => None,
            })
            .collect()
    }

    fn seqs(events: &[app::model::StoredEvent]) -> Vec<i64> {
        events.iter().map(|e| e.seq).collect()
    }

    pub async fn departments(store: Arc<dyn Store>) {
        assert!(store.departments().await.unwrap().is_empty());
        let sales = store.add_department("Sales", NOW).await.unwrap();
        let billing = store.add_department("Billing", NOW).await.unwrap();
        assert_ne!(sales.id, billing.id);
        assert_eq!(sales.name, "Sales");
        // Listed by name.
        assert_eq!(
            store.departments().await.unwrap(),
            vec![billing.clone(), sales.clone()]
        );
        assert_eq!(
            store.department(sales.id).await.unwrap(),
            Some(sales.clone())
        );
        assert_eq!(
            store.department(sales.id + billing.id + 100).await.unwrap(),
            None
        );

        for taken in ["Sales", "sALES"] {
            match store.add_department(taken, NOW).await {
                Err(StoreError::Conflict(message)) => assert!(message.contains(taken), "{message}"),
                other => panic!(
                    "a second {taken:?} should conflict, got {:?}",
                    other.map(|d| d.id)
                ),
            }
        }
        assert_eq!(
            store.departments().await.unwrap().len(),
            2,
            "a conflict adds nothing"
        );
    }

    pub async fn staff_accounts(store: Arc<dyn Store>) {
        let sales = store.add_department("Sales", NOW).await.unwrap();
        let billing = store.add_department("Billing", NOW).await.unwrap();
        let alice = store
            .add_staff(
                new_staff("Alice", "alice@example.com", vec![sales.id, billing.id]),
                NOW,
            )
            .await
            .unwrap();
        assert_eq!(alice.name, "Alice");
        assert_eq!(alice.email, "alice@example.com");
        assert!(!alice.is_admin);
        let bob = store
            .add_staff(new_staff("Bob", "bob@example.com", vec![]), NOW)
            .await
            .unwrap();
        assert_ne!(alice.id, bob.id);

        let (found, hash) = store
            .staff_by_email("alice@example.com")
            .await
            .unwrap()
            .expect("found");
        assert_eq!((found, hash.as_str()), (alice.clone(), "not-a-real-hash"));
        let (found, _) = store
            .staff_by_email("ALICE@Example.com")
            .await
            .unwrap()
            .expect("emails match whatever their case");
        assert_eq!(found.id, alice.id);
        assert!(store
            .staff_by_email("carol@example.com")
            .await
            .unwrap()
            .is_none());

        let directory = store.staff_directory().await.unwrap();
        let entry = directory
            .iter()
            .find(|s| s.id == alice.id)
            .expect("alice in the directory");
        let mut departments = entry.departments.clone();
        departments.sort();
        let mut expected = vec![sales.id, billing.id];
        expected.sort();
        assert_eq!(departments, expected);
        assert_eq!(entry.status, Status::Online);
        assert!(directory
            .iter()
            .find(|s| s.id == bob.id)
            .unwrap()
            .departments
            .is_empty());

        for email in ["alice@example.com", "Alice@EXAMPLE.com"] {
            match store
                .add_staff(new_staff("Alice Again", email, vec![sales.id]), NOW)
                .await
            {
                Err(StoreError::Conflict(message)) => assert!(message.contains(email), "{message}"),
                other => panic!(
                    "a second {email} should conflict, got {:?}",
                    other.map(|m| m.id)
                ),
            }
        }
        assert_eq!(
            store.staff_directory().await.unwrap().len(),
            2,
            "a conflict adds nobody"
        );
    }

    pub async fn sessions(store: Arc<dyn Store>) {
        let alice = store
            .add_staff(new_staff("Alice", "alice@example.com", vec![]), NOW)
            .await
            .unwrap();
        let expires = NOW + 60_000;
        store
            .add_session("hash-1", alice.id, NOW, expires)
            .await
            .unwrap();
        store
            .add_session("hash-2", alice.id, NOW, expires)
            .await
            .unwrap();

        assert_eq!(
            store.session_staff("hash-1", NOW).await.unwrap(),
            Some(alice.clone())
        );
        assert_eq!(
            store.session_staff("hash-1", expires - 1).await.unwrap(),
            Some(alice.clone())
        );
        assert_eq!(
            store.session_staff("hash-1", expires).await.unwrap(),
            None,
            "expired"
        );
        assert_eq!(store.session_staff("unknown", NOW).await.unwrap(), None);

        store.delete_session("hash-1").await.unwrap();
        assert_eq!(
            store.session_staff("hash-1", NOW).await.unwrap(),
            None,
            "deleted"
        );
        assert_eq!(
            store.session_staff("hash-2", NOW).await.unwrap(),
            Some(alice),
            "other sessions stay"
        );
        store.delete_session("never-existed").await.unwrap();
    }

    pub async fn chats_and_audiences(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let bob = staff(&store, "Bob").await;
        let sales = store.add_department("Sales", NOW).await.unwrap();
        let first = Event::Message {
            author: Author::Visitor,
            body: "Where is my order?".into(),
        };
        let new = NewChat {
            token_hash: "token-a".into(),
            visitor: Visitor {
                department: Some(sales.clone()),
                ..visitor("Vera", "Where is my order?")
            },
            route: Route::Department(sales.id),
        };
        let (summary, event) = store.create_chat(new, first.clone(), NOW).await.unwrap();
        assert_eq!(
            (event.seq, &event.event, event.client_id.as_deref()),
            (1, &first, None)
        );
        assert_eq!(summary.last_seq, 1);
        assert_eq!(summary.phase(), Phase::Waiting);
        assert_eq!(summary.route, Route::Department(sales.id));
        assert_eq!(summary.visitor.department, Some(sales));
        assert_eq!(summary.created_at, NOW);
        assert_eq!(store.chat(summary.id).await.unwrap(), Some(summary.clone()));
        assert_eq!(store.chat(summary.id + 1000).await.unwrap(), None);

        assert!(store
            .chat_token_matches(summary.id, "token-a")
            .await
            .unwrap());
        assert!(!store
            .chat_token_matches(summary.id, "token-b")
            .await
            .unwrap());
        let other = chat(&store, "token-b", "Another one", NOW + 1).await;
        assert!(
            !store
                .chat_token_matches(summary.id, "token-b")
                .await
                .unwrap(),
            "tokens are per chat"
        );
        assert!(store.chat_token_matches(other.id, "token-b").await.unwrap());

        // Accept (everyone), an invitation (staff only), a message (everyone).
        let as_alice = Actor::Staff(alice.clone());
        command(&store, summary.id, &as_alice, Command::Accept, None)
            .await
            .unwrap();
        let invite = Command::Invite {
            to: bob.clone(),
            note: "help?".into(),
            to_online: true,
        };
        let applied = command(&store, summary.id, &as_alice, invite, None)
            .await
            .unwrap();
        assert!(matches!(applied.events[..], [ref e] if matches!(e.event, Event::Invited { .. })));
        command(
            &store,
            summary.id,
            &as_alice,
            send("On its way"),
            Some("m-1"),
        )
        .await
        .unwrap();

        let staff_view = store.events_after(summary.id, 0, true).await.unwrap();
        assert_eq!(seqs(&staff_view), vec![1, 2, 3, 4]);
        assert!(matches!(staff_view[2].event, Event::Invited { .. }));
        let visitor_view = store.events_after(summary.id, 0, false).await.unwrap();
        assert_eq!(
            seqs(&visitor_view),
            vec![1, 2, 4],
            "the invitation is for staff only"
        );
        assert!(visitor_view
            .iter()
            .all(|e| e.event.audience() == rules::Audience::Everyone));
        assert_eq!(
            seqs(&store.events_after(summary.id, 2, false).await.unwrap()),
            vec![4]
        );
        assert_eq!(
            seqs(&store.events_after(summary.id, 3, true).await.unwrap()),
            vec![4]
        );
        assert!(store
            .events_after(summary.id, 4, true)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(staff_view[3].client_id.as_deref(), Some("m-1"));
        // Events of one chat never show up in another.
        assert_eq!(
            seqs(&store.events_after(other.id, 0, true).await.unwrap()),
            vec![1]
        );
        assert_eq!(
            bodies(&store.events_after(other.id, 0, true).await.unwrap()),
            ["Another one"]
        );
    }

    pub async fn apply_stores_and_refuses(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let c = chat(&store, "t", "Hello?", NOW).await;
        let as_alice = Actor::Staff(alice.clone());

        // A decision of several events: consecutive sequence numbers, in order.
        let two = |_: &rules::ChatState| {
            Ok(vec![
                Event::Message {
                    author: Author::Visitor,
                    body: "one".into(),
                },
                Event::Message {
                    author: Author::Visitor,
                    body: "two".into(),
                },
            ])
        };
        let applied = store.apply(c.id, NOW + 5, None, None, &two).await.unwrap();
        assert_eq!(seqs(&applied.events), vec![2, 3]);
        assert_eq!(applied.duplicate_of, None);
        assert_eq!(applied.chat.last_seq, 3);
        assert!(applied.chat.version > c.version);
        assert!(applied.events.iter().all(|e| e.at == NOW + 5));
        assert_eq!(
            bodies(&store.events_after(c.id, 0, false).await.unwrap()),
            ["Hello?", "one", "two"]
        );

        // The state is persisted.
        let accepted = command(&store, c.id, &as_alice, Command::Accept, None)
            .await
            .unwrap();
        assert_eq!(seqs(&accepted.events), vec![4]);
        let stored = store.chat(c.id).await.unwrap().unwrap();
        assert_eq!(stored.phase(), Phase::Active);
        assert_eq!(stored.state.owner(), Some(&alice));
        assert_eq!(stored, accepted.chat);

        // A refusal changes nothing.
        let before = store.chat(c.id).await.unwrap().unwrap();
        let refused = command(&store, c.id, &as_alice, Command::Accept, None).await;
        assert!(
            matches!(refused, Err(StoreError::Refused(Refusal::NotWaiting))),
            "{:?}",
            refused.err()
        );
        let refuse_anyway = |_: &rules::ChatState| Err(Refusal::ChatEnded);
        let audit = AuditNote {
            staff_id: alice.id,
            staff_name: alice.name.clone(),
            op: "Refused".into(),
            detail: String::new(),
        };
        assert!(store
            .apply(c.id, NOW, Some("r-1"), Some(audit), &refuse_anyway)
            .await
            .is_err());
        assert_eq!(store.chat(c.id).await.unwrap().unwrap(), before);
        assert_eq!(
            seqs(&store.events_after(c.id, 0, true).await.unwrap()),
            vec![1, 2, 3, 4]
        );
        assert!(
            store
                .audit(100, None)
                .await
                .unwrap()
                .iter()
                .all(|a| a.op != "Refused"),
            "a refused command leaves no audit line"
        );

        // A message with a client id is stored once; the retry names the first.
        let first = command(
            &store,
            c.id,
            &Actor::Visitor,
            send("retry me"),
            Some("cid-1"),
        )
        .await
        .unwrap();
        assert_eq!(seqs(&first.events), vec![5]);
        assert_eq!(first.events[0].client_id.as_deref(), Some("cid-1"));
        let before = store.chat(c.id).await.unwrap().unwrap();
        let decided = std::sync::atomic::AtomicBool::new(false);
        let watch = |state: &rules::ChatState| {
            decided.store(true, std::sync::atomic::Ordering::SeqCst);
            rules::decide(state, &Actor::Visitor, &send("retry me, changed"), NOW)
        };
        let again = store
            .apply(c.id, NOW, Some("cid-1"), None, &watch)
            .await
            .unwrap();
        assert_eq!(again.duplicate_of, Some(5));
        assert!(again.events.is_empty());
        assert!(
            !decided.load(std::sync::atomic::Ordering::SeqCst),
            "a duplicate is not decided again"
        );
        assert_eq!(
            store.chat(c.id).await.unwrap().unwrap().last_seq,
            before.last_seq
        );
        assert_eq!(
            bodies(&store.events_after(c.id, 4, true).await.unwrap()),
            ["retry me"]
        );
        // The same client id in another chat is another message.
        let d = chat(&store, "t2", "Other chat", NOW).await;
        let other = command(
            &store,
            d.id,
            &Actor::Visitor,
            send("retry me"),
            Some("cid-1"),
        )
        .await
        .unwrap();
        assert_eq!((other.duplicate_of, seqs(&other.events)), (None, vec![2]));

        // Only messages carry the client id; an unknown chat is NotFound.
        let next = command(
            &store,
            c.id,
            &as_alice,
            Command::AskRating {
                style: rules::RatingStyle::Star,
            },
            Some("cid-2"),
        )
        .await
        .unwrap();
        assert_eq!(next.events[0].client_id, None);
        let missing = command(&store, c.id + d.id + 100, &as_alice, Command::Join, None).await;
        assert!(
            matches!(missing, Err(StoreError::NotFound)),
            "{:?}",
            missing.err()
        );
    }

    /// A batch (group commit) gives each command the outcome it would have had alone, in
    /// order: sequence numbers per chat, retries and refusals without effect on the others.
    pub async fn a_batch_applies_like_one_command_after_another(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let bob = staff(&store, "Bob").await;
        let as_alice = Actor::Staff(alice.clone());
        let c = chat(&store, "t1", "First?", NOW).await;
        let d = chat(&store, "t2", "Second?", NOW).await;
        for id in [c.id, d.id] {
            command(&store, id, &as_alice, Command::Accept, None)
                .await
                .unwrap();
        }
        let earlier = command(&store, c.id, &Actor::Visitor, send("early"), Some("dup"))
            .await
            .unwrap();
        let base = earlier.chat.last_seq;

        let items = [
            (c.id, Actor::Visitor, "a", "b-1"),
            (d.id, as_alice.clone(), "x", "b-1"),
            (c.id, Actor::Visitor, "early again", "dup"),
            (c.id, Actor::Staff(bob.clone()), "not mine to say", "b-3"),
            (c.id, Actor::Visitor, "a, retried", "b-1"),
            (c.id, as_alice.clone(), "b", "b-2"),
            (c.id + d.id + 100, Actor::Visitor, "nowhere", "b-4"),
        ];
        let decides: Vec<_> = items
            .iter()
            .map(|(_, actor, body, _)| {
                move |state: &rules::ChatState| rules::decide(state, actor, &send(body), NOW + 1)
            })
            .collect();
        let batch: Vec<Batched> = items
            .iter()
            .zip(&decides)
            .map(|((chat, _, _, cid), decide)| Batched {
                chat: *chat,
                now: NOW + 1,
                client_id: Some(cid),
                decide,
            })
            .collect();
        let out = store.apply_batch(&batch).await;
        assert_eq!(out.len(), items.len());
        let ok = |i: usize| out[i].as_ref().unwrap_or_else(|e| panic!("item {i}: {e}"));
        assert_eq!(seqs(&ok(0).events), vec![base + 1]);
        assert_eq!(
            seqs(&ok(1).events),
            vec![d.last_seq + 2],
            "after the Accept"
        );
        assert_eq!((ok(2).duplicate_of, ok(2).events.len()), (Some(base), 0));
        assert!(
            matches!(out[3], Err(StoreError::Refused(_))),
            "only those in the chat may send"
        );
        assert_eq!(
            ok(4).duplicate_of,
            Some(base + 1),
            "a retry within the batch"
        );
        assert_eq!(seqs(&ok(5).events), vec![base + 2]);
        assert!(matches!(out[6], Err(StoreError::NotFound)));

        let stored_c = store.chat(c.id).await.unwrap().unwrap();
        assert_eq!(stored_c, ok(5).chat, "the returned chat is the stored one");
        assert_eq!(stored_c.last_seq, base + 2);
        assert_eq!(
            bodies(&store.events_after(c.id, base - 1, true).await.unwrap()),
            ["early", "a", "b"]
        );
        let after_c = store.events_after(c.id, base, true).await.unwrap();
        assert_eq!(after_c[0].client_id.as_deref(), Some("b-1"));
        assert!(after_c.iter().all(|e| e.at == NOW + 1));
        assert_eq!(store.chat(d.id).await.unwrap().unwrap(), ok(1).chat);
        assert_eq!(
            bodies(&store.events_after(d.id, 0, true).await.unwrap()),
            ["Second?", "x"]
        );
    }

    /// Every stored event raises the sequence and every change the version by one, alone or in
    /// a batch, messages and operations mixed in any order; the stored chat always says so.
    pub async fn counters_rise_alike_alone_and_in_batches(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let as_alice = Actor::Staff(alice.clone());
        let c = chat(&store, "t", "Hello?", NOW).await;
        let accepted = command(&store, c.id, &as_alice, Command::Accept, None)
            .await
            .unwrap();
        let mut last = accepted.chat;
        let ask = Command::AskRating {
            style: rules::RatingStyle::Star,
        };
        let steps: [&[(Actor, Command)]; 4] = [
            &[(Actor::Visitor, send("a")), (as_alice.clone(), send("b"))],
            &[(as_alice.clone(), send("c"))],
            &[
                (Actor::Visitor, send("d")),
                (as_alice.clone(), ask),
                (Actor::Visitor, send("e")),
            ],
            &[(as_alice.clone(), send("f"))],
        ];
        for (step, items) in steps.iter().enumerate() {
            let decides: Vec<_> = items
                .iter()
                .map(|(actor, cmd)| {
                    move |state: &rules::ChatState| rules::decide(state, actor, cmd, NOW)
                })
                .collect();
            let outcomes = if items.len() == 1 {
                vec![store.apply(c.id, NOW, None, None, &decides[0]).await]
            } else {
                let batch: Vec<Batched> = decides
                    .iter()
                    .map(|decide| Batched {
                        chat: c.id,
                        now: NOW,
                        client_id: None,
                        decide,
                    })
                    .collect();
                store.apply_batch(&batch).await
            };
            for outcome in outcomes {
                let applied = outcome.unwrap_or_else(|e| panic!("step {step}: {e}"));
                let seqs = seqs(&applied.events);
                let expected: Vec<i64> =
                    (1..=seqs.len() as i64).map(|n| last.last_seq + n).collect();
                assert_eq!(seqs, expected, "step {step}: the next sequence numbers");
                assert_eq!(applied.chat.version, last.version + 1, "step {step}");
                last = applied.chat;
            }
            let stored = store.chat(c.id).await.unwrap().unwrap();
            assert_eq!(
                stored, last,
                "step {step}: the stored chat is the last returned"
            );
        }
        let all = store.events_after(c.id, 0, true).await.unwrap();
        assert_eq!(all.last().map(|e| e.seq), Some(last.last_seq));
        assert_eq!(bodies(&all), ["Hello?", "a", "b", "c", "d", "e", "f"]);
        assert_eq!(
            last.state.rating,
            rules::Rating::Asked {
                style: rules::RatingStyle::Star
            },
            "the operation in a batch is kept"
        );
    }

    pub async fn actor_only_events_change_state_but_are_not_stored(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let bob = staff(&store, "Bob").await;
        let c = chat(&store, "t", "Hello?", NOW).await;
        command(
            &store,
            c.id,
            &Actor::Staff(alice.clone()),
            Command::Accept,
            None,
        )
        .await
        .unwrap();
        let before = store.chat(c.id).await.unwrap().unwrap();
        let audit = AuditNote {
            staff_id: bob.id,
            staff_name: bob.name.clone(),
            op: "JoinInvisibly".into(),
            detail: String::new(),
        };
        let decide = |state: &rules::ChatState| {
            rules::decide(
                state,
                &Actor::Staff(bob.clone()),
                &Command::JoinInvisibly,
                NOW,
            )
        };
        let applied = store
            .apply(c.id, NOW + 1, None, Some(audit), &decide)
            .await
            .unwrap();
        assert!(
            applied.events.is_empty(),
            "a monitor's joining is not in the transcript"
        );
        let after = store.chat(c.id).await.unwrap().unwrap();
        assert_eq!(after.last_seq, before.last_seq);
        assert_eq!(
            after.version, before.version,
            "no trace, not even in the version"
        );
        assert_eq!(after.role_of(bob.id), Some(Role::Monitor));
        assert_eq!(
            seqs(&store.events_after(c.id, 0, true).await.unwrap()),
            vec![1, 2]
        );
        let audit = store.audit(10, None).await.unwrap();
        assert!(
            audit.iter().any(|a| a.op == "JoinInvisibly"
                && a.staff_id == Some(bob.id)
                && a.chat_id == Some(c.id)),
            "the audit trail has it: {audit:?}"
        );
    }

    /// Many staff accept one waiting chat at the same moment: exactly one gets it.
    pub async fn concurrent_accepts_leave_one_owner(store: Arc<dyn Store>) {
        let c = chat(&store, "t", "Hello?", NOW).await;
        let mut team = Vec::new();
        for i in 0..8 {
            team.push(staff(&store, &format!("Agent {i}")).await);
        }
        let tasks: Vec<_> = team
            .iter()
            .map(|s| {
                let store = store.clone();
                let actor = Actor::Staff(s.clone());
                tokio::spawn(
                    async move { command(&store, c.id, &actor, Command::Accept, None).await },
                )
            })
            .collect();
        let mut won = Vec::new();
        for (s, task) in team.iter().zip(tasks) {
            match task.await.expect("task") {
                Ok(_) => won.push(s.clone()),
                Err(StoreError::Refused(Refusal::NotWaiting)) => {}
                Err(e) => panic!("{}: unexpected {e}", s.name),
            }
        }
        assert_eq!(won.len(), 1, "exactly one accept wins: {won:?}");
        let after = store.chat(c.id).await.unwrap().unwrap();
        assert_eq!(after.state.owner(), Some(&won[0]));
        assert_eq!(after.state.members.len(), 1);
        assert_eq!(
            seqs(&store.events_after(c.id, 0, true).await.unwrap()),
            vec![1, 2]
        );
    }

    /// Two staff take one chat at the same moment: both succeed, one after the other, and the
    /// chat ends with exactly one owner.
    pub async fn concurrent_takes_leave_one_owner(store: Arc<dyn Store>) {
        let owner = staff(&store, "Owner").await;
        let a = staff(&store, "Taker A").await;
        let b = staff(&store, "Taker B").await;
        for round in 0..5 {
            let c = chat(&store, &format!("t-{round}"), "Hello?", NOW).await;
            command(
                &store,
                c.id,
                &Actor::Staff(owner.clone()),
                Command::Accept,
                None,
            )
            .await
            .unwrap();
            let spawn = |who: StaffRef| {
                let store = store.clone();
                tokio::spawn(async move {
                    command(&store, c.id, &Actor::Staff(who), Command::Take, None).await
                })
            };
            let (ta, tb) = (spawn(a.clone()), spawn(b.clone()));
            let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
            let ra = ra.expect("A's take");
            let rb = rb.expect("B's take");
            assert_eq!(ra.events.len(), 1);
            assert_eq!(rb.events.len(), 1);

            let after = store.chat(c.id).await.unwrap().unwrap();
            let owners: Vec<_> = after
                .state
                .members
                .iter()
                .filter(|m| m.role == Role::Owner)
                .collect();
            assert_eq!(owners.len(), 1, "round {round}: {:?}", after.state.members);
            let events = store.events_after(c.id, 2, true).await.unwrap();
            assert_eq!(
                seqs(&events),
                vec![3, 4],
                "round {round}: one after the other"
            );
            // The second take saw the first: it names the first taker as the previous owner.
            let (
                Event::Taken {
                    staff: first,
                    previous: p1,
                },
                Event::Taken {
                    staff: second,
                    previous: p2,
                },
            ) = (&events[0].event, &events[1].event)
            else {
                panic!("round {round}: {events:?}");
            };
            assert_eq!(p1.as_ref(), Some(&owner));
            assert_eq!(p2.as_ref(), Some(first));
            assert_ne!(first, second);
            assert_eq!(after.state.owner(), Some(second));
            assert_eq!(after.role_of(first.id), Some(Role::Participant));
            assert_eq!(after.role_of(owner.id), Some(Role::Participant));
        }
    }

    pub async fn offering_chats_are_those_with_an_offer_out(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let bob = staff(&store, "Bob").await;
        let as_alice = Actor::Staff(alice.clone());
        let as_bob = Actor::Staff(bob.clone());
        let quiet = chat(&store, "t1", "Quiet", NOW).await;
        let invited = chat(&store, "t2", "Invited", NOW + 1).await;
        let forwarded = chat(&store, "t3", "Forwarded", NOW + 2).await;
        for id in [quiet.id, invited.id, forwarded.id] {
            command(&store, id, &as_alice, Command::Accept, None)
                .await
                .unwrap();
        }
        let offering = || async {
            let mut ids: Vec<_> = store
                .offering_chats()
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(offering().await, Vec::<ChatId>::new());

        let offers = [
            (
                invited.id,
                Command::Invite {
                    to: bob.clone(),
                    note: "help?".into(),
                    to_online: true,
                },
            ),
            (
                forwarded.id,
                Command::Forward {
                    to: bob.clone(),
                    note: "yours".into(),
                    to_available: true,
                },
            ),
        ];
        for (id, offer) in offers {
            command(&store, id, &as_alice, offer, None).await.unwrap();
        }
        command(&store, quiet.id, &as_alice, send("still here"), Some("m-1"))
            .await
            .unwrap();
        assert_eq!(offering().await, vec![invited.id, forwarded.id]);

        // Answered: nothing left to lapse.
        for (id, answer) in [
            (invited.id, Command::DeclineInvite),
            (forwarded.id, Command::DeclineForward),
        ] {
            command(&store, id, &as_bob, answer, None).await.unwrap();
        }
        assert_eq!(offering().await, Vec::<ChatId>::new());
    }

    pub async fn open_chats_leave_out_ended_ones(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let as_alice = Actor::Staff(alice.clone());
        let first = chat(&store, "t1", "First", NOW).await;
        let second = chat(&store, "t2", "Second", NOW + 1).await;
        let third = chat(&store, "t3", "Third", NOW + 2).await;
        let ids = |chats: Vec<ChatSummary>| chats.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.open_chats().await.unwrap()),
            vec![first.id, second.id, third.id],
            "oldest first"
        );

        // Ended with `End chat`.
        command(&store, second.id, &as_alice, Command::Accept, None)
            .await
            .unwrap();
        command(&store, second.id, &as_alice, Command::End, None)
            .await
            .unwrap();
        // Ended by the last staff member leaving: two events in one go.
        command(&store, third.id, &as_alice, Command::Accept, None)
            .await
            .unwrap();
        let left = command(&store, third.id, &as_alice, Command::Leave, None)
            .await
            .unwrap();
        assert_eq!(seqs(&left.events), vec![3, 4]);
        assert!(matches!(
            left.events[1].event,
            Event::Ended {
                reason: EndReason::LastStaffLeft,
                ..
            }
        ));

        assert_eq!(ids(store.open_chats().await.unwrap()), vec![first.id]);
        let ended = store
            .chat(second.id)
            .await
            .unwrap()
            .expect("ended chats are kept");
        assert_eq!(ended.phase(), Phase::Ended);
        // Nothing more happens in an ended chat.
        let late = command(
            &store,
            second.id,
            &Actor::Visitor,
            send("hello?"),
            Some("late-1"),
        )
        .await;
        assert!(matches!(late, Err(StoreError::Refused(Refusal::ChatEnded))));
    }

    pub async fn offers_are_recorded(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let first = chat(&store, "t1", "First", NOW).await;
        let second = chat(&store, "t2", "Second", NOW).await;
        assert_eq!(first.offered_to, None);
        store
            .set_offers(&[(first.id, Some(alice.id)), (second.id, None)])
            .await
            .unwrap();
        assert_eq!(
            store.chat(first.id).await.unwrap().unwrap().offered_to,
            Some(alice.id)
        );
        assert_eq!(
            store.chat(second.id).await.unwrap().unwrap().offered_to,
            None
        );
        store.set_offers(&[(first.id, None)]).await.unwrap();
        assert_eq!(
            store.chat(first.id).await.unwrap().unwrap().offered_to,
            None
        );
        store.set_offers(&[]).await.unwrap();
    }

    /// What dispatch reads: waiting chats oldest first, and active chats counted per owner or
    /// participant (a monitor or an ended chat adds nothing).
    pub async fn the_queue_reads_waiting_chats_and_loads(store: Arc<dyn Store>) {
        let alice = staff(&store, "Alice").await;
        let bob = staff(&store, "Bob").await;
        let cara = staff(&store, "Cara").await;
        let (as_alice, as_bob, as_cara) = (
            Actor::Staff(alice.clone()),
            Actor::Staff(bob.clone()),
            Actor::Staff(cara.clone()),
        );
        let one = chat(&store, "t1", "One", NOW).await;
        let two = chat(&store, "t2", "Two", NOW + 1).await;
        let three = chat(&store, "t3", "Three", NOW + 2).await;
        let four = chat(&store, "t4", "Four", NOW + 4).await;
        let five = chat(&store, "t5", "Five", NOW + 3).await;
        assert!(store.active_loads().await.unwrap().is_empty());

        for (id, actor, cmd) in [
            (one.id, &as_alice, Command::Accept),
            (two.id, &as_alice, Command::Accept),
            (two.id, &as_bob, Command::Join),
            (two.id, &as_cara, Command::JoinInvisibly),
            (three.id, &as_bob, Command::Accept),
            (three.id, &as_bob, Command::End),
        ] {
            command(&store, id, actor, cmd, None).await.unwrap();
        }
        store.set_offers(&[(four.id, Some(cara.id))]).await.unwrap();

        let waiting = store.waiting_chats().await.unwrap();
        let summary: Vec<_> = waiting
            .iter()
            .map(|w| (w.chat, w.route, w.created_at, w.offered_to))
            .collect();
        assert_eq!(
            summary,
            vec![
                (five.id, Route::Everyone, NOW + 3, None),
                (four.id, Route::Everyone, NOW + 4, Some(cara.id)),
            ],
            "oldest first, with the offer"
        );
        let loads = store.active_loads().await.unwrap();
        assert_eq!(loads.get(&alice.id), Some(&2));
        assert_eq!(
            loads.get(&bob.id),
            Some(&1),
            "the ended chat is not counted"
        );
        assert_eq!(loads.get(&cara.id), None, "a monitor carries no load");
    }
}

/// Every check of `suite`, listed once for all backends.
macro_rules! every_check {
    ($run:ident) => {
        $run!(
            departments,
            staff_accounts,
            sessions,
            chats_and_audiences,
            apply_stores_and_refuses,
            a_batch_applies_like_one_command_after_another,
            counters_rise_alike_alone_and_in_batches,
            actor_only_events_change_state_but_are_not_stored,
            concurrent_accepts_leave_one_owner,
            concurrent_takes_leave_one_owner,
            open_chats_leave_out_ended_ones,
            offering_chats_are_those_with_an_offer_out,
            offers_are_recorded,
            the_queue_reads_waiting_chats_and_loads,
        );
    };
}

mod sqlite {
    use super::*;
    use app::server::sqlite::SqliteStore;

    async fn fresh() -> (tempfile::TempDir, Arc<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = SqliteStore::open(&url).await.expect("open SQLite");
        (dir, Arc::new(store))
    }

    macro_rules! run {
        ($($name:ident),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (_dir, store) = fresh().await;
                suite::$name(store).await;
            }
        )*};
    }

    every_check!(run);

    /// Reopening the file keeps everything (migrations are applied once).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reopening_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let id = {
            let store = SqliteStore::open(&url).await.unwrap();
            store.add_department("Sales", NOW).await.unwrap().id
        };
        let store = SqliteStore::open(&url).await.unwrap();
        assert_eq!(
            store.department(id).await.unwrap().map(|d| d.name),
            Some("Sales".into())
        );
    }

    /// Committed pages reach the database file without the writer's help: on its own it would
    /// leave them in the WAL until 65,536 pages (256 MiB).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_checkpointed_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let size = || std::fs::metadata(&path).unwrap().len();
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let before = size();
        let long = "x".repeat(4000);
        for i in 0..100 {
            store
                .add_department(&format!("{i} {long}"), NOW)
                .await
                .unwrap();
        }
        let mut grown = size();
        for _ in 0..100 {
            if grown >= before + 100 * 4000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            grown = size();
        }
        assert!(
            grown >= before + 100 * 4000,
            "the database file stayed at {grown} bytes (was {before})"
        );
    }
}

mod postgres {
    use super::*;
    use app::server::postgres::PgStore;

    macro_rules! run {
        ($($name:ident),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = common::PgDatabase::create().await;
                let store = PgStore::open(&db.url).await.expect("open PostgreSQL");
                suite::$name(Arc::new(store)).await;
                db.drop_now().await;
            }
        )*};
    }

    every_check!(run);

    /// Reopening runs no migration twice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reopening_keeps_the_data() {
        let db = common::PgDatabase::create().await;
        let id = {
            let store = PgStore::open(&db.url).await.unwrap();
            store.add_department("Sales", NOW).await.unwrap().id
        };
        let store = PgStore::open(&db.url).await.unwrap();
        assert_eq!(
            store.department(id).await.unwrap().map(|d| d.name),
            Some("Sales".into())
        );
        drop(store);
        db.drop_now().await;
    }
}
