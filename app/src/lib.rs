//! The helpdesk's live chat: shared types, the chat rules, server functions and the UI for
//! `/console` and `/widget`. Server-only code sits behind the `ssr` feature.

#![recursion_limit = "256"]

pub mod api;
pub mod article;
pub mod components;
pub mod console;
pub mod kb;
pub mod model;
pub mod protocol;
pub mod routing;
pub mod rules;
pub mod ticket;
pub mod validate;
/// The visitor's widget: a bundle of its own, for the browser only (not routed here).
#[cfg(feature = "csr")]
pub mod widget;

#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link rel="stylesheet" id="leptos" href="/pkg/helpdesk.css"/>
                // A PNG: Chromium fetches the icon again on each chat opened (a same-document
                // navigation), and an SVG icon is drawn through a document of its own on the main
                // thread, which delayed the chat by ~10 ms.
                <link rel="icon" href="/favicon.png" type="image/png"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=|| view! { <main class="placeholder"><h1>"Page not found"</h1></main> }>
                <Route path=path!("/") view=|| view! { <Redirect path="/console"/> }/>
                <Route path=path!("/login") view=console::Login/>
                <Route path=path!("/console") view=console::Console ssr=leptos_router::SsrMode::Async/>
                <Route path=path!("/console/team") view=console::admin::TeamPage ssr=leptos_router::SsrMode::Async/>
                <Route path=path!("/console/automation") view=console::admin::AutomationPage ssr=leptos_router::SsrMode::Async/>
                <Route path=path!("/console/settings") view=console::admin::SettingsPage ssr=leptos_router::SsrMode::Async/>
                <Route path=path!("/console/audit") view=console::admin::AuditPage ssr=leptos_router::SsrMode::Async/>
                <Route path=path!("/console/tickets") view=console::tickets::TicketList/>
                <Route path=path!("/console/tickets/:number") view=console::tickets::TicketPage/>
                <Route path=path!("/console/articles") view=console::articles::ArticleList/>
                <Route path=path!("/console/drive") view=console::drive::DrivePage/>
                <Route path=path!("/console/articles/:id") view=console::articles::ArticleEditor/>
                <Route path=path!("/kb/:slug") view=kb::KbPage ssr=leptos_router::SsrMode::Async/>
            </Routes>
        </Router>
    }
}
