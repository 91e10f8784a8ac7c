//! Solution articles over the real router: who may call the staff functions, validation with
//! nothing stored half-way, search as staff type, the public page (drafts not found), and
//! Markdown that cannot run script.

mod common;

use app::api::ApiError;
use app::article::{Article, ArticleHit, ArticleSummary, ChatArticle, PublicArticle};
use common::*;
use serde_json::{json, Value};

struct Kb {
    server: TestServer,
    _dir: tempfile::TempDir,
    /// Ann's session.
    ann: String,
}

async fn kb() -> Kb {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path()).await;
    server.add_staff("Ann Lee", "ann@example.com", &[]).await;
    let ann = server.login("ann@example.com").await;
    Kb {
        server,
        _dir: dir,
        ann,
    }
}

impl Kb {
    async fn save(&self, title: &str, keywords: &str, body: &str, published: bool) -> Article {
        call(
            &self.server,
            &self.ann,
            "save_article",
            json!({ "id": null, "input": {
                "title": title, "keywords": keywords, "body": body, "published": published
            }}),
        )
        .await
    }

    async fn search(&self, query: &str, drafts: bool) -> Vec<ArticleHit> {
        call(
            &self.server,
            &self.ann,
            "search_articles",
            json!({ "query": query, "drafts": drafts }),
        )
        .await
    }

    /// GETs a page as a browser does; the status and the HTML.
    async fn page(&self, path: &str) -> (reqwest::StatusCode, String) {
        let res = self
            .server
            .http()
            .get(self.server.url(path))
            .header(reqwest::header::ACCEPT, "text/html")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        (res.status(), res.text().await.unwrap())
    }
}

/// The tags in `html`, without their angle brackets.
fn tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or_default().to_string())
        .collect()
}

fn titles(hits: &[ArticleHit]) -> Vec<String> {
    hits.iter().map(ArticleHit::title_text).collect()
}

#[tokio::test]
async fn signed_out_callers_reach_nothing_but_public_pages() {
    let k = kb().await;
    let a = k.save("Password reset", "", "Open Settings.", true).await;
    let draft = k.save("Secret plans", "", "Not yet.", false).await;
    // A visitor in a chat has a chat token, no staff session: the same as a stranger here.
    k.server
        .start_chat("Vera", "How do I reset my password?", None)
        .await;
    let calls: Vec<(&str, Value)> = vec![
        ("articles", json!({})),
        ("get_article", json!({ "id": draft.id })),
        (
            "search_articles",
            json!({ "query": "secret", "drafts": true }),
        ),
        (
            "search_articles",
            json!({ "query": "password", "drafts": false }),
        ),
        ("article_for_chat", json!({ "id": a.id })),
        (
            "save_article",
            json!({ "id": a.id, "input": { "title": "Hacked", "keywords": "", "body": "", "published": true }}),
        ),
        (
            "save_article",
            json!({ "id": null, "input": { "title": "Spam", "keywords": "", "body": "", "published": true }}),
        ),
    ];
    for (endpoint, body) in calls {
        assert_eq!(
            refused(&k.server, None, endpoint, body.clone()).await,
            ApiError::Unauthorized,
            "{endpoint} {body}"
        );
        assert_eq!(
            refused(&k.server, Some("forged-session"), endpoint, body.clone()).await,
            ApiError::Unauthorized,
            "{endpoint} {body} with a made-up cookie"
        );
    }
    let listed: Vec<ArticleSummary> = call(&k.server, &k.ann, "articles", json!({})).await;
    assert_eq!(listed.len(), 2, "nothing was added");
    let kept: Article = call(&k.server, &k.ann, "get_article", json!({ "id": a.id })).await;
    assert_eq!(kept.title, "Password reset", "nothing was changed");
}

#[tokio::test]
async fn invalid_input_gets_field_errors_and_stores_nothing() {
    let k = kb().await;
    let e = refused(
        &k.server,
        Some(&k.ann),
        "save_article",
        json!({ "id": null, "input": {
            "title": "   ", "keywords": "", "body": "x".repeat(50_001), "published": true
        }}),
    )
    .await;
    assert!(e.field("title").is_some(), "{e:?}");
    assert!(e.field("body").is_some(), "{e:?}");
    let listed: Vec<ArticleSummary> = call(&k.server, &k.ann, "articles", json!({})).await;
    assert!(listed.is_empty());

    let a = k.save("Opening hours", "", "9 to 5.", true).await;
    let e = refused(
        &k.server,
        Some(&k.ann),
        "save_article",
        json!({ "id": a.id, "input": {
            "title": "t".repeat(201), "keywords": "", "body": "Changed.", "published": false
        }}),
    )
    .await;
    assert!(e.field("title").is_some(), "{e:?}");
    let kept: Article = call(&k.server, &k.ann, "get_article", json!({ "id": a.id })).await;
    assert_eq!((kept.body.as_str(), kept.published), ("9 to 5.", true));

    let e = refused(
        &k.server,
        Some(&k.ann),
        "save_article",
        json!({ "id": a.id + 50, "input": {
            "title": "Lost", "keywords": "", "body": "", "published": false
        }}),
    )
    .await;
    assert_eq!(e, ApiError::NotFound);
}

