//! The chat service: every operation on chats and staff goes through here, whether it comes from
//! a server function, the WebSocket or the command line. It checks who is acting, asks the rules,
//! stores, then publishes what was stored.

use super::auth;
use super::cluster::{Cluster, Heard, Hint, Liveness};
use super::hub::{Change, Directory, Hub};
use super::now_ms;
use super::store::{Applied, AuditNote, NewChat, NewStaff, Store, StoreError};
use crate::api::StaffOp;
use crate::model::{ChatId, ChatSummary, Department, Me, Started, Status, StoredEvent, Visitor};
use crate::protocol::HISTORY_PAGE;
use crate::routing::{self, dispatch, Facts, Placement, StaffLoad};
use crate::rules::{self, Actor, Author, Command, Event, Phase, Refusal, Role, StaffId};
use crate::ticket::{Closing, TicketStatus};
use crate::validate::{self, FieldError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Refused(Refusal),
    #[error("not signed in")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Refused(r) => ServiceError::Refused(r),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            StoreError::Db(m) => {
                tracing::error!("storage: {m}");
                ServiceError::Internal(m)
            }
        }
    }
}

fn invalid(field: &str, message: &str) -> ServiceError {
    ServiceError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// What the pre-chat form sends.
pub struct StartChat {
    pub name: String,
    pub email: String,
    pub department_id: Option<i64>,
    pub question: String,
    pub page_url: Option<String>,
}

pub struct AddStaff {
    pub name: String,
    pub email: String,
    pub password: String,
    pub is_admin: bool,
    pub departments: Vec<String>,
}

mod admin;
mod articles;
mod commit;
pub mod files;
mod nodes;
mod rating;
mod tickets;

pub const MIN_PASSWORD_CHARS: usize = 8;

/// Who a socket or request speaks for, once checked.
#[derive(Clone, Debug)]
pub enum Viewer {
    Staff(Me),
    /// A visitor, who can reach this one chat only.
    Visitor(ChatId),
    /// The server's own background work.
    System,
}

impl Viewer {
    pub fn actor(&self) -> Actor {
        match self {
            Viewer::Staff(me) => Actor::Staff(me.as_ref()),
            Viewer::Visitor(_) => Actor::Visitor,
            Viewer::System => Actor::System,
        }
    }

    /// The events of `events` this viewer may receive.
    pub fn filter<'a>(&self, events: &'a [StoredEvent]) -> impl Iterator<Item = &'a StoredEvent> {
        let staff = !matches!(self, Viewer::Visitor(_));
        events
            .iter()
            .filter(move |e| staff || e.event.audience() == rules::Audience::Everyone)
    }
}

/// How long a staff member with no console open still counts as present (a reload, a flaky
/// network), before they show as offline.
pub const DEFAULT_PRESENCE_GRACE: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Presence {
    /// Open console sockets per staff member.
    sockets: HashMap<StaffId, usize>,
    /// Staff whose last socket closed, and when: present until the grace period is over.
    leaving: HashMap<StaffId, tokio::time::Instant>,
}

impl Presence {
    fn present(&self, id: StaffId) -> bool {
        self.sockets.get(&id).is_some_and(|n| *n > 0) || self.leaving.contains_key(&id)
    }
}

pub struct Service {
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    /// Messages go through group commit (see [`commit`]).
    writer: commit::Writer,
    /// Mark session cookies `Secure` (the public URL is https).
    pub secure_cookies: bool,
    pub presence_grace: Duration,
    presence: Mutex<Presence>,
    /// One heartbeat at a time (see [`Service::heartbeat`]).
    beating: tokio::sync::Mutex<()>,
    directory: RwLock<Arc<Directory>>,
    /// One directory load at a time (see [`Service::load_directory`]).
    loading_directory: tokio::sync::Mutex<()>,
    /// Where each waiting chat stands in its queue, as last published.
    queue: Mutex<HashMap<ChatId, Placement>>,
    /// One dispatch at a time, so offers are never decided twice over.
    dispatching: tokio::sync::Mutex<()>,
    /// Tickets: the mailer, the outbox worker's wake-up, the chat wait limit.
    tickets: tickets::Runtime,
    /// Where uploaded files' bytes live.
    files: files::Files,
    /// This node among the others on the same database.
    cluster: Arc<Cluster>,
    pub liveness: Liveness,
    /// Other nodes' hints, until the server takes them to hear (see [`Service::take_heard`]).
    heard: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Heard>>>,
}

