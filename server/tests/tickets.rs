//! Chats become tickets: the real router on a random port, a real SMTP server (Python's
//! aiosmtpd, installed by scripts/install.sh) receiving the transcripts, and the outbox surviving
//! an SMTP outage and a server restart.
//!
//! Every wait is bounded; nothing sleeps for a fixed time to "let things settle".

mod common;
use common::eventually;

use app::api::ApiError;
use app::model::{ChatId, ChatSummary, Me, Started};
use app::protocol::{ClientFrame, ServerFrame};
use app::rules::{Event, Phase};
use app::server::service::{AddStaff, Viewer};
use app::server::Service;
use app::ticket::{Availability, MailState, TicketDetail, TicketStatus, TicketSummary};
use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use serde_json::{json, Value};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(15);
const PASSWORD: &str = "correct-horse-battery";

async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(WAIT, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {WAIT:?} waiting for {what}"),
    }
}

// ---- The server ------------------------------------------------------------------------------

struct Srv {
    addr: SocketAddr,
    service: Arc<Service>,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
    http: reqwest::Client,
}

impl Srv {
    async fn start(data_dir: &Path, smtp_url: Option<String>) -> Srv {
        let mut config = common::config_for(data_dir).await;
        config.smtp_url = smtp_url;
        config.mail_from = "Helpdesk Test <help@example.com>".into();
        let service = server::open_service(&config)
            .await
            .expect("open the service");
        let leptos_options = LeptosOptions::builder().output_name("helpdesk").build();
        let shutdown = CancellationToken::new();
        let state = server::AppState {
            leptos_options,
            service: service.clone(),
            shutdown: shutdown.clone(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        server::spawn_workers(service.clone(), shutdown.clone());
        let app = server::router(state);
        let stop = shutdown.clone();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(WAIT)
            .build()
            .unwrap();
        Srv {
            addr,
            service,
            shutdown,
            task,
            http,
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        within("the server to stop", self.task)
            .await
            .unwrap()
            .unwrap();
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn add_staff(&self, name: &str, email: &str, departments: &[&str]) -> Me {
        self.service
            .add_staff(AddStaff {
                name: name.into(),
                email: email.into(),
                password: PASSWORD.into(),
                is_admin: false,
                departments: departments.iter().map(|d| d.to_string()).collect(),
            })
            .await
            .expect("add a staff member")
    }

    async fn login(&self, email: &str) -> String {
        let res = self
            .http
            .post(self.url("/api/login"))
            .header(reqwest::header::ACCEPT, "text/html")
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_redirection(),
            "sign-in answered {}",
            res.status()
        );
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("hd_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_string()
    }

    /// POSTs JSON to a server function; returns the status and body.
    async fn post(
        &self,
        session: Option<&str>,
        endpoint: &str,
        body: Value,
    ) -> (reqwest::StatusCode, String) {
        let mut req = self
            .http
            .post(self.url(&format!("/api/{endpoint}")))
            .json(&body);
        if let Some(session) = session {
            req = req.header(reqwest::header::COOKIE, format!("hd_session={session}"));
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /api/{endpoint}: {e}"));
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        session: Option<&str>,
        endpoint: &str,
        body: Value,
    ) -> T {
        let (status, text) = self.post(session, endpoint, body.clone()).await;
        assert!(
            status.is_success(),
            "{endpoint} {body} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{endpoint} answer {text:?}: {e}"))
    }

    async fn api_error(&self, session: Option<&str>, endpoint: &str, body: Value) -> ApiError {
        let (status, text) = self.post(session, endpoint, body.clone()).await;
        assert!(
            !status.is_success(),
            "{endpoint} {body} should fail, answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{endpoint} error {text:?}: {e}"))
    }

    async fn start_chat(
        &self,
        name: &str,
        email: &str,
        question: &str,
        department: Option<i64>,
    ) -> Started {
        self.call(
            None,
            "start_chat",
            json!({ "name": name, "email": email, "department_id": department, "question": question, "page_url": null }),
        )
        .await
    }

    async fn chat_op(&self, session: &str, chat_id: ChatId, op: Value) {
        let (status, body) = self
            .post(
                Some(session),
                "chat_op",
                json!({ "chat_id": chat_id, "op": op }),
            )
            .await;
        assert!(
            status.is_success(),
            "chat_op {op} answered {status}: {body}"
        );
    }

    async fn create_ticket(
        &self,
        session: &str,
        chat_id: ChatId,
        closing: Value,
    ) -> Option<TicketSummary> {
        self.call(
            Some(session),
            "create_ticket",
            json!({ "chat_id": chat_id, "closing": closing }),
        )
        .await
    }

    async fn ticket(&self, session: &str, number: i64) -> TicketDetail {
        self.call(Some(session), "ticket", json!({ "number": number }))
            .await
    }

    async fn tickets(&self, session: &str, filter: Value) -> Vec<TicketSummary> {
        self.call(Some(session), "tickets", json!({ "filter": filter }))
            .await
    }

    async fn chat(&self, id: ChatId) -> ChatSummary {
        self.service
            .chat(&Viewer::System, id)
            .await
            .expect("the chat")
    }

    async fn say(&self, viewer: &Viewer, chat: ChatId, client_id: &str, body: &str) {
        self.service
            .send(viewer, chat, client_id, body.into())
            .await
            .unwrap_or_else(|e| panic!("sending {body:?}: {e}"));
    }

    /// Opens a console socket for this session, so its staff member is present.
    async fn console(
        &self,
        session: &str,
    ) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
    {
        let mut request = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("hd_session={session}")).unwrap(),
        );
        let (mut ws, _) = within(
            "a console socket",
            tokio_tungstenite::connect_async(request),
        )
        .await
        .unwrap();
        let hello = serde_json::to_string(&ClientFrame::Hello { visitor: None }).unwrap();
        ws.send(Message::text(hello)).await.unwrap();
        within("Ready", async {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(text) = msg {
                    if matches!(serde_json::from_str(text.as_str()), Ok(ServerFrame::Ready)) {
                        return;
                    }
                }
            }
            panic!("the console socket closed before Ready");
        })
        .await;
        ws
    }
}

