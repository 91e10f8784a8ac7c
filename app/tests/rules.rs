//! Tests of the chat rules (DESIGN.md §2 and §3): unit tests for every operation and every
//! refusal, then property tests of the invariants over random command sequences.

use app::rules::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fixed point in time for the unit tests.
const T0: Millis = 1_700_000_000_000;

fn staff(id: StaffId, name: &str) -> StaffRef {
    StaffRef {
        id,
        name: name.to_string(),
    }
}

fn ann() -> StaffRef {
    staff(1, "Ann")
}
fn bob() -> StaffRef {
    staff(2, "Bob")
}
fn cat() -> StaffRef {
    staff(3, "Cat")
}
fn dan() -> StaffRef {
    staff(4, "Dan")
}

fn as_staff(s: &StaffRef) -> Actor {
    Actor::Staff(s.clone())
}

fn member(s: &StaffRef, role: Role, since: Millis) -> Member {
    Member {
        staff: s.clone(),
        role,
        since,
    }
}

/// An active chat whose members are exactly the ones given, in that order.
fn chat_with(members: &[(StaffRef, Role, Millis)]) -> ChatState {
    ChatState {
        phase: Phase::Active,
        members: members
            .iter()
            .map(|(s, role, since)| member(s, *role, *since))
            .collect(),
        ..ChatState::new()
    }
}

/// An active chat owned by Ann since `T0`.
fn owned_by_ann() -> ChatState {
    chat_with(&[(ann(), Role::Owner, T0)])
}

fn ended_chat() -> ChatState {
    ChatState {
        phase: Phase::Ended,
        ..owned_by_ann()
    }
}

fn offer(from: &StaffRef, to: &StaffRef, note: &str, expires_at: Millis) -> Offer {
    Offer {
        from: from.clone(),
        to: to.clone(),
        note: note.to_string(),
        expires_at,
    }
}

fn forward(to: &StaffRef, available: bool) -> Command {
    Command::Forward {
        to: to.clone(),
        note: String::new(),
        to_available: available,
    }
}

fn invite(to: &StaffRef, online: bool) -> Command {
    Command::Invite {
        to: to.clone(),
        note: String::new(),
        to_online: online,
    }
}

fn send(body: &str) -> Command {
    Command::Send {
        body: body.to_string(),
    }
}

fn rate(score: u8) -> Command {
    Command::Rate {
        score,
        comment: String::new(),
    }
}

/// Runs a command that must succeed; returns the new state and the events.
fn ok(state: &ChatState, actor: &Actor, command: &Command, now: Millis) -> (ChatState, Vec<Event>) {
    match step(state, actor, command, now) {
        Ok(done) => done,
        Err(refusal) => panic!("{actor:?} {command:?} was refused: {refusal:?}"),
    }
}

/// Runs a command that must be refused; checks that `decide` and `step` agree and that the state
/// is untouched, and returns the refusal.
fn refused(state: &ChatState, actor: &Actor, command: &Command, now: Millis) -> Refusal {
    let before = state.clone();
    let refusal = match decide(state, actor, command, now) {
        Err(refusal) => refusal,
        Ok(events) => panic!("{actor:?} {command:?} was allowed: {events:?}"),
    };
    assert_eq!(step(state, actor, command, now), Err(refusal.clone()));
    assert_eq!(state, &before, "a refusal changed the state");
    refusal
}

fn roles(state: &ChatState) -> Vec<(StaffId, Role)> {
    state.members.iter().map(|m| (m.staff.id, m.role)).collect()
}

fn audiences(events: &[Event]) -> Vec<Audience> {
    events.iter().map(Event::audience).collect()
}

// ---------------------------------------------------------------------------------------------
// Accept, Join, Join invisibly, Take
// ---------------------------------------------------------------------------------------------

#[test]
fn a_new_chat_waits_with_nobody_in_it() {
    let chat = ChatState::new();
    assert_eq!(chat.phase, Phase::Waiting);
    assert!(chat.members.is_empty());
    assert_eq!(chat.forward, None);
    assert!(chat.invitations.is_empty());
    assert_eq!(chat.rating, Rating::NotAsked);
    assert_eq!(ChatState::default(), chat);
}

#[test]
fn accept_makes_the_staff_member_owner_and_activates_the_chat() {
    let (chat, events) = ok(&ChatState::new(), &as_staff(&ann()), &Command::Accept, T0);
    assert_eq!(events, vec![Event::Accepted { staff: ann() }]);
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(chat.phase, Phase::Active);
    assert_eq!(chat.members, vec![member(&ann(), Role::Owner, T0)]);
    assert_eq!(chat.owner(), Some(&ann()));
}

#[test]
fn join_makes_a_non_member_a_participant() {
    let (chat, events) = ok(&owned_by_ann(), &as_staff(&bob()), &Command::Join, T0 + 10);
    assert_eq!(events, vec![Event::Joined { staff: bob() }]);
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(
        chat.members,
        vec![
            member(&ann(), Role::Owner, T0),
            member(&bob(), Role::Participant, T0 + 10)
        ]
    );
}

#[test]
fn join_turns_a_monitor_into_a_participant_counted_from_now() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Monitor, T0 + 1)]);
    let (chat, events) = ok(&chat, &as_staff(&bob()), &Command::Join, T0 + 50);
    assert_eq!(events, vec![Event::Joined { staff: bob() }]);
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(chat.members[1], member(&bob(), Role::Participant, T0 + 50));
    assert_eq!(chat.members.len(), 2);
}

#[test]
fn join_invisibly_adds_a_monitor_that_only_the_monitor_hears_about() {
    let (chat, events) = ok(
        &owned_by_ann(),
        &as_staff(&bob()),
        &Command::JoinInvisibly,
        T0 + 5,
    );
    assert_eq!(events, vec![Event::MonitorJoined { staff: bob() }]);
    assert_eq!(audiences(&events), vec![Audience::Actor]);
    assert_eq!(events[0].notice(), None);
    assert_eq!(chat.role_of(bob().id), Some(Role::Monitor));
    assert_eq!(chat.owner(), Some(&ann()));
    assert!(chat.staff_can_read(bob().id));
}

#[test]
fn take_by_a_non_member_moves_ownership_and_keeps_the_old_owner_as_participant() {
    let (chat, events) = ok(&owned_by_ann(), &as_staff(&bob()), &Command::Take, T0 + 7);
    assert_eq!(
        events,
        vec![Event::Taken {
            staff: bob(),
            previous: Some(ann())
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(
        chat.members,
        vec![
            member(&ann(), Role::Participant, T0),
            member(&bob(), Role::Owner, T0 + 7)
        ]
    );
}

#[test]
fn take_by_a_participant_keeps_their_arrival_time() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Participant, T0 + 1)]);
    let (chat, _) = ok(&chat, &as_staff(&bob()), &Command::Take, T0 + 100);
    assert_eq!(chat.members[1], member(&bob(), Role::Owner, T0 + 1));
    assert_eq!(chat.role_of(ann().id), Some(Role::Participant));
}

#[test]
fn take_by_a_monitor_reveals_them_as_owner() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Monitor, T0 + 1)]);
    let (chat, events) = ok(&chat, &as_staff(&bob()), &Command::Take, T0 + 100);
    assert_eq!(
        events,
        vec![Event::Taken {
            staff: bob(),
            previous: Some(ann())
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(chat.members[1], member(&bob(), Role::Owner, T0 + 100));
    assert_eq!(chat.role_of(ann().id), Some(Role::Participant));
    let owners = chat
        .members
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count();
    assert_eq!(owners, 1);
}

// ---------------------------------------------------------------------------------------------
// Forward chat
// ---------------------------------------------------------------------------------------------

/// Ann owns the chat, Cat participates, and Ann has offered it to Bob at `T0`.
fn forwarded_to_bob() -> ChatState {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (cat(), Role::Participant, T0)]);
    let command = Command::Forward {
        to: bob(),
        note: "  billing question  ".to_string(),
        to_available: true,
    };
    ok(&chat, &as_staff(&ann()), &command, T0).0
}

#[test]
fn forward_offers_the_chat_to_staff_only() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (cat(), Role::Participant, T0)]);
    let command = Command::Forward {
        to: bob(),
        note: "  billing question  ".to_string(),
        to_available: true,
    };
    let (next, events) = ok(&chat, &as_staff(&ann()), &command, T0);
    let expected = offer(&ann(), &bob(), "billing question", T0 + OFFER_TTL_MS);
    assert_eq!(
        events,
        vec![Event::ForwardOffered {
            offer: expected.clone()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Staff]);
    assert_eq!(next.forward, Some(expected));
    assert_eq!(roles(&next), roles(&chat), "an offer changes no roles");
    assert!(next.staff_can_read(bob().id));
    assert!(!next.staff_can_read(dan().id));
}

