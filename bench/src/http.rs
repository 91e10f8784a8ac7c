//! The HTTP calls a visitor and a staff member make before their sockets open: start a chat,
//! sign in, accept. They go through the real server functions.

use crate::{err, Result};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
pub struct Started {
    pub chat_id: i64,
    pub token: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(120))
        .pool_max_idle_per_host(64)
        .build()
        .expect("an HTTP client")
}

/// Signs in; returns the `hd_session=<token>` pair for Cookie headers.
pub async fn login(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<String> {
    let r = http
        .post(format!("{base}/api/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await?;
    let status = r.status();
    let cookie = r
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hd_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    match cookie {
        Some(c) => Ok(c),
        None => Err(err(format!(
            "login failed ({status}): {}",
            r.text().await.unwrap_or_default()
        ))),
    }
}

/// Starts a chat as a visitor would from the pre-chat form.
pub async fn start_chat(http: &reqwest::Client, base: &str, n: usize) -> Result<Started> {
    let r = http
        .post(format!("{base}/api/start_chat"))
        .json(&serde_json::json!({
            "name": format!("Visitor {n}"),
            "email": format!("visitor{n}@example.com"),
            "department_id": null,
            "question": format!("Question number {n}"),
            "page_url": null,
        }))
        .send()
        .await?;
    let status = r.status();
    let text = r.text().await?;
    if !status.is_success() {
        return Err(err(format!("start_chat: {status} {text}")));
    }
    Ok(serde_json::from_str(&text)?)
}

/// Staff operation on a chat (e.g. "Accept").
pub async fn chat_op(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    chat_id: i64,
    op: &str,
) -> Result<()> {
    let r = http
        .post(format!("{base}/api/chat_op"))
        .header(reqwest::header::COOKIE, cookie)
        .json(&serde_json::json!({"chat_id": chat_id, "op": op}))
        .send()
        .await?;
    let status = r.status();
    if !status.is_success() {
        return Err(err(format!(
            "chat_op {op} on {chat_id}: {status} {}",
            r.text().await.unwrap_or_default()
        )));
    }
    Ok(())
}
