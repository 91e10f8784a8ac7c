//! The public page of a published solution article, `/kb/<slug>`: rendered on the server, so it
//! reads without script; a draft or an unknown slug answers 404.

use crate::api::{self, ApiError};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn KbPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.with(|p| p.get("slug").unwrap_or_default());
    let article = Resource::new(slug, api::articles::kb_article);
    view! {
        <Suspense fallback=|| view! { <p class="placeholder">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match article.await {
                    Ok(a) => view! {
                        <leptos_meta::Title text=a.title.clone()/>
                        <main class="kb-page">
                            <article>
                                <h1>{a.title}</h1>
                                // Rendered from Markdown on the server with raw HTML escaped and
                                // only http(s), mailto and relative links kept.
                                <div class="kb-body" inner_html=a.html></div>
                            </article>
                        </main>
                    }.into_any(),
                    Err(e) => {
                        #[cfg(feature = "ssr")]
                        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                            res.set_status(match e {
                                ApiError::NotFound => axum::http::StatusCode::NOT_FOUND,
                                _ => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            });
                        }
                        let text = match e {
                            ApiError::NotFound => "Article not found".to_string(),
                            e => e.to_string(),
                        };
                        view! {
                            <leptos_meta::Title text="Not found"/>
                            <main class="kb-page"><h1>{text}</h1></main>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