/// A chat with `question`, accepted by the staff member behind `session`.
async fn accepted_chat(
    srv: &Srv,
    session: &str,
    visitor: &str,
    question: &str,
    department: Option<i64>,
) -> Started {
    let email = format!("{}@example.com", visitor.to_lowercase().replace(' ', "."));
    let chat = srv.start_chat(visitor, &email, question, department).await;
    srv.chat_op(session, chat.chat_id, json!("Accept")).await;
    chat
}

// ---- A real SMTP server ----------------------------------------------------------------------

/// Python's aiosmtpd with its Maildir handler: every message it accepts lands in `<dir>/new/`.
struct SmtpServer {
    child: tokio::process::Child,
    maildir: PathBuf,
}

impl SmtpServer {
    async fn start(port: u16, maildir: &Path) -> SmtpServer {
        let child = tokio::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 -m aiosmtpd (run scripts/install.sh to install aiosmtpd)");
        let mut server = SmtpServer {
            child,
            maildir: maildir.to_path_buf(),
        };
        let started = tokio::time::Instant::now();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("aiosmtpd exited with {status}: is it installed? (scripts/install.sh installs it)");
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return server;
            }
            assert!(
                started.elapsed() < WAIT,
                "aiosmtpd did not start listening on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The raw messages received so far.
    fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) {
            let mut paths: Vec<_> = dir.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                out.push(std::fs::read_to_string(p).unwrap());
            }
        }
        out
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One received email, taken apart just enough for the checks.
struct Received {
    headers: String,
    body: String,
}