#[test]
fn accepted_forward_makes_the_receiver_owner_and_the_forwarder_leave() {
    let chat = forwarded_to_bob();
    // The offer is still good at the very moment it expires.
    let now = T0 + OFFER_TTL_MS;
    let (next, events) = ok(&chat, &as_staff(&bob()), &Command::AcceptForward, now);
    assert_eq!(
        events,
        vec![Event::Forwarded {
            from: ann(),
            to: bob()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(next.forward, None);
    assert_eq!(
        next.members,
        vec![
            member(&cat(), Role::Participant, T0),
            member(&bob(), Role::Owner, now)
        ]
    );
}

#[test]
fn a_forward_from_a_participant_demotes_the_owner_when_accepted() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (cat(), Role::Participant, T0)]);
    let (chat, _) = ok(&chat, &as_staff(&cat()), &forward(&bob(), true), T0);
    let (chat, _) = ok(&chat, &as_staff(&bob()), &Command::AcceptForward, T0 + 1);
    assert_eq!(
        roles(&chat),
        vec![(ann().id, Role::Participant), (bob().id, Role::Owner)]
    );
}

#[test]
fn a_forward_may_go_to_a_monitor_who_then_becomes_owner() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Monitor, T0)]);
    let (chat, _) = ok(&chat, &as_staff(&ann()), &forward(&bob(), true), T0 + 1);
    let (chat, events) = ok(&chat, &as_staff(&bob()), &Command::AcceptForward, T0 + 2);
    assert_eq!(
        events,
        vec![Event::Forwarded {
            from: ann(),
            to: bob()
        }]
    );
    assert_eq!(chat.members, vec![member(&bob(), Role::Owner, T0 + 2)]);
}

#[test]
fn declined_forward_leaves_the_chat_as_it_was() {
    let chat = forwarded_to_bob();
    let (next, events) = ok(&chat, &as_staff(&bob()), &Command::DeclineForward, T0 + 1);
    assert_eq!(
        events,
        vec![Event::ForwardDeclined {
            offer: chat.forward.clone().unwrap()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Staff]);
    assert_eq!(next.forward, None);
    assert_eq!(next.members, chat.members);
}

#[test]
fn a_lapsed_forward_can_still_be_declined() {
    let chat = forwarded_to_bob();
    let (next, events) = ok(
        &chat,
        &as_staff(&bob()),
        &Command::DeclineForward,
        T0 + OFFER_TTL_MS + 1,
    );
    assert!(matches!(events[..], [Event::ForwardDeclined { .. }]));
    assert_eq!(next.forward, None);
}

#[test]
fn expire_lapses_a_forward_after_its_time() {
    let chat = forwarded_to_bob();
    assert_eq!(
        refused(&chat, &Actor::System, &Command::Expire, T0 + OFFER_TTL_MS),
        Refusal::NothingToExpire
    );
    let (next, events) = ok(
        &chat,
        &Actor::System,
        &Command::Expire,
        T0 + OFFER_TTL_MS + 1,
    );
    assert_eq!(
        events,
        vec![Event::ForwardLapsed {
            offer: chat.forward.clone().unwrap()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Staff]);
    assert_eq!(next.forward, None);
    assert_eq!(next.members, chat.members);
}

#[test]
fn accepting_a_lapsed_forward_is_refused() {
    let chat = forwarded_to_bob();
    assert_eq!(
        refused(
            &chat,
            &as_staff(&bob()),
            &Command::AcceptForward,
            T0 + OFFER_TTL_MS + 1
        ),
        Refusal::OfferLapsed
    );
    // And once the server has lapsed it, there is no offer at all.
    let (lapsed, _) = ok(
        &chat,
        &Actor::System,
        &Command::Expire,
        T0 + OFFER_TTL_MS + 1,
    );
    assert_eq!(
        refused(
            &lapsed,
            &as_staff(&bob()),
            &Command::AcceptForward,
            T0 + OFFER_TTL_MS + 2
        ),
        Refusal::NoOffer
    );
}

#[test]
fn a_forward_is_withdrawn_when_its_sender_leaves() {
    let chat = forwarded_to_bob();
    let (next, _) = ok(&chat, &as_staff(&ann()), &Command::Leave, T0 + 1);
    assert_eq!(next.forward, None);
    assert_eq!(
        refused(&next, &as_staff(&bob()), &Command::AcceptForward, T0 + 2),
        Refusal::NoOffer
    );
}

// ---------------------------------------------------------------------------------------------
// Invite operator
// ---------------------------------------------------------------------------------------------

/// Ann owns the chat and has invited Bob at `T0`.
fn bob_invited() -> ChatState {
    ok(
        &owned_by_ann(),
        &as_staff(&ann()),
        &invite(&bob(), true),
        T0,
    )
    .0
}

#[test]
fn invite_asks_another_staff_member_to_join() {
    let command = Command::Invite {
        to: bob(),
        note: " need a hand ".to_string(),
        to_online: true,
    };
    let (chat, events) = ok(&owned_by_ann(), &as_staff(&ann()), &command, T0);
    let expected = offer(&ann(), &bob(), "need a hand", T0 + OFFER_TTL_MS);
    assert_eq!(
        events,
        vec![Event::Invited {
            offer: expected.clone()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Staff]);
    assert_eq!(chat.invitations, vec![expected]);
    assert_eq!(
        chat.role_of(bob().id),
        None,
        "an invitee is not a member yet"
    );
    assert!(chat.staff_can_read(bob().id));
}

#[test]
fn several_staff_may_be_invited_at_once() {
    let chat = bob_invited();
    let (chat, _) = ok(&chat, &as_staff(&ann()), &invite(&cat(), true), T0 + 1);
    let invitees: Vec<StaffId> = chat.invitations.iter().map(|o| o.to.id).collect();
    assert_eq!(invitees, vec![bob().id, cat().id]);
}

#[test]
fn accepted_invitation_makes_a_participant() {
    let chat = bob_invited();
    let now = T0 + OFFER_TTL_MS;
    let (next, events) = ok(&chat, &as_staff(&bob()), &Command::AcceptInvite, now);
    assert_eq!(events, vec![Event::Joined { staff: bob() }]);
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert!(next.invitations.is_empty());
    assert_eq!(
        next.members,
        vec![
            member(&ann(), Role::Owner, T0),
            member(&bob(), Role::Participant, now)
        ]
    );
}

#[test]
fn an_invited_monitor_becomes_a_participant_on_accepting() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Monitor, T0)]);
    let (chat, _) = ok(&chat, &as_staff(&ann()), &invite(&bob(), true), T0 + 1);
    let (chat, events) = ok(&chat, &as_staff(&bob()), &Command::AcceptInvite, T0 + 2);
    assert_eq!(events, vec![Event::Joined { staff: bob() }]);
    assert_eq!(chat.members[1], member(&bob(), Role::Participant, T0 + 2));
}

