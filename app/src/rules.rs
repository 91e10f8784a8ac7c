//! The chat rules: who may do what inside one chat, and what follows from it.
//!
//! Pure functions only (no I/O, no clock, no framework types) so that the server decides with them
//! and the browser compiles the very same code to show or hide menu items. The server feeds in the
//! facts it owns (the current time, a colleague's presence) as arguments.
//!
//! Shape: [`decide`] checks a [`Command`] from an [`Actor`] against a [`ChatState`] and returns the
//! [`Event`]s it causes, or a typed [`Refusal`]. [`apply`] folds one event into the state. Events
//! carry their own [`Audience`], which is what keeps a monitor invisible and staff-only offers away
//! from the visitor.

use serde::{Deserialize, Serialize};

pub type StaffId = i64;
/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest note attached to a forward offer or an invitation, in characters.
pub const MAX_NOTE_CHARS: usize = 500;
/// How long a forward offer or an invitation stays open.
pub const OFFER_TTL_MS: Millis = 60_000;

/// A staff member as the rules need them: an id to compare and a name for notices.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StaffRef {
    pub id: StaffId,
    pub name: String,
}

/// A staff member's role inside one chat (DESIGN.md §3). Invitees are tracked as [`Invitation`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Participant,
    Monitor,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub staff: StaffRef,
    pub role: Role,
    /// When they came into the chat; the longest-present participant inherits ownership.
    pub since: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Started by the visitor, no staff has accepted it yet.
    Waiting,
    Active,
    Ended,
}

/// A pending `Forward chat` offer or `Invite operator` invitation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub from: StaffRef,
    pub to: StaffRef,
    pub note: String,
    pub expires_at: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RatingStyle {
    Smiley,
    Star,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rating {
    NotAsked,
    Asked {
        style: RatingStyle,
    },
    Answered {
        style: RatingStyle,
        score: u8,
        comment: String,
    },
    Dismissed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EndReason {
    /// Someone pressed `End chat`.
    Ended,
    /// The only staff member left (`Leave chat`), so the chat continues as a ticket.
    LastStaffLeft,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatState {
    pub phase: Phase,
    pub members: Vec<Member>,
    pub forward: Option<Offer>,
    pub invitations: Vec<Offer>,
    pub rating: Rating,
}

impl Default for ChatState {
    fn default() -> Self {
        Self::new()
    }
}

/// Who is acting. The server derives it from the session or the visitor's chat token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Visitor,
    Staff(StaffRef),
    /// The server itself, for time-driven work such as lapsing offers.
    System,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Accept a waiting chat and become its owner.
    Accept,
    Join,
    JoinInvisibly,
    Take,
    /// `to_available` is the server's reading of the receiver's presence.
    Forward {
        to: StaffRef,
        note: String,
        to_available: bool,
    },
    AcceptForward,
    DeclineForward,
    /// `to_online` is the server's reading of the invitee's presence.
    Invite {
        to: StaffRef,
        note: String,
        to_online: bool,
    },
    AcceptInvite,
    DeclineInvite,
    Leave,
    AskRating {
        style: RatingStyle,
    },
    Rate {
        score: u8,
        comment: String,
    },
    DismissRating,
    End,
    Send {
        body: String,
    },
    /// Share a stored file in the chat. Allowed wherever `Send` is; `visitor_allowed` is the
    /// server's reading of the live chat settings (visitors may attach files or not).
    Attach {
        file: SharedFile,
        visitor_allowed: bool,
    },
    /// Lapse the offers and invitations whose time is up.
    Expire,
}

/// The kinds of [`Command`], for menus and audits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    Accept,
    Join,
    JoinInvisibly,
    Take,
    Forward,
    AcceptForward,
    DeclineForward,
    Invite,
    AcceptInvite,
    DeclineInvite,
    Leave,
    AskRating,
    Rate,
    DismissRating,
    End,
    Send,
    Expire,
}

impl Op {
    /// The operations a staff member may find in the console's "more" menu, in menu order.
    pub const MENU: [Op; 8] = [
        Op::Join,
        Op::JoinInvisibly,
        Op::Take,
        Op::Forward,
        Op::Invite,
        Op::Leave,
        Op::AskRating,
        Op::End,
    ];

    /// The exact words the UI uses for this operation (DESIGN.md §2).
    pub fn label(self) -> &'static str {
        match self {
            Op::Accept => "Accept chat",
            Op::Join => "Join",
            Op::JoinInvisibly => "Join invisibly",
            Op::Take => "Take chat",
            Op::Forward => "Forward chat",
            Op::Invite => "Invite operator",
            Op::Leave => "Leave chat",
            Op::AskRating => "Ask for rating",
            Op::End => "End chat",
            Op::AcceptForward | Op::AcceptInvite => "Accept",
            Op::DeclineForward | Op::DeclineInvite => "Decline",
            Op::Rate => "Rate",
            Op::DismissRating => "Dismiss",
            Op::Send => "Send",
            Op::Expire => "Expire",
        }
    }
}