impl Received {
    fn parse(raw: &str) -> Received {
        let raw = raw.replace("\r\n", "\n");
        let (headers, body) = raw.split_once("\n\n").expect("headers and a body");
        // Unfold folded header lines.
        let headers = headers.replace("\n ", " ").replace("\n\t", " ");
        Received {
            headers,
            body: decode_quoted_printable(body),
        }
    }

    fn header(&self, name: &str) -> String {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_string())
            .unwrap_or_else(|| panic!("no {name} header in {}", self.headers))
    }
}

/// Enough of RFC 2045's quoted-printable for the test: soft line breaks and `=XX` escapes.
fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn mail_state(srv: &Srv, session: &str, number: i64) -> Vec<MailState> {
    srv.ticket(session, number)
        .await
        .mail
        .into_iter()
        .map(|m| m.state)
        .collect()
}

// ---- Tests -----------------------------------------------------------------------------------

/// The transcript reaches a real SMTP server: the right recipient, the ticket number in the
/// subject, every message of the chat in the body, text and HTML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transcript_reaches_a_real_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let smtp = SmtpServer::start(port, &maildir).await;
    let srv = Srv::start(
        &dir.path().join("data"),
        Some(format!("smtp://127.0.0.1:{port}")),
    )
    .await;
    let sales = srv.service.add_department("Sales").await.unwrap().id;
    let ann = srv
        .add_staff("Ann Lee", "ann@example.com", &["Sales"])
        .await;
    let session = srv.login("ann@example.com").await;

    let question = "My parcel 4711 has not arrived";
    let chat = accepted_chat(&srv, &session, "Vera Visitor", question, Some(sales)).await;
    let id = chat.chat_id;
    let visitor = Viewer::Visitor(id);
    let staff = Viewer::Staff(ann.clone());
    let lines = [
        (&visitor, "v1", "It was due on Monday."),
        (&staff, "s1", "Sorry about that, let me check parcel 4711."),
        (&visitor, "v2", "Thank you!\nThe address is Main Street 5."),
        (
            &staff,
            "s2",
            "It leaves the depot today; you will have it tomorrow.",
        ),
    ];
    for (who, cid, body) in &lines {
        srv.say(who, id, cid, body).await;
    }

    let ticket = srv
        .create_ticket(
            &session,
            id,
            json!({ "End": { "subject": "Parcel 4711 is late", "status": "Resolved", "assignee": ann.id, "send_email": true } }),
        )
        .await
        .expect("End chat makes a ticket");
    assert_eq!(ticket.subject, "Parcel 4711 is late");
    assert_eq!(ticket.status, TicketStatus::Resolved);

    let raw = eventually("the transcript at the SMTP server", WAIT, || async {
        smtp.messages().into_iter().next()
    })
    .await;
    let mail = Received::parse(&raw);
    assert!(
        mail.header("To").contains("vera.visitor@example.com"),
        "To: {}",
        mail.header("To")
    );
    assert!(
        mail.header("X-RcptTo").contains("vera.visitor@example.com"),
        "the envelope recipient"
    );
    assert!(
        mail.header("From").contains("help@example.com"),
        "From: {}",
        mail.header("From")
    );
    let subject = mail.header("Subject");
    assert!(
        subject.contains(&format!("#{}", ticket.number)),
        "subject {subject:?} names ticket #{}",
        ticket.number
    );
    assert!(
        subject.contains("Parcel 4711 is late"),
        "subject {subject:?}"
    );
    assert!(
        mail.headers
            .to_ascii_lowercase()
            .contains("multipart/alternative"),
        "{}",
        mail.headers
    );
    assert!(
        mail.body.contains("text/plain") && mail.body.contains("text/html"),
        "both parts: {}",
        mail.body
    );
    assert!(mail.body.contains(question), "the question is in the body");
    for (_, _, body) in &lines {
        for part in body.lines() {
            assert!(
                mail.body.contains(part),
                "{part:?} is in the body:\n{}",
                mail.body
            );
        }
    }
    assert!(mail.body.contains("Ann Lee has joined the chat") && mail.body.contains("Chat ended"));
    assert!(
        mail.body.contains("Vera Visitor") && mail.body.contains("Ann Lee"),
        "authors are named"
    );

    // The ticket shows it as sent, with a line in its history.
    eventually("the email to show as sent", WAIT, || async {
        let states = mail_state(&srv, &session, ticket.number).await;
        matches!(states.as_slice(), [MailState::Sent { .. }]).then_some(())
    })
    .await;
    let detail = srv.ticket(&session, ticket.number).await;
    assert!(
        detail.history.iter().any(|h| h
            .what
            .contains("Transcript email sent to vera.visitor@example.com")),
        "history: {:?}",
        detail.history
    );
    assert_eq!(smtp.messages().len(), 1, "sent once");
    srv.stop().await;
    smtp.stop().await;
}