#[test]
fn declined_invitation_is_dropped() {
    let chat = bob_invited();
    let (next, events) = ok(&chat, &as_staff(&bob()), &Command::DeclineInvite, T0 + 1);
    assert_eq!(
        events,
        vec![Event::InvitationDeclined {
            offer: chat.invitations[0].clone()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Staff]);
    assert!(next.invitations.is_empty());
    assert_eq!(next.members, chat.members);
}

#[test]
fn expire_lapses_an_invitation_after_its_time() {
    let chat = bob_invited();
    assert_eq!(
        refused(&chat, &Actor::System, &Command::Expire, T0 + OFFER_TTL_MS),
        Refusal::NothingToExpire
    );
    let (next, events) = ok(
        &chat,
        &Actor::System,
        &Command::Expire,
        T0 + OFFER_TTL_MS + 1,
    );
    assert_eq!(
        events,
        vec![Event::InvitationLapsed {
            offer: chat.invitations[0].clone()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Staff]);
    assert!(next.invitations.is_empty());
}

#[test]
fn expire_lapses_only_what_is_due_forward_first() {
    let chat = forwarded_to_bob(); // offered at T0
    let (chat, _) = ok(&chat, &as_staff(&ann()), &invite(&dan(), true), T0 + 10);
    let (chat, _) = ok(
        &chat,
        &as_staff(&cat()),
        &invite(&staff(5, "Eve"), true),
        T0 + 20,
    );

    let (next, events) = ok(
        &chat,
        &Actor::System,
        &Command::Expire,
        T0 + OFFER_TTL_MS + 15,
    );
    assert_eq!(
        events,
        vec![
            Event::ForwardLapsed {
                offer: chat.forward.clone().unwrap()
            },
            Event::InvitationLapsed {
                offer: chat.invitations[0].clone()
            },
        ]
    );
    assert_eq!(next.forward, None);
    assert_eq!(next.invitations, vec![chat.invitations[1].clone()]);
}

#[test]
fn accepting_a_lapsed_invitation_is_refused() {
    let chat = bob_invited();
    assert_eq!(
        refused(
            &chat,
            &as_staff(&bob()),
            &Command::AcceptInvite,
            T0 + OFFER_TTL_MS + 1
        ),
        Refusal::InvitationLapsed
    );
    let (lapsed, _) = ok(
        &chat,
        &Actor::System,
        &Command::Expire,
        T0 + OFFER_TTL_MS + 1,
    );
    assert_eq!(
        refused(
            &lapsed,
            &as_staff(&bob()),
            &Command::AcceptInvite,
            T0 + OFFER_TTL_MS + 2
        ),
        Refusal::NoInvitation
    );
}

#[test]
fn an_invitation_is_used_up_when_the_invitee_takes_the_chat() {
    // Found by the property tests: the invitation used to survive `Take chat`, and accepting it
    // afterwards demoted the new owner, leaving an active chat with nobody owning it.
    let chat = bob_invited();
    let (chat, _) = ok(&chat, &as_staff(&bob()), &Command::Take, T0 + 1);
    assert!(chat.invitations.is_empty());
    assert_eq!(
        refused(&chat, &as_staff(&bob()), &Command::AcceptInvite, T0 + 2),
        Refusal::NoInvitation
    );
    assert_eq!(chat.owner(), Some(&bob()));
}

#[test]
fn a_forward_is_used_up_when_its_receiver_takes_or_joins_the_chat() {
    for command in [Command::Take, Command::Join] {
        let chat = forwarded_to_bob();
        let (chat, _) = ok(&chat, &as_staff(&bob()), &command, T0 + 1);
        assert_eq!(chat.forward, None, "{command:?}");
        assert_eq!(
            refused(&chat, &as_staff(&bob()), &Command::AcceptForward, T0 + 2),
            Refusal::NoOffer
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Leave chat
// ---------------------------------------------------------------------------------------------

#[test]
fn a_participant_leaving_changes_nothing_else() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Participant, T0)]);
    let (next, events) = ok(&chat, &as_staff(&bob()), &Command::Leave, T0 + 1);
    assert_eq!(
        events,
        vec![Event::Left {
            staff: bob(),
            new_owner: None
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(next.phase, Phase::Active);
    assert_eq!(next.members, vec![member(&ann(), Role::Owner, T0)]);
}

#[test]
fn a_leaving_owner_hands_over_to_the_longest_present_participant() {
    // Listed out of arrival order, and with a monitor who has been there longest of all: the
    // monitor is not eligible, and Cat (T0 + 2) has been there longer than Bob (T0 + 5).
    let chat = chat_with(&[
        (dan(), Role::Monitor, T0 - 100),
        (bob(), Role::Participant, T0 + 5),
        (ann(), Role::Owner, T0),
        (cat(), Role::Participant, T0 + 2),
    ]);
    let (next, events) = ok(&chat, &as_staff(&ann()), &Command::Leave, T0 + 10);
    assert_eq!(
        events,
        vec![Event::Left {
            staff: ann(),
            new_owner: Some(cat())
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(next.phase, Phase::Active);
    assert_eq!(
        roles(&next),
        vec![
            (dan().id, Role::Monitor),
            (bob().id, Role::Participant),
            (cat().id, Role::Owner)
        ]
    );
}

#[test]
fn the_last_staff_member_leaving_ends_the_chat() {
    // A monitor does not count as staff in the chat: the visitor never knew about them.
    let chat = chat_with(&[(bob(), Role::Monitor, T0), (ann(), Role::Owner, T0)]);
    let (chat, _) = ok(&chat, &as_staff(&ann()), &invite(&cat(), true), T0);
    let (next, events) = ok(&chat, &as_staff(&ann()), &Command::Leave, T0 + 1);
    assert_eq!(
        events,
        vec![
            Event::Left {
                staff: ann(),
                new_owner: None
            },
            Event::Ended {
                by: Some(Author::Staff(ann())),
                reason: EndReason::LastStaffLeft
            },
        ]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone; 2]);
    assert_eq!(next.phase, Phase::Ended);
    assert!(next.invitations.is_empty());
    assert_eq!(next.forward, None);
}

#[test]
fn whoever_inherited_the_chat_ends_it_by_leaving_last() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Participant, T0)]);
    let (chat, _) = ok(&chat, &as_staff(&ann()), &Command::Leave, T0 + 1);
    assert_eq!(roles(&chat), vec![(bob().id, Role::Owner)]);
    let (next, events) = ok(&chat, &as_staff(&bob()), &Command::Leave, T0 + 2);
    assert_eq!(
        events,
        vec![
            Event::Left {
                staff: bob(),
                new_owner: None
            },
            Event::Ended {
                by: Some(Author::Staff(bob())),
                reason: EndReason::LastStaffLeft
            },
        ]
    );
    assert_eq!(next.phase, Phase::Ended);
}

#[test]
fn a_monitor_leaving_leaves_no_trace() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Monitor, T0)]);
    let (next, events) = ok(&chat, &as_staff(&bob()), &Command::Leave, T0 + 1);
    assert_eq!(events, vec![Event::MonitorLeft { staff: bob() }]);
    assert_eq!(audiences(&events), vec![Audience::Actor]);
    assert_eq!(events[0].notice(), None);
    assert_eq!(next.members, vec![member(&ann(), Role::Owner, T0)]);
    assert_eq!(next.phase, Phase::Active);
}

// ---------------------------------------------------------------------------------------------
// Ratings
// ---------------------------------------------------------------------------------------------

