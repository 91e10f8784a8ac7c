//! WebSocket frames between a browser tab and the server, one JSON text frame each.
//!
//! Frames are externally tagged (`{"events":{..}}`, `"ready"`): a reader goes straight to the
//! variant's fields. An internally tagged frame (`{"t":"events",..}`) is first buffered whole and
//! read a second time, and that buffering code weighed 15 KB gzip in the widget's bundle.

use crate::model::{ChatId, ChatSettings, ChatSummary, Department, StaffEntry, StoredEvent};
use serde::{Deserialize, Serialize};

/// How many chats one frame of the chat list carries (about 45 KB). A socket's write buffer
/// keeps the size of the largest frame it sent, so one frame of 10,000 chats would leave every
/// staff socket holding 4 MB.
pub const CHAT_LIST_CHUNK: usize = 100;

/// How many events a socket sends of a chat's history at a time: opening a chat of 1,000
/// messages then costs one small frame, and earlier pages come on request.
pub const HISTORY_PAGE: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientFrame {
    /// First frame on a socket. Staff are recognised by their session cookie; a visitor proves
    /// access to one chat with its token.
    Hello {
        visitor: Option<VisitorAuth>,
    },
    /// Start receiving a chat's events after `after` (the last sequence this tab has). A tab
    /// that has none (`after` 0) gets the newest [`HISTORY_PAGE`] events to begin with.
    Watch {
        chat_id: ChatId,
        after: i64,
    },
    /// The [`HISTORY_PAGE`] readable events before `before`, of a chat this socket watches.
    Earlier {
        chat_id: ChatId,
        before: i64,
    },
    Unwatch {
        chat_id: ChatId,
    },
    /// `client_id` is made by the browser, so a retried send is stored once.
    Send {
        chat_id: ChatId,
        client_id: String,
        body: String,
    },
    /// Started or stopped typing. Never relayed for a monitor.
    Typing {
        chat_id: ChatId,
        typing: bool,
    },
    Ping,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorAuth {
    pub chat_id: ChatId,
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerFrame {
    Ready,
    /// Events in sequence order; a tab keeps the highest `seq` it has seen. `earlier` is set on
    /// a page of history when the chat holds readable events before the first of these.
    Events {
        chat_id: ChatId,
        events: Vec<StoredEvent>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        earlier: bool,
    },
    /// A send was stored (or had been stored before) under this sequence number.
    Ack {
        chat_id: ChatId,
        client_id: String,
        seq: i64,
    },
    /// Staff only: the open chats, sent after `Ready` (and again after a resync) in frames of
    /// [`CHAT_LIST_CHUNK`] at most: `Chats` starts the list afresh, `MoreChats` adds to it.
    Chats {
        chats: Vec<ChatSummary>,
    },
    MoreChats {
        chats: Vec<ChatSummary>,
    },
    /// A chat appeared or changed, as this viewer may see it. Staff get it for every chat, a
    /// visitor for their own.
    ChatChanged {
        chat: ChatSummary,
    },
    /// Staff only: every staff member with live presence, and the departments.
    Directory {
        staff: Vec<StaffEntry>,
        departments: Vec<Department>,
    },
    /// Someone else in the chat started or stopped typing.
    Typing {
        chat_id: ChatId,
        name: String,
        typing: bool,
    },
    /// What this portal needs of the live chat settings (a visitor's socket gets the widget's
    /// part only): sent after `Ready` and again whenever an admin changes them.
    Settings {
        emojis: bool,
        /// Whether this portal may attach files (always for staff).
        #[serde(default)]
        attachments: bool,
        /// The largest file the server accepts, in bytes.
        #[serde(default)]
        max_file_bytes: u64,
    },
    Error {
        code: ErrorCode,
        message: String,
        client_id: Option<String>,
    },
    Pong,
}

impl ServerFrame {
    /// The part of the settings one portal needs: a visitor never learns the staff side.
    pub fn settings(settings: &ChatSettings, visitor: bool) -> ServerFrame {
        ServerFrame::Settings {
            emojis: if visitor {
                settings.client_emojis
            } else {
                settings.staff_emojis
            },
            attachments: !visitor || settings.visitor_attachments,
            max_file_bytes: settings.max_file_bytes,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame did not parse or was not expected; the socket stays up.
    BadFrame,
    /// No valid session or chat token.
    Unauthorized,
    /// The chat exists for nobody this socket can speak for.
    NotFound,
    /// The chat rules refused the command.
    Refused,
    /// Something failed on the server; retry later.
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StoredEvent;
    use crate::rules::{Author, Event};

    /// The load generator (`bench/src/proto.rs`) writes and reads these exact shapes.
    #[test]
    fn frames_are_externally_tagged() {
        let events = ServerFrame::Events {
            chat_id: 3,
            events: vec![StoredEvent {
                seq: 4,
                at: 1,
                client_id: Some("m1".into()),
                event: Event::Message {
                    author: Author::Visitor,
                    body: "v 1 2".into(),
                },
            }],
            earlier: false,
        };
        let text = serde_json::to_string(&events).unwrap();
        assert_eq!(
            text,
            r#"{"events":{"chat_id":3,"events":[{"seq":4,"at":1,"client_id":"m1","event":{"Message":{"author":"Visitor","body":"v 1 2"}}}]}}"#
        );
        assert_eq!(serde_json::from_str::<ServerFrame>(&text).unwrap(), events);
        assert_eq!(
            serde_json::to_string(&ServerFrame::Ready).unwrap(),
            r#""ready""#
        );

        let send: ClientFrame =
            serde_json::from_str(r#"{"send":{"chat_id":7,"client_id":"m2","body":"hi"}}"#).unwrap();
        assert_eq!(
            send,
            ClientFrame::Send {
                chat_id: 7,
                client_id: "m2".into(),
                body: "hi".into()
            }
        );
        assert_eq!(
            serde_json::from_str::<ClientFrame>(r#""ping""#).unwrap(),
            ClientFrame::Ping
        );
        // The old internally tagged shape is refused, not half read.
        assert!(serde_json::from_str::<ClientFrame>(r#"{"t":"ping"}"#).is_err());
    }
}