/// With the SMTP server down, the email waits in the outbox (kept in the database, through a
/// server restart) and is delivered once the SMTP server is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_keeps_the_email_until_smtp_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let srv = Srv::start(&data, Some(smtp_url.clone())).await;
    srv.add_staff("Ann Lee", "ann@example.com", &[]).await;
    let session = srv.login("ann@example.com").await;
    let chat = accepted_chat(&srv, &session, "Otto Outage", "Is anyone there?", None).await;
    srv.say(
        &Viewer::Visitor(chat.chat_id),
        chat.chat_id,
        "v1",
        "Hello during the outage",
    )
    .await;
    let ticket = srv
        .create_ticket(
            &session,
            chat.chat_id,
            json!({ "End": { "subject": "Outage", "status": "Open", "assignee": null, "send_email": true } }),
        )
        .await
        .unwrap();

    // The first attempt fails and is kept for a retry, with the reason.
    let error = eventually("a failed attempt", WAIT, || async {
        match mail_state(&srv, &session, ticket.number).await.as_slice() {
            [MailState::Queued {
                attempts,
                last_error: Some(e),
                ..
            }] if *attempts >= 1 => Some(e.clone()),
            _ => None,
        }
    })
    .await;
    assert!(!error.is_empty());

    // Restart the server while SMTP is still down: the queued email is in the database.
    srv.stop().await;
    let smtp = SmtpServer::start(port, &maildir).await;
    let srv = Srv::start(&data, Some(smtp_url)).await;
    let session = srv.login("ann@example.com").await;
    let raw = eventually(
        "delivery once SMTP is back",
        Duration::from_secs(40),
        || async { smtp.messages().into_iter().next() },
    )
    .await;
    let mail = Received::parse(&raw);
    assert!(mail
        .header("Subject")
        .contains(&format!("#{}", ticket.number)));
    assert!(mail.body.contains("Hello during the outage"));
    eventually("the email to show as sent", WAIT, || async {
        matches!(
            mail_state(&srv, &session, ticket.number).await.as_slice(),
            [MailState::Sent { .. }]
        )
        .then_some(())
    })
    .await;
    assert_eq!(smtp.messages().len(), 1, "delivered exactly once");
    srv.stop().await;
    smtp.stop().await;
}

