//! UI pieces shared by the console and the widget.

pub mod attach;
pub mod composer;
pub mod emoji;
pub mod live;
pub mod transcript;

/// `HH:MM` in the browser's time zone. Times only reach the page after hydration.
pub fn clock(ms: i64) -> String {
    #[cfg(feature = "browser")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
    #[cfg(not(feature = "browser"))]
    {
        let minutes = ms / 60_000;
        format!("{:02}:{:02}", (minutes / 60) % 24, minutes % 60)
    }
}

/// Days since 1970-01-01 to a civil date (proleptic Gregorian), after Howard Hinnant.
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
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
