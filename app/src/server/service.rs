//! The chat service: every operation on chats and staff goes through here, whether it comes from
//! a server function, the WebSocket or the command line. It checks who is acting, asks the rules,
//! stores, then publishes what was stored.

use super::auth;
use super::hub::{Change, Hub};
use super::now_ms;
use super::store::{Applied, NewChat, NewStaff, Store, StoreError};
use crate::model::{ChatId, ChatSummary, Department, Me, Started, StoredEvent, Visitor};
use crate::rules::{self, Actor, Author, Command, Event, Refusal};
use crate::validate::{self, FieldError};
use std::sync::Arc;

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

pub const MIN_PASSWORD_CHARS: usize = 8;

/// Who a socket or request speaks for, once checked.
#[derive(Clone, Debug)]
pub enum Viewer {
    Staff(Me),
    /// A visitor, who can reach this one chat only.
    Visitor(ChatId),
}

impl Viewer {
    pub fn actor(&self) -> Actor {
        match self {
            Viewer::Staff(me) => Actor::Staff(me.as_ref()),
            Viewer::Visitor(_) => Actor::Visitor,
        }
    }

    /// Whether this viewer may read the chat's transcript as it is in `chat`.
    pub fn can_read(&self, chat: &ChatSummary) -> bool {
        match self {
            Viewer::Staff(me) => chat.state.staff_can_read(me.id),
            Viewer::Visitor(id) => *id == chat.id,
        }
    }

    /// The chat as this viewer may see it (never another staff member's invisible monitoring).
    pub fn view(&self, chat: &ChatSummary) -> ChatSummary {
        ChatSummary {
            state: chat.state.view_for(&self.actor()),
            ..chat.clone()
        }
    }

    /// The events of `events` this viewer may receive.
    pub fn filter<'a>(&self, events: &'a [StoredEvent]) -> impl Iterator<Item = &'a StoredEvent> {
        let staff = matches!(self, Viewer::Staff(_));
        events
            .iter()
            .filter(move |e| staff || e.event.audience() == rules::Audience::Everyone)
    }
}

pub struct Service {
    store: Arc<dyn Store>,
    hub: Hub,
    /// Mark session cookies `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

impl Service {
    pub fn new(store: Arc<dyn Store>, secure_cookies: bool) -> Self {
        Service {
            store,
            hub: Hub::new(),
            secure_cookies,
        }
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub async fn add_department(&self, name: &str) -> Result<Department, ServiceError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid("name", "A department name needs 1 to 100 characters."));
        }
        Ok(self.store.add_department(name, now_ms()).await?)
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
            match known.iter().find(|d| d.name.eq_ignore_ascii_case(wanted.trim())) {
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
        Ok(self.store.add_staff(staff, now_ms()).await?)
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

    /// Starts a chat from the pre-chat form. The question becomes the visitor's first message.
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
        let first = Event::Message {
            author: Author::Visitor,
            body: visitor.question.clone(),
        };
        let new = NewChat {
            token_hash: auth::token_hash(&token),
            visitor,
        };
        let (chat, event) = self.store.create_chat(new, first, now_ms()).await?;
        let chat_id = chat.id;
        self.hub.publish(Change {
            events: vec![event],
            chat,
        });
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

    /// The chat, if this viewer may know of it.
    pub async fn chat(&self, viewer: &Viewer, id: ChatId) -> Result<ChatSummary, ServiceError> {
        if let Viewer::Visitor(own) = viewer {
            if *own != id {
                return Err(ServiceError::NotFound);
            }
        }
        let chat = self.store.chat(id).await?.ok_or(ServiceError::NotFound)?;
        Ok(chat)
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
        if !viewer.can_read(chat) {
            return Ok(Vec::new());
        }
        let staff = matches!(viewer, Viewer::Staff(_));
        Ok(self.store.events_after(chat.id, after, staff).await?)
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
        let actor = viewer.actor();
        let now = now_ms();
        let decide = |state: &rules::ChatState| rules::decide(state, &actor, &command, now);
        let applied = self.store.apply(id, now, client_id, &decide).await?;
        if applied.duplicate_of.is_none() {
            self.hub.publish(Change {
                events: applied.events.clone(),
                chat: applied.chat.clone(),
            });
        }
        Ok(applied)
    }

    /// Sends a message; returns its sequence number (the earlier one for a retried send).
    pub async fn send(
        &self,
        viewer: &Viewer,
        id: ChatId,
        client_id: &str,
        body: String,
    ) -> Result<i64, ServiceError> {
        if !validate::client_id(client_id) {
            return Err(invalid("client_id", "The message id is not valid."));
        }
        let applied = self
            .command(viewer, id, Command::Send { body }, Some(client_id))
            .await?;
        match (applied.duplicate_of, applied.events.first()) {
            (Some(seq), _) => Ok(seq),
            (None, Some(event)) => Ok(event.seq),
            (None, None) => Err(ServiceError::Internal("a message produced no event".into())),
        }
    }
}

/// An argon2 hash of a random password, checked for unknown emails so that timing tells nothing.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::new_token()).unwrap_or_default())
}