/// A retried End chat request (sequentially and concurrently) makes one ticket and returns it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_end_chat_creates_the_ticket_once() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Srv::start(dir.path(), None).await;
    srv.add_staff("Ann Lee", "ann@example.com", &[]).await;
    let session = srv.login("ann@example.com").await;
    let chat = accepted_chat(&srv, &session, "Rita Retry", "Please help twice", None).await;
    let end = json!({ "End": { "subject": "Retried", "status": "Open", "assignee": null, "send_email": true } });

    let first = srv
        .create_ticket(&session, chat.chat_id, end.clone())
        .await
        .unwrap();
    let again = srv
        .create_ticket(&session, chat.chat_id, end.clone())
        .await
        .unwrap();
    assert_eq!(
        first.number, again.number,
        "the retry returns the same ticket"
    );
    let (a, b) = tokio::join!(
        srv.create_ticket(&session, chat.chat_id, end.clone()),
        srv.create_ticket(&session, chat.chat_id, end.clone()),
    );
    assert_eq!(
        (a.unwrap().number, b.unwrap().number),
        (first.number, first.number)
    );

    // A fresh chat, ended by two requests racing each other: still one ticket.
    let other = accepted_chat(&srv, &session, "Rex Race", "Racing", None).await;
    let (a, b) = tokio::join!(
        srv.create_ticket(&session, other.chat_id, end.clone()),
        srv.create_ticket(&session, other.chat_id, end.clone()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.number, b.number);
    assert_ne!(a.number, first.number);

    let all = srv
        .tickets(
            &session,
            json!({ "status": null, "assignee": "Anyone", "search": "" }),
        )
        .await;
    assert_eq!(all.len(), 2, "{all:?}");
    for (chat, number) in [(chat.chat_id, first.number), (other.chat_id, a.number)] {
        let detail = srv.ticket(&session, number).await;
        let ended = detail
            .transcript
            .iter()
            .filter(|e| matches!(e.event, Event::Ended { .. }))
            .count();
        assert_eq!(ended, 1, "one Chat ended in chat {chat}");
        assert_eq!(detail.mail.len(), 1, "one transcript email queued");
        assert_eq!(srv.chat(chat).await.ticket_number, Some(number));
    }
    srv.stop().await;
}

