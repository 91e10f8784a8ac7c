#![recursion_limit = "256"]
//! The conversation's WASM entry point. The pre-chat form's bundle runs it once the visitor has a
//! chat; it is mounted, not hydrated. Nothing else of the app is reachable from here, and the
//! linker drops it.

#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    app::widget::mount_conversation();
}