#[test]
fn ask_for_rating_then_rate() {
    let command = Command::AskRating {
        style: RatingStyle::Star,
    };
    let (chat, events) = ok(&owned_by_ann(), &as_staff(&ann()), &command, T0);
    assert_eq!(
        events,
        vec![Event::RatingRequested {
            by: ann(),
            style: RatingStyle::Star
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(
        chat.rating,
        Rating::Asked {
            style: RatingStyle::Star
        }
    );

    let command = Command::Rate {
        score: 5,
        comment: "  very helpful ".to_string(),
    };
    let (chat, events) = ok(&chat, &Actor::Visitor, &command, T0 + 1);
    assert_eq!(
        events,
        vec![Event::Rated {
            style: RatingStyle::Star,
            score: 5,
            comment: "very helpful".to_string()
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(
        chat.rating,
        Rating::Answered {
            style: RatingStyle::Star,
            score: 5,
            comment: "very helpful".to_string()
        }
    );
    // Answered: there is nothing left to rate.
    assert_eq!(
        refused(&chat, &Actor::Visitor, &rate(4), T0 + 2),
        Refusal::NoRatingRequested
    );
}

#[test]
fn a_participant_may_ask_for_a_smiley_rating_and_the_visitor_may_dismiss_it() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Participant, T0)]);
    let command = Command::AskRating {
        style: RatingStyle::Smiley,
    };
    let (chat, _) = ok(&chat, &as_staff(&bob()), &command, T0);
    assert_eq!(
        chat.rating,
        Rating::Asked {
            style: RatingStyle::Smiley
        }
    );
    let (chat, events) = ok(&chat, &Actor::Visitor, &Command::DismissRating, T0 + 1);
    assert_eq!(events, vec![Event::RatingDismissed]);
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(chat.rating, Rating::Dismissed);
    assert_eq!(
        refused(&chat, &Actor::Visitor, &Command::DismissRating, T0 + 2),
        Refusal::NoRatingRequested
    );
}

#[test]
fn scores_one_to_five_are_accepted() {
    let asked = ChatState {
        rating: Rating::Asked {
            style: RatingStyle::Smiley,
        },
        ..owned_by_ann()
    };
    for score in 1..=5 {
        let (chat, _) = ok(&asked, &Actor::Visitor, &rate(score), T0);
        assert!(matches!(chat.rating, Rating::Answered { score: s, .. } if s == score));
    }
}

// ---------------------------------------------------------------------------------------------
// End chat
// ---------------------------------------------------------------------------------------------

#[test]
fn end_by_staff_closes_the_chat_and_drops_pending_offers() {
    let chat = forwarded_to_bob();
    let (chat, _) = ok(&chat, &as_staff(&ann()), &invite(&dan(), true), T0);
    let (next, events) = ok(&chat, &as_staff(&cat()), &Command::End, T0 + 1);
    assert_eq!(
        events,
        vec![Event::Ended {
            by: Some(Author::Staff(cat())),
            reason: EndReason::Ended
        }]
    );
    assert_eq!(audiences(&events), vec![Audience::Everyone]);
    assert_eq!(next.phase, Phase::Ended);
    assert_eq!(next.forward, None);
    assert!(next.invitations.is_empty());
    assert_eq!(next.members, chat.members, "members stay for the record");
}

#[test]
fn end_by_the_visitor_closes_the_chat() {
    let (next, events) = ok(&owned_by_ann(), &Actor::Visitor, &Command::End, T0);
    assert_eq!(
        events,
        vec![Event::Ended {
            by: Some(Author::Visitor),
            reason: EndReason::Ended
        }]
    );
    assert_eq!(next.phase, Phase::Ended);
}

#[test]
fn the_visitor_may_give_up_on_a_waiting_chat() {
    let (next, events) = ok(&ChatState::new(), &Actor::Visitor, &Command::End, T0);
    assert_eq!(
        events,
        vec![Event::Ended {
            by: Some(Author::Visitor),
            reason: EndReason::Ended
        }]
    );
    assert_eq!(next.phase, Phase::Ended);
}

// ---------------------------------------------------------------------------------------------
// Send
// ---------------------------------------------------------------------------------------------

#[test]
fn the_visitor_may_send_even_while_waiting() {
    for chat in [ChatState::new(), owned_by_ann()] {
        let (next, events) = ok(&chat, &Actor::Visitor, &send("  hello  "), T0);
        assert_eq!(
            events,
            vec![Event::Message {
                author: Author::Visitor,
                body: "hello".to_string()
            }]
        );
        assert_eq!(audiences(&events), vec![Audience::Everyone]);
        assert_eq!(events[0].notice(), None);
        assert_eq!(next, chat, "a message changes no state");
    }
}

#[test]
fn owner_and_participant_may_send() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Participant, T0)]);
    for who in [ann(), bob()] {
        let (_, events) = ok(&chat, &as_staff(&who), &send("How can I help?"), T0);
        assert_eq!(
            events,
            vec![Event::Message {
                author: Author::Staff(who.clone()),
                body: "How can I help?".to_string()
            }]
        );
    }
}

#[test]
fn a_monitor_and_a_non_member_may_not_send() {
    let chat = chat_with(&[(ann(), Role::Owner, T0), (bob(), Role::Monitor, T0)]);
    assert_eq!(
        refused(&chat, &as_staff(&bob()), &send("hi"), T0),
        Refusal::MonitorCannotSend
    );
    assert_eq!(
        refused(&chat, &as_staff(&cat()), &send("hi"), T0),
        Refusal::NotInChat
    );
}

#[test]
fn message_length_is_counted_in_characters() {
    let chat = owned_by_ann();
    let longest = "é".repeat(MAX_MESSAGE_CHARS);
    let (_, events) = ok(&chat, &Actor::Visitor, &send(&longest), T0);
    assert!(matches!(&events[..], [Event::Message { body, .. }] if *body == longest));
    assert_eq!(
        refused(
            &chat,
            &Actor::Visitor,
            &send(&"é".repeat(MAX_MESSAGE_CHARS + 1)),
            T0
        ),
        Refusal::MessageTooLong
    );
}

#[test]
fn note_length_is_counted_in_characters() {
    let chat = owned_by_ann();
    let command = Command::Forward {
        to: bob(),
        note: "ü".repeat(MAX_NOTE_CHARS),
        to_available: true,
    };
    ok(&chat, &as_staff(&ann()), &command, T0);
}

// ---------------------------------------------------------------------------------------------
// Every refusal
// ---------------------------------------------------------------------------------------------

/// Numbers every refusal; the match has no wildcard, so a new variant fails to compile here until
/// a case for it is added below.
fn variant_index(refusal: &Refusal) -> usize {
    match refusal {
        Refusal::ChatEnded => 0,
        Refusal::ChatWaiting => 1,
        Refusal::NotWaiting => 2,
        Refusal::StaffOnly => 3,
        Refusal::VisitorOnly => 4,
        Refusal::NotInChat => 5,
        Refusal::AlreadyInChat => 6,
        Refusal::AlreadyOwner => 7,
        Refusal::MonitorCannotSend => 8,
        Refusal::MonitorMustJoin => 9,
        Refusal::TargetInChat(_) => 10,
        Refusal::TargetUnavailable(_) => 11,
        Refusal::TargetOffline(_) => 12,
        Refusal::SelfTarget => 13,
        Refusal::ForwardPending => 14,
        Refusal::AlreadyInvited(_) => 15,
        Refusal::NoOffer => 16,
        Refusal::OfferLapsed => 17,
        Refusal::NoInvitation => 18,
        Refusal::InvitationLapsed => 19,
        Refusal::RatingPending => 20,
        Refusal::NoRatingRequested => 21,
        Refusal::BadScore => 22,
        Refusal::EmptyMessage => 23,
        Refusal::MessageTooLong => 24,
        Refusal::NoteTooLong => 25,
        Refusal::NothingToExpire => 26,
        Refusal::SystemOnly => 27,
        Refusal::AttachmentsOff => 28,
    }
}
const REFUSAL_VARIANTS: usize = 29;

/// Ann owns, Bob participates, Cat monitors; Dan is not in the chat.
fn busy_chat() -> ChatState {
    chat_with(&[
        (ann(), Role::Owner, T0),
        (bob(), Role::Participant, T0),
        (cat(), Role::Monitor, T0),
    ])
}