/// `Leave chat` by the last staff member and `End chat` make tickets with the right subject,
/// status and assignee; staff then change status and assignee, each change in the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leave_and_end_make_the_right_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Srv::start(dir.path(), None).await;
    let sales = srv.service.add_department("Sales").await.unwrap().id;
    let ann = srv
        .add_staff("Ann Lee", "ann@example.com", &["Sales"])
        .await;
    let bob = srv
        .add_staff("Bob Stone", "bob@example.com", &["Sales"])
        .await;
    let ann_s = srv.login("ann@example.com").await;
    let bob_s = srv.login("bob@example.com").await;

    // Two staff in the chat: Bob leaves, the chat goes on, no ticket.
    let chat = accepted_chat(
        &srv,
        &ann_s,
        "Lena Leave",
        "Where is\nmy order 12?",
        Some(sales),
    )
    .await;
    srv.chat_op(&bob_s, chat.chat_id, json!("Join")).await;
    let none = srv
        .create_ticket(
            &bob_s,
            chat.chat_id,
            json!({ "Leave": { "assignee": null, "send_email": false } }),
        )
        .await;
    assert_eq!(none, None, "others remain: no ticket");
    assert_eq!(srv.chat(chat.chat_id).await.phase(), Phase::Active);
    assert_eq!(srv.chat(chat.chat_id).await.ticket_number, None);

    // Ann is the last: the chat closes into a ticket with the question as subject.
    let left = srv
        .create_ticket(
            &ann_s,
            chat.chat_id,
            json!({ "Leave": { "assignee": bob.id, "send_email": false } }),
        )
        .await
        .expect("the last staff member's leaving makes a ticket");
    assert_eq!(left.subject, "Where is my order 12?");
    assert_eq!(left.status, TicketStatus::Open);
    assert_eq!(left.assignee.as_ref().map(|a| a.id), Some(bob.id));
    assert_eq!(left.requester.name, "Lena Leave");
    assert_eq!(left.department.as_ref().map(|d| d.id), Some(sales));
    assert_eq!(left.chat_id, Some(chat.chat_id));
    let closed = srv.chat(chat.chat_id).await;
    assert_eq!(closed.phase(), Phase::Ended);
    assert_eq!(closed.ticket_number, Some(left.number));
    // The visitor's view of the chat carries the number.
    let visitor = srv
        .service
        .visitor(chat.chat_id, &chat.token)
        .await
        .unwrap();
    let seen = srv.service.chat(&visitor, chat.chat_id).await.unwrap();
    assert_eq!(
        srv.service.view(&visitor, &seen).unwrap().ticket_number,
        Some(left.number)
    );
    let detail = srv.ticket(&ann_s, left.number).await;
    assert!(detail.mail.is_empty(), "no email asked for");
    let what: Vec<&str> = detail.history.iter().map(|h| h.what.as_str()).collect();
    assert!(
        what[0].starts_with("Created from the chat with Lena Leave"),
        "{what:?}"
    );
    assert!(
        what.contains(&"Status set to Open") && what.contains(&"Assigned to Bob Stone"),
        "{what:?}"
    );
    assert!(detail.history.iter().all(|h| h.actor == "Ann Lee"));
    // The whole transcript, staff notices included.
    assert!(detail
        .transcript
        .iter()
        .any(|e| matches!(&e.event, Event::Joined { staff } if staff.id == bob.id)));
    assert!(detail
        .transcript
        .iter()
        .any(|e| matches!(&e.event, Event::Left { staff, .. } if staff.id == bob.id)));

    // End chat with a subject, a status and nobody assigned.
    let chat2 = accepted_chat(&srv, &ann_s, "Eddie End", "Refund please", Some(sales)).await;
    let bad = srv
        .api_error(
            Some(&ann_s),
            "create_ticket",
            json!({ "chat_id": chat2.chat_id, "closing": { "End": { "subject": "  ", "status": "Open", "assignee": null, "send_email": false } } }),
        )
        .await;
    assert!(bad.field("subject").is_some(), "{bad:?}");
    let bad = srv
        .api_error(
            Some(&ann_s),
            "create_ticket",
            json!({ "chat_id": chat2.chat_id, "closing": { "End": { "subject": "x", "status": "Open", "assignee": 9999, "send_email": false } } }),
        )
        .await;
    assert!(bad.field("assignee").is_some(), "{bad:?}");
    assert_eq!(
        srv.chat(chat2.chat_id).await.phase(),
        Phase::Active,
        "refused requests change nothing"
    );
    let ended = srv
        .create_ticket(
            &ann_s,
            chat2.chat_id,
            json!({ "End": { "subject": "Refund for\norder 12", "status": "Pending", "assignee": null, "send_email": false } }),
        )
        .await
        .unwrap();
    assert_eq!(ended.subject, "Refund for order 12");
    assert_eq!(ended.status, TicketStatus::Pending);
    assert_eq!(ended.assignee, None);
    assert!(ended.number > left.number, "numbers are sequential");
    assert_eq!(srv.chat(chat2.chat_id).await.phase(), Phase::Ended);

    // Staff change status and assignee; every change is in the history.
    let _: TicketSummary = srv
        .call(
            Some(&bob_s),
            "update_ticket",
            json!({ "number": ended.number, "change": { "Status": "Resolved" } }),
        )
        .await;
    let after: TicketSummary = srv
        .call(
            Some(&bob_s),
            "update_ticket",
            json!({ "number": ended.number, "change": { "Assignee": ann.id } }),
        )
        .await;
    assert_eq!(after.status, TicketStatus::Resolved);
    assert_eq!(after.assignee.map(|a| a.name), Some("Ann Lee".into()));
    let history = srv.ticket(&ann_s, ended.number).await.history;
    let changes: Vec<(String, String)> = history
        .into_iter()
        .skip(2)
        .map(|h| (h.actor, h.what))
        .collect();
    assert_eq!(
        changes,
        [
            (
                "Bob Stone".to_string(),
                "Status changed from Pending to Resolved".to_string()
            ),
            (
                "Bob Stone".to_string(),
                "Assignee changed from nobody to Ann Lee".to_string()
            ),
        ]
    );

    // The list filters by status and assignee, and searches subject and requester.
    let numbers = |list: Vec<TicketSummary>| list.into_iter().map(|t| t.number).collect::<Vec<_>>();
    let f = |status: Value, assignee: Value, search: &str| json!({ "status": status, "assignee": assignee, "search": search });
    assert_eq!(
        numbers(
            srv.tickets(&ann_s, f(json!("Open"), json!("Anyone"), ""))
                .await
        ),
        [left.number]
    );
    assert_eq!(
        numbers(
            srv.tickets(&ann_s, f(json!(null), json!({ "Staff": ann.id }), ""))
                .await
        ),
        [ended.number]
    );
    assert_eq!(
        numbers(
            srv.tickets(&ann_s, f(json!(null), json!("Nobody"), ""))
                .await
        ),
        Vec::<i64>::new()
    );
    assert_eq!(
        numbers(
            srv.tickets(&ann_s, f(json!(null), json!("Anyone"), "refund"))
                .await
        ),
        [ended.number]
    );
    assert_eq!(
        numbers(
            srv.tickets(&ann_s, f(json!(null), json!("Anyone"), "lena"))
                .await
        ),
        [left.number]
    );
    assert_eq!(
        numbers(
            srv.tickets(&ann_s, f(json!(null), json!("Anyone"), "eddie.end@"))
                .await
        ),
        [ended.number]
    );
    assert_eq!(
        numbers(
            srv.tickets(&ann_s, f(json!(null), json!("Anyone"), ""))
                .await
        ),
        [ended.number, left.number],
        "most recently updated first"
    );
    srv.stop().await;
}

