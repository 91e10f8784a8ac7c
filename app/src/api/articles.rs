//! Server functions for solution articles. All but `kb_article` (the public page of a
//! published article) require a signed-in staff member.

#[cfg(feature = "ssr")]
use super::ssr;
use super::ApiError;
use crate::article::{
    Article, ArticleHit, ArticleInput, ArticleSummary, ChatArticle, PublicArticle,
};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Every article, drafts included, most recently changed first.
#[server(endpoint = "articles", input = Json)]
pub async fn articles() -> Result<Vec<ArticleSummary>, ApiError> {
    ssr::require_staff().await?;
    Ok(ssr::service()?.articles().await?)
}

#[server(endpoint = "get_article", input = Json)]
pub async fn get_article(id: i64) -> Result<Article, ApiError> {
    ssr::require_staff().await?;
    Ok(ssr::service()?.article(id).await?)
}

/// Creates the article (`id` = `None`) or saves its new text; returns it as stored.
#[server(endpoint = "save_article", input = Json)]
pub async fn save_article(id: Option<i64>, input: ArticleInput) -> Result<Article, ApiError> {
    let me = ssr::require_staff().await?;
    Ok(ssr::service()?.save_article(&me, id, input).await?)
}

/// Ranked matches for the words typed so far (the last one may be unfinished); `drafts` adds
/// unpublished articles.
#[server(endpoint = "search_articles", input = Json)]
pub async fn search_articles(query: String, drafts: bool) -> Result<Vec<ArticleHit>, ApiError> {
    ssr::require_staff().await?;
    Ok(ssr::service()?.search_articles(&query, drafts).await?)
}

/// A published article as the text of one chat message, with its public page.
#[server(endpoint = "article_for_chat", input = Json)]
pub async fn article_for_chat(id: i64) -> Result<ChatArticle, ApiError> {
    ssr::require_staff().await?;
    Ok(ssr::service()?.chat_article(id).await?)
}

/// The public page of a published article, for anyone; drafts are not found.
#[server(endpoint = "kb_article", input = Json)]
pub async fn kb_article(slug: String) -> Result<PublicArticle, ApiError> {
    Ok(ssr::service()?.public_article(&slug).await?)
}
