//! Live chat settings and `Ask for rating` over the real router and sockets (issue 5): only
//! admins change settings, settings reach open sockets live (each portal its own part), and a
//! rating is asked by staff, answered once by the visitor of that very chat, and seen live.

mod common;

use app::api::ApiError;
use app::model::{ChatId, ChatSettings, RatingAverage, Started};
use app::protocol::ServerFrame;
use app::rules::{Event, Rating, RatingStyle, Refusal};
use common::*;
use serde_json::json;

/// A visitor in Sales whose chat Ann has accepted, with sockets for the visitor and Ann.
async fn accepted(d: &Desk, name: &str) -> (Started, Ws, Ws) {
    let started = d
        .server
        .start_chat(name, "Where is my parcel?", Some(d.sales))
        .await;
    let mut ann = d.server.staff("ann", &d.ann.1).await;
    d.server.chat_op(&d.ann.1, started.chat_id, "Accept").await;
    ann.watch(started.chat_id, 0).await;
    let mut visitor = d.server.visitor("visitor", &started, 0).await;
    visitor.wait_for_seq(started.chat_id, 2).await;
    (started, visitor, ann)
}

async fn rate(
    d: &Desk,
    chat_id: ChatId,
    token: &str,
    score: i64,
    comment: &str,
) -> Result<serde_json::Value, ApiError> {
    call_raw(
        &d.server,
        None,
        "rate_chat",
        json!({ "chat_id": chat_id, "token": token, "score": score, "comment": comment }),
    )
    .await
}

fn settings_frames(ws: &Ws) -> Vec<bool> {
    ws.frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Settings { emojis, .. } => Some(*emojis),
            _ => None,
        })
        .collect()
}

async fn wait_for_settings(ws: &mut Ws, emojis: bool, nth: usize) {
    if settings_frames(ws).len() >= nth {
        return;
    }
    ws.recv_until(&format!("Settings frame {nth}"), |f| {
        matches!(f, ServerFrame::Settings { .. })
    })
    .await;
    assert_eq!(
        settings_frames(ws).get(nth - 1),
        Some(&emojis),
        "{:?}",
        ws.frames
    );
}

async fn save_settings(d: &Desk, session: Option<&str>, s: ChatSettings) -> Result<(), ApiError> {
    call_raw(
        &d.server,
        session,
        "admin_save_live_chat_settings",
        json!({ "settings": s }),
    )
    .await
    .map(|_| ())
}

/// Answering is refused: no prompt is open.
async fn assert_no_rating_due(d: &Desk, started: &Started) {
    assert_eq!(
        rate(d, started.chat_id, &started.token, 5, "").await,
        Err(ApiError::Refused(Refusal::NoRatingRequested))
    );
}

/// Ann's average rating and how many chats it covers.
async fn average(d: &Desk) -> Option<(f64, i64)> {
    let average: Option<RatingAverage> = call(&d.server, &d.ann.1, "my_rating", json!({})).await;
    average.map(|a| (a.average, a.chats))
}