impl Command {
    pub fn op(&self) -> Op {
        match self {
            Command::Accept => Op::Accept,
            Command::Join => Op::Join,
            Command::JoinInvisibly => Op::JoinInvisibly,
            Command::Take => Op::Take,
            Command::Forward { .. } => Op::Forward,
            Command::AcceptForward => Op::AcceptForward,
            Command::DeclineForward => Op::DeclineForward,
            Command::Invite { .. } => Op::Invite,
            Command::AcceptInvite => Op::AcceptInvite,
            Command::DeclineInvite => Op::DeclineInvite,
            Command::Leave => Op::Leave,
            Command::AskRating { .. } => Op::AskRating,
            Command::Rate { .. } => Op::Rate,
            Command::DismissRating => Op::DismissRating,
            Command::End => Op::End,
            Command::Send { .. } | Command::Attach { .. } => Op::Send,
            Command::Expire => Op::Expire,
        }
    }
}

/// Who an event is shown to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Audience {
    /// The visitor and every staff member who can see the chat.
    Everyone,
    /// Staff who can see the chat, never the visitor.
    Staff,
    /// Nobody but the acting staff member: changes state without a trace in the transcript.
    Actor,
}

/// A file shared in a chat: stored once, then shown to everyone in the chat like a message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SharedFile {
    /// The attachment's id within its chat's downloads.
    pub id: i64,
    pub name: String,
    /// Bytes.
    pub size: u64,
    pub content_type: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Author {
    Visitor,
    Staff(StaffRef),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    Accepted {
        staff: StaffRef,
    },
    Joined {
        staff: StaffRef,
    },
    MonitorJoined {
        staff: StaffRef,
    },
    MonitorLeft {
        staff: StaffRef,
    },
    Taken {
        staff: StaffRef,
        previous: Option<StaffRef>,
    },
    ForwardOffered {
        offer: Offer,
    },
    ForwardDeclined {
        offer: Offer,
    },
    ForwardLapsed {
        offer: Offer,
    },
    Forwarded {
        from: StaffRef,
        to: StaffRef,
    },
    Invited {
        offer: Offer,
    },
    InvitationDeclined {
        offer: Offer,
    },
    InvitationLapsed {
        offer: Offer,
    },
    Left {
        staff: StaffRef,
        new_owner: Option<StaffRef>,
    },
    RatingRequested {
        by: StaffRef,
        style: RatingStyle,
    },
    Rated {
        style: RatingStyle,
        score: u8,
        comment: String,
    },
    RatingDismissed,
    Message {
        author: Author,
        body: String,
    },
    /// A file shared in the chat; anyone in the chat may download it.
    Attachment {
        author: Author,
        file: SharedFile,
    },
    Ended {
        by: Option<Author>,
        reason: EndReason,
    },
}

