//! `Ask for rating` from the visitor's side, and the average staff see.

#[cfg(feature = "ssr")]
use super::ssr;
use super::ApiError;
use crate::model::{ChatId, RatingAverage};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The visitor answers the rating prompt of their chat. The token proves which chat they may
/// reach; the score is checked against the scale they were shown.
#[server(endpoint = "rate_chat", input = Json)]
pub async fn rate_chat(
    chat_id: ChatId,
    token: String,
    score: i64,
    comment: String,
) -> Result<(), ApiError> {
    let service = ssr::service()?;
    let visitor = service.visitor(chat_id, &token).await?;
    Ok(service.rate(&visitor, chat_id, score, comment).await?)
}

/// The visitor closes the rating prompt without answering.
#[server(endpoint = "dismiss_rating", input = Json)]
pub async fn dismiss_rating(chat_id: ChatId, token: String) -> Result<(), ApiError> {
    let service = ssr::service()?;
    let visitor = service.visitor(chat_id, &token).await?;
    Ok(service.dismiss_rating(&visitor, chat_id).await?)
}

/// The signed-in staff member's average rating, or `None` before their first rated chat.
#[server(endpoint = "my_rating", input = Json)]
pub async fn my_rating() -> Result<Option<RatingAverage>, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.rating_average(me.id).await?)
}
