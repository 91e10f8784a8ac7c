//! PostgreSQL side of [`ArticleStore`]: the articles table and its weighted `tsvector`.

use super::PgStore;
use crate::article::{Article, ArticleHit, ArticleInput, ArticleSummary};
use crate::rules::{Millis, StaffId};
use crate::server::article_store::{ArticleSearch, ArticleStore};
use crate::server::marks::Terms;
use crate::server::rows::{
    first_free_slug, ArticleRow, ArticleSummaryRow, HitRow, ARTICLE_COLUMNS,
};
use crate::server::store::StoreError;
use async_trait::async_trait;
use sqlx::PgConnection;

/// The `tsquery` for these words: each quoted as a lexeme (quotes and backslashes escaped), all
/// required, the last one a prefix if asked, each limited to the `weights` (`""`: anywhere).
/// Nothing else of tsquery's syntax is ever produced.
fn ts_query(words: &[String], prefix: bool, weights: &str) -> String {
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let quoted = format!("'{}'", w.replace('\\', "\\\\").replace('\'', "''"));
            let star = if prefix && i == last { "*" } else { "" };
            match (star, weights) {
                ("", "") => quoted,
                _ => format!("{quoted}:{star}{weights}"),
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

async fn article_in(conn: &mut PgConnection, id: i64) -> Result<Article, StoreError> {
    Ok(
        sqlx::query_as::<_, ArticleRow>(&format!("{ARTICLE_COLUMNS} WHERE a.id = $1"))
            .bind(id)
            .fetch_one(conn)
            .await?
            .into(),
    )
}

/// `slug`, or the first of `slug-2`, `slug-3`… that no article has.
async fn free_slug(conn: &mut PgConnection, slug: &str) -> Result<String, StoreError> {
    let taken: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM articles WHERE slug = $1 OR (left(slug, length($1) + 1) = $1 || '-' \
         AND substr(slug, length($1) + 2) ~ '^[0-9]+$')",
    )
    .bind(slug)
    .fetch_all(conn)
    .await?;
    Ok(first_free_slug(slug, &taken))
}

#[async_trait]
impl ArticleStore for PgStore {
    async fn add_article(
        &self,
        input: &ArticleInput,
        slug: &str,
        by: StaffId,
        now: Millis,
    ) -> Result<Article, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Two nodes creating articles with one title must not pick the same free slug.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('articles.slug'))")
            .execute(&mut *tx)
            .await?;
        let slug = free_slug(&mut tx, slug).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (slug, title, body, keywords, published, created_at, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
        )
        .bind(&slug)
        .bind(&input.title)
        .bind(&input.body)
        .bind(&input.keywords)
        .bind(input.published)
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
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE articles SET title = $1, body = $2, keywords = $3, published = $4, \
             updated_at = $5, updated_by = $6 WHERE id = $7",
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
            sqlx::query_as::<_, ArticleRow>(&format!("{ARTICLE_COLUMNS} WHERE a.id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .map(Article::from),
        )
    }

    async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>, StoreError> {
        Ok(
            sqlx::query_as::<_, ArticleRow>(&format!("{ARTICLE_COLUMNS} WHERE a.slug = $1"))
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?
                .map(Article::from),
        )
    }

    async fn articles(&self) -> Result<Vec<ArticleSummary>, StoreError> {
        let rows: Vec<ArticleSummaryRow> = sqlx::query_as(
            "SELECT id, slug, title, published, updated_at FROM articles \
             ORDER BY updated_at DESC, id DESC",
        )
        .fetch_all(&self.pool)
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
        // Rank first and cut to the page; only the rows shown are marked, in Rust. The
        // default weights {D, C, B, A} = {0.1, 0.2, 0.4, 1.0} are the 1 / 4 / 10 of SQLite's bm25.
        // As on SQLite, articles with every word in the title (A) or keywords (B) come first,
        // ranked; those that say them only in the body follow, newest first.
        let rows: Vec<HitRow> = sqlx::query_as(
            "SELECT a.id, a.slug, a.published, a.title, a.body \
             FROM (SELECT a.id, q.q, a.search @@ q.heads AS head, \
                     CASE WHEN a.search @@ q.heads THEN ts_rank(a.search, q.q) END AS rank, \
                     CASE WHEN a.search @@ q.heads THEN a.id ELSE -a.id END AS tie \
                   FROM articles a, \
                     (SELECT to_tsquery('simple', $1), to_tsquery('simple', $4)) AS q(q, heads) \
                   WHERE a.search @@ q.q AND ($2 OR a.published) \
                   ORDER BY head DESC, rank DESC, tie LIMIT $3) top \
             JOIN articles a ON a.id = top.id ORDER BY top.head DESC, top.rank DESC, top.tie",
        )
        .bind(ts_query(search.words, search.prefix, ""))
        .bind(search.drafts)
        .bind(search.limit)
        .bind(ts_query(search.words, search.prefix, "AB"))
        .fetch_all(&self.pool)
        .await?;
        let terms = Terms::new(search.words, search.prefix);
        Ok(rows.into_iter().map(|r| r.marked(&terms)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::ts_query;

    #[test]
    fn queries_quote_every_word_and_may_prefix_the_last() {
        let words = |ws: &[&str]| ws.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ts_query(&words(&["reset", "passw"]), true, ""),
            "'reset' & 'passw':*"
        );
        assert_eq!(
            ts_query(&words(&["it's", "a\\b"]), false, ""),
            r"'it''s' & 'a\\b'"
        );
        assert_eq!(
            ts_query(&words(&["reset", "passw"]), true, "AB"),
            "'reset':AB & 'passw':*AB"
        );
        assert_eq!(ts_query(&[], true, ""), "");
    }
}