impl Event {
    pub fn audience(&self) -> Audience {
        match self {
            Event::MonitorJoined { .. } | Event::MonitorLeft { .. } => Audience::Actor,
            Event::ForwardOffered { .. }
            | Event::ForwardDeclined { .. }
            | Event::ForwardLapsed { .. }
            | Event::Invited { .. }
            | Event::InvitationDeclined { .. }
            | Event::InvitationLapsed { .. } => Audience::Staff,
            Event::Accepted { .. }
            | Event::Joined { .. }
            | Event::Taken { .. }
            | Event::Forwarded { .. }
            | Event::Left { .. }
            | Event::RatingRequested { .. }
            | Event::Rated { .. }
            | Event::RatingDismissed
            | Event::Message { .. }
            | Event::Attachment { .. }
            | Event::Ended { .. } => Audience::Everyone,
        }
    }

    /// The transcript notice for this event, in the exact words of DESIGN.md §2, if it has one.
    pub fn notice(&self) -> Option<String> {
        Some(match self {
            Event::Accepted { staff } | Event::Joined { staff } => {
                format!("{} has joined the chat", staff.name)
            }
            Event::Left { staff, .. } => format!("{} has left the chat", staff.name),
            Event::Taken { staff, .. } => format!("{} has taken the chat", staff.name),
            Event::Forwarded { to, .. } => format!("Chat forwarded to {}", to.name),
            Event::Ended { .. } => "Chat ended".to_string(),
            Event::ForwardOffered { offer } => {
                format!("{} offered the chat to {}", offer.from.name, offer.to.name)
            }
            Event::ForwardDeclined { offer } => {
                format!("{} declined the forwarded chat", offer.to.name)
            }
            Event::ForwardLapsed { offer } => {
                format!("The forward to {} was not answered in time", offer.to.name)
            }
            Event::Invited { offer } => format!("{} invited {}", offer.from.name, offer.to.name),
            Event::InvitationDeclined { offer } => {
                format!("{} declined the invitation", offer.to.name)
            }
            Event::InvitationLapsed { offer } => {
                format!(
                    "The invitation to {} was not answered in time",
                    offer.to.name
                )
            }
            Event::RatingRequested { .. } => "Rating requested".to_string(),
            Event::RatingDismissed => "Rating dismissed".to_string(),
            Event::Rated { .. }
            | Event::Message { .. }
            | Event::Attachment { .. }
            | Event::MonitorJoined { .. }
            | Event::MonitorLeft { .. } => return None,
        })
    }
}

/// Why an operation was refused. The `Display` text is what the user is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    #[error("This chat has ended.")]
    ChatEnded,
    #[error("This chat is waiting to be accepted.")]
    ChatWaiting,
    #[error("This chat has already been accepted.")]
    NotWaiting,
    #[error("Only staff can do that.")]
    StaffOnly,
    #[error("Only the visitor can do that.")]
    VisitorOnly,
    #[error("You are not in this chat.")]
    NotInChat,
    #[error("You are already in this chat.")]
    AlreadyInChat,
    #[error("You already own this chat.")]
    AlreadyOwner,
    #[error("You are monitoring this chat invisibly and cannot send messages. Join to take part.")]
    MonitorCannotSend,
    #[error("You are monitoring this chat; join it first.")]
    MonitorMustJoin,
    #[error("{0} is already in this chat.")]
    TargetInChat(String),
    #[error("{0} is not available for chats right now.")]
    TargetUnavailable(String),
    #[error("{0} is not online.")]
    TargetOffline(String),
    #[error("You cannot do that to yourself.")]
    SelfTarget,
    #[error("This chat already has a forward waiting for an answer.")]
    ForwardPending,
    #[error("{0} has already been invited.")]
    AlreadyInvited(String),
    #[error("There is no offer for you to answer.")]
    NoOffer,
    #[error("The offer has lapsed.")]
    OfferLapsed,
    #[error("There is no invitation for you to answer.")]
    NoInvitation,
    #[error("The invitation has lapsed.")]
    InvitationLapsed,
    #[error("A rating has already been requested and not answered yet.")]
    RatingPending,
    #[error("No rating was requested.")]
    NoRatingRequested,
    #[error("The rating must be between 1 and 5.")]
    BadScore,
    #[error("The message is empty.")]
    EmptyMessage,
    #[error("The message is longer than {MAX_MESSAGE_CHARS} characters.")]
    MessageTooLong,
    #[error("The note is longer than {MAX_NOTE_CHARS} characters.")]
    NoteTooLong,
    #[error("Visitors cannot send files in this chat.")]
    AttachmentsOff,
    #[error("Nothing has lapsed.")]
    NothingToExpire,
    #[error("Only the server can do that.")]
    SystemOnly,
}

