//! The solution article storage suite: every [`Store`] backend must pass it. As in `store.rs`,
//! the checks are functions of an `Arc<dyn Store>` on an empty database; the bottom of this file
//! runs them against a fresh SQLite file and a fresh PostgreSQL database each.

#![cfg(feature = "ssr")]

mod common;

use app::article::{search_words, ArticleHit, ArticleInput, Piece};
use app::server::article_store::ArticleSearch;
use app::server::store::{NewStaff, Store, StoreError};
use std::sync::Arc;

const NOW: i64 = 1_700_000_000_000;

pub mod suite {
    use super::*;

    async fn author(store: &Arc<dyn Store>) -> i64 {
        let staff = NewStaff {
            name: "Ann Lee".into(),
            email: "ann@example.com".into(),
            password_hash: "not-a-real-hash".into(),
            is_admin: false,
            department_ids: vec![],
        };
        store.add_staff(staff, NOW).await.expect("add staff").id
    }

    fn input(title: &str, keywords: &str, body: &str, published: bool) -> ArticleInput {
        ArticleInput {
            title: title.into(),
            body: body.into(),
            keywords: keywords.into(),
            published,
        }
    }

    async fn add(store: &Arc<dyn Store>, by: i64, article: ArticleInput) -> i64 {
        let slug = app::article::slugify(&article.title);
        store
            .add_article(&article, &slug, by, NOW)
            .await
            .expect("add article")
            .id
    }

    async fn search(store: &Arc<dyn Store>, query: &str, drafts: bool) -> Vec<ArticleHit> {
        let words = search_words(query);
        store
            .search_articles(&ArticleSearch {
                words: &words,
                prefix: true,
                drafts,
                limit: 20,
            })
            .await
            .unwrap_or_else(|e| panic!("search {query:?}: {e}"))
    }

    fn titles(hits: &[ArticleHit]) -> Vec<String> {
        hits.iter().map(ArticleHit::title_text).collect()
    }

    /// Three articles that all say "password": in the title, in the keywords, in the body only;
    /// and four that do not, so that "password" is a rare word (as bm25 expects of a query).
    async fn three(store: &Arc<dyn Store>) -> i64 {
        let by = author(store).await;
        for title in ["Opening hours", "Delivery times", "Returns", "Invoices"] {
            add(store, by, input(title, "", "Nothing to see here.", true)).await;
        }
        add(
            store,
            by,
            input(
                "Mail setup",
                "",
                "Use the password you chose for the password reset.",
                true,
            ),
        )
        .await;
        add(
            store,
            by,
            input(
                "Signing in",
                "password login",
                "How to sign in to your account.",
                true,
            ),
        )
        .await;
        add(
            store,
            by,
            input("Password reset", "", "Open Settings, then Security.", true),
        )
        .await;
        by
    }

    pub async fn title_matches_rank_above_keywords_above_body(store: Arc<dyn Store>) {
        three(&store).await;
        assert_eq!(
            titles(&search(&store, "password", false).await),
            ["Password reset", "Signing in", "Mail setup"]
        );
    }

    /// Nine times "password" in a short body outscores one keyword on bm25 alone; an article
    /// with the words in its title or keywords still comes first.
    pub async fn title_or_keyword_matches_come_before_body_only_ones(store: Arc<dyn Store>) {
        let by = author(&store).await;
        for title in ["Opening hours", "Delivery times", "Returns", "Invoices"] {
            add(&store, by, input(title, "", "Nothing to see here.", true)).await;
        }
        let body = "password ".repeat(9);
        add(&store, by, input("Mail setup", "", &body, true)).await;
        add(
            &store,
            by,
            input(
                "Signing in",
                "password",
                "How to sign in to your account with your email address and the code we send.",
                true,
            ),
        )
        .await;
        assert_eq!(
            titles(&search(&store, "password", false).await),
            ["Signing in", "Mail setup"]
        );
        assert_eq!(
            titles(&search(&store, "passw", false).await),
            ["Signing in", "Mail setup"],
            "the same for a prefix"
        );
    }

    /// Bodies only fill up the page, newest first: ranking every body that says a common word
    /// is what made searches slow, and the newer of two texts is the more likely to be current.
    pub async fn body_only_matches_come_newest_first(store: Arc<dyn Store>) {
        let by = author(&store).await;
        for title in ["Opening hours", "Delivery times", "Returns", "Invoices"] {
            add(&store, by, input(title, "", "Nothing to see here.", true)).await;
        }
        add(
            &store,
            by,
            input("Old notes", "", &"password ".repeat(9), true),
        )
        .await;
        add(
            &store,
            by,
            input("Password reset", "", "Open Settings.", true),
        )
        .await;
        add(&store, by, input("New notes", "", "Your password.", true)).await;
        assert_eq!(
            titles(&search(&store, "password", false).await),
            ["Password reset", "New notes", "Old notes"]
        );
    }

    pub async fn the_last_word_is_a_prefix(store: Arc<dyn Store>) {
        three(&store).await;
        assert_eq!(search(&store, "passw", false).await.len(), 3);
        assert_eq!(
            titles(&search(&store, "reset passw", false).await),
            ["Password reset", "Mail setup"]
        );
        // Only the last word is a prefix; the others must be whole words.
        assert!(search(&store, "pass reset", false).await.is_empty());
        assert!(search(&store, "passwordx", false).await.is_empty());
        let whole = vec!["passw".to_string()];
        let found = store
            .search_articles(&ArticleSearch {
                words: &whole,
                prefix: false,
                drafts: true,
                limit: 20,
            })
            .await
            .unwrap();
        assert!(found.is_empty(), "without prefix, only whole words match");
    }