/// (what, state, actor, command, now, expected refusal)
#[rustfmt::skip]
fn refusal_cases() -> Vec<(&'static str, ChatState, Actor, Command, Millis, Refusal)> {
    let long_note = "n".repeat(MAX_NOTE_CHARS + 1);
    let asked = ChatState {
        rating: Rating::Asked {
            style: RatingStyle::Star,
        },
        ..busy_chat()
    };
    let lapsed = T0 + OFFER_TTL_MS + 1;
    vec![
        ("anything in an ended chat", ended_chat(), as_staff(&ann()), send("hi"), T0, Refusal::ChatEnded),
        ("the visitor in an ended chat", ended_chat(), Actor::Visitor, send("hi"), T0, Refusal::ChatEnded),
        ("leaving an ended chat", ended_chat(), as_staff(&ann()), Command::Leave, T0, Refusal::ChatEnded),
        ("join a waiting chat", ChatState::new(), as_staff(&ann()), Command::Join, T0, Refusal::ChatWaiting),
        ("take a waiting chat", ChatState::new(), as_staff(&ann()), Command::Take, T0, Refusal::ChatWaiting),
        ("staff send in a waiting chat", ChatState::new(), as_staff(&ann()), send("hi"), T0, Refusal::ChatWaiting),
        ("accept an accepted chat", busy_chat(), as_staff(&dan()), Command::Accept, T0, Refusal::NotWaiting),
        ("the visitor accepts", ChatState::new(), Actor::Visitor, Command::Accept, T0, Refusal::StaffOnly),
        ("the visitor joins", busy_chat(), Actor::Visitor, Command::Join, T0, Refusal::StaffOnly),
        ("the visitor forwards", busy_chat(), Actor::Visitor, forward(&dan(), true), T0, Refusal::StaffOnly),
        ("the system sends", busy_chat(), Actor::System, send("hi"), T0, Refusal::StaffOnly),
        ("the system ends", busy_chat(), Actor::System, Command::End, T0, Refusal::StaffOnly),
        ("staff rates", asked.clone(), as_staff(&ann()), rate(5), T0, Refusal::VisitorOnly),
        ("staff dismisses a rating", asked.clone(), as_staff(&bob()), Command::DismissRating, T0, Refusal::VisitorOnly),
        ("a non-member leaves", busy_chat(), as_staff(&dan()), Command::Leave, T0, Refusal::NotInChat),
        ("a non-member forwards", busy_chat(), as_staff(&dan()), forward(&bob(), true), T0, Refusal::NotInChat),
        ("a non-member invites", busy_chat(), as_staff(&dan()), invite(&staff(5, "Eve"), true), T0, Refusal::NotInChat),
        ("a non-member ends", busy_chat(), as_staff(&dan()), Command::End, T0, Refusal::NotInChat),
        ("a non-member asks for a rating", busy_chat(), as_staff(&dan()), Command::AskRating { style: RatingStyle::Star }, T0, Refusal::NotInChat),
        ("a participant joins", busy_chat(), as_staff(&bob()), Command::Join, T0, Refusal::AlreadyInChat),
        ("the owner joins", busy_chat(), as_staff(&ann()), Command::Join, T0, Refusal::AlreadyInChat),
        ("a participant joins invisibly", busy_chat(), as_staff(&bob()), Command::JoinInvisibly, T0, Refusal::AlreadyInChat),
        ("a monitor joins invisibly", busy_chat(), as_staff(&cat()), Command::JoinInvisibly, T0, Refusal::AlreadyInChat),
        ("the owner takes", busy_chat(), as_staff(&ann()), Command::Take, T0, Refusal::AlreadyOwner),
        ("a monitor sends", busy_chat(), as_staff(&cat()), send("hi"), T0, Refusal::MonitorCannotSend),
        ("a monitor forwards", busy_chat(), as_staff(&cat()), forward(&dan(), true), T0, Refusal::MonitorMustJoin),
        ("a monitor invites", busy_chat(), as_staff(&cat()), invite(&dan(), true), T0, Refusal::MonitorMustJoin),
        ("a monitor asks for a rating", busy_chat(), as_staff(&cat()), Command::AskRating { style: RatingStyle::Smiley }, T0, Refusal::MonitorMustJoin),
        ("a monitor ends", busy_chat(), as_staff(&cat()), Command::End, T0, Refusal::MonitorMustJoin),
        ("forward to a participant", busy_chat(), as_staff(&ann()), forward(&bob(), true), T0, Refusal::TargetInChat("Bob".into())),
        ("invite the owner", busy_chat(), as_staff(&bob()), invite(&ann(), true), T0, Refusal::TargetInChat("Ann".into())),
        ("forward to someone away", busy_chat(), as_staff(&ann()), forward(&dan(), false), T0, Refusal::TargetUnavailable("Dan".into())),
        ("invite someone offline", busy_chat(), as_staff(&ann()), invite(&dan(), false), T0, Refusal::TargetOffline("Dan".into())),
        ("forward to oneself", busy_chat(), as_staff(&ann()), forward(&ann(), true), T0, Refusal::SelfTarget),
        ("invite oneself", busy_chat(), as_staff(&bob()), invite(&bob(), true), T0, Refusal::SelfTarget),
        ("a second forward", forwarded_to_bob(), as_staff(&cat()), forward(&dan(), true), T0, Refusal::ForwardPending),
        ("invite the same person twice", bob_invited(), as_staff(&ann()), invite(&bob(), true), T0, Refusal::AlreadyInvited("Bob".into())),
        ("accept a forward that does not exist", busy_chat(), as_staff(&dan()), Command::AcceptForward, T0, Refusal::NoOffer),
        ("decline a forward that does not exist", busy_chat(), as_staff(&dan()), Command::DeclineForward, T0, Refusal::NoOffer),
        ("accept someone else's forward", forwarded_to_bob(), as_staff(&dan()), Command::AcceptForward, T0, Refusal::NoOffer),
        ("the sender accepts their forward", forwarded_to_bob(), as_staff(&ann()), Command::AcceptForward, T0, Refusal::NoOffer),
        ("accept a lapsed forward", forwarded_to_bob(), as_staff(&bob()), Command::AcceptForward, lapsed, Refusal::OfferLapsed),
        ("accept an invitation that does not exist", busy_chat(), as_staff(&dan()), Command::AcceptInvite, T0, Refusal::NoInvitation),
        ("decline someone else's invitation", bob_invited(), as_staff(&dan()), Command::DeclineInvite, T0, Refusal::NoInvitation),
        ("accept a lapsed invitation", bob_invited(), as_staff(&bob()), Command::AcceptInvite, lapsed, Refusal::InvitationLapsed),
        ("ask for a rating twice", asked.clone(), as_staff(&ann()), Command::AskRating { style: RatingStyle::Star }, T0, Refusal::RatingPending),
        ("rate unasked", busy_chat(), Actor::Visitor, rate(5), T0, Refusal::NoRatingRequested),
        ("dismiss unasked", busy_chat(), Actor::Visitor, Command::DismissRating, T0, Refusal::NoRatingRequested),
        ("rate zero", asked.clone(), Actor::Visitor, rate(0), T0, Refusal::BadScore),
        ("rate six", asked.clone(), Actor::Visitor, rate(6), T0, Refusal::BadScore),
        ("send nothing", busy_chat(), Actor::Visitor, send(""), T0, Refusal::EmptyMessage),
        ("send blanks", busy_chat(), as_staff(&ann()), send(" \n\t "), T0, Refusal::EmptyMessage),
        ("send too much", busy_chat(), as_staff(&bob()), send(&"x".repeat(MAX_MESSAGE_CHARS + 1)), T0, Refusal::MessageTooLong),
        ("forward with a long note", busy_chat(), as_staff(&ann()), Command::Forward { to: dan(), note: long_note.clone(), to_available: true }, T0, Refusal::NoteTooLong),
        ("invite with a long note", busy_chat(), as_staff(&ann()), Command::Invite { to: dan(), note: long_note.clone(), to_online: true }, T0, Refusal::NoteTooLong),
        ("rate with a long comment", asked.clone(), Actor::Visitor, Command::Rate { score: 3, comment: long_note.clone() }, T0, Refusal::NoteTooLong),
        ("expire with nothing pending", busy_chat(), Actor::System, Command::Expire, T0, Refusal::NothingToExpire),
        ("expire before time", forwarded_to_bob(), Actor::System, Command::Expire, T0 + 1, Refusal::NothingToExpire),
        ("staff expires", forwarded_to_bob(), as_staff(&ann()), Command::Expire, lapsed, Refusal::SystemOnly),
        ("the visitor expires", bob_invited(), Actor::Visitor, Command::Expire, lapsed, Refusal::SystemOnly),
        ("the visitor attaches a file while that is off", busy_chat(), Actor::Visitor, attach(false), T0, Refusal::AttachmentsOff),
    ]
}

#[test]
fn every_refusal_case_is_refused_exactly_as_expected() {
    for (what, state, actor, command, now, expected) in refusal_cases() {
        let before = state.clone();
        let got = decide(&state, &actor, &command, now);
        assert_eq!(got, Err(expected.clone()), "{what}");
        assert_eq!(
            step(&state, &actor, &command, now),
            Err(expected),
            "{what}: step"
        );
        assert_eq!(state, before, "{what}: state changed");
    }
}

#[test]
fn every_refusal_variant_has_a_case() {
    let mut seen = [false; REFUSAL_VARIANTS];
    for (_, _, _, _, _, expected) in refusal_cases() {
        seen[variant_index(&expected)] = true;
    }
    let missing: Vec<usize> = (0..REFUSAL_VARIANTS).filter(|i| !seen[*i]).collect();
    assert!(
        missing.is_empty(),
        "refusal variants without a case: {missing:?}"
    );
}

#[test]
fn refusals_with_names_say_whom_they_are_about() {
    assert_eq!(
        Refusal::TargetInChat("Bob".into()).to_string(),
        "Bob is already in this chat."
    );
    assert_eq!(
        Refusal::TargetUnavailable("Dan".into()).to_string(),
        "Dan is not available for chats right now."
    );
    assert_eq!(
        Refusal::TargetOffline("Dan".into()).to_string(),
        "Dan is not online."
    );
    assert_eq!(
        Refusal::AlreadyInvited("Bob".into()).to_string(),
        "Bob has already been invited."
    );
    assert_eq!(
        Refusal::MessageTooLong.to_string(),
        format!("The message is longer than {MAX_MESSAGE_CHARS} characters.")
    );
}

#[test]
fn forward_and_invite_to_a_monitor_are_allowed_so_the_monitor_is_not_revealed() {
    let chat = busy_chat(); // Cat monitors
    let (_, events) = ok(&chat, &as_staff(&ann()), &forward(&cat(), true), T0);
    assert!(matches!(&events[..], [Event::ForwardOffered { offer }] if offer.to == cat()));
    let (_, events) = ok(&chat, &as_staff(&bob()), &invite(&cat(), true), T0);
    assert!(matches!(&events[..], [Event::Invited { offer }] if offer.to == cat()));
}

