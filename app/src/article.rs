//! Solution articles: the knowledge base staff write in the console, search from the chat box,
//! and share with visitors (the article itself, or the link to its public page). Types and limits
//! shared by the server and the console.

use crate::rules::{Millis, StaffRef};
use serde::{Deserialize, Serialize};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 50_000;
pub const MAX_KEYWORDS_CHARS: usize = 500;
/// Longest slug made from a title; the rest of a long title is dropped.
pub const MAX_SLUG_CHARS: usize = 80;

/// What staff write: the editor's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleInput {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub keywords: String,
    pub published: bool,
}

/// An article as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub keywords: String,
    pub published: bool,
    pub updated_at: Millis,
    pub updated_by: Option<StaffRef>,
}

impl Article {
    /// Where its public page is (it answers only while the article is published).
    pub fn path(&self) -> String {
        path(&self.slug)
    }
}

/// `/kb/<slug>`.
pub fn path(slug: &str) -> String {
    format!("/kb/{slug}")
}

/// A line of the console's article list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub published: bool,
    pub updated_at: Millis,
}

/// A run of text in a search result; `hit` when it is one of the words searched for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// One search result, best first: the title and a snippet of the body with the matched words
/// marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleHit {
    pub id: i64,
    pub slug: String,
    pub title: Vec<Piece>,
    pub snippet: Vec<Piece>,
    pub published: bool,
}

impl ArticleHit {
    pub fn title_text(&self) -> String {
        self.title.iter().map(|p| p.text.as_str()).collect()
    }
}

/// An article ready to go into a chat: Markdown turned into plain text, which every transcript
/// (the widget, the console, the emailed copy) shows as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatArticle {
    pub text: String,
    /// The public page, for the link.
    pub path: String,
    /// The text was cut to fit in one message; the link leads to the rest.
    pub cut: bool,
}

/// A published article's public page: its Markdown already rendered, safely, on the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicArticle {
    pub title: String,
    pub html: String,
    pub updated_at: Millis,
}

/// The address part of a slug made from `title`: lower-case ASCII letters and digits, words
/// joined by `-`; `article` when the title has none.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            if slug.len() >= MAX_SLUG_CHARS {
                break;
            }
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "article".to_string()
    } else {
        slug.to_string()
    }
}

/// The words of a search as typed: runs of letters and digits, at most 12, each at most 64
/// characters. Everything else (quotes, operators, brackets) only separates words, so no input
/// reaches a search engine as syntax.
pub fn search_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
        .take(12)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Reset your password"), "reset-your-password");
        assert_eq!(slugify("  Wi-Fi: 5 GHz?! "), "wi-fi-5-ghz");
        assert_eq!(slugify("Ça va ?"), "a-va");
        assert_eq!(slugify("¿?"), "article");
        assert!(slugify(&"word ".repeat(100)).len() <= MAX_SLUG_CHARS);
        assert!(!slugify(&"word ".repeat(100)).ends_with('-'));
    }

    #[test]
    fn words() {
        assert_eq!(search_words("Reset PASSW"), ["reset", "passw"]);
        assert_eq!(search_words("\" AND ( *"), ["and"]);
        assert!(search_words("\"*()^:").is_empty());
        assert_eq!(search_words("café-crème"), ["café", "crème"]);
        assert_eq!(search_words(&"a ".repeat(50)).len(), 12);
    }
}
