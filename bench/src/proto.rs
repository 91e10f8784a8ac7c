//! The socket frames as JSON, mirroring `app::protocol` (externally tagged, `rename_all =
//! "snake_case"`: `{"events":{..}}`, `"ready"`). Only what the load generator reads is typed;
//! other frames fail to parse and are skipped.
//!
//! The bench crate does not link `app` so that it measures the shipped binary and keeps
//! building while `app` is being edited; if the protocol changes, these few lines follow.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frame {
    Ready,
    Events {
        chat_id: i64,
        events: Vec<StoredEvent>,
    },
    Ack {
        chat_id: i64,
        client_id: String,
        seq: i64,
    },
    Error {
        code: String,
        message: String,
        #[serde(default)]
        client_id: Option<String>,
    },
}

/// The tag of an object frame (`events` of `{"events":{..}}`) without parsing it; `None` for a
/// unit frame such as `"pong"`.
pub fn tag(text: &str) -> Option<&str> {
    let (tag, _) = text.strip_prefix(r#"{""#)?.split_once('"')?;
    Some(tag)
}

#[derive(Debug, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    #[serde(default)]
    pub client_id: Option<String>,
    /// `rules::Event`, externally tagged: `{"Message":{"author":..,"body":..}}`.
    pub event: serde_json::Value,
}

impl StoredEvent {
    pub fn message_body(&self) -> Option<&str> {
        self.event.get("Message")?.get("body")?.as_str()
    }
}

pub fn hello_visitor(chat_id: i64, token: &str) -> String {
    serde_json::json!({"hello": {"visitor": {"chat_id": chat_id, "token": token}}}).to_string()
}

pub fn hello_staff() -> String {
    r#"{"hello":{"visitor":null}}"#.to_string()
}

pub fn watch(chat_id: i64, after: i64) -> String {
    format!(r#"{{"watch":{{"chat_id":{chat_id},"after":{after}}}}}"#)
}

/// `body` must need no JSON escaping (the load generator's bodies are ASCII digits and letters).
pub fn send_raw(chat_id: i64, client_id: &str, body: &str) -> String {
    format!(r#"{{"send":{{"chat_id":{chat_id},"client_id":"{client_id}","body":"{body}"}}}}"#)
}

/// A message body carrying its id and send time: `"<v|s> <id> <micros>"`. The first letter
/// says who sent it (visitor or staff), so the receiver knows whether it is its own echo.
pub fn body(from_staff: bool, id: u64, sent_us: u64) -> String {
    format!("{} {id} {sent_us}", if from_staff { 's' } else { 'v' })
}

/// Reads a body made by [`body`]: (from_staff, id, sent_us).
pub fn parse_body(body: &str) -> Option<(bool, u64, u64)> {
    let mut parts = body.split(' ');
    let from_staff = match parts.next()? {
        "s" => true,
        "v" => false,
        _ => return None,
    };
    let id = parts.next()?.parse().ok()?;
    let sent = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((from_staff, id, sent))
}

pub fn client_id(id: u64) -> String {
    format!("m{id}")
}

pub fn parse_client_id(cid: &str) -> Option<u64> {
    cid.strip_prefix('m')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip() {
        assert_eq!(parse_body(&body(true, 42, 7)), Some((true, 42, 7)));
        assert_eq!(
            parse_body(&body(false, 0, 123456)),
            Some((false, 0, 123456))
        );
        assert_eq!(parse_body("Hello there"), None);
        assert_eq!(parse_client_id(&client_id(9)), Some(9));
    }

    #[test]
    fn frames_parse() {
        let f: Frame = serde_json::from_str(
            r#"{"events":{"chat_id":3,"events":[{"seq":4,"at":1,"client_id":"m1","event":{"Message":{"author":"Visitor","body":"v 1 2"}}}]}}"#,
        )
        .unwrap();
        match f {
            Frame::Events { chat_id, events } => {
                assert_eq!(chat_id, 3);
                assert_eq!(events[0].message_body(), Some("v 1 2"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            serde_json::from_str(r#""ready""#),
            Ok(Frame::Ready)
        ));
        let directory = r#"{"directory":{"staff":[],"departments":[]}}"#;
        assert!(serde_json::from_str::<Frame>(directory).is_err());
        assert_eq!(tag(directory), Some("directory"));
        assert_eq!(tag(r#""pong""#), None);
    }
}