/// Tickets are for staff: without a session (a visitor has none) every ticket function is
/// refused, and a visitor's chat shows nothing but its ticket number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_cannot_read_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Srv::start(dir.path(), None).await;
    srv.add_staff("Ann Lee", "ann@example.com", &[]).await;
    let session = srv.login("ann@example.com").await;
    let chat = accepted_chat(&srv, &session, "Vic Visitor", "Secret question", None).await;
    let ticket = srv
        .create_ticket(&session, chat.chat_id, json!({ "End": { "subject": "Secret", "status": "Open", "assignee": null, "send_email": false } }))
        .await
        .unwrap();
    let n = ticket.number;
    let calls = [
        (
            "tickets",
            json!({ "filter": { "status": null, "assignee": "Anyone", "search": "" } }),
        ),
        ("ticket", json!({ "number": n })),
        (
            "update_ticket",
            json!({ "number": n, "change": { "Status": "Closed" } }),
        ),
        ("resend_transcript", json!({ "number": n })),
        (
            "create_ticket",
            json!({ "chat_id": chat.chat_id, "closing": { "Leave": { "assignee": null, "send_email": true } } }),
        ),
    ];
    // No cookie at all, a made-up one, and the visitor's chat token passed off as a session.
    for session in [None, Some("0123456789abcdef"), Some(chat.token.as_str())] {
        for (endpoint, body) in &calls {
            let (status, text) = srv.post(session, endpoint, body.clone()).await;
            assert!(
                !status.is_success(),
                "{endpoint} with {session:?} answered {status}: {text}"
            );
            assert!(
                !text.contains("Secret"),
                "{endpoint} leaked the ticket: {text}"
            );
            let err: ApiError =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(err, ApiError::Unauthorized, "{endpoint}");
        }
    }
    let detail = srv.ticket(&session, n).await;
    assert_eq!(
        detail.ticket.status,
        TicketStatus::Open,
        "the refused update changed nothing"
    );
    assert!(detail.mail.is_empty(), "the refused resend queued nothing");
    srv.stop().await;
}