impl Service {
    pub fn new(store: Arc<dyn Store>, secure_cookies: bool) -> Self {
        Service {
            store,
            hub: Arc::new(Hub::new()),
            writer: commit::Writer::default(),
            secure_cookies,
            presence_grace: DEFAULT_PRESENCE_GRACE,
            presence: Mutex::new(Presence::default()),
            beating: tokio::sync::Mutex::new(()),
            directory: RwLock::new(Arc::new(Directory::default())),
            loading_directory: tokio::sync::Mutex::new(()),
            queue: Mutex::new(HashMap::new()),
            dispatching: tokio::sync::Mutex::new(()),
            tickets: tickets::Runtime::default(),
            files: files::Files::default(),
            cluster: Arc::new(Cluster::default()),
            liveness: Liveness::default(),
            heard: Mutex::new(None),
        }
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Joins the other nodes, loads the directory and places the waiting chats; run once at
    /// start-up.
    pub async fn start(&self) -> Result<(), ServiceError> {
        self.join_cluster().await?;
        self.hub.set_settings(self.store.chat_settings().await?);
        self.load_directory().await?;
        self.dispatch().await
    }

    pub async fn add_department(&self, name: &str) -> Result<Department, ServiceError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid(
                "name",
                "A department name needs 1 to 100 characters.",
            ));
        }
        let department = self.store.add_department(name, now_ms()).await?;
        self.refresh_directory().await?;
        Ok(department)
    }

    pub async fn departments(&self) -> Result<Vec<Department>, ServiceError> {
        Ok(self.store.departments().await?)
    }

    pub async fn add_staff(&self, new: AddStaff) -> Result<Me, ServiceError> {
        let mut errors = Vec::new();
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > validate::MAX_NAME_CHARS {
            errors.push(FieldError {
                field: "name".into(),
                message: "A name needs 1 to 100 characters.".into(),
            });
        }
        let email = new.email.trim().to_lowercase();
        if !validate::is_valid_email(&email) {
            errors.push(FieldError {
                field: "email".into(),
                message: format!("\"{}\" is not a valid email address.", new.email),
            });
        }
        if new.password.chars().count() < MIN_PASSWORD_CHARS {
            errors.push(FieldError {
                field: "password".into(),
                message: format!("The password needs at least {MIN_PASSWORD_CHARS} characters."),
            });
        }
        let known = self.store.departments().await?;
        let mut department_ids = Vec::new();
        for wanted in &new.departments {
            match known
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(wanted.trim()))
            {
                Some(d) => department_ids.push(d.id),
                None => errors.push(FieldError {
                    field: "department".into(),
                    message: format!("There is no department named \"{wanted}\"."),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let password = new.password;
        let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .map_err(ServiceError::Internal)?;
        let staff = NewStaff {
            name,
            email,
            password_hash,
            is_admin: new.is_admin,
            department_ids,
        };
        let me = self.store.add_staff(staff, now_ms()).await?;
        self.refresh_directory().await?;
        Ok(me)
    }

    /// Checks the password and opens a session; returns the staff member and the cookie token.
    pub async fn login(&self, email: &str, password: &str) -> Result<(Me, String), ServiceError> {
        let found = self.store.staff_by_email(email.trim()).await?;
        let password = password.to_string();
        // Verify against a throwaway hash when the email is unknown, so timing does not tell.
        let (me, hash) = match found {
            Some((me, hash)) => (Some(me), hash),
            None => (None, dummy_hash().to_string()),
        };
        let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let me = match (me, ok) {
            (Some(me), true) => me,
            _ => return Err(ServiceError::Unauthorized),
        };
        let token = auth::new_token();
        let now = now_ms();
        let expires = now + auth::SESSION_DAYS * 24 * 3600 * 1000;
        self.store
            .add_session(&auth::token_hash(&token), me.id, now, expires)
            .await?;
        Ok((me, token))
    }

    pub async fn logout(&self, token: &str) -> Result<(), ServiceError> {
        Ok(self.store.delete_session(&auth::token_hash(token)).await?)
    }

    /// The staff member behind a session cookie token.
    pub async fn staff_for_session(&self, token: &str) -> Result<Option<Me>, ServiceError> {
        Ok(self
            .store
            .session_staff(&auth::token_hash(token), now_ms())
            .await?)
    }

    // ---- Presence and the directory -------------------------------------------------------

    /// The directory as last loaded, with live presence.
    pub fn directory(&self) -> Arc<Directory> {
        self.directory
            .read()
            .expect("directory lock poisoned")
            .clone()
    }

    /// Reloads the directory here and tells the other nodes to do the same.
    pub async fn refresh_directory(&self) -> Result<(), ServiceError> {
        self.load_directory().await?;
        self.tell(Hint::Directory);
        Ok(())
    }

    /// Reloads staff and departments, applies presence (on any node), and tells every console.
    /// One load at a time, so that an older read never lands after a newer one.
    async fn load_directory(&self) -> Result<(), ServiceError> {
        let _one = self.loading_directory.lock().await;
        let mut staff = self.store.staff_directory().await?;
        let departments = self.store.departments().await?;
        let elsewhere = self.present_elsewhere().await?;
        {
            let presence = self.presence.lock().expect("presence lock poisoned");
            for s in &mut staff {
                s.presence = if presence.present(s.id) || elsewhere.contains(&s.id) {
                    s.status
                } else {
                    Status::Offline
                };
            }
        }
        let directory = Arc::new(Directory { staff, departments });
        *self.directory.write().expect("directory lock poisoned") = directory.clone();
        self.hub.directory(directory);
        Ok(())
    }

    /// Called after admins change departments, membership or rules.
    pub async fn admin_changed(&self) -> Result<(), ServiceError> {
        self.refresh_directory().await?;
        self.dispatch().await
    }

    pub async fn status_of(&self, staff: StaffId) -> Result<Status, ServiceError> {
        self.directory()
            .staff(staff)
            .map(|s| s.status)
            .ok_or(ServiceError::NotFound)
    }

    pub async fn set_status(&self, staff: StaffId, status: Status) -> Result<(), ServiceError> {
        self.store.set_status(staff, status).await?;
        self.refresh_directory().await?;
        self.dispatch().await
    }

    /// A console socket of this staff member opened.
    pub async fn staff_connected(&self, staff: StaffId) {
        let arrived = {
            let mut p = self.presence.lock().expect("presence lock poisoned");
            let was_present = p.present(staff);
            *p.sockets.entry(staff).or_default() += 1;
            p.leaving.remove(&staff);
            !was_present
        };
        if arrived {
            self.presence_changed().await;
        }
    }

    /// A console socket of this staff member closed. With no other open, they go offline once
    /// the grace period is over, unless a console comes back meanwhile.
    pub async fn staff_disconnected(self: &Arc<Self>, staff: StaffId) {
        let last = {
            let mut p = self.presence.lock().expect("presence lock poisoned");
            let n = p.sockets.entry(staff).or_default();
            *n = n.saturating_sub(1);
            if *n == 0 {
                p.sockets.remove(&staff);
                p.leaving.insert(staff, tokio::time::Instant::now());
                true
            } else {
                false
            }
        };
        if !last {
            return;
        }
        let service = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(service.presence_grace).await;
            let gone = {
                let mut p = service.presence.lock().expect("presence lock poisoned");
                let expired = p
                    .leaving
                    .get(&staff)
                    .is_some_and(|since| since.elapsed() >= service.presence_grace);
                if expired {
                    p.leaving.remove(&staff);
                }
                expired
            };
            if gone {
                service.presence_changed().await;
            }
        });
    }

    /// Someone arrived on or left this node: the other nodes learn it from storage.
    async fn presence_changed(&self) {
        if let Err(e) = self.heartbeat().await {
            tracing::warn!("presence: {e}");
        }
        if let Err(e) = self.refresh_directory().await {
            tracing::warn!("presence: {e}");
        }
        if let Err(e) = self.dispatch().await {
            tracing::warn!("dispatch after presence change: {e}");
        }
    }

    // ---- Routing and the queue --------------------------------------------------------------

    fn loads(directory: &Directory, active: &HashMap<StaffId, usize>) -> Vec<StaffLoad> {
        directory
            .staff
            .iter()
            .map(|s| StaffLoad {
                id: s.id,
                departments: s.departments.clone(),
                is_admin: s.is_admin,
                available: s.presence == Status::Online,
                active_chats: active.get(&s.id).copied().unwrap_or(0),
            })
            .collect()
    }

    /// Places every waiting chat in its queue and offers it to someone available; publishes the
    /// chats whose place or offer changed to this node's sockets. Every node dispatches after a
    /// change that may move the queue, one node at a time, so they all agree.
    pub async fn dispatch(&self) -> Result<(), ServiceError> {
        let _one_at_a_time = self.dispatching.lock().await;
        let _one_node_at_a_time = self.store.lock_queue().await?;
        let waiting = self.store.waiting_chats().await?;
        // Loads only matter to place a waiting chat; most dispatches (after an accept, a
        // presence change) find none, and then cost one indexed query.
        let loads = if waiting.is_empty() {
            Vec::new()
        } else {
            Self::loads(&self.directory(), &self.store.active_loads().await?)
        };
        let plan = dispatch(&waiting, &loads);
        let offers: Vec<(ChatId, Option<StaffId>)> = plan
            .iter()
            .filter(|p| {
                waiting
                    .iter()
                    .any(|w| w.chat == p.chat && w.offered_to != p.offered_to)
            })
            .map(|p| (p.chat, p.offered_to))
            .collect();
        self.store.set_offers(&offers).await?;
        let changed: Vec<Placement> = {
            let mut queue = self.queue.lock().expect("queue lock poisoned");
            let changed = plan
                .iter()
                .filter(|p| queue.get(&p.chat) != Some(p))
                .cloned()
                .collect();
            *queue = plan.into_iter().map(|p| (p.chat, p)).collect();
            changed
        };
        for placement in changed {
            if let Some(chat) = self.store.chat(placement.chat).await? {
                let chat = self.with_queue(chat);
                self.hub.publish(Change {
                    events: Vec::new(),
                    chat,
                    only_for: None,
                });
            }
        }
        Ok(())
    }

    /// Fills in the chat's queue position from the last dispatch.
    fn with_queue(&self, mut chat: ChatSummary) -> ChatSummary {
        chat.queue_position = (chat.phase() == Phase::Waiting)
            .then(|| {
                self.queue
                    .lock()
                    .expect("queue lock poisoned")
                    .get(&chat.id)
                    .map(|p| p.position)
            })
            .flatten();
        chat
    }

    /// Whether this viewer may know of the chat at all (a waiting chat only on its route).
    pub fn can_see(&self, viewer: &Viewer, chat: &ChatSummary) -> bool {
        match viewer {
            Viewer::Visitor(id) => *id == chat.id,
            Viewer::System => true,
            Viewer::Staff(me) => {
                if chat.phase() != Phase::Waiting {
                    return true;
                }
                let directory = self.directory();
                let all = Self::loads(&directory, &HashMap::new());
                match all.iter().find(|l| l.id == me.id) {
                    Some(mine) => routing::visible_to(chat.route, mine, &all),
                    None => false,
                }
            }
        }
    }

    /// Whether this viewer may read the chat's transcript.
    pub fn can_read(&self, viewer: &Viewer, chat: &ChatSummary) -> bool {
        match viewer {
            Viewer::Staff(me) => self.can_see(viewer, chat) && chat.state.staff_can_read(me.id),
            Viewer::Visitor(id) => *id == chat.id,
            Viewer::System => true,
        }
    }

    /// The chat as this viewer may see it (never another staff member's invisible monitoring),
    /// or `None` if they may not know of it.
    pub fn view(&self, viewer: &Viewer, chat: &ChatSummary) -> Option<ChatSummary> {
        self.can_see(viewer, chat).then(|| ChatSummary {
            state: chat.state.view_for(&viewer.actor()),
            ..self.with_queue(chat.clone())
        })
    }

    // ---- Chats ------------------------------------------------------------------------------

    /// Starts a chat from the pre-chat form. The question becomes the visitor's first message;
    /// the workflow rules decide where it waits.
    pub async fn start_chat(&self, input: StartChat) -> Result<Started, ServiceError> {
        let mut errors = validate::pre_chat(&input.name, &input.email, &input.question);
        let department = match input.department_id {
            Some(id) => {
                let found = self.store.department(id).await?;
                if found.is_none() {
                    errors.push(FieldError {
                        field: "department".into(),
                        message: "Please choose one of the departments listed.".into(),
                    });
                }
                found
            }
            None => None,
        };
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let page_url = input
            .page_url
            .filter(|u| !u.is_empty())
            .map(|u| u.chars().take(validate::MAX_URL_CHARS).collect());
        let token = auth::new_token();
        let visitor = Visitor {
            name: input.name.trim().to_string(),
            email: input.email.trim().to_string(),
            question: input.question.trim().to_string(),
            department,
            page_url,
        };
        let rules = self.store.routing_rules().await?;
        let route = routing::route(
            &rules,
            &Facts {
                department: visitor.department.as_ref().map(|d| d.id),
                question: &visitor.question,
                email: &visitor.email,
                page_url: visitor.page_url.as_deref(),
            },
        );
        let first = Event::Message {
            author: Author::Visitor,
            body: visitor.question.clone(),
        };
        let new = NewChat {
            token_hash: auth::token_hash(&token),
            visitor,
            route,
        };
        let (chat, event) = self.store.create_chat(new, first, now_ms()).await?;
        let chat_id = chat.id;
        self.publish(
            Change {
                events: vec![event],
                chat,
                only_for: None,
            },
            true,
        );
        self.dispatch().await?;
        Ok(Started { chat_id, token })
    }

    /// Checks a visitor's token for one chat. A wrong token and an unknown chat look the same.
    pub async fn visitor(&self, chat_id: ChatId, token: &str) -> Result<Viewer, ServiceError> {
        if self
            .store
            .chat_token_matches(chat_id, &auth::token_hash(token))
            .await?
        {
            Ok(Viewer::Visitor(chat_id))
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// The chat, unfiltered, if this viewer may know of it.
    pub async fn chat(&self, viewer: &Viewer, id: ChatId) -> Result<ChatSummary, ServiceError> {
        if let Viewer::Visitor(own) = viewer {
            if *own != id {
                return Err(ServiceError::NotFound);
            }
        }
        let chat = self.store.chat(id).await?.ok_or(ServiceError::NotFound)?;
        if !self.can_see(viewer, &chat) {
            return Err(ServiceError::NotFound);
        }
        Ok(self.with_queue(chat))
    }

    pub async fn open_chats(&self) -> Result<Vec<ChatSummary>, ServiceError> {
        Ok(self.store.open_chats().await?)
    }

    /// Events after `after` that this viewer may read (none if they may not read the chat).
    pub async fn events(
        &self,
        viewer: &Viewer,
        chat: &ChatSummary,
        after: i64,
    ) -> Result<Vec<StoredEvent>, ServiceError> {
        if !self.can_read(viewer, chat) {
            return Ok(Vec::new());
        }
        let staff = !matches!(viewer, Viewer::Visitor(_));
        Ok(self.store.events_after(chat.id, after, staff).await?)
    }

    /// The page of readable events before `before` ([`HISTORY_PAGE`] at most), and whether
    /// readable events remain before it.
    pub async fn events_before(
        &self,
        viewer: &Viewer,
        chat: &ChatSummary,
        before: i64,
    ) -> Result<(Vec<StoredEvent>, bool), ServiceError> {
        if !self.can_read(viewer, chat) {
            return Ok((Vec::new(), false));
        }
        let staff = !matches!(viewer, Viewer::Visitor(_));
        let mut events = self
            .store
            .events_before(chat.id, before, HISTORY_PAGE + 1, staff)
            .await?;
        let earlier = events.len() > HISTORY_PAGE;
        if earlier {
            events.remove(0);
        }
        Ok((events, earlier))
    }

    /// Runs one command through the rules and storage, then publishes what was stored.
    pub async fn command(
        &self,
        viewer: &Viewer,
        id: ChatId,
        command: Command,
        client_id: Option<&str>,
    ) -> Result<Applied, ServiceError> {
        if let Viewer::Visitor(own) = viewer {
            if *own != id {
                return Err(ServiceError::NotFound);
            }
        }
        if let (Viewer::Staff(_), Command::Accept) = (viewer, &command) {
            // Only those the chat is routed to may accept it.
            let chat = self.chat(viewer, id).await?;
            if !self.can_see(viewer, &chat) {
                return Err(ServiceError::NotFound);
            }
        }
        let actor = viewer.actor();
        let audit = match (viewer, &command) {
            (_, Command::Send { .. } | Command::Attach { .. }) => None,
            (Viewer::Staff(me), command) => Some(AuditNote {
                staff_id: me.id,
                staff_name: me.name.clone(),
                op: format!("{:?}", command.op()),
                detail: match command {
                    Command::Forward { to, note, .. } | Command::Invite { to, note, .. } => {
                        if note.trim().is_empty() {
                            format!("to {}", to.name)
                        } else {
                            format!("to {}: {}", to.name, note.trim())
                        }
                    }
                    _ => String::new(),
                },
            }),
            _ => None,
        };
        let now = now_ms();
        let decide = |state: &rules::ChatState| rules::decide(state, &actor, &command, now);
        let applied = self.store.apply(id, now, client_id, audit, &decide).await?;
        if applied.duplicate_of.is_none() {
            // A command whose events were all for its actor alone stored nothing visible.
            let only_for = match viewer {
                Viewer::Staff(me) if applied.events.is_empty() => Some(me.id),
                _ => None,
            };
            // Anything but a message or a file may change who is busy or what is waiting.
            let requeue = !matches!(command, Command::Send { .. } | Command::Attach { .. });
            self.publish(
                Change {
                    events: applied.events.clone(),
                    chat: applied.chat.clone(),
                    only_for,
                },
                requeue,
            );
            if requeue {
                self.dispatch().await?;
            }
        }
        Ok(applied)
    }

    /// A staff operation by id: the server adds what only it knows (names, presence). A chat
    /// that ends this way becomes a ticket with the defaults of the End/Leave dialogs.
    pub async fn staff_op(&self, me: &Me, id: ChatId, op: StaffOp) -> Result<(), ServiceError> {
        let directory = self.directory();
        let target = |to: StaffId| {
            directory
                .staff(to)
                .cloned()
                .ok_or_else(|| invalid("to", "There is no such staff member."))
        };
        let command = match op {
            StaffOp::Forward { to, note } => {
                let to = target(to)?;
                Command::Forward {
                    to: to.as_ref(),
                    note,
                    to_available: to.presence == Status::Online,
                }
            }
            StaffOp::Invite { to, note } => {
                let to = target(to)?;
                Command::Invite {
                    to: to.as_ref(),
                    note,
                    to_online: to.presence != Status::Offline,
                }
            }
            StaffOp::Accept => Command::Accept,
            StaffOp::Join => Command::Join,
            StaffOp::JoinInvisibly => Command::JoinInvisibly,
            StaffOp::Take => Command::Take,
            StaffOp::AcceptForward => Command::AcceptForward,
            StaffOp::DeclineForward => Command::DeclineForward,
            StaffOp::AcceptInvite => Command::AcceptInvite,
            StaffOp::DeclineInvite => Command::DeclineInvite,
            StaffOp::AskRating => Command::AskRating {
                style: self.hub.settings().rating_style,
            },
            StaffOp::Leave => {
                let closing = Closing::Leave {
                    assignee: None,
                    send_email: false,
                };
                return self.close_chat(me, id, closing).await.map(|_| ());
            }
            StaffOp::End => {
                let chat = self.chat(&Viewer::Staff(me.clone()), id).await?;
                let closing = Closing::End {
                    subject: chat.visitor.question,
                    status: TicketStatus::Open,
                    assignee: Some(me.id),
                    send_email: false,
                };
                return self.close_chat(me, id, closing).await.map(|_| ());
            }
        };
        self.command(&Viewer::Staff(me.clone()), id, command, None)
            .await
            .map(|_| ())
    }

    /// Sends a message; returns its sequence number (the earlier one for a retried send).
    pub async fn send(
        &self,
        viewer: &Viewer,
        id: ChatId,
        client_id: &str,
        body: String,
    ) -> Result<i64, ServiceError> {
        self.queue_send(viewer, id, client_id.to_string(), body)?
            .await
    }

    /// Queues a message for the next group commit and returns at once, so that a socket can
    /// read its next frame meanwhile. The future resolves to the message's sequence number
    /// once it is stored and published. Messages queued one after another are stored in order.
    pub fn queue_send(
        &self,
        viewer: &Viewer,
        id: ChatId,
        client_id: String,
        body: String,
    ) -> Result<
        impl std::future::Future<Output = Result<i64, ServiceError>> + Send + 'static,
        ServiceError,
    > {
        if !validate::client_id(&client_id) {
            return Err(invalid("client_id", "The message id is not valid."));
        }
        if let Viewer::Visitor(own) = viewer {
            if *own != id {
                return Err(ServiceError::NotFound);
            }
        }
        let (reply, stored) = tokio::sync::oneshot::channel();
        self.writer.submit(
            &self.store,
            &self.hub,
            &self.cluster,
            commit::Job {
                chat: id,
                now: now_ms(),
                client_id,
                actor: viewer.actor(),
                command: Command::Send { body },
                reply,
            },
        );
        Ok(async move {
            stored.await.unwrap_or_else(|_| {
                Err(ServiceError::Internal("the message writer stopped".into()))
            })
        })
    }

    /// Relays a typing signal from someone who may send in the chat (never from a monitor).
    pub async fn typing(
        &self,
        viewer: &Viewer,
        id: ChatId,
        typing: bool,
    ) -> Result<(), ServiceError> {
        let chat = self.chat(viewer, id).await?;
        if chat.phase() == Phase::Ended {
            return Ok(());
        }
        let (name, staff) = match viewer {
            Viewer::Visitor(_) => (chat.visitor.name.clone(), None),
            Viewer::Staff(me) => match chat.role_of(me.id) {
                Some(Role::Owner | Role::Participant) => (me.name.clone(), Some(me.id)),
                _ => return Ok(()),
            },
            Viewer::System => return Ok(()),
        };
        self.hub.typing(id, name, staff, typing);
        self.tell(Hint::Typing {
            chat: id,
            staff,
            typing,
        });
        Ok(())
    }

    /// Lapses forward offers and invitations whose minute is up. Safe to run on every node: a
    /// second run finds nothing left to lapse.
    pub async fn expire_offers(&self) -> Result<usize, ServiceError> {
        let now = now_ms();
        let mut lapsed = 0;
        for chat in self.store.offering_chats().await? {
            let due = chat
                .state
                .forward
                .as_ref()
                .is_some_and(|o| now > o.expires_at)
                || chat.state.invitations.iter().any(|o| now > o.expires_at);
            if due {
                match self
                    .command(&Viewer::System, chat.id, Command::Expire, None)
                    .await
                {
                    Ok(_) => lapsed += 1,
                    Err(ServiceError::Refused(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(lapsed)
    }
}

/// An argon2 hash of a random password, checked for unknown emails so that timing tells nothing.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::new_token()).unwrap_or_default())
}