fn rated(ws: &Ws, chat_id: ChatId) -> Vec<(u8, String)> {
    ws.events(chat_id)
        .into_iter()
        .filter_map(|e| match e.event {
            Event::Rated { score, comment, .. } => Some((score, comment)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn only_admins_change_the_settings() {
    let d = desk().await;
    let wanted = ChatSettings {
        staff_emojis: false,
        client_emojis: false,
        rating_style: RatingStyle::Smiley,
        ..ChatSettings::default()
    };
    assert_eq!(
        save_settings(&d, Some(&d.ann.1), wanted).await,
        Err(ApiError::Forbidden)
    );
    assert_eq!(
        save_settings(&d, None, wanted).await,
        Err(ApiError::Unauthorized)
    );
    assert_eq!(
        refused(
            &d.server,
            Some(&d.ann.1),
            "admin_live_chat_settings",
            json!({})
        )
        .await,
        ApiError::Forbidden
    );
    let now: ChatSettings = call(&d.server, &d.ada.1, "admin_live_chat_settings", json!({})).await;
    assert_eq!(now, ChatSettings::default(), "nothing changed");

    save_settings(&d, Some(&d.ada.1), wanted).await.unwrap();
    let now: ChatSettings = call(&d.server, &d.ada.1, "admin_live_chat_settings", json!({})).await;
    assert_eq!(now, wanted);
    // Stored, with a line in the audit trail.
    let page: app::api::admin::AuditPage =
        call(&d.server, &d.ada.1, "admin_audit", json!({})).await;
    assert!(
        page.entries
            .iter()
            .any(|e| e.op == "ChatSettings" && e.staff_name == "Ada Admin"),
        "{:?}",
        page.entries
    );
    // And kept across a restart.
    let dir = d.dir;
    d.server.stop().await;
    let again = TestServer::start(dir.path()).await;
    assert_eq!(again.service.chat_settings(), wanted);
    again.stop().await;
}

#[tokio::test]
async fn settings_reach_open_sockets_live_each_portal_its_own_part() {
    let d = desk().await;
    let (_started, mut visitor, mut ann) = accepted(&d, "Vera Visitor").await;
    // Both were told the current settings when greeted: emojis on everywhere.
    assert_eq!(settings_frames(&visitor), [true]);
    assert_eq!(settings_frames(&ann), [true]);

    let staff_off = ChatSettings {
        staff_emojis: false,
        client_emojis: true,
        rating_style: RatingStyle::Smiley,
        ..ChatSettings::default()
    };
    save_settings(&d, Some(&d.ada.1), staff_off).await.unwrap();
    wait_for_settings(&mut ann, false, 2).await;
    wait_for_settings(&mut visitor, true, 2).await;

    let client_off = ChatSettings {
        staff_emojis: true,
        client_emojis: false,
        rating_style: RatingStyle::Star,
        ..ChatSettings::default()
    };
    save_settings(&d, Some(&d.ada.1), client_off).await.unwrap();
    wait_for_settings(&mut ann, true, 3).await;
    wait_for_settings(&mut visitor, false, 3).await;

    // The visitor heard nothing of the staff side or of the rating style.
    assert!(visitor.frames_mentioning("staff_emojis").is_empty());
    assert!(visitor.frames_mentioning("rating_style").is_empty());

    // A socket opened now starts from the stored settings.
    let mut late = d.server.connect("ann again", Some(&d.ann.1)).await;
    late.hello_staff().await;
    assert_eq!(settings_frames(&late), [true]);
}

#[tokio::test]
async fn a_rating_is_asked_answered_once_and_seen_live() {
    let d = desk().await;
    let (started, mut visitor, mut ann) = accepted(&d, "Vera Visitor").await;
    let id = started.chat_id;
    // The settings say smiley: the prompt asks for smileys.
    save_settings(
        &d,
        Some(&d.ada.1),
        ChatSettings {
            rating_style: RatingStyle::Smiley,
            ..ChatSettings::default()
        },
    )
    .await
    .unwrap();

    // Nothing to answer before staff asks.
    assert_no_rating_due(&d, &started).await;

    d.server.chat_op(&d.ann.1, id, "AskRating").await;
    visitor
        .recv_until("the rating request", |f| match f {
            ServerFrame::Events { events, .. } => events.iter().any(|e| {
                matches!(
                    e.event,
                    Event::RatingRequested {
                        style: RatingStyle::Smiley,
                        ..
                    }
                )
            }),
            _ => false,
        })
        .await;

    // Asking again while the prompt is open is refused.
    let (status, body) = d.server.chat_op_raw(Some(&d.ann.1), id, "AskRating").await;
    assert!(!status.is_success(), "{status}: {body}");
    assert!(body.contains("RatingPending"), "{body}");

    // Another chat's visitor token cannot answer this chat.
    let other = d
        .server
        .start_chat("Otto Other", "Another question", Some(d.sales))
        .await;
    assert_eq!(
        rate(&d, id, &other.token, 5, "not mine").await,
        Err(ApiError::NotFound)
    );
    assert_eq!(
        rate(&d, id, "made-up-token", 5, "").await,
        Err(ApiError::NotFound)
    );

    // Out of range: a field error, and nothing stored.
    for bad in [0, 6, -3, 1000] {
        let e = rate(&d, id, &started.token, bad, "").await.unwrap_err();
        assert_eq!(fields(&e), ["score"], "score {bad}: {e:?}");
    }
    let long = "x".repeat(app::validate::MAX_RATING_COMMENT_CHARS + 1);
    let e = rate(&d, id, &started.token, 3, &long).await.unwrap_err();
    assert_eq!(fields(&e), ["comment"]);
    let chat = d
        .server
        .service
        .chat(&app::server::service::Viewer::System, id)
        .await
        .unwrap();
    assert_eq!(
        chat.state.rating,
        Rating::Asked {
            style: RatingStyle::Smiley
        }
    );
    ann.sync().await;
    assert!(rated(&ann, id).is_empty(), "{:?}", ann.frames);

    // The visitor answers; Ann sees it live.
    rate(&d, id, &started.token, 4, "Quick and kind")
        .await
        .unwrap();
    ann.recv_until("the rating", |f| match f {
        ServerFrame::Events { events, .. } => events
            .iter()
            .any(|e| matches!(e.event, Event::Rated { .. })),
        _ => false,
    })
    .await;
    assert_eq!(rated(&ann, id), [(4, "Quick and kind".to_string())]);
    visitor.wait_for_seq(id, ann.last_seq(id)).await;

    // Once only.
    assert_no_rating_due(&d, &started).await;
    assert_eq!(average(&d).await, Some((4.0, 1)));

    // After an answer staff may ask again; a dismissed prompt may be asked again too.
    d.server.chat_op(&d.ann.1, id, "AskRating").await;
    call_raw(
        &d.server,
        None,
        "dismiss_rating",
        json!({ "chat_id": id, "token": started.token }),
    )
    .await
    .unwrap();
    assert_no_rating_due(&d, &started).await;
    d.server.chat_op(&d.ann.1, id, "AskRating").await;
    rate(&d, id, &started.token, 2, "").await.unwrap();
    // The chat counts once, with its newest answer.
    assert_eq!(average(&d).await, Some((2.0, 1)));
}