#[tokio::test]
async fn staff_search_ranks_prefixes_and_survives_any_query() {
    let k = kb().await;
    for filler in ["Opening hours", "Delivery times", "Returns", "Invoices"] {
        k.save(filler, "", "Nothing to see here.", true).await;
    }
    k.save(
        "Mail setup",
        "",
        "Your mail password is your password.",
        true,
    )
    .await;
    k.save("Password reset", "", "Open Settings, then Security.", true)
        .await;
    k.save("Password policy", "", "Still a draft.", false).await;

    assert_eq!(
        titles(&k.search("passw", false).await),
        ["Password reset", "Mail setup"]
    );
    // Too short to be taken as the start of a word: only the whole word "pa" would match.
    assert!(k.search("pa", false).await.is_empty());
    assert_eq!(k.search("pas", false).await.len(), 2);
    let with_drafts = titles(&k.search("Passw", true).await);
    assert_eq!(with_drafts.len(), 3);
    assert!(with_drafts.contains(&"Password policy".to_string()));

    for query in [
        "\"", "AND (", "*", "NEAR(", "pass\"", ") OR (", "title:x", "^", "-",
    ] {
        // `call` fails the test on any error.
        k.search(query, true).await;
    }
    assert_eq!(k.search("\"passw", false).await.len(), 2);
}

#[tokio::test]
async fn drafts_have_no_public_page() {
    let k = kb().await;
    let draft = k
        .save("Upcoming price list", "", "Prices go up.", false)
        .await;
    let (status, html) = k.page(&draft.path()).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{html}");
    assert!(!html.contains("Upcoming price list"), "{html}");
    assert!(!html.contains("Prices go up"), "{html}");
    let e = refused(&k.server, None, "kb_article", json!({ "slug": draft.slug })).await;
    assert_eq!(e, ApiError::NotFound);
    let e = refused(
        &k.server,
        Some(&k.ann),
        "article_for_chat",
        json!({ "id": draft.id }),
    )
    .await;
    assert_eq!(e, ApiError::NotFound, "a draft cannot go into a chat");

    // Published, it has a page for anyone; unpublished again, the page is gone.
    let published: Article = call(
        &k.server,
        &k.ann,
        "save_article",
        json!({ "id": draft.id, "input": {
            "title": "Upcoming price list", "keywords": "", "body": "Prices go **up**.", "published": true
        }}),
    )
    .await;
    assert_eq!(published.slug, draft.slug);
    let (status, html) = k.page(&draft.path()).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{html}");
    assert!(html.contains(">Upcoming price list</h1>"), "{html}");
    assert!(html.contains("Prices go <strong>up</strong>."), "{html}");
    let (status, _) = k.page("/kb/no-such-article").await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn markdown_cannot_run_script() {
    let k = kb().await;
    let body = "Hello <script>alert('body')</script> <img src=x onerror=alert(1)>\n\n\
                <div onclick=\"alert(2)\">block</div>\n\n\
                [click me](javascript:alert(3)) [tab](java\tscript:alert(4)) \
                ![pic](javascript:alert(5)) [ok](https://example.com/help) [mail](mailto:help@example.com)\n\n\
                <a href=\"javascript:alert(6)\">raw link</a> [data](data:text/html,hi)";
    let a = k.save("Script test", "", body, true).await;
    let page: PublicArticle =
        call(&k.server, &k.ann, "kb_article", json!({ "slug": a.slug })).await;
    let html = page.html.to_lowercase();
    // Raw HTML is shown as text (escaped): the only tags are Markdown's, and the only links
    // are the safe ones.
    for tag in tags(&html) {
        assert!(
            ["p", "/p", "/a"].contains(&tag.as_str())
                || tag.starts_with("a href=\"https://")
                || tag.starts_with("a href=\"mailto:"),
            "<{tag}> in {html}"
        );
    }
    assert!(
        html.contains("&lt;script&gt;"),
        "raw HTML is shown as text: {html}"
    );
    assert!(html.contains("click me"), "the link's text stays: {html}");
    assert!(
        html.contains("<a href=\"https://example.com/help\">ok</a>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"mailto:help@example.com\">mail</a>"),
        "{html}"
    );

    // The same on the page itself.
    let (status, page) = k.page(&a.path()).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;alert("), "{page}");
    assert!(
        !page.to_lowercase().contains("<a href=\"javascript"),
        "{page}"
    );

    // Into a chat, it is plain text; the safe link's address follows its text.
    let chat: ChatArticle =
        call(&k.server, &k.ann, "article_for_chat", json!({ "id": a.id })).await;
    assert!(chat.text.starts_with("Script test\n\n"), "{:?}", chat.text);
    assert!(
        chat.text.contains("ok (https://example.com/help)"),
        "{:?}",
        chat.text
    );
    assert!(chat.text.contains("click me"), "{:?}", chat.text);
    assert!(!chat.text.contains("(javascript"), "{:?}", chat.text);
    assert_eq!(chat.path, a.path());
    assert!(!chat.cut);
}

#[tokio::test]
async fn a_long_article_is_cut_to_one_message() {
    let k = kb().await;
    let body = "A sentence of the long article. ".repeat(400);
    let a = k.save("Long", "", &body, true).await;
    let chat: ChatArticle =
        call(&k.server, &k.ann, "article_for_chat", json!({ "id": a.id })).await;
    assert!(chat.cut);
    assert!(chat.text.chars().count() <= app::rules::MAX_MESSAGE_CHARS - 200);
    assert!(
        chat.text.ends_with('…'),
        "{:?}",
        &chat.text[chat.text.len() - 40..]
    );
}
