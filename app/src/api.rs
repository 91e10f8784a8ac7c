//! Server functions: thin request/response calls. Each reads the session or the visitor's token,
//! calls the service, and maps its errors to [`ApiError`], which crosses the network intact.

use crate::model::{ChatId, Department, Me, Started};
use crate::rules::{Command, Refusal};
use crate::validate::FieldError;
use leptos::prelude::*;
use leptos::server_fn::codec::{Json, JsonEncoding};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Refused(Refusal),
    #[error("Please sign in.")]
    Unauthorized,
    #[error("Wrong email or password.")]
    BadLogin,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    #[error("Could not reach the server: {0}")]
    Transport(ServerFnErrorErr),
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::Transport(value)
    }
}

impl ApiError {
    /// The message for one form field, if the server flagged it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            ApiError::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }
}

/// Staff operations on a chat that need nothing from the server but the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffOp {
    Accept,
    Join,
    JoinInvisibly,
    Take,
    AcceptForward,
    DeclineForward,
    AcceptInvite,
    DeclineInvite,
}

impl StaffOp {
    pub fn command(self) -> Command {
        match self {
            StaffOp::Accept => Command::Accept,
            StaffOp::Join => Command::Join,
            StaffOp::JoinInvisibly => Command::JoinInvisibly,
            StaffOp::Take => Command::Take,
            StaffOp::AcceptForward => Command::AcceptForward,
            StaffOp::DeclineForward => Command::DeclineForward,
            StaffOp::AcceptInvite => Command::AcceptInvite,
            StaffOp::DeclineInvite => Command::DeclineInvite,
        }
    }
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::ApiError;
    use crate::model::Me;
    use crate::server::{auth, Service, ServiceError};
    use leptos::prelude::*;
    use std::sync::Arc;

    impl From<ServiceError> for ApiError {
        fn from(e: ServiceError) -> Self {
            match e {
                ServiceError::Invalid(errors) => ApiError::Invalid(errors),
                ServiceError::Refused(r) => ApiError::Refused(r),
                ServiceError::Unauthorized => ApiError::Unauthorized,
                ServiceError::NotFound => ApiError::NotFound,
                ServiceError::Conflict(m) => ApiError::Conflict(m),
                ServiceError::Internal(_) => ApiError::Internal,
            }
        }
    }

    pub fn service() -> Result<Arc<Service>, ApiError> {
        use_context::<Arc<Service>>().ok_or(ApiError::Internal)
    }

    pub async fn session_token() -> Option<String> {
        let headers: axum::http::HeaderMap = leptos_axum::extract().await.ok()?;
        let cookies = headers.get(axum::http::header::COOKIE)?.to_str().ok()?;
        auth::session_from_cookies(cookies).map(str::to_string)
    }

    pub async fn current_staff() -> Result<Option<Me>, ApiError> {
        match session_token().await {
            Some(token) => Ok(service()?.staff_for_session(&token).await?),
            None => Ok(None),
        }
    }

    pub async fn require_staff() -> Result<Me, ApiError> {
        current_staff().await?.ok_or(ApiError::Unauthorized)
    }

    pub fn set_cookie(value: String) {
        if let (Some(res), Ok(value)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            axum::http::HeaderValue::from_str(&value),
        ) {
            res.append_header(axum::http::header::SET_COOKIE, value);
        }
    }
}

/// Departments a visitor can choose in the pre-chat form.
#[server(endpoint = "departments", input = Json)]
pub async fn departments() -> Result<Vec<Department>, ApiError> {
    Ok(ssr::service()?.departments().await?)
}

#[server(endpoint = "start_chat", input = Json)]
pub async fn start_chat(
    name: String,
    email: String,
    department_id: Option<i64>,
    question: String,
    page_url: Option<String>,
) -> Result<Started, ApiError> {
    use crate::server::service::StartChat;
    let input = StartChat {
        name,
        email,
        department_id,
        question,
        page_url,
    };
    Ok(ssr::service()?.start_chat(input).await?)
}

/// Signs in and sets the session cookie. Form-encoded so the sign-in form works without script.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), ApiError> {
    let service = ssr::service()?;
    let (_, token) = service.login(&email, &password).await.map_err(|e| match e {
        crate::server::ServiceError::Unauthorized => ApiError::BadLogin,
        other => other.into(),
    })?;
    ssr::set_cookie(crate::server::auth::session_cookie(
        &token,
        service.secure_cookies,
    ));
    leptos_axum::redirect("/console");
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    if let Some(token) = ssr::session_token().await {
        ssr::service()?.logout(&token).await?;
    }
    ssr::set_cookie(crate::server::auth::clear_session_cookie());
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in staff member, or `None`.
#[server(endpoint = "me", input = Json)]
pub async fn whoami() -> Result<Option<Me>, ApiError> {
    ssr::current_staff().await
}

/// Runs a staff operation on a chat; the result reaches every tab through the live socket.
#[server(endpoint = "chat_op", input = Json)]
pub async fn chat_op(chat_id: ChatId, op: StaffOp) -> Result<(), ApiError> {
    use crate::server::service::Viewer;
    let me = ssr::require_staff().await?;
    let viewer = Viewer::Staff(me);
    ssr::service()?
        .command(&viewer, chat_id, op.command(), None)
        .await?;
    Ok(())
}