// ---------------------------------------------------------------------------------------------
// Views, menus, notices, labels
// ---------------------------------------------------------------------------------------------

#[test]
fn view_for_hides_other_staffs_monitors_but_not_ones_own() {
    let chat = chat_with(&[
        (ann(), Role::Owner, T0),
        (bob(), Role::Monitor, T0),
        (cat(), Role::Monitor, T0),
    ]);
    let ids =
        |view: ChatState| -> Vec<StaffId> { view.members.iter().map(|m| m.staff.id).collect() };
    assert_eq!(ids(chat.view_for(&as_staff(&ann()))), vec![ann().id]);
    assert_eq!(
        ids(chat.view_for(&as_staff(&bob()))),
        vec![ann().id, bob().id]
    );
    assert_eq!(
        ids(chat.view_for(&as_staff(&cat()))),
        vec![ann().id, cat().id]
    );
    assert_eq!(ids(chat.view_for(&as_staff(&dan()))), vec![ann().id]);
    assert_eq!(ids(chat.view_for(&Actor::Visitor)), vec![ann().id]);
    assert_eq!(chat.view_for(&Actor::System), chat);
}

#[test]
fn view_for_hides_offers_and_invitations_from_the_visitor_only() {
    let chat = forwarded_to_bob();
    let (chat, _) = ok(&chat, &as_staff(&ann()), &invite(&dan(), true), T0);
    let visitor = chat.view_for(&Actor::Visitor);
    assert_eq!(visitor.forward, None);
    assert!(visitor.invitations.is_empty());
    assert_eq!(visitor.members, chat.members);
    assert_eq!(visitor.phase, chat.phase);

    let staff_view = chat.view_for(&as_staff(&cat()));
    assert_eq!(staff_view.forward, chat.forward);
    assert_eq!(staff_view.invitations, chat.invitations);
}

#[test]
fn menu_for_a_non_member() {
    assert_eq!(
        busy_chat().menu_for(&dan(), T0),
        vec![Op::Join, Op::JoinInvisibly, Op::Take]
    );
}

#[test]
fn menu_for_a_monitor() {
    assert_eq!(
        busy_chat().menu_for(&cat(), T0),
        vec![Op::Join, Op::Take, Op::Leave]
    );
}

#[test]
fn menu_for_a_participant() {
    assert_eq!(
        busy_chat().menu_for(&bob(), T0),
        vec![
            Op::Take,
            Op::Forward,
            Op::Invite,
            Op::Leave,
            Op::AskRating,
            Op::End
        ]
    );
}

#[test]
fn menu_for_the_owner() {
    assert_eq!(
        busy_chat().menu_for(&ann(), T0),
        vec![Op::Forward, Op::Invite, Op::Leave, Op::AskRating, Op::End]
    );
}

#[test]
fn menu_drops_forward_while_one_is_pending_and_ask_for_rating_while_asked() {
    let chat = ChatState {
        rating: Rating::Asked {
            style: RatingStyle::Star,
        },
        ..forwarded_to_bob()
    };
    assert_eq!(
        chat.menu_for(&ann(), T0),
        vec![Op::Invite, Op::Leave, Op::End]
    );
}

#[test]
fn menu_is_empty_for_an_ended_or_waiting_chat() {
    for who in [ann(), bob(), dan()] {
        assert_eq!(ended_chat().menu_for(&who, T0), Vec::<Op>::new());
        assert_eq!(ChatState::new().menu_for(&who, T0), Vec::<Op>::new());
    }
    // A waiting chat is accepted with its own button, outside the menu.
    assert_eq!(
        permitted(&ChatState::new(), &as_staff(&dan()), Op::Accept, T0),
        Ok(())
    );
}

#[test]
fn notices_use_the_exact_words_of_the_design() {
    let notice = |e: Event| e.notice().expect("this event has a notice");
    assert_eq!(
        notice(Event::Joined { staff: ann() }),
        "Ann has joined the chat"
    );
    assert_eq!(
        notice(Event::Accepted { staff: bob() }),
        "Bob has joined the chat"
    );
    assert_eq!(
        notice(Event::Left {
            staff: cat(),
            new_owner: Some(dan())
        }),
        "Cat has left the chat"
    );
    assert_eq!(
        notice(Event::Left {
            staff: cat(),
            new_owner: None
        }),
        "Cat has left the chat"
    );
    assert_eq!(
        notice(Event::Forwarded {
            from: ann(),
            to: dan()
        }),
        "Chat forwarded to Dan"
    );
    assert_eq!(
        notice(Event::Taken {
            staff: bob(),
            previous: Some(ann())
        }),
        "Bob has taken the chat"
    );
    for reason in [EndReason::Ended, EndReason::LastStaffLeft] {
        assert_eq!(
            notice(Event::Ended {
                by: Some(Author::Visitor),
                reason
            }),
            "Chat ended"
        );
    }
}

#[test]
fn monitor_events_and_messages_have_no_notice() {
    for event in [
        Event::MonitorJoined { staff: ann() },
        Event::MonitorLeft { staff: ann() },
        Event::Message {
            author: Author::Visitor,
            body: "hi".into(),
        },
        Event::Rated {
            style: RatingStyle::Star,
            score: 4,
            comment: String::new(),
        },
    ] {
        assert_eq!(event.notice(), None, "{event:?}");
    }
}

#[test]
fn menu_labels_use_the_exact_words_of_the_design() {
    let labels: Vec<&str> = Op::MENU.iter().map(|op| op.label()).collect();
    assert_eq!(
        labels,
        vec![
            "Join",
            "Join invisibly",
            "Take chat",
            "Forward chat",
            "Invite operator",
            "Leave chat",
            "Ask for rating",
            "End chat"
        ]
    );
    assert_eq!(Op::Accept.label(), "Accept chat");
    for op in [Op::AcceptForward, Op::AcceptInvite] {
        assert_eq!(op.label(), "Accept");
    }
    for op in [Op::DeclineForward, Op::DeclineInvite] {
        assert_eq!(op.label(), "Decline");
    }
}

#[test]
fn every_command_reports_its_own_op() {
    let pairs = [
        (Command::Accept, Op::Accept),
        (Command::Join, Op::Join),
        (Command::JoinInvisibly, Op::JoinInvisibly),
        (Command::Take, Op::Take),
        (forward(&ann(), true), Op::Forward),
        (Command::AcceptForward, Op::AcceptForward),
        (Command::DeclineForward, Op::DeclineForward),
        (invite(&ann(), true), Op::Invite),
        (Command::AcceptInvite, Op::AcceptInvite),
        (Command::DeclineInvite, Op::DeclineInvite),
        (Command::Leave, Op::Leave),
        (
            Command::AskRating {
                style: RatingStyle::Star,
            },
            Op::AskRating,
        ),
        (rate(3), Op::Rate),
        (Command::DismissRating, Op::DismissRating),
        (Command::End, Op::End),
        (send("x"), Op::Send),
        (Command::Expire, Op::Expire),
    ];
    for (command, op) in pairs {
        assert_eq!(command.op(), op, "{command:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/// The staff the random sequences draw on.
fn pool() -> Vec<StaffRef> {
    vec![ann(), bob(), cat(), dan()]
}

/// One command of each kind, with ordinary arguments, for sweeping every actor over every op.
fn sample_commands() -> Vec<Command> {
    vec![
        Command::Accept,
        Command::Join,
        Command::JoinInvisibly,
        Command::Take,
        forward(&dan(), true),
        Command::AcceptForward,
        Command::DeclineForward,
        invite(&dan(), true),
        Command::AcceptInvite,
        Command::DeclineInvite,
        Command::Leave,
        Command::AskRating {
            style: RatingStyle::Star,
        },
        rate(4),
        Command::DismissRating,
        Command::End,
        send("hello"),
        Command::Expire,
    ]
}

fn all_actors() -> Vec<Actor> {
    let mut actors: Vec<Actor> = pool().iter().map(as_staff).collect();
    actors.push(Actor::Visitor);
    actors.push(Actor::System);
    actors
}

fn arb_staff() -> impl Strategy<Value = StaffRef> {
    prop::sample::select(pool())
}

fn arb_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        6 => arb_staff().prop_map(Actor::Staff),
        2 => Just(Actor::Visitor),
        1 => Just(Actor::System),
    ]
}

fn arb_note() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(String::new()),
        2 => Just(" can you take this? ".to_string()),
        1 => Just("n".repeat(MAX_NOTE_CHARS + 1)),
    ]
}

