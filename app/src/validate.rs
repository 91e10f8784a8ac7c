//! Input limits, shared so that the widget shows the same errors the server enforces.

use crate::rules::RatingStyle;
use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_QUESTION_CHARS: usize = 1000;
pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// One field's error, keyed by the field's name in the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// A deliberately plain check: one `@`, a dotted domain, no spaces or control characters, and
/// none of the characters that could break an email header.
pub fn is_valid_email(email: &str) -> bool {
    if email.chars().count() > MAX_EMAIL_CHARS
        || email.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        })
    {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

fn text(field: &str, label: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let value = value.trim();
    if value.is_empty() {
        errors.push(err(field, format!("Please enter your {label}.")));
    } else if value.chars().count() > max {
        errors.push(err(
            field,
            format!("Please keep your {label} under {max} characters."),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push(err(
            field,
            format!("Your {label} contains characters we cannot accept."),
        ));
    }
}

/// Checks the pre-chat form. Returns every problem at once so the form can show them together.
pub fn pre_chat(name: &str, email: &str, question: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    text("name", "name", name, MAX_NAME_CHARS, &mut errors);
    if name.contains('\n') {
        errors.push(err("name", "Your name must fit on one line."));
    }
    if email.trim().is_empty() {
        errors.push(err("email", "Please enter your email address."));
    } else if !is_valid_email(email.trim()) {
        errors.push(err("email", "Please enter a valid email address."));
    }
    text(
        "question",
        "question",
        question,
        MAX_QUESTION_CHARS,
        &mut errors,
    );
    errors
}

/// Longest comment a visitor may add to a rating, as for notes.
pub const MAX_RATING_COMMENT_CHARS: usize = crate::rules::MAX_NOTE_CHARS;

/// Checks a visitor's answer to `Ask for rating` on the scale they were shown.
pub fn rating(style: RatingStyle, score: i64, comment: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !(1..=5).contains(&score) {
        errors.push(err(
            "score",
            match style {
                RatingStyle::Star => "Please choose from 1 to 5 stars.",
                RatingStyle::Smiley => "Please choose one of the five smileys.",
            },
        ));
    }
    if comment.trim().chars().count() > MAX_RATING_COMMENT_CHARS {
        errors.push(err(
            "comment",
            format!("Please keep your comment under {MAX_RATING_COMMENT_CHARS} characters."),
        ));
    } else if comment
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push(err(
            "comment",
            "Your comment contains characters we cannot accept.",
        ));
    }
    errors
}

pub fn client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CLIENT_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "ann.lee+x@example.com", "x@sub.example.org"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "ann lee@example.com",
            "ann@example.com\r\nBcc: x@y.z",
            "a<b>@example.com",
            "ann@.example.com",
            "ann@example..com",
        ] {
            assert!(!is_valid_email(bad), "{bad:?}");
        }
    }

    #[test]
    fn pre_chat_reports_every_field() {
        let errors = pre_chat("", "nope", " ");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "question"]);
        assert!(pre_chat("Ann", "ann@example.com", "Where is my order?").is_empty());
        let long = "x".repeat(MAX_QUESTION_CHARS + 1);
        assert_eq!(
            pre_chat("Ann", "ann@example.com", &long)[0].field,
            "question"
        );
        assert_eq!(
            pre_chat("Ann\nBcc", "ann@example.com", "q")[0].field,
            "name"
        );
    }

    #[test]
    fn ratings() {
        assert!(rating(RatingStyle::Star, 5, "Great").is_empty());
        assert!(rating(RatingStyle::Smiley, 1, "").is_empty());
        for bad in [0, 6, -1] {
            assert_eq!(rating(RatingStyle::Star, bad, "")[0].field, "score");
        }
        let long = "x".repeat(MAX_RATING_COMMENT_CHARS + 1);
        assert_eq!(rating(RatingStyle::Smiley, 3, &long)[0].field, "comment");
        assert_eq!(rating(RatingStyle::Star, 3, "a\u{7}b")[0].field, "comment");
    }

    #[test]
    fn client_ids() {
        assert!(client_id("3f2a-11_x"));
        assert!(!client_id(""));
        assert!(!client_id("a b"));
        assert!(!client_id(&"a".repeat(65)));
    }
}
