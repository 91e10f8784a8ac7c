//! Downloads of files shared in chats and of Drive files, streamed from storage.
//!
//! A chat's file goes to people in that chat only: its visitor (with the chat's token) or staff
//! who may read the chat. Drive files go to staff. Nobody else learns whether a file exists.

use crate::AppState;
use app::api::files::previewable;
use app::server::auth;
use app::server::file_store::StoredFile;
use app::server::service::Viewer;
use app::server::ServiceError;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

#[derive(Deserialize)]
pub struct FileQuery {
    /// The visitor's chat token.
    token: Option<String>,
    /// Ask for an image preview shown in the page rather than a download.
    #[serde(default)]
    inline: Option<String>,
}

/// Who is asking: the visitor of `chat` by token, else the signed-in staff member.
async fn viewer(
    state: &AppState,
    headers: &HeaderMap,
    chat: Option<i64>,
    token: Option<&str>,
) -> Result<Viewer, StatusCode> {
    if let (Some(chat), Some(token)) = (chat, token) {
        return state
            .service
            .visitor(chat, token)
            .await
            .map_err(|_| StatusCode::NOT_FOUND);
    }
    let session = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::session_from_cookies);
    match session {
        Some(token) => match state.service.staff_for_session(token).await {
            Ok(Some(me)) => Ok(Viewer::Staff(me)),
            Ok(None) => Err(StatusCode::FORBIDDEN),
            Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
        },
        None => Err(StatusCode::FORBIDDEN),
    }
}

fn status(e: ServiceError) -> StatusCode {
    match e {
        ServiceError::Unauthorized => StatusCode::FORBIDDEN,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::NOT_FOUND,
    }
}

pub async fn chat_file(
    State(state): State<AppState>,
    Path((chat, id)): Path<(i64, i64)>,
    Query(query): Query<FileQuery>,
    headers: HeaderMap,
) -> Response {
    let viewer = match viewer(&state, &headers, Some(chat), query.token.as_deref()).await {
        Ok(v) => v,
        Err(code) => return code.into_response(),
    };
    match state.service.chat_file(&viewer, chat, id).await {
        Ok((file, reader)) => send(file, reader, query.inline.is_some()),
        Err(e) => status(e).into_response(),
    }
}

pub async fn drive_file(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<FileQuery>,
    headers: HeaderMap,
) -> Response {
    match viewer(&state, &headers, None, None).await {
        Ok(Viewer::Staff(_)) => {}
        Ok(_) => return StatusCode::FORBIDDEN.into_response(),
        Err(code) => return code.into_response(),
    }
    match state.service.drive_file(id).await {
        Ok((file, reader)) => send(file, reader, query.inline.is_some()),
        Err(e) => status(e).into_response(),
    }
}

/// The file as a stream, labelled so browsers neither guess its type nor run it.
fn send(file: StoredFile, reader: Box<dyn AsyncRead + Send + Unpin>, inline: bool) -> Response {
    let disposition = if inline && previewable(&file.content_type) {
        "inline"
    } else {
        "attachment"
    };
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(disposition, &file.name))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, HeaderValue::from(file.size)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // Even opened directly, a file runs no script and reaches nothing.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; img-src 'self'; sandbox"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        Body::from_stream(ReaderStream::new(reader)),
    )
        .into_response()
}

/// `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf` (RFC 6266): an ASCII
/// fallback and the exact name percent-encoded.
pub fn content_disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn names_are_quoted_and_encoded() {
        assert_eq!(
            content_disposition("attachment", "Prix d’été \"final\".pdf"),
            "attachment; filename=\"Prix d__t_ _final_.pdf\"; \
             filename*=UTF-8''Prix%20d%E2%80%99%C3%A9t%C3%A9%20%22final%22.pdf"
        );
    }
}