fn arb_body() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just("hello".to_string()),
        1 => Just("   ".to_string()),
        1 => Just("x".repeat(MAX_MESSAGE_CHARS + 1)),
    ]
}

fn arb_style() -> impl Strategy<Value = RatingStyle> {
    prop_oneof![Just(RatingStyle::Smiley), Just(RatingStyle::Star)]
}

fn arb_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        2 => Just(Command::Accept),
        3 => Just(Command::Join),
        3 => Just(Command::JoinInvisibly),
        3 => Just(Command::Take),
        3 => (arb_staff(), arb_note(), prop::bool::weighted(0.8)).prop_map(
            |(to, note, to_available)| Command::Forward { to, note, to_available }
        ),
        3 => Just(Command::AcceptForward),
        1 => Just(Command::DeclineForward),
        3 => (arb_staff(), arb_note(), prop::bool::weighted(0.8)).prop_map(
            |(to, note, to_online)| Command::Invite { to, note, to_online }
        ),
        3 => Just(Command::AcceptInvite),
        1 => Just(Command::DeclineInvite),
        3 => Just(Command::Leave),
        2 => arb_style().prop_map(|style| Command::AskRating { style }),
        2 => (0u8..=6, arb_note()).prop_map(|(score, comment)| Command::Rate { score, comment }),
        1 => Just(Command::DismissRating),
        1 => Just(Command::End),
        3 => arb_body().prop_map(|body| Command::Send { body }),
        2 => Just(Command::Expire),
    ]
}

/// Mostly small pauses, sometimes one long enough for offers to lapse.
fn arb_advance() -> impl Strategy<Value = Millis> {
    prop_oneof![
        4 => 0..2_000i64,
        1 => (OFFER_TTL_MS - 5_000)..(OFFER_TTL_MS + 5_000),
    ]
}

type Script = Vec<(Actor, Command, Millis)>;

fn arb_script() -> impl Strategy<Value = Script> {
    prop::collection::vec((arb_actor(), arb_command(), arb_advance()), 1..=40)
}

fn phase_rank(phase: Phase) -> u8 {
    match phase {
        Phase::Waiting => 0,
        Phase::Active => 1,
        Phase::Ended => 2,
    }
}

fn is_visible(state: &ChatState, id: StaffId) -> bool {
    matches!(state.role_of(id), Some(Role::Owner | Role::Participant))
}

/// Invariants of a single state.
fn check_state(state: &ChatState) -> Result<(), TestCaseError> {
    let owners = state
        .members
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count();
    prop_assert!(owners <= 1, "more than one owner: {:?}", state.members);

    let mut ids: Vec<StaffId> = state.members.iter().map(|m| m.staff.id).collect();
    ids.sort_unstable();
    ids.dedup();
    prop_assert_eq!(
        ids.len(),
        state.members.len(),
        "a staff member twice: {:?}",
        state.members
    );

    match state.phase {
        Phase::Waiting => {
            prop_assert!(state.members.is_empty());
            prop_assert_eq!(&state.forward, &None);
            prop_assert!(state.invitations.is_empty());
            prop_assert_eq!(&state.rating, &Rating::NotAsked);
        }
        Phase::Active => {
            prop_assert_eq!(
                owners,
                1,
                "an active chat without an owner: {:?}",
                state.members
            );
        }
        Phase::Ended => {
            prop_assert_eq!(&state.forward, &None);
            prop_assert!(state.invitations.is_empty());
        }
    }

    if let Some(offer) = &state.forward {
        prop_assert!(offer.from.id != offer.to.id);
        prop_assert!(
            is_visible(state, offer.from.id),
            "a forward from someone no longer in the chat: {:?}",
            state
        );
    }
    let mut invitees: Vec<StaffId> = state.invitations.iter().map(|o| o.to.id).collect();
    invitees.sort_unstable();
    invitees.dedup();
    prop_assert_eq!(invitees.len(), state.invitations.len(), "invited twice");
    for inv in &state.invitations {
        prop_assert!(inv.from.id != inv.to.id);
        prop_assert!(
            !is_visible(state, inv.to.id),
            "an invitation open for someone already in the chat: {:?}",
            state
        );
    }
    Ok(())
}

/// Invariants of one step: `before` --(actor, command, now)--> `result`.
fn check_step(
    before: &ChatState,
    actor: &Actor,
    command: &Command,
    now: Millis,
    result: &Result<(ChatState, Vec<Event>), Refusal>,
) -> Result<(), TestCaseError> {
    // `decide` and `step` agree, and deciding is deterministic.
    let decided = decide(before, actor, command, now);
    match (result, &decided) {
        (Ok((_, events)), Ok(decided)) => prop_assert_eq!(events, decided),
        (Err(refusal), Err(decided)) => prop_assert_eq!(refusal, decided),
        _ => prop_assert!(false, "step and decide disagree"),
    }
    // Whatever `permitted` refuses, `decide` refuses the same way.
    if let Err(refusal) = permitted(before, actor, command.op(), now) {
        prop_assert_eq!(result.as_ref().err(), Some(&refusal));
    }

    let (after, events) = match result {
        Ok((after, events)) => (after, events),
        Err(_) => return Ok(()),
    };
    prop_assert!(!events.is_empty(), "success without events");
    prop_assert!(
        phase_rank(after.phase) >= phase_rank(before.phase),
        "phase went back"
    );
    if before.phase == Phase::Waiting && after.phase == Phase::Active {
        prop_assert_eq!(command, &Command::Accept);
    }

    for (i, event) in events.iter().enumerate() {
        if matches!(
            event,
            Event::MonitorJoined { .. } | Event::MonitorLeft { .. }
        ) {
            prop_assert_eq!(event.audience(), Audience::Actor);
        }
        if let Event::Ended { .. } = event {
            prop_assert_eq!(i, events.len() - 1, "events after the end");
            prop_assert_eq!(after.phase, Phase::Ended);
        }
        // Nothing shown to anyone else ever names a monitor in their monitor role.
        if let Event::Left {
            new_owner: Some(next),
            ..
        } = event
        {
            prop_assert!(is_visible(before, next.id), "a monitor inherited ownership");
        }
        if let Event::Taken {
            previous: Some(prev),
            ..
        } = event
        {
            prop_assert_eq!(before.role_of(prev.id), Some(Role::Owner));
        }
    }

    if let Actor::Staff(me) = actor {
        let monitor_after = after.role_of(me.id) == Some(Role::Monitor);
        if monitor_after || *command == Command::JoinInvisibly {
            for event in events {
                match event {
                    // Answering an offer that staff already know was made to them reveals
                    // nothing about monitoring: anyone may be offered a chat.
                    Event::ForwardDeclined { offer } | Event::InvitationDeclined { offer }
                        if offer.to.id == me.id => {}
                    other => prop_assert_eq!(
                        other.audience(),
                        Audience::Actor,
                        "a monitor was revealed by {:?}",
                        other
                    ),
                }
            }
        }
    }

    if let Command::Send { .. } = command {
        match actor {
            Actor::Visitor => {}
            Actor::Staff(me) => prop_assert!(
                is_visible(before, me.id),
                "{:?} sent as {:?}",
                me,
                before.role_of(me.id)
            ),
            Actor::System => prop_assert!(false, "the system sent a message"),
        }
        prop_assert_eq!(after, before, "a message changed the state");
    }
    Ok(())
}

/// In an ended chat everything is refused, for every actor, and nothing changes.
fn check_ended(state: &ChatState, now: Millis) -> Result<(), TestCaseError> {
    for actor in all_actors() {
        for command in sample_commands() {
            let before = state.clone();
            let expected = match (&command, &actor) {
                (Command::Expire, Actor::System) => Refusal::NothingToExpire,
                (Command::Expire, _) => Refusal::SystemOnly,
                _ => Refusal::ChatEnded,
            };
            prop_assert_eq!(step(state, &actor, &command, now), Err(expected));
            prop_assert_eq!(state, &before);
        }
    }
    Ok(())
}

