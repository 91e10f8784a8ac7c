//! One article: title, keywords, Markdown text and published or draft. Saving checks every field
//! on the server and stores all of it or nothing.

use crate::api::{self, ApiError};
use crate::article::{Article, ArticleInput, MAX_BODY_CHARS, MAX_KEYWORDS_CHARS, MAX_TITLE_CHARS};
use crate::console::tickets::StaffPage;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use leptos_router::NavigateOptions;

#[component]
pub fn ArticleEditor() -> impl IntoView {
    view! { <StaffPage title="Article · Helpdesk" page=|_| view! { <Editor/> }.into_any()/> }
}

#[component]
fn Editor() -> impl IntoView {
    let params = use_params_map();
    // `None`: a new article (`/console/articles/new`).
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    // Kept here, so that it outlives the reload after the first save of a new article.
    let saved = RwSignal::new(None::<String>);
    let article = LocalResource::new(move || {
        let id = id.get();
        async move {
            match id {
                Some(id) => api::articles::get_article(id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <section class="article-editor">
            <p><a href="/console/articles">"All articles"</a></p>
            <Suspense fallback=|| view! { <p class="placeholder">"Loading article…"</p> }>
                {move || Suspend::new(async move {
                    match article.await {
                        Ok(article) => view! { <Form article saved/> }.into_any(),
                        Err(ApiError::NotFound) => view! { <h1>"Article not found"</h1> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Form(article: Option<Article>, saved: RwSignal<Option<String>>) -> impl IntoView {
    let id = article.as_ref().map(|a| a.id);
    let stored = RwSignal::new(article.clone());
    let a = article.unwrap_or_else(|| Article {
        id: 0,
        slug: String::new(),
        title: String::new(),
        body: String::new(),
        keywords: String::new(),
        published: false,
        updated_at: 0,
        updated_by: None,
    });
    let title = RwSignal::new(a.title);
    let keywords = RwSignal::new(a.keywords);
    let body = RwSignal::new(a.body);
    let published = RwSignal::new(a.published);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        saved.set(None);
        let input = ArticleInput {
            title: title.get_untracked(),
            body: body.get_untracked(),
            keywords: keywords.get_untracked(),
            published: published.get_untracked(),
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::articles::save_article(id, input).await {
                Ok(a) => {
                    saved.set(Some("Saved.".into()));
                    if id.is_none() {
                        let to = format!("/console/articles/{}", a.id);
                        navigate(
                            &to,
                            NavigateOptions {
                                replace: true,
                                ..Default::default()
                            },
                        );
                    }
                    stored.set(Some(a));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let field_error =
        move |name: &'static str| error.with(|e| e.as_ref().and_then(|e| e.field(name)));
    let other_error = move || {
        error.with(|e| match e {
            Some(ApiError::Invalid(_)) | None => None,
            Some(e) => Some(e.to_string()),
        })
    };
    view! {
        <h1>{if id.is_some() { "Edit article" } else { "New article" }}</h1>
        <form class="article-form" on:submit=submit>
            <TextField name="title" label="Title" value=title max=MAX_TITLE_CHARS
                error=Signal::derive(move || field_error("title"))/>
            <TextField name="keywords" label="Keywords" value=keywords max=MAX_KEYWORDS_CHARS
                placeholder="Words people search with, separated by spaces"
                error=Signal::derive(move || field_error("keywords"))/>
            <TextField name="body" label="Text (Markdown)" value=body max=MAX_BODY_CHARS multiline=true
                error=Signal::derive(move || field_error("body"))/>
            <label class="pick">
                <input type="checkbox" prop:checked=move || published.get()
                    on:change=move |ev| published.set(event_target_checked(&ev))/>
                "Published"
            </label>
            <div class="actions">
                <button type="submit" disabled=move || busy.get()>"Save"</button>
                <span role="status">{move || saved.get()}</span>
            </div>
            {move || other_error().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
        {move || stored.get().filter(|a| a.published).map(|a| view! {
            <p class="public-link">"Public page: "
                <a href=a.path() target="_blank" rel="noopener">{a.path()}</a>
            </p>
        })}
    }
}

/// A labelled text field with the server's error for it underneath.
#[component]
fn TextField(
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    max: usize,
    error: Signal<Option<String>>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] multiline: bool,
) -> impl IntoView {
    let id = format!("article-{name}");
    let error_id = format!("{id}-error");
    let invalid = move || error.with(Option::is_some).to_string();
    let set = move |ev: leptos::ev::Event| value.set(event_target_value(&ev));
    let input = if multiline {
        view! {
            <textarea id=id.clone() rows="16" maxlength=max.to_string() placeholder=placeholder
                aria-invalid=invalid aria-describedby=error_id.clone()
                prop:value=move || value.get() on:input=set></textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() maxlength=max.to_string() placeholder=placeholder
                aria-invalid=invalid aria-describedby=error_id.clone()
                prop:value=move || value.get() on:input=set/>
        }
        .into_any()
    };
    view! {
        <div class="field" class:invalid=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            {input}
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
    }
}
