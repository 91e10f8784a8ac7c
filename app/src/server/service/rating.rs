//! The visitor's answer to `Ask for rating`, and the averages staff see.
//!
//! The visitor's call is authenticated by their chat token; only the score and comment come from
//! them. The scale is the one they were shown (kept in the chat's state), and the rules decide
//! whether an answer is due at all.

use super::{Service, ServiceError, Viewer};
use crate::model::{ChatId, RatingAverage};
use crate::rules::{Command, Rating, Refusal, StaffId};
use crate::validate;

impl Service {
    /// Answers the open rating prompt of the visitor's chat.
    pub async fn rate(
        &self,
        viewer: &Viewer,
        id: ChatId,
        score: i64,
        comment: String,
    ) -> Result<(), ServiceError> {
        let chat = self.chat(viewer, id).await?;
        let Rating::Asked { style } = chat.state.rating else {
            return Err(ServiceError::Refused(Refusal::NoRatingRequested));
        };
        let errors = validate::rating(style, score, &comment);
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let score = u8::try_from(score).map_err(|_| ServiceError::Refused(Refusal::BadScore))?;
        self.command(viewer, id, Command::Rate { score, comment }, None)
            .await
            .map(|_| ())
    }

    /// Closes the visitor's rating prompt without an answer.
    pub async fn dismiss_rating(&self, viewer: &Viewer, id: ChatId) -> Result<(), ServiceError> {
        self.command(viewer, id, Command::DismissRating, None)
            .await
            .map(|_| ())
    }

    pub async fn rating_average(
        &self,
        staff: StaffId,
    ) -> Result<Option<RatingAverage>, ServiceError> {
        Ok(self.store.rating_average(staff).await?)
    }
}