impl ChatState {
    pub fn new() -> Self {
        ChatState {
            phase: Phase::Waiting,
            members: Vec::new(),
            forward: None,
            invitations: Vec::new(),
            rating: Rating::NotAsked,
        }
    }

    pub fn role_of(&self, staff: StaffId) -> Option<Role> {
        self.members
            .iter()
            .find(|m| m.staff.id == staff)
            .map(|m| m.role)
    }

    pub fn owner(&self) -> Option<&StaffRef> {
        self.members
            .iter()
            .find(|m| m.role == Role::Owner)
            .map(|m| &m.staff)
    }

    /// Owner and participants: the staff the visitor knows about.
    pub fn visible_staff(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.role != Role::Monitor)
    }

    /// Whether this staff member may read the transcript: anyone while it waits to be accepted,
    /// afterwards only members (monitors included) and whoever holds an open offer or invitation.
    pub fn staff_can_read(&self, staff: StaffId) -> bool {
        self.phase == Phase::Waiting
            || self.role_of(staff).is_some()
            || self.forward.as_ref().is_some_and(|o| o.to.id == staff)
            || self.invitations.iter().any(|o| o.to.id == staff)
    }

    /// The state as one viewer may see it: other staff's invisible monitoring is never shown.
    pub fn view_for(&self, viewer: &Actor) -> ChatState {
        let mut view = self.clone();
        match viewer {
            Actor::Staff(me) => view
                .members
                .retain(|m| m.role != Role::Monitor || m.staff.id == me.id),
            Actor::Visitor => {
                view.members.retain(|m| m.role != Role::Monitor);
                view.forward = None;
                view.invitations.clear();
            }
            Actor::System => {}
        }
        view
    }

    /// The menu entries this staff member may use now, in menu order.
    pub fn menu_for(&self, me: &StaffRef, now: Millis) -> Vec<Op> {
        let actor = Actor::Staff(me.clone());
        Op::MENU
            .into_iter()
            .filter(|op| permitted(self, &actor, *op, now).is_ok())
            .collect()
    }
}

fn staff_of(actor: &Actor) -> Result<&StaffRef, Refusal> {
    match actor {
        Actor::Staff(s) => Ok(s),
        Actor::Visitor => Err(Refusal::StaffOnly),
        Actor::System => Err(Refusal::StaffOnly),
    }
}

fn check_note(note: &str) -> Result<(), Refusal> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(Refusal::NoteTooLong);
    }
    Ok(())
}