/// The menu holds exactly the permitted operations, and those that need no arguments go through.
fn check_menus(state: &ChatState, now: Millis) -> Result<(), TestCaseError> {
    for me in pool() {
        let actor = as_staff(&me);
        let menu = state.menu_for(&me, now);
        let expected: Vec<Op> = Op::MENU
            .into_iter()
            .filter(|op| permitted(state, &actor, *op, now).is_ok())
            .collect();
        prop_assert_eq!(&menu, &expected);

        for op in &menu {
            let command = match op {
                Op::Join => Command::Join,
                Op::JoinInvisibly => Command::JoinInvisibly,
                Op::Take => Command::Take,
                Op::Leave => Command::Leave,
                Op::End => Command::End,
                Op::AskRating => Command::AskRating {
                    style: RatingStyle::Smiley,
                },
                Op::Forward | Op::Invite => {
                    // Needs a target: any available staff member the visitor does not see.
                    let Some(to) = pool()
                        .into_iter()
                        .chain([staff(9, "Zed")])
                        .find(|s| s.id != me.id && !is_visible(state, s.id))
                    else {
                        continue;
                    };
                    if *op == Op::Forward {
                        forward(&to, true)
                    } else if state.invitations.iter().any(|o| o.to.id == to.id) {
                        continue;
                    } else {
                        invite(&to, true)
                    }
                }
                other => {
                    prop_assert!(false, "{:?} is not a menu item", other);
                    unreachable!()
                }
            };
            prop_assert!(
                decide(state, &actor, &command, now).is_ok(),
                "{:?} offered {:?} but it was refused",
                me,
                op
            );
        }

        // Buttons outside the menu: allowed means it goes through.
        for command in [
            Command::Accept,
            Command::AcceptForward,
            Command::DeclineForward,
            Command::AcceptInvite,
            Command::DeclineInvite,
        ] {
            if permitted(state, &actor, command.op(), now).is_ok() {
                prop_assert!(
                    decide(state, &actor, &command, now).is_ok(),
                    "{:?} permitted {:?} but decide refused",
                    me,
                    command
                );
            }
        }
    }
    if permitted(state, &Actor::Visitor, Op::DismissRating, now).is_ok() {
        prop_assert!(decide(state, &Actor::Visitor, &Command::DismissRating, now).is_ok());
    }
    Ok(())
}

/// Runs a script, checking every invariant along the way; returns the final state.
fn run_checked(script: &Script) -> Result<ChatState, TestCaseError> {
    let mut state = ChatState::new();
    let mut now = T0;
    check_state(&state)?;
    for (actor, command, advance) in script {
        now += advance;
        let before = state.clone();
        let result = step(&state, actor, command, now);
        prop_assert_eq!(&state, &before, "step changed its input");
        check_step(&before, actor, command, now, &result)?;
        if before.phase == Phase::Ended {
            prop_assert!(result.is_err(), "a command went through after the end");
        }
        if let Ok((next, _)) = result {
            state = next;
        }
        check_state(&state)?;
        check_menus(&state, now)?;
        if state.phase == Phase::Ended {
            check_ended(&state, now)?;
        }
    }
    Ok(state)
}

/// Applies a script, skipping refusals; returns the final state and time.
fn play(script: &Script) -> (ChatState, Millis) {
    let mut state = ChatState::new();
    let mut now = T0;
    for (actor, command, advance) in script {
        now += advance;
        if let Ok((next, _)) = step(&state, actor, command, now) {
            state = next;
        }
    }
    (state, now)
}

/// One step's outcome, and the chat as the pool staff and the visitor see it afterwards.
type Observed = (Result<Vec<Event>, Refusal>, Vec<ChatState>);

/// Applies a script, skipping refusals, and records each step's outcome and what the visitor and
/// each pool staff member see afterwards.
fn observe(
    script: &Script,
    extra: &[(usize, Command)],
    spy: &StaffRef,
) -> Result<Vec<Observed>, TestCaseError> {
    let viewers: Vec<Actor> = pool()
        .iter()
        .map(as_staff)
        .chain([Actor::Visitor])
        .collect();
    let mut state = ChatState::new();
    let mut now = T0;
    let mut seen = Vec::new();
    for (i, (actor, command, advance)) in script.iter().enumerate() {
        now += advance;
        for (_, spy_command) in extra.iter().filter(|(at, _)| *at == i) {
            if let Ok((next, events)) = step(&state, &as_staff(spy), spy_command, now) {
                for event in &events {
                    prop_assert_eq!(event.audience(), Audience::Actor, "{:?}", event);
                }
                state = next;
            }
        }
        let result = step(&state, actor, command, now);
        let outcome = result
            .as_ref()
            .map(|(_, events)| events.clone())
            .map_err(Clone::clone);
        if let Ok((next, _)) = result {
            state = next;
        }
        let views = viewers.iter().map(|v| state.view_for(v)).collect();
        seen.push((outcome, views));
    }
    Ok(seen)
}

/// A script that starts with a staff member accepting the chat, so most steps act on an active
/// chat.
fn arb_accepted_script() -> impl Strategy<Value = Script> {
    let rest = prop::collection::vec((arb_actor(), arb_command(), arb_advance()), 1..=40);
    (arb_staff(), rest).prop_map(|(first, rest)| {
        let mut script: Script = vec![(Actor::Staff(first), Command::Accept, 0)];
        script.extend(rest);
        script
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every invariant of DESIGN.md §3, after every step of a random session.
    #[test]
    fn invariants_hold_over_random_sessions(script in arb_script()) {
        run_checked(&script)?;
    }

    /// Sessions that always get going: accepted first, so most steps act on an active chat.
    #[test]
    fn invariants_hold_over_random_accepted_sessions(script in arb_accepted_script()) {
        run_checked(&script)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A monitor is invisible: a staff member outside the pool who joins invisibly (and maybe
    /// leaves again) changes nothing that the visitor or any other staff member sees or gets.
    #[test]
    fn a_monitor_changes_nothing_anyone_else_sees(
        script in arb_accepted_script(),
        join_at in any::<prop::sample::Index>(),
        leave_at in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let spy = staff(9, "Zed");
        let join = join_at.index(script.len());
        let mut extra = vec![(join, Command::JoinInvisibly)];
        if let Some(leave_at) = leave_at {
            extra.push((join + leave_at.index(script.len() - join), Command::Leave));
        }
        let without = observe(&script, &[], &spy)?;
        let with = observe(&script, &extra, &spy)?;
        prop_assert_eq!(without, with);
    }

    /// Wherever a session got to, every actor trying every command either is refused with the
    /// state untouched, or gets exactly the state that folding the decided events gives.
    #[test]
    fn refusals_leave_the_state_untouched_and_steps_fold_decided_events(
        script in arb_script(),
        advance in arb_advance(),
    ) {
        let (state, now) = play(&script);
        let now = now + advance;
        for actor in all_actors() {
            for command in sample_commands() {
                let before = state.clone();
                let decided = decide(&state, &actor, &command, now);
                prop_assert_eq!(&state, &before);
                match (decided, step(&state, &actor, &command, now)) {
                    (Err(refused), Err(stepped)) => prop_assert_eq!(refused, stepped),
                    (Ok(events), Ok((next, stepped))) => {
                        let mut folded = before.clone();
                        for event in &events {
                            apply(&mut folded, event, now);
                        }
                        prop_assert_eq!(&events, &stepped);
                        prop_assert_eq!(next, folded);
                    }
                    (decided, stepped) => {
                        prop_assert!(false, "decide {:?} but step {:?}", decided, stepped)
                    }
                }
                prop_assert_eq!(&state, &before);
            }
        }
    }
}

fn attach(visitor_allowed: bool) -> Command {
    Command::Attach {
        file: SharedFile {
            id: 7,
            name: "photo.png".into(),
            size: 68,
            content_type: "image/png".into(),
        },
        visitor_allowed,
    }
}

#[test]
fn files_go_wherever_messages_go_and_visitors_only_when_allowed() {
    let state = chat_with(&[(ann(), Role::Owner, 0), (bob(), Role::Monitor, 0)]);
    let (_, events) = ok(&state, &as_staff(&ann()), &attach(false), 5);
    assert!(
        matches!(&events[..], [Event::Attachment { author: Author::Staff(s), file }] if s.id == 1 && file.id == 7)
    );
    assert_eq!(audiences(&events), [Audience::Everyone]);
    let (_, events) = ok(&state, &Actor::Visitor, &attach(true), 5);
    assert!(matches!(
        &events[..],
        [Event::Attachment {
            author: Author::Visitor,
            ..
        }]
    ));
    assert_eq!(
        refused(&state, &Actor::Visitor, &attach(false), 5),
        Refusal::AttachmentsOff
    );
    assert_eq!(
        refused(&state, &as_staff(&bob()), &attach(true), 5),
        Refusal::MonitorCannotSend
    );
    assert_eq!(
        refused(&state, &as_staff(&cat()), &attach(true), 5),
        Refusal::NotInChat
    );
    assert_eq!(
        refused(&ended_chat(), &Actor::Visitor, &attach(true), 5),
        Refusal::ChatEnded
    );
}
