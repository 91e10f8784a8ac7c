//! `Solution articles` beside the chat box: search the published articles as you type, then put
//! one into the message (`Insert article`, as plain text every transcript shows as written) or
//! a link to its public page (`Insert URL`). The staff member still sends the message.

use crate::api::{self, ApiError};
use crate::article::{ArticleHit, Piece};
use leptos::prelude::*;

/// The button and, once opened, its dialog. `draft` is the message being written.
#[component]
pub fn SolutionArticles(draft: RwSignal<String>) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button type="button" class="secondary tool" aria-haspopup="dialog"
            on:click=move |_| open.set(true)>"Solution articles"</button>
        <Show when=move || open.get()>
            <ArticleDialog draft close=Callback::new(move |()| open.set(false))/>
        </Show>
    }
}

/// The address people open, as this console sees the server.
fn absolute(path: &str) -> String {
    #[cfg(feature = "browser")]
    {
        let origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        format!("{origin}{path}")
    }
    #[cfg(not(feature = "browser"))]
    {
        path.to_string()
    }
}

/// Adds `text` to the draft, after a blank line if there is something already.
fn append(draft: RwSignal<String>, text: &str) {
    draft.update(|d| {
        let kept = d.trim_end().len();
        d.truncate(kept);
        if !d.is_empty() {
            d.push_str("\n\n");
        }
        d.push_str(text);
    });
}

/// Puts the cursor back in the message box, ready to send.
fn focus_message() {
    #[cfg(feature = "browser")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id("composer-message")
            .and_then(|el| el.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        {
            let _ = el.focus();
        }
    }
}

#[component]
fn ArticleDialog(draft: RwSignal<String>, close: Callback<()>) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let results = LocalResource::new(move || {
        let q = query.get();
        async move {
            if q.trim().is_empty() {
                Ok(Vec::new())
            } else {
                api::articles::search_articles(q, false).await
            }
        }
    });
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input_ref.get() {
            let _ = el.focus();
        }
    });
    let done = move || {
        close.run(());
        focus_message();
    };
    let insert_article = move |id: i64| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::articles::article_for_chat(id).await {
                Ok(a) => {
                    let mut text = a.text;
                    if a.cut {
                        text.push_str(&format!(
                            "\n\nRead the whole article: {}",
                            absolute(&a.path)
                        ));
                    }
                    append(draft, &text);
                    done();
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let insert_url = move |slug: String| {
        append(draft, &absolute(&crate::article::path(&slug)));
        done();
    };
    view! {
        <div class="backdrop">
            <div class="dialog articles-dialog" role="dialog" aria-modal="true"
                aria-labelledby="dialog-articles"
                on:keydown=move |ev| if ev.key() == "Escape" { close.run(()) }>
                <h2 id="dialog-articles">"Solution articles"</h2>
                <div class="field">
                    <label for="articles-query">"Search articles"</label>
                    <input id="articles-query" type="search" autocomplete="off" node_ref=input_ref
                        placeholder="Type keywords"
                        prop:value=move || query.get()
                        on:input=move |ev| query.set(event_target_value(&ev))/>
                </div>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let hits: Result<Vec<ArticleHit>, ApiError> = results.await;
                        match hits {
                            Ok(hits) if hits.is_empty() => {
                                let text = if query.with_untracked(|q| q.trim().is_empty()) {
                                    "Type a few words of the question."
                                } else {
                                    "No published article matches."
                                };
                                view! { <p class="empty">{text}</p> }.into_any()
                            }
                            Ok(hits) => view! {
                                <ul class="article-hits" aria-label="Articles found">
                                    {hits.into_iter().map(|hit| {
                                        let id = hit.id;
                                        let slug = hit.slug.clone();
                                        view! {
                                            <li>
                                                <h3>{marked(hit.title)}</h3>
                                                <p class="snippet">{marked(hit.snippet)}</p>
                                                <div class="actions">
                                                    <button type="button" on:click=move |_| insert_article(id)>"Insert article"</button>
                                                    <button type="button" class="secondary"
                                                        on:click=move |_| insert_url(slug.clone())>"Insert URL"</button>
                                                </div>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| close.run(())>"Close"</button>
                </div>
            </div>
        </div>
    }
}

/// Text with the matched words in `<mark>`; all of it as text, never as markup.
pub(crate) fn marked(pieces: Vec<Piece>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|p| {
            if p.hit {
                view! { <mark>{p.text}</mark> }.into_any()
            } else {
                p.text.into_any()
            }
        })
        .collect_view()
}
