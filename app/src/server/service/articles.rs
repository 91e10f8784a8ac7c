//! Solution articles: staff write and search them; a published one has a public page and can be
//! put into a chat. Drafts never leave the console.

use super::{Service, ServiceError};
use crate::article::{
    self, Article, ArticleHit, ArticleInput, ArticleSummary, ChatArticle, PublicArticle,
    MAX_BODY_CHARS, MAX_KEYWORDS_CHARS, MAX_TITLE_CHARS,
};
use crate::model::Me;
use crate::rules::MAX_MESSAGE_CHARS;
use crate::server::article_store::ArticleSearch;
use crate::server::{markdown, now_ms};
use crate::validate::FieldError;

/// Most results one search returns.
pub const MAX_SEARCH_RESULTS: i64 = 20;
/// The last word typed is taken as the start of a longer one from this length on: shorter
/// prefixes match most of a large knowledge base, and ranking all of it takes too long.
pub const MIN_PREFIX_CHARS: usize = 3;
/// Room left in a chat message after an article cut to fit, for the link to the rest.
const LINK_ROOM: usize = 300;

fn field(name: &str, message: String) -> FieldError {
    FieldError {
        field: name.into(),
        message,
    }
}

/// Trims the fields, drops control characters (keeping the body's line breaks and tabs), and
/// reports every field out of bounds at once.
fn checked(input: ArticleInput) -> Result<ArticleInput, ServiceError> {
    let mut errors = Vec::new();
    let title = input.title.trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        errors.push(field(
            "title",
            format!("A title needs 1 to {MAX_TITLE_CHARS} characters."),
        ));
    } else if title.chars().any(char::is_control) {
        errors.push(field("title", "A title must fit on one line.".into()));
    }
    let body: String = input
        .body
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| matches!(c, '\n' | '\t') || !c.is_control())
        .collect();
    let body = body.trim_end().to_string();
    if body.chars().count() > MAX_BODY_CHARS {
        errors.push(field(
            "body",
            format!("The text can have at most {MAX_BODY_CHARS} characters."),
        ));
    }
    let keywords = input
        .keywords
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if keywords.chars().count() > MAX_KEYWORDS_CHARS {
        errors.push(field(
            "keywords",
            format!("Keywords can have at most {MAX_KEYWORDS_CHARS} characters."),
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    Ok(ArticleInput {
        title,
        body,
        keywords,
        published: input.published,
    })
}

/// At most `max` characters of `text`, ending at a paragraph or word when one is near, then `…`.
fn cut(text: &str, max: usize) -> String {
    let Some((end, _)) = text.char_indices().nth(max) else {
        return text.to_string();
    };
    let head = &text[..end];
    let at = head
        .rfind("\n\n")
        .filter(|&i| i > end / 2)
        .or_else(|| head.rfind(char::is_whitespace).filter(|&i| i > end / 2))
        .unwrap_or(end);
    format!("{}…", head[..at].trim_end())
}

impl Service {
    pub async fn articles(&self) -> Result<Vec<ArticleSummary>, ServiceError> {
        Ok(self.store.articles().await?)
    }

    /// Any article, drafts included: for staff.
    pub async fn article(&self, id: i64) -> Result<Article, ServiceError> {
        self.store.article(id).await?.ok_or(ServiceError::NotFound)
    }

    /// Creates the article (`id` = `None`) or replaces its text; all or nothing.
    pub async fn save_article(
        &self,
        me: &Me,
        id: Option<i64>,
        input: ArticleInput,
    ) -> Result<Article, ServiceError> {
        let input = checked(input)?;
        let now = now_ms();
        Ok(match id {
            None => {
                let slug = article::slugify(&input.title);
                self.store.add_article(&input, &slug, me.id, now).await?
            }
            Some(id) => self.store.update_article(id, &input, me.id, now).await?,
        })
    }

    /// The best matches for what was typed so far; `drafts` adds unpublished articles.
    pub async fn search_articles(
        &self,
        query: &str,
        drafts: bool,
    ) -> Result<Vec<ArticleHit>, ServiceError> {
        let words = article::search_words(query);
        let search = ArticleSearch {
            prefix: words
                .last()
                .is_some_and(|w| w.chars().count() >= MIN_PREFIX_CHARS),
            words: &words,
            drafts,
            limit: MAX_SEARCH_RESULTS,
        };
        Ok(self.store.search_articles(&search).await?)
    }

    /// A published article as one chat message (cut to fit, the link then leads to the rest).
    pub async fn chat_article(&self, id: i64) -> Result<ChatArticle, ServiceError> {
        let a = published(self.store.article(id).await?)?;
        let full = format!("{}\n\n{}", a.title, markdown::to_plain(&a.body));
        let text = cut(full.trim_end(), MAX_MESSAGE_CHARS - LINK_ROOM);
        Ok(ChatArticle {
            cut: text.len() < full.trim_end().len(),
            path: a.path(),
            text,
        })
    }

    /// The public page of a published article; a draft is not found.
    pub async fn public_article(&self, slug: &str) -> Result<PublicArticle, ServiceError> {
        let a = published(self.store.article_by_slug(slug).await?)?;
        Ok(PublicArticle {
            html: markdown::to_html(&a.body),
            title: a.title,
            updated_at: a.updated_at,
        })
    }
}

/// The article if it is published: drafts are not found outside the console.
fn published(article: Option<Article>) -> Result<Article, ServiceError> {
    article
        .filter(|a| a.published)
        .ok_or(ServiceError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, body: &str, keywords: &str) -> ArticleInput {
        ArticleInput {
            title: title.into(),
            body: body.into(),
            keywords: keywords.into(),
            published: true,
        }
    }

    fn fields(e: ServiceError) -> Vec<String> {
        match e {
            ServiceError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn input_is_checked_field_by_field() {
        let ok = checked(input("  Reset  ", "a\r\nb\u{2}\u{7}", " wifi \n  router ")).unwrap();
        assert_eq!(ok.title, "Reset");
        assert_eq!(ok.body, "a\nb");
        assert_eq!(ok.keywords, "wifi router");
        assert_eq!(
            fields(checked(input(" ", &"x".repeat(MAX_BODY_CHARS + 1), "")).unwrap_err()),
            ["title", "body"]
        );
        assert_eq!(
            fields(checked(input(&"t".repeat(MAX_TITLE_CHARS + 1), "", "")).unwrap_err()),
            ["title"]
        );
        assert_eq!(
            fields(checked(input("two\nlines", "", &"k".repeat(501))).unwrap_err()),
            ["title", "keywords"]
        );
        assert!(checked(input(&"t".repeat(MAX_TITLE_CHARS), "", "")).is_ok());
    }

    #[test]
    fn long_text_is_cut_at_a_paragraph_or_word() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("one two three four", 12), "one two…");
        assert_eq!(
            cut("first paragraph\n\nsecond para", 25),
            "first paragraph…"
        );
        assert_eq!(cut("abcdefghij", 4), "abcd…");
        assert_eq!(cut("ééééé", 3), "ééé…");
    }
}
