//! Storage for solution articles and their full-text search. Kept apart from the chat storage in
//! [`super::store`], same backends; each backend turns the words searched for into its own query
//! syntax (never the user's raw text).

use super::store::StoreError;
use crate::article::{Article, ArticleHit, ArticleInput, ArticleSummary};
use crate::rules::{Millis, StaffId};
use async_trait::async_trait;

/// A search as the service hands it over.
pub struct ArticleSearch<'a> {
    /// Lower-case words; all must match (title, keywords or body).
    pub words: &'a [String],
    /// The last word may be the start of a longer one.
    pub prefix: bool,
    pub drafts: bool,
    pub limit: i64,
}

#[async_trait]
pub trait ArticleStore: Send + Sync + 'static {
    /// Stores a new article under `slug`, or under `slug-2`, `slug-3`… if that one is taken.
    async fn add_article(
        &self,
        input: &ArticleInput,
        slug: &str,
        by: StaffId,
        now: Millis,
    ) -> Result<Article, StoreError>;
    /// Replaces the article's text and state; its slug stays.
    async fn update_article(
        &self,
        id: i64,
        input: &ArticleInput,
        by: StaffId,
        now: Millis,
    ) -> Result<Article, StoreError>;
    async fn article(&self, id: i64) -> Result<Option<Article>, StoreError>;
    async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError>;
    /// Every article, drafts included, most recently changed first.
    async fn articles(&self) -> Result<Vec<ArticleSummary>, StoreError>;
    /// Articles with every word in their title or keywords first, best first (title matches
    /// above keyword matches); then those that say them only in the body, newest first.
    async fn search_articles(
        &self,
        search: &ArticleSearch<'_>,
    ) -> Result<Vec<ArticleHit>, StoreError>;
}
