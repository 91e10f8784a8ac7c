//! Every article, newest change first, or the best matches for a search (drafts included).

use crate::api;
use crate::article::{ArticleHit, ArticleSummary};
use crate::console::solution_articles::marked;
use crate::console::tickets::{when, StaffPage};
use leptos::prelude::*;

#[component]
pub fn ArticleList() -> impl IntoView {
    view! { <StaffPage title="Solution articles · Helpdesk" page=|_| view! { <List/> }.into_any()/> }
}

fn state(published: bool) -> &'static str {
    if published {
        "Published"
    } else {
        "Draft"
    }
}

#[component]
fn List() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let all = LocalResource::new(api::articles::articles);
    let found = LocalResource::new(move || {
        let q = query.get();
        async move {
            if q.trim().is_empty() {
                None
            } else {
                Some(api::articles::search_articles(q, true).await)
            }
        }
    });
    view! {
        <section class="articles">
            <div class="articles-head">
                <h1>"Solution articles"</h1>
                <a class="button" href="/console/articles/new">"New article"</a>
            </div>
            <div class="field">
                <label for="article-search">"Search"</label>
                <input id="article-search" type="search" autocomplete="off"
                    placeholder="Title, keywords or text"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))/>
            </div>
            <Transition fallback=|| view! { <p class="placeholder">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match (found.await, all.await) {
                        (Some(Ok(hits)), _) => view! { <Hits hits/> }.into_any(),
                        (None, Ok(articles)) => view! { <Table articles/> }.into_any(),
                        (Some(Err(e)), _) | (None, Err(e)) => {
                            view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Table(articles: Vec<ArticleSummary>) -> impl IntoView {
    if articles.is_empty() {
        return view! { <p class="empty">"No articles yet."</p> }.into_any();
    }
    view! {
        <table class="ticket-table article-table">
            <thead><tr><th>"Title"</th><th>"State"</th><th>"Updated"</th></tr></thead>
            <tbody>
                {articles.into_iter().map(|a| view! {
                    <tr>
                        <td><a href=format!("/console/articles/{}", a.id)>{a.title}</a></td>
                        <td>{state(a.published)}</td>
                        <td><time>{when(a.updated_at)}</time></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Hits(hits: Vec<ArticleHit>) -> impl IntoView {
    if hits.is_empty() {
        return view! { <p class="empty">"No article matches."</p> }.into_any();
    }
    view! {
        <ul class="article-hits" aria-label="Articles found">
            {hits.into_iter().map(|h| view! {
                <li>
                    <h3><a href=format!("/console/articles/{}", h.id)>{marked(h.title)}</a></h3>
                    <p class="snippet">{marked(h.snippet)}</p>
                    <p class="state">{state(h.published)}</p>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
