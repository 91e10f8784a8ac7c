//! SQLite side of [`ArticleStore`]: the articles table and its FTS5 index (migration 0005).

use super::SqliteStore;
use crate::article::{Article, ArticleHit, ArticleInput, ArticleSummary};
use crate::rules::{Millis, StaffId};
use crate::server::article_store::{ArticleSearch, ArticleStore};
use crate::server::rows::{
    first_free_slug, pieces, ArticleRow, ArticleSummaryRow, ARTICLE_COLUMNS,
};
use crate::server::store::StoreError;
use async_trait::async_trait;
use sqlx::{Row, SqliteConnection};

/// Title above keywords above body, in the FTS table's column order.
const RANK: &str = "bm25(articles_fts, 10.0, 4.0, 1.0)";

/// The FTS5 query for these words: each quoted as a string (quotes inside doubled), all
/// required, the last one a prefix if asked. Nothing else of FTS5's syntax is ever produced.
fn fts_query(words: &[String], prefix: bool) -> String {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let quoted = format!("\"{}\"", w.replace('"', "\"\""));
            if prefix && i == last {
                quoted + "*"
            } else {
                quoted
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn article_in(conn: &mut SqliteConnection, id: i64) -> Result<Article, StoreError> {
    Ok(
        sqlx::query_as::<_, ArticleRow>(&format!("{ARTICLE_COLUMNS} WHERE a.id = ?"))
            .bind(id)
            .fetch_one(conn)
            .await?
            .into(),
    )
}

/// `slug`, or the first of `slug-2`, `slug-3`… that no article has.
async fn free_slug(conn: &mut SqliteConnection, slug: &str) -> Result<String, StoreError> {
    let taken: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM articles WHERE slug = ?1 OR slug GLOB ?1 || '-[0-9]*'",
    )
    .bind(slug)
    .fetch_all(conn)
    .await?;
    Ok(first_free_slug(slug, &taken))
}

#[async_trait]
impl ArticleStore for SqliteStore {
    async fn add_article(
        &self,
        input: &ArticleInput,
        slug: &str,
        by: StaffId,
        now: Millis,
    ) -> Result<Article, StoreError> {
        let mut tx = self.write.begin().await?;
        let slug = free_slug(&mut tx, slug).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (slug, title, body, keywords, published, created_at, updated_at, updated_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&slug)
        .bind(&input.title)
        .bind(&input.body)
        .bind(&input.keywords)
        .bind(input.published)
        .bind(now)
        .bind(now)
        .bind(by)
        .fetch_one(&mut *tx)
        .await?;
        let article = article_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(article)
    }

    async fn update_article(
        &self,
        id: i64,
        input: &ArticleInput,
        by: StaffId,
        now: Millis,
    ) -> Result<Article, StoreError> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE articles SET title = ?, body = ?, keywords = ?, published = ?, \
             updated_at = ?, updated_by = ? WHERE id = ?",
        )
        .bind(&input.title)
        .bind(&input.body)
        .bind(&input.keywords)
        .bind(input.published)
        .bind(now)
        .bind(by)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let article = article_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(article)
    }

    async fn article(&self, id: i64) -> Result<Option<Article>, StoreError> {
        Ok(
            sqlx::query_as::<_, ArticleRow>(&format!("{ARTICLE_COLUMNS} WHERE a.id = ?"))
                .bind(id)
                .fetch_optional(&self.read)
                .await?
                .map(Article::from),
        )
    }

    async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError> {
        Ok(
            sqlx::query_as::<_, ArticleRow>(&format!("{ARTICLE_COLUMNS} WHERE a.slug = ?"))
                .bind(slug)
                .fetch_optional(&self.read)
                .await?
                .map(Article::from),
        )
    }

    async fn articles(&self) -> Result<Vec<ArticleSummary>, StoreError> {
        let rows: Vec<ArticleSummaryRow> = sqlx::query_as(
            "SELECT id, slug, title, published, updated_at FROM articles \
             ORDER BY updated_at DESC, id DESC",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn search_articles(
        &self,
        search: &ArticleSearch<'_>,
    ) -> Result<Vec<ArticleHit>, StoreError> {
        if search.words.is_empty() {
            return Ok(Vec::new());
        }
        // Articles with every word in their title or keywords come first, best first; the
        // bodies are searched only to fill up to `limit`. bm25 has to score every match before
        // the best are known, and a common word (or a 3-letter prefix) matches tens of thousands
        // of bodies but few titles, so this keeps most searches to the titles' matches.
        let words = fts_query(search.words, search.prefix);
        let mut hits = self
            .ranked(
                &format!("{{title keywords}} : ({words})"),
                &words,
                search,
                &[],
            )
            .await?;
        if (hits.len() as i64) < search.limit {
            let found: Vec<i64> = hits.iter().map(|h| h.id).collect();
            hits.extend(self.ranked(&words, &words, search, &found).await?);
        }
        Ok(hits)
    }
}

impl SqliteStore {
    /// The best matches of the FTS5 query `rank_by`, leaving out `skip`, up to the search's limit
    /// in all; `words` (all columns) marks the matches in titles and snippets.
    async fn ranked(
        &self,
        rank_by: &str,
        words: &str,
        search: &ArticleSearch<'_>,
        skip: &[i64],
    ) -> Result<Vec<ArticleHit>, StoreError> {
        // Rank in the full-text index alone and keep the best; only then join their rows and
        // cut snippets. highlight() and snippet() re-read and re-tokenise an article, so
        // running them for every match (a plain query does, before sorting) and reading every
        // match's row to check it is published took most of a search's time on a large
        // knowledge base. Drafts are left out through their index instead (migration 0007).
        let rows = sqlx::query(&format!(
            "WITH top AS ( \
               SELECT articles_fts.rowid AS id, {RANK} AS score FROM articles_fts \
               WHERE articles_fts MATCH ?1 AND (?2 OR articles_fts.rowid NOT IN \
                 (SELECT id FROM articles WHERE published = 0)) \
                 AND articles_fts.rowid NOT IN (SELECT value FROM json_each(?4)) \
               ORDER BY score, id LIMIT ?3) \
             SELECT a.id, a.slug, a.published, \
             highlight(articles_fts, 0, char(2), char(3)) AS title, \
             snippet(articles_fts, 2, char(2), char(3), '…', 24) AS snippet \
             FROM top CROSS JOIN articles_fts ON articles_fts.rowid = top.id \
             JOIN articles a ON a.id = top.id \
             WHERE articles_fts MATCH ?5 ORDER BY top.score, top.id"
        ))
        .bind(rank_by)
        .bind(search.drafts)
        .bind(search.limit - skip.len() as i64)
        .bind(serde_json::to_string(skip)?)
        .bind(words)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ArticleHit {
                    id: r.try_get("id")?,
                    slug: r.try_get("slug")?,
                    published: r.try_get("published")?,
                    title: pieces(r.try_get("title")?),
                    snippet: pieces(r.try_get("snippet")?),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_quote_every_word_and_may_prefix_the_last() {
        let words = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            fts_query(&words(&["reset", "passw"]), true),
            r#""reset" "passw"*"#
        );
        assert_eq!(
            fts_query(&words(&["reset", "pa"]), false),
            r#""reset" "pa""#
        );
        assert_eq!(fts_query(&words(&["a\"b"]), true), r#""a""b"*"#);
        assert_eq!(fts_query(&[], true), "");
    }
}