    /// The marked runs of a title or snippet.
    fn marks(pieces: &[Piece]) -> Vec<&str> {
        pieces
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect()
    }

    pub async fn matched_words_are_marked(store: Arc<dyn Store>) {
        three(&store).await;
        let hits = search(&store, "securi", false).await;
        assert_eq!(titles(&hits), ["Password reset"]);
        assert_eq!(marks(&hits[0].snippet), ["Security"]);
        let hits = search(&store, "passw", false).await;
        assert_eq!(marks(&hits[0].title), ["Password"]);
    }

    pub async fn drafts_are_found_only_when_asked(store: Arc<dyn Store>) {
        let by = three(&store).await;
        add(
            &store,
            by,
            input("Password policy", "", "Draft text.", false),
        )
        .await;
        let policy = "Password policy".to_string();
        assert!(!titles(&search(&store, "password", false).await).contains(&policy));
        let with_drafts = search(&store, "password", true).await;
        let draft = with_drafts
            .iter()
            .find(|h| h.title_text() == policy)
            .expect("the draft is found with drafts");
        assert!(!draft.published);
    }

    pub async fn hostile_queries_are_only_words(store: Arc<dyn Store>) {
        three(&store).await;
        for query in [
            "\"",
            "AND (",
            "*",
            "\"pass",
            "NEAR(password",
            "title:password",
            "password OR",
            "-password",
            "^password",
            "(((",
            "NOT",
            "pass\"word",
            "{title}: x",
            "'",
            "",
            "  ",
        ] {
            let hits = search(&store, query, false).await;
            assert!(hits.len() <= 7, "{query:?}");
        }
        assert_eq!(search(&store, "\"passw", false).await.len(), 3);
        assert_eq!(search(&store, "title:password", false).await.len(), 0);
        // Words the backend gets straight (another caller than the service) are quoted too.
        let words = vec!["\"".to_string(), "a\"b".to_string(), "(".to_string()];
        store
            .search_articles(&ArticleSearch {
                words: &words,
                prefix: true,
                drafts: true,
                limit: 20,
            })
            .await
            .expect("raw words");
    }

    pub async fn edits_keep_the_index_and_the_slug(store: Arc<dyn Store>) {
        let by = author(&store).await;
        let id = add(
            &store,
            by,
            input("Router lights", "", "Blinking orange.", false),
        )
        .await;
        let before = store.article(id).await.unwrap().unwrap();
        assert_eq!(before.slug, "router-lights");
        let after = store
            .update_article(
                id,
                &input("Modem lights", "wifi", "Steady green.", true),
                by,
                NOW + 1,
            )
            .await
            .unwrap();
        assert_eq!(
            after.slug, "router-lights",
            "links already sent keep working"
        );
        assert_eq!(
            (after.title.as_str(), after.published),
            ("Modem lights", true)
        );
        assert_eq!(after.updated_by.map(|s| s.name), Some("Ann Lee".into()));
        assert!(search(&store, "orange", true).await.is_empty());
        assert!(search(&store, "router", true).await.is_empty());
        assert_eq!(search(&store, "green", false).await.len(), 1);
        assert_eq!(search(&store, "wifi", false).await.len(), 1);
        // The new keyword is in the title-and-keyword index: it ranks above a newer article that
        // says the word only in its text.
        add(
            &store,
            by,
            input("Cables", "", "Check the wifi cable.", true),
        )
        .await;
        assert_eq!(
            titles(&search(&store, "wifi", false).await),
            ["Modem lights", "Cables"]
        );
        assert_eq!(
            store
                .article_by_slug("router-lights")
                .await
                .unwrap()
                .unwrap()
                .id,
            id
        );
        assert!(matches!(
            store
                .update_article(id + 99, &input("x", "", "", true), by, NOW)
                .await,
            Err(StoreError::NotFound)
        ));
    }

    pub async fn slugs_are_unique(store: Arc<dyn Store>) {
        let by = author(&store).await;
        let slugs = [
            ("Reset", "reset"),
            ("Reset!", "reset-2"),
            ("reset", "reset-3"),
            ("Reset 2", "reset-2-2"),
        ];
        for (title, want) in slugs {
            let a = store
                .add_article(
                    &input(title, "", "", true),
                    &app::article::slugify(title),
                    by,
                    NOW,
                )
                .await
                .unwrap();
            assert_eq!(a.slug, want, "{title}");
        }
        let listed = store.articles().await.unwrap();
        assert_eq!(listed.len(), 4);
    }
}

/// Every check of `suite`, listed once for all backends.
macro_rules! every_check {
    ($run:ident) => {
        $run!(
            title_matches_rank_above_keywords_above_body,
            title_or_keyword_matches_come_before_body_only_ones,
            body_only_matches_come_newest_first,
            the_last_word_is_a_prefix,
            matched_words_are_marked,
            drafts_are_found_only_when_asked,
            hostile_queries_are_only_words,
            edits_keep_the_index_and_the_slug,
            slugs_are_unique,
        );
    };
}

mod sqlite {
    use super::*;
    use app::server::sqlite::SqliteStore;

    macro_rules! run {
        ($($name:ident),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("store.db").display());
                let store = SqliteStore::open(&url).await.expect("open SQLite");
                suite::$name(Arc::new(store)).await;
            }
        )*};
    }

    every_check!(run);
}

mod postgres {
    use super::*;
    use app::server::postgres::PgStore;

    macro_rules! run {
        ($($name:ident),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = common::PgDatabase::create().await;
                let store = PgStore::open(&db.url).await.expect("open PostgreSQL");
                suite::$name(Arc::new(store)).await;
                db.drop_now().await;
            }
        )*};
    }

    every_check!(run);
}