/// Checks an operation without its arguments: the part of [`decide`] that menus need.
pub fn permitted(state: &ChatState, actor: &Actor, op: Op, now: Millis) -> Result<(), Refusal> {
    if op == Op::Expire {
        return match actor {
            Actor::System => Ok(()),
            _ => Err(Refusal::SystemOnly),
        };
    }
    if state.phase == Phase::Ended {
        return Err(Refusal::ChatEnded);
    }
    if matches!(actor, Actor::System) {
        return Err(Refusal::StaffOnly);
    }
    if let Actor::Visitor = actor {
        return match op {
            Op::Send | Op::End => Ok(()),
            Op::Rate | Op::DismissRating => match state.rating {
                Rating::Asked { .. } => Ok(()),
                _ => Err(Refusal::NoRatingRequested),
            },
            _ => Err(Refusal::StaffOnly),
        };
    }
    let me = staff_of(actor)?;
    let role = state.role_of(me.id);
    let waiting = state.phase == Phase::Waiting;
    match op {
        Op::Accept => {
            if !waiting {
                Err(Refusal::NotWaiting)
            } else {
                Ok(())
            }
        }
        Op::Rate | Op::DismissRating => Err(Refusal::VisitorOnly),
        _ if waiting => Err(Refusal::ChatWaiting),
        Op::Join => match role {
            None | Some(Role::Monitor) => Ok(()),
            Some(_) => Err(Refusal::AlreadyInChat),
        },
        Op::JoinInvisibly => match role {
            None => Ok(()),
            Some(_) => Err(Refusal::AlreadyInChat),
        },
        Op::Take => match role {
            Some(Role::Owner) => Err(Refusal::AlreadyOwner),
            _ => Ok(()),
        },
        Op::Forward => match role {
            Some(Role::Owner | Role::Participant) if state.forward.is_some() => {
                Err(Refusal::ForwardPending)
            }
            Some(Role::Owner | Role::Participant) => Ok(()),
            Some(Role::Monitor) => Err(Refusal::MonitorMustJoin),
            None => Err(Refusal::NotInChat),
        },
        Op::Invite | Op::AskRating | Op::End | Op::Send => match role {
            Some(Role::Owner | Role::Participant) => {
                if op == Op::AskRating && matches!(state.rating, Rating::Asked { .. }) {
                    Err(Refusal::RatingPending)
                } else {
                    Ok(())
                }
            }
            Some(Role::Monitor) if op == Op::Send => Err(Refusal::MonitorCannotSend),
            Some(Role::Monitor) => Err(Refusal::MonitorMustJoin),
            None => Err(Refusal::NotInChat),
        },
        Op::Leave => match role {
            Some(_) => Ok(()),
            None => Err(Refusal::NotInChat),
        },
        Op::AcceptForward | Op::DeclineForward => match &state.forward {
            Some(offer) if offer.to.id == me.id => {
                if op == Op::AcceptForward && now > offer.expires_at {
                    Err(Refusal::OfferLapsed)
                } else {
                    Ok(())
                }
            }
            _ => Err(Refusal::NoOffer),
        },
        Op::AcceptInvite | Op::DeclineInvite => {
            match state.invitations.iter().find(|o| o.to.id == me.id) {
                Some(inv) => {
                    if op == Op::AcceptInvite && now > inv.expires_at {
                        Err(Refusal::InvitationLapsed)
                    } else {
                        Ok(())
                    }
                }
                None => Err(Refusal::NoInvitation),
            }
        }
        Op::Expire => Err(Refusal::SystemOnly),
    }
}

