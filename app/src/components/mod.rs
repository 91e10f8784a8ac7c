//! UI pieces shared by the console and the widget.

pub mod composer;
pub mod live;
pub mod transcript;

/// `HH:MM` in the browser's time zone. Times only reach the page after hydration.
pub fn clock(ms: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let minutes = ms / 60_000;
        format!("{:02}:{:02}", (minutes / 60) % 24, minutes % 60)
    }
}

/// A short "how long ago": `just now`, `5 min`, `2 h 10 min`.
pub fn age(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0 => "just now".to_string(),
        1..=59 => format!("{minutes} min"),
        _ => format!("{} h {} min", minutes / 60, minutes % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages() {
        assert_eq!(age(-5), "just now");
        assert_eq!(age(59_000), "just now");
        assert_eq!(age(5 * 60_000 + 1), "5 min");
        assert_eq!(age(130 * 60_000), "2 h 10 min");
    }
}
