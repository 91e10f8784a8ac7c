//! The visitor's answer to `Ask for rating`: five smileys or one to five stars, an optional
//! comment, `Send rating` or `Dismiss`. The server checks it all again.

use crate::api::{self, ApiError};
use crate::model::ChatId;
use crate::rules::RatingStyle;
use crate::validate::MAX_RATING_COMMENT_CHARS;
use leptos::prelude::*;

/// The choices of a scale from 1 up: `(accessible name, what is shown)`.
fn choices(style: RatingStyle) -> [(&'static str, &'static str); 5] {
    match style {
        RatingStyle::Smiley => [
            ("Very unhappy", "😞"),
            ("Unhappy", "🙁"),
            ("Neutral", "😐"),
            ("Happy", "🙂"),
            ("Very happy", "😄"),
        ],
        RatingStyle::Star => [
            ("1 star", "★"),
            ("2 stars", "★"),
            ("3 stars", "★"),
            ("4 stars", "★"),
            ("5 stars", "★"),
        ],
    }
}

#[component]
pub fn RatingPrompt(chat_id: ChatId, token: String, style: RatingStyle) -> impl IntoView {
    let token = StoredValue::new(token);
    // 0 until the visitor picks: the server answers with the field's error.
    let score = RwSignal::new(0i64);
    let comment = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let field = move |name: &'static str| move || error.with(|e| e.as_ref()?.field(name));
    let failure = move || {
        error.with(|e| match e {
            Some(ApiError::Invalid(_)) | None => None,
            Some(other) => Some(other.to_string()),
        })
    };
    // Both calls end the prompt on success: the chat's new state arrives over the socket.
    let call = move |send: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let token = token.get_value();
        let (score, comment) = (score.get_untracked(), comment.get_untracked());
        leptos::task::spawn_local(async move {
            let result = if send {
                api::rating::rate_chat(chat_id, token, score, comment).await
            } else {
                api::rating::dismiss_rating(chat_id, token).await
            };
            busy.set(false);
            if let Err(e) = result {
                error.set(Some(e));
            }
        });
    };
    let scale_class = match style {
        RatingStyle::Smiley => "rating-scale smileys",
        RatingStyle::Star => "rating-scale stars",
    };
    view! {
        <form class="rating-prompt" aria-labelledby="rating-title"
            on:submit=move |ev| {
                ev.prevent_default();
                call(true);
            }>
            <h2 id="rating-title">"How was this chat?"</h2>
            <fieldset class=scale_class aria-describedby="rating-score-error"
                aria-invalid=move || field("score")().is_some().to_string()>
                <legend class="sr-only">"Your rating"</legend>
                {choices(style).into_iter().zip(1i64..).map(|((name, shown), value)| view! {
                    <label class="rating-choice"
                        class:on=move || match style {
                            RatingStyle::Star => value <= score.get(),
                            RatingStyle::Smiley => value == score.get(),
                        }>
                        <input type="radio" name="rating-score" value=value.to_string() aria-label=name
                            prop:checked=move || score.get() == value
                            on:change=move |_| score.set(value)/>
                        <span aria-hidden="true">{shown}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <p class="field-error" id="rating-score-error">{field("score")}</p>
            <div class="field">
                <label for="rating-comment">"Comment"</label>
                <textarea id="rating-comment" rows="2"
                    maxlength=MAX_RATING_COMMENT_CHARS.to_string()
                    placeholder="Optional"
                    aria-describedby="rating-comment-error"
                    aria-invalid=move || field("comment")().is_some().to_string()
                    prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                <p class="field-error" id="rating-comment-error">{field("comment")}</p>
            </div>
            {move || failure().map(|f| view! { <p class="error" role="alert">{f}</p> })}
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>"Send rating"</button>
                <button type="button" class="secondary" disabled=move || busy.get()
                    on:click=move |_| call(false)>"Dismiss"</button>
            </div>
        </form>
    }
}