/// Decides what a command causes. Nothing changes on a refusal.
pub fn decide(
    state: &ChatState,
    actor: &Actor,
    command: &Command,
    now: Millis,
) -> Result<Vec<Event>, Refusal> {
    permitted(state, actor, command.op(), now)?;
    let author = match actor {
        Actor::Visitor => Some(Author::Visitor),
        Actor::Staff(s) => Some(Author::Staff(s.clone())),
        Actor::System => None,
    };
    let me = || staff_of(actor).cloned();
    let events = match command {
        Command::Send { body } => {
            let body = body.trim();
            if body.is_empty() {
                return Err(Refusal::EmptyMessage);
            }
            if body.chars().count() > MAX_MESSAGE_CHARS {
                return Err(Refusal::MessageTooLong);
            }
            vec![Event::Message {
                author: author.expect("permitted() admits only visitor and staff"),
                body: body.to_string(),
            }]
        }
        Command::Attach {
            file,
            visitor_allowed,
        } => {
            if matches!(actor, Actor::Visitor) && !visitor_allowed {
                return Err(Refusal::AttachmentsOff);
            }
            vec![Event::Attachment {
                author: author.expect("permitted() admits only visitor and staff"),
                file: file.clone(),
            }]
        }
        Command::Accept => vec![Event::Accepted { staff: me()? }],
        Command::Join => vec![Event::Joined { staff: me()? }],
        Command::JoinInvisibly => vec![Event::MonitorJoined { staff: me()? }],
        Command::Take => vec![Event::Taken {
            staff: me()?,
            previous: state.owner().cloned(),
        }],
        Command::Forward {
            to,
            note,
            to_available,
        } => {
            let me = me()?;
            check_target(state, &me, to)?;
            check_note(note)?;
            if !to_available {
                return Err(Refusal::TargetUnavailable(to.name.clone()));
            }
            vec![Event::ForwardOffered {
                offer: Offer {
                    from: me,
                    to: to.clone(),
                    note: note.trim().to_string(),
                    expires_at: now + OFFER_TTL_MS,
                },
            }]
        }
        Command::AcceptForward => {
            let offer = state.forward.clone().ok_or(Refusal::NoOffer)?;
            vec![Event::Forwarded {
                from: offer.from,
                to: offer.to,
            }]
        }
        Command::DeclineForward => vec![Event::ForwardDeclined {
            offer: state.forward.clone().ok_or(Refusal::NoOffer)?,
        }],
        Command::Invite {
            to,
            note,
            to_online,
        } => {
            let me = me()?;
            check_target(state, &me, to)?;
            check_note(note)?;
            if state.invitations.iter().any(|o| o.to.id == to.id) {
                return Err(Refusal::AlreadyInvited(to.name.clone()));
            }
            if !to_online {
                return Err(Refusal::TargetOffline(to.name.clone()));
            }
            vec![Event::Invited {
                offer: Offer {
                    from: me,
                    to: to.clone(),
                    note: note.trim().to_string(),
                    expires_at: now + OFFER_TTL_MS,
                },
            }]
        }
        Command::AcceptInvite => vec![Event::Joined { staff: me()? }],
        Command::DeclineInvite => {
            let me = me()?;
            let offer = state
                .invitations
                .iter()
                .find(|o| o.to.id == me.id)
                .cloned()
                .ok_or(Refusal::NoInvitation)?;
            vec![Event::InvitationDeclined { offer }]
        }
        Command::Leave => {
            let me = me()?;
            if state.role_of(me.id) == Some(Role::Monitor) {
                vec![Event::MonitorLeft { staff: me }]
            } else {
                let remaining: Vec<&Member> = state
                    .visible_staff()
                    .filter(|m| m.staff.id != me.id)
                    .collect();
                let was_owner = state.role_of(me.id) == Some(Role::Owner);
                let new_owner = if was_owner {
                    remaining
                        .iter()
                        .min_by_key(|m| m.since)
                        .map(|m| m.staff.clone())
                } else {
                    None
                };
                let mut events = vec![Event::Left {
                    staff: me.clone(),
                    new_owner,
                }];
                if remaining.is_empty() {
                    events.push(Event::Ended {
                        by: Some(Author::Staff(me)),
                        reason: EndReason::LastStaffLeft,
                    });
                }
                events
            }
        }
        Command::AskRating { style } => vec![Event::RatingRequested {
            by: me()?,
            style: *style,
        }],
        Command::Rate { score, comment } => {
            let Rating::Asked { style } = state.rating else {
                return Err(Refusal::NoRatingRequested);
            };
            if !(1..=5).contains(score) {
                return Err(Refusal::BadScore);
            }
            check_note(comment)?;
            vec![Event::Rated {
                style,
                score: *score,
                comment: comment.trim().to_string(),
            }]
        }
        Command::DismissRating => vec![Event::RatingDismissed],
        Command::End => vec![Event::Ended {
            by: author,
            reason: EndReason::Ended,
        }],
        Command::Expire => {
            let mut events = Vec::new();
            if let Some(offer) = &state.forward {
                if now > offer.expires_at {
                    events.push(Event::ForwardLapsed {
                        offer: offer.clone(),
                    });
                }
            }
            for inv in &state.invitations {
                if now > inv.expires_at {
                    events.push(Event::InvitationLapsed { offer: inv.clone() });
                }
            }
            if events.is_empty() {
                return Err(Refusal::NothingToExpire);
            }
            events
        }
    };
    Ok(events)
}

/// A forward or invitation may not target oneself or someone the visitor already sees in the chat.
/// A monitor may be targeted: refusing would reveal them to the sender.
fn check_target(state: &ChatState, me: &StaffRef, to: &StaffRef) -> Result<(), Refusal> {
    if to.id == me.id {
        return Err(Refusal::SelfTarget);
    }
    match state.role_of(to.id) {
        Some(Role::Owner | Role::Participant) => Err(Refusal::TargetInChat(to.name.clone())),
        _ => Ok(()),
    }
}

