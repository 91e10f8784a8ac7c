//! Server functions: thin request/response calls. Each reads the session or the visitor's token,
//! calls the service, and maps its errors to [`ApiError`], which crosses the network intact.

pub mod admin;
pub mod articles;
pub mod files;
pub mod rating;
pub mod tickets;

use crate::model::{ChatId, Department, Me, Started, Status};
use crate::rules::Refusal;
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
    #[error("Only admins can do that.")]
    Forbidden,
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

/// A staff operation on a chat, as the console asks for it. The server adds what only it knows
/// (names, presence) before the chat rules decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffOp {
    Accept,
    Join,
    JoinInvisibly,
    Take,
    Forward {
        to: i64,
        note: String,
    },
    AcceptForward,
    DeclineForward,
    Invite {
        to: i64,
        note: String,
    },
    AcceptInvite,
    DeclineInvite,
    Leave,
    /// The style (smiley or star) comes from the live chat settings.
    AskRating,
    End,
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

    /// The signed-in staff member if they are an admin.
    pub async fn require_admin() -> Result<Me, ApiError> {
        let me = require_staff().await?;
        if me.is_admin {
            Ok(me)
        } else {
            Err(ApiError::Forbidden)
        }
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
    let (_, token) = service
        .login(&email, &password)
        .await
        .map_err(|e| match e {
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
    let me = ssr::require_staff().await?;
    ssr::service()?.staff_op(&me, chat_id, op).await?;
    Ok(())
}

/// The status this staff member chose (Online, Away, Offline).
#[server(endpoint = "my_status", input = Json)]
pub async fn my_status() -> Result<Status, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.status_of(me.id).await?)
}

#[server(endpoint = "set_status", input = Json)]
pub async fn set_status(status: Status) -> Result<(), ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.set_status(me.id, status).await?)
}