/// With nobody available the widget's "Leave a message" makes a ticket with a number; names and
/// emails that could inject headers are refused; without SMTP the email is written to disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leave_a_message_when_nobody_is_available() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Srv::start(dir.path(), None).await;
    let sales = srv.service.add_department("Sales").await.unwrap().id;
    let billing = srv.service.add_department("Billing").await.unwrap().id;
    srv.add_staff("Ann Lee", "ann@example.com", &["Sales"])
        .await;
    let session = srv.login("ann@example.com").await;
    let srv_ref = &srv;
    let avail = move |d: Option<i64>| async move {
        srv_ref
            .call::<Availability>(None, "availability", json!({ "department_id": d }))
            .await
    };
    assert_eq!(
        avail(None).await,
        Availability::NobodyOnline,
        "nobody online at all"
    );
    assert_eq!(avail(Some(sales)).await, Availability::NobodyOnline);

    // Ann opens her console: Sales (and any department) can chat, Billing still cannot.
    let console = srv.console(&session).await;
    eventually("Ann to be present", WAIT, || async {
        (avail(Some(sales)).await == Availability::Available).then_some(())
    })
    .await;
    assert_eq!(avail(None).await, Availability::Available);
    assert_eq!(avail(Some(billing)).await, Availability::NobodyOnline);

    // A queue that already waits longer than the limit: busy.
    srv.service
        .set_chat_wait_limit(Some(Duration::from_millis(300)));
    let waiting = srv
        .start_chat("Wanda Wait", "wanda@example.com", "Anyone?", Some(sales))
        .await;
    assert_eq!(
        avail(Some(sales)).await,
        Availability::Available,
        "not waiting long yet"
    );
    eventually("the queue to wait too long", WAIT, || async {
        (avail(Some(sales)).await == Availability::Busy).then_some(())
    })
    .await;
    srv.chat_op(&session, waiting.chat_id, json!("Accept"))
        .await;
    assert_eq!(
        avail(Some(sales)).await,
        Availability::Available,
        "nobody waits any more"
    );
    drop(console);

    // Leave a message in Billing.
    let leave = |name: &str, email: &str| json!({ "name": name, "email": email, "department_id": billing, "question": "Please send my invoice\nfor March again.", "page_url": "https://shop.example.com/account" });
    for (name, email, field) in [
        ("Eve", "eve@example.com\r\nBcc: victim@example.com", "email"),
        ("Eve\r\nBcc: victim@example.com", "eve@example.com", "name"),
        ("Eve", "Eve <eve@example.com>", "email"),
    ] {
        let err = srv
            .api_error(None, "leave_message", leave(name, email))
            .await;
        assert!(err.field(field).is_some(), "{name:?} {email:?}: {err:?}");
    }
    let number: i64 = srv
        .call(
            None,
            "leave_message",
            leave("Mia Message", "mia@example.com"),
        )
        .await;
    let detail = srv.ticket(&session, number).await;
    assert_eq!(
        detail.ticket.subject,
        "Please send my invoice for March again."
    );
    assert_eq!(detail.ticket.chat_id, None);
    assert_eq!(detail.ticket.status, TicketStatus::Open);
    assert_eq!(
        detail.ticket.department.as_ref().map(|d| d.id),
        Some(billing)
    );
    assert_eq!(detail.ticket.requester.email, "mia@example.com");
    assert_eq!(
        detail.message.as_deref(),
        Some("Please send my invoice\nfor March again.")
    );
    assert_eq!(detail.history[0].actor, "Mia Message");

    // No SMTP configured: the email is written to disk, and the ticket says so.
    let _: app::ticket::MailItem = srv
        .call(
            Some(&session),
            "resend_transcript",
            json!({ "number": number }),
        )
        .await;
    let path = eventually("the email written to disk", WAIT, || async {
        match mail_state(&srv, &session, number).await.as_slice() {
            [MailState::WrittenToDisk { path, .. }] => Some(PathBuf::from(path)),
            _ => None,
        }
    })
    .await;
    assert!(path.starts_with(dir.path().join("outbox")), "{path:?}");
    let mail = Received::parse(&std::fs::read_to_string(&path).unwrap());
    assert!(mail.header("Subject").contains(&format!("#{number}")));
    assert!(mail.header("To").contains("mia@example.com"));
    assert!(
        mail.body.contains("Please send my invoice"),
        "{}",
        mail.body
    );
    let history = srv.ticket(&session, number).await.history;
    assert!(
        history.iter().any(|h| h.what.contains("written to disk")),
        "{history:?}"
    );
    srv.stop().await;
}
