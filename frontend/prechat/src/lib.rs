//! The pre-chat form's WASM entry point (see `app::widget::prechat`).

#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    app::widget::prechat::start();
}
