//! Types shared by the server, the console and the widget.

use crate::routing::Route;
use crate::rules::{ChatState, Event, Millis, Phase, RatingStyle, Role, StaffId, StaffRef};
use serde::{Deserialize, Serialize};

pub type ChatId = i64;

/// One stored chat event with its per-chat sequence number (DESIGN.md §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: Millis,
    /// The sender's id for messages, which makes retried sends idempotent.
    pub client_id: Option<String>,
    pub event: Event,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: i64,
    pub name: String,
}

/// The signed-in staff member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: StaffId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
}

impl Me {
    pub fn as_ref(&self) -> StaffRef {
        StaffRef {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

/// What the pre-chat form collected, as stored on the chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    pub name: String,
    pub email: String,
    pub question: String,
    pub department: Option<Department>,
    pub page_url: Option<String>,
}

/// A chat as one staff member sees it in the console's list and header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatSummary {
    pub id: ChatId,
    pub visitor: Visitor,
    pub created_at: Millis,
    pub last_seq: i64,
    /// Grows with every change, so a tab keeps the newest of two summaries that cross.
    pub version: i64,
    /// Already filtered for the viewer: no other staff's monitoring in it.
    pub state: ChatState,
    /// Where routing sent it while it waits.
    pub route: Route,
    /// The staff member it is offered to now, while it waits.
    pub offered_to: Option<StaffId>,
    /// Its place in its route's queue while it waits (1 = next), filled in by the service.
    pub queue_position: Option<u32>,
    /// The ticket the chat became when it ended (shown to the visitor as `#1042`).
    #[serde(default)]
    pub ticket_number: Option<i64>,
}

impl ChatSummary {
    pub fn phase(&self) -> Phase {
        self.state.phase
    }

    pub fn role_of(&self, me: StaffId) -> Option<Role> {
        self.state.role_of(me)
    }
}

/// Start of a chat, as returned to the visitor's widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    pub chat_id: ChatId,
    /// The visitor's secret for this chat; only its hash is stored.
    pub token: String,
}

/// The status a staff member picks in the console header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// Available for new chats.
    Online,
    /// Online, but not taking new chats.
    Away,
    Offline,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Online => "Online",
            Status::Away => "Away",
            Status::Offline => "Offline",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Away => "away",
            Status::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "online" => Some(Status::Online),
            "away" => Some(Status::Away),
            "offline" => Some(Status::Offline),
            _ => None,
        }
    }
}

/// A staff member in the directory that every console holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffEntry {
    pub id: StaffId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub departments: Vec<i64>,
    /// The status they chose.
    pub status: Status,
    /// What others see: `Offline` whenever no console of theirs is open.
    pub presence: Status,
}

impl StaffEntry {
    pub fn as_ref(&self) -> StaffRef {
        StaffRef {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

/// One line of the audit trail of chat operations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Millis,
    pub staff_id: Option<StaffId>,
    pub staff_name: String,
    pub chat_id: Option<ChatId>,
    pub op: String,
    pub detail: String,
}

/// The live chat settings admins choose; they apply to open consoles and widgets at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatSettings {
    /// The `Emojis` button beside the console's chat box.
    pub staff_emojis: bool,
    /// The `Emojis` button beside the widget's chat box.
    pub client_emojis: bool,
    /// How `Ask for rating` asks the visitor.
    pub rating_style: RatingStyle,
    /// Whether visitors may attach files from their computer (staff always may).
    #[serde(default = "yes")]
    pub visitor_attachments: bool,
    /// The largest file anyone may upload, in bytes.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Refuse programs (.exe, .dll, ELF, Mach-O…), recognised by name and by content.
    #[serde(default = "yes")]
    pub block_executables: bool,
    /// Refuse scripts (.sh, .bat, .ps1, .js… and anything starting with `#!`).
    #[serde(default = "yes")]
    pub block_scripts: bool,
    /// Refuse archives (.zip, .rar, .7z…), whose contents cannot be checked.
    #[serde(default)]
    pub block_archives: bool,
}

fn yes() -> bool {
    true
}

fn default_max_file_bytes() -> u64 {
    DEFAULT_MAX_FILE_BYTES
}

/// 10 MB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;
/// The most an admin may allow for one file: 100 MB.
pub const MAX_MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            staff_emojis: true,
            client_emojis: true,
            rating_style: RatingStyle::Star,
            visitor_attachments: true,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            block_executables: true,
            block_scripts: true,
            block_archives: false,
        }
    }
}

/// A size in bytes for people: `512 B`, `14.2 KB`, `3.0 MB`, to the nearest tenth. Integer
/// arithmetic: formatting a float would put 14 KB of float printing into the widget's bundle.
pub fn file_size(bytes: u64) -> String {
    let (unit, name) = match bytes {
        0..1024 => return format!("{bytes} B"),
        1024..1_048_576 => (1024, "KB"),
        _ => (1_048_576, "MB"),
    };
    let tenths = bytes.saturating_mul(10).saturating_add(unit / 2) / unit;
    format!("{}.{} {name}", tenths / 10, tenths % 10)
}

/// A folder of the Drive, the helpdesk's shared file store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriveFolder {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

/// A file in the Drive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriveFile {
    pub id: i64,
    pub folder_id: Option<i64>,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub uploaded_by: String,
    pub updated_at: Millis,
}

/// One folder of the Drive as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriveListing {
    /// `None` for the top of the Drive.
    pub folder: Option<DriveFolder>,
    /// From the top down to the folder's parent.
    pub path: Vec<DriveFolder>,
    pub folders: Vec<DriveFolder>,
    pub files: Vec<DriveFile>,
}

/// The average of the ratings given in a staff member's chats (each chat's latest answer).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingAverage {
    /// 1.0 to 5.0.
    pub average: f64,
    pub chats: i64,
}

#[cfg(test)]
mod tests {
    use super::file_size;

    #[test]
    fn file_sizes_round_to_a_tenth() {
        assert_eq!(file_size(0), "0 B");
        assert_eq!(file_size(1023), "1023 B");
        assert_eq!(file_size(1024), "1.0 KB");
        assert_eq!(file_size(1536), "1.5 KB");
        assert_eq!(file_size(14_541), "14.2 KB");
        assert_eq!(file_size(1_048_575), "1024.0 KB");
        assert_eq!(file_size(3 * 1_048_576), "3.0 MB");
        assert_eq!(file_size(10 * 1_048_576 - 1), "10.0 MB");
        assert_eq!(file_size(25 * 1_048_576 + 943_718), "25.9 MB");
        assert!(file_size(u64::MAX).ends_with(" MB"));
    }
}
