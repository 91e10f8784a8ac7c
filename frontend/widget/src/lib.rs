#![recursion_limit = "256"]
//! The widget's WASM entry point. The server sends `/widget` as a static page, so the widget is
//! mounted, not hydrated; nothing else of the app is reachable from here, and the linker drops it.

#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(app::widget::Widget);
}
