//! SQLite side of [`ArticleStore`]: the articles table and its FTS5 indexes (migrations 0005,
//! 0008).

use super::SqliteStore;
use crate::article::{Article, ArticleHit, ArticleInput, ArticleSummary};
use crate::rules::{Millis, StaffId};
use crate::server::article_store::{ArticleSearch, ArticleStore};
use crate::server::marks::Terms;
use crate::server::rows::{
    first_free_slug, ArticleRow, ArticleSummaryRow, HitRow, ARTICLE_COLUMNS,
};
use crate::server::store::StoreError;
use async_trait::async_trait;
use sqlx::Connection;
use sqlx::SqliteConnection;

/// Title above keywords, in `article_heads`' column order.
const RANK: &str = "bm25(article_heads, 10.0, 4.0)";

/// How many of the newest title-or-keyword matches are ranked. bm25 reads each match's sizes
/// and positions: over 100,000 articles a search for a common word took 6.5 ms (p99) with 500
/// ranked, 3.8 ms with 200. Older matches are not ranked; they show once more words narrow the
/// search, and a search with fewer matches than this ranks them all.
const RANK_WINDOW: i64 = 200;

/// `?3` (drafts too) or published only, read from the row of each match (`a`): the window
/// keeps that to a few hundred rows, and the bodies' scan stops at the page's last.
const PUBLISHED: &str = "(?3 OR a.published)";

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
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
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
        let mut conn = self.write.lock().await;
        let mut tx = conn.begin().await?;
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
        // Articles with every word in their title or keywords come first, best first, ranked in
        // their own index (migration 0008): bm25 has to score every match before the best are
        // known, and a common word (or a 3-letter prefix) is in thousands of titles but in tens
        // of thousands of bodies. Bodies only fill up the page, newest first, which the index
        // reads in order and stops early.
        let words = fts_query(search.words, search.prefix);
        let mut ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT article_heads.rowid FROM article_heads \
             CROSS JOIN articles a ON a.id = article_heads.rowid \
             WHERE article_heads MATCH ?1 AND {PUBLISHED} AND article_heads.rowid >= coalesce( \
                 (SELECT rowid FROM article_heads WHERE article_heads MATCH ?1 \
                  ORDER BY rowid DESC LIMIT 1 OFFSET ?2), 0) \
             ORDER BY {RANK}, article_heads.rowid LIMIT ?4"
        ))
        .bind(&words)
        .bind(RANK_WINDOW - 1)
        .bind(search.drafts)
        .bind(search.limit)
        .fetch_all(&self.read)
        .await?;
        if (ids.len() as i64) < search.limit {
            let more: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT articles_fts.rowid FROM articles_fts \
                 CROSS JOIN articles a ON a.id = articles_fts.rowid \
                 WHERE articles_fts MATCH ?1 AND {PUBLISHED} \
                 AND articles_fts.rowid NOT IN (SELECT value FROM json_each(?2)) \
                 ORDER BY articles_fts.rowid DESC LIMIT ?4"
            ))
            .bind(&words)
            .bind(serde_json::to_string(&ids)?)
            .bind(search.drafts)
            .bind(search.limit - ids.len() as i64)
            .fetch_all(&self.read)
            .await?;
            ids.extend(more);
        }
        self.hits(&ids, &Terms::new(search.words, search.prefix))
            .await
    }
}

impl SqliteStore {
    /// The articles `ids`, in that order, with the search's words marked in their titles and
    /// snippets (in Rust: FTS5's own would re-run the MATCH for each row).
    async fn hits(&self, ids: &[i64], terms: &Terms) -> Result<Vec<ArticleHit>, StoreError> {
        let rows: Vec<HitRow> = sqlx::query_as(
            "SELECT a.id, a.slug, a.published, a.title, a.body \
             FROM json_each(?1) AS page CROSS JOIN articles a ON a.id = page.value \
             ORDER BY page.key",
        )
        .bind(serde_json::to_string(ids)?)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|r| r.marked(terms)).collect())
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