/// Folds one event into the state. Events come from [`decide`], so they are trusted here.
pub fn apply(state: &mut ChatState, event: &Event, now: Millis) {
    match event {
        Event::Accepted { staff } => {
            state.phase = Phase::Active;
            set_role(state, staff, Role::Owner, now);
        }
        Event::Joined { staff } => {
            drop_offers_to(state, staff.id);
            set_role(state, staff, Role::Participant, now);
        }
        Event::MonitorJoined { staff } => set_role(state, staff, Role::Monitor, now),
        Event::MonitorLeft { staff } => remove_member(state, staff.id),
        Event::Taken { staff, .. } => {
            drop_offers_to(state, staff.id);
            demote_owner(state);
            set_role(state, staff, Role::Owner, now);
        }
        Event::ForwardOffered { offer } => state.forward = Some(offer.clone()),
        Event::ForwardDeclined { .. } | Event::ForwardLapsed { .. } => state.forward = None,
        Event::Forwarded { from, to } => {
            state.forward = None;
            state.invitations.retain(|o| o.to.id != to.id);
            remove_member(state, from.id);
            demote_owner(state);
            set_role(state, to, Role::Owner, now);
        }
        Event::Invited { offer } => state.invitations.push(offer.clone()),
        Event::InvitationDeclined { offer } | Event::InvitationLapsed { offer } => {
            state.invitations.retain(|o| o.to.id != offer.to.id)
        }
        Event::Left { staff, new_owner } => {
            remove_member(state, staff.id);
            if state
                .forward
                .as_ref()
                .is_some_and(|o| o.from.id == staff.id)
            {
                state.forward = None;
            }
            if let Some(next) = new_owner {
                if let Some(m) = state.members.iter_mut().find(|m| m.staff.id == next.id) {
                    m.role = Role::Owner;
                }
            }
        }
        Event::RatingRequested { style, .. } => state.rating = Rating::Asked { style: *style },
        Event::Rated {
            style,
            score,
            comment,
        } => {
            state.rating = Rating::Answered {
                style: *style,
                score: *score,
                comment: comment.clone(),
            }
        }
        Event::RatingDismissed => state.rating = Rating::Dismissed,
        Event::Message { .. } | Event::Attachment { .. } => {}
        Event::Ended { .. } => {
            state.phase = Phase::Ended;
            state.forward = None;
            state.invitations.clear();
        }
    }
}

fn set_role(state: &mut ChatState, staff: &StaffRef, role: Role, now: Millis) {
    match state.members.iter_mut().find(|m| m.staff.id == staff.id) {
        // A monitor who joins visibly is counted from the moment they became visible.
        Some(m) => {
            if m.role == Role::Monitor {
                m.since = now;
            }
            m.role = role;
        }
        None => state.members.push(Member {
            staff: staff.clone(),
            role,
            since: now,
        }),
    }
}

/// Someone who came into the chat another way no longer needs an offer or invitation for it.
fn drop_offers_to(state: &mut ChatState, staff: StaffId) {
    state.invitations.retain(|o| o.to.id != staff);
    if state.forward.as_ref().is_some_and(|o| o.to.id == staff) {
        state.forward = None;
    }
}

fn demote_owner(state: &mut ChatState) {
    for m in state.members.iter_mut().filter(|m| m.role == Role::Owner) {
        m.role = Role::Participant;
    }
}

fn remove_member(state: &mut ChatState, staff: StaffId) {
    state.members.retain(|m| m.staff.id != staff);
}

/// Runs [`decide`] and folds the events it returns into a copy of the state.
pub fn step(
    state: &ChatState,
    actor: &Actor,
    command: &Command,
    now: Millis,
) -> Result<(ChatState, Vec<Event>), Refusal> {
    let events = decide(state, actor, command, now)?;
    let mut next = state.clone();
    for e in &events {
        apply(&mut next, e, now);
    }
    Ok((next, events))
}
