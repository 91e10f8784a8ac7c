//! Outgoing email: chat transcripts to visitors.
//!
//! Messages are built with lettre's builder, so every header (the visitor's name, the subject) is
//! encoded by it and cannot inject headers. They go out over SMTP (`SMTP_URL`), or, with no SMTP
//! configured, are written as `.eml` files under `<data dir>/outbox/`, so nothing is lost.
//! Delivery happens only in the outbox worker, never inside a request.

use crate::model::StoredEvent;
use crate::rules::{Audience, Author, Event, Millis, RatingStyle};
use crate::ticket::{self, TicketSummary};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest subject put in an email header, in characters (the ticket keeps all of it).
const MAX_HEADER_SUBJECT_CHARS: usize = 120;

/// How a connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// `smtp://host:port`: no encryption (a local relay).
    Plain,
    /// `smtp://...?tls=starttls` (or `tls=required`): STARTTLS, required.
    StartTls,
    /// `smtp://...?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtps://...`: TLS from the first byte.
    Tls,
}

/// `SMTP_URL`, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl SmtpSettings {
    /// `smtp://user:pass@host:587?tls=starttls`, `smtps://user:pass@host:465`, `smtp://host:25`.
    pub fn parse(raw: &str) -> Result<SmtpSettings, String> {
        let url = url::Url::parse(raw.trim()).map_err(|e| format!("SMTP_URL is not a URL: {e}"))?;
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_ascii_lowercase());
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtps", None | Some("tls") | Some("wrapper")) => Security::Tls,
            ("smtp", None | Some("none") | Some("plain") | Some("off")) => Security::Plain,
            ("smtp", Some("starttls") | Some("required")) => Security::StartTls,
            ("smtp", Some("opportunistic")) => Security::Opportunistic,
            (scheme, tls) => {
                return Err(format!(
                    "SMTP_URL: use smtp:// (with ?tls=starttls or ?tls=opportunistic) or smtps://, \
                     not {scheme}:// with tls={tls:?}"
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("SMTP_URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls | Security::Opportunistic => 587,
            Security::Tls => 465,
        });
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| {
                "SMTP_URL: the user or password is not valid percent-encoding".to_string()
            })
        };
        let user = match url.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = url.password().map(decode).transpose()?;
        Ok(SmtpSettings {
            host,
            port,
            security,
            user,
            password,
        })
    }

    /// For logs: never the password.
    pub fn describe(&self) -> String {
        let security = match self.security {
            Security::Plain => "no TLS",
            Security::StartTls => "STARTTLS",
            Security::Opportunistic => "STARTTLS if offered",
            Security::Tls => "TLS",
        };
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        format!("smtp {user}{}:{} ({security})", self.host, self.port)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What the server needs to send mail.
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// `SMTP_URL`; `None` writes .eml files instead.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`, e.g. `Helpdesk <help@example.com>`.
    pub from: String,
    /// `<data dir>/outbox`, where .eml files go without SMTP.
    pub outbox_dir: PathBuf,
}

enum Transport {
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    Disk,
}

/// How one message left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivered {
    Sent,
    /// Written to this file (no SMTP configured).
    Written(PathBuf),
}

/// Why a message did not leave.
#[derive(Clone, Debug)]
pub struct SendError {
    pub message: String,
    /// Retrying cannot help (the server refused the message or the address for good).
    pub permanent: bool,
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    outbox_dir: PathBuf,
    description: String,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, String> {
        let from: Mailbox = config
            .from
            .trim()
            .parse()
            .map_err(|e| format!("MAIL_FROM {:?} is not an email address: {e}", config.from))?;
        let (transport, description) =
            match config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
                None => (
                    Transport::Disk,
                    format!(
                        "no SMTP_URL: emails are written to {}",
                        config.outbox_dir.display()
                    ),
                ),
                Some(url) => {
                    let s = SmtpSettings::parse(url)?;
                    let tls = |host: &str| {
                        TlsParameters::new(host.to_string()).map_err(|e| format!("SMTP TLS: {e}"))
                    };
                    let security = match s.security {
                        Security::Plain => Tls::None,
                        Security::StartTls => Tls::Required(tls(&s.host)?),
                        Security::Opportunistic => Tls::Opportunistic(tls(&s.host)?),
                        Security::Tls => Tls::Wrapper(tls(&s.host)?),
                    };
                    let mut builder =
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
                            .port(s.port)
                            .tls(security)
                            .timeout(Some(Duration::from_secs(30)));
                    if let Some(user) = &s.user {
                        builder = builder.credentials(Credentials::new(
                            user.clone(),
                            s.password.clone().unwrap_or_default(),
                        ));
                    }
                    (Transport::Smtp(Box::new(builder.build())), s.describe())
                }
            };
        Ok(Mailer {
            transport,
            from,
            outbox_dir: config.outbox_dir.clone(),
            description,
        })
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Sends the message, or writes it to `<outbox dir>/<name>.eml` without SMTP.
    pub async fn deliver(&self, message: &Message, name: &str) -> Result<Delivered, SendError> {
        match &self.transport {
            Transport::Smtp(smtp) => match smtp.send(message.clone()).await {
                Ok(_) => Ok(Delivered::Sent),
                Err(e) => Err(SendError {
                    permanent: e.is_permanent(),
                    message: e.to_string(),
                }),
            },
            Transport::Disk => {
                let path = write_eml(&self.outbox_dir, name, &message.formatted())
                    .await
                    .map_err(|e| SendError {
                        message: format!("cannot write to {}: {e}", self.outbox_dir.display()),
                        permanent: false,
                    })?;
                Ok(Delivered::Written(path))
            }
        }
    }
}

/// Writes the file whole or not at all (a temporary file renamed into place).
async fn write_eml(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{safe}.eml"));
    let tmp = dir.join(format!(".{safe}.eml.tmp"));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(path)
}

/// A visitor's name as a display name: one line, no control characters.
fn display_name(name: &str) -> Option<String> {
    let clean: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>();
    let clean = ticket::one_line(&clean);
    (!clean.is_empty()).then_some(clean)
}

/// The recipient, checked: a valid address (no header-breaking characters), a safe name.
pub fn recipient(name: &str, email: &str) -> Result<Mailbox, String> {
    let email = email.trim();
    if !crate::validate::is_valid_email(email) {
        return Err(format!("{email:?} is not a valid email address"));
    }
    let address = email
        .parse()
        .map_err(|e| format!("{email:?} is not a valid email address: {e}"))?;
    Ok(Mailbox::new(display_name(name), address))
}

fn header_subject(number: i64, subject: &str) -> String {
    let subject = ticket::one_line(subject);
    let short: String = if subject.chars().count() > MAX_HEADER_SUBJECT_CHARS {
        let mut s: String = subject.chars().take(MAX_HEADER_SUBJECT_CHARS - 1).collect();
        s.push('…');
        s
    } else {
        subject
    };
    format!("[Ticket {}] {short}", ticket::label(number))
}

/// `2026-11-25 14:03 UTC`.
pub fn utc(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = crate::components::civil(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// One line of the transcript as the visitor saw it, if the event shows.
fn line(event: &Event, visitor: &str) -> Option<(String, String)> {
    if event.audience() != Audience::Everyone {
        return None;
    }
    match event {
        Event::Message { author, body } => {
            let who = match author {
                Author::Visitor => visitor.to_string(),
                Author::Staff(s) => s.name.clone(),
            };
            Some((who, body.clone()))
        }
        Event::Attachment { author, file } => {
            let who = match author {
                Author::Visitor => visitor.to_string(),
                Author::Staff(s) => s.name.clone(),
            };
            let size = crate::model::file_size(file.size);
            Some((who, format!("Sent the file {} ({size})", file.name)))
        }
        Event::Rated {
            style,
            score,
            comment,
        } => {
            let scale = match style {
                RatingStyle::Star => "stars",
                RatingStyle::Smiley => "on the smiley scale",
            };
            let text = if comment.is_empty() {
                format!("Rated {score} of 5 {scale}")
            } else {
                format!("Rated {score} of 5 {scale}: “{comment}”")
            };
            Some((String::new(), text))
        }
        other => other.notice().map(|n| (String::new(), n)),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a transcript email says.
pub struct Transcript<'a> {
    pub ticket: &'a TicketSummary,
    /// The chat's events (any audience: only what the visitor saw is included).
    pub events: &'a [StoredEvent],
    /// The message of a ticket left without a chat.
    pub message: Option<&'a str>,
}

/// The plain-text and HTML bodies.
pub fn transcript_bodies(t: &Transcript) -> (String, String) {
    let number = ticket::label(t.ticket.number);
    let name = ticket::one_line(&t.ticket.requester.name);
    let subject = ticket::one_line(&t.ticket.subject);
    let lines: Vec<(Millis, String, String)> = t
        .events
        .iter()
        .filter_map(|e| line(&e.event, &name).map(|(who, text)| (e.at, who, text)))
        .collect();

    let mut text = format!("Hello {name},\n\n");
    let mut html = format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif; line-height: 1.4\">\n<p>Hello {},</p>\n",
        escape(&name)
    );
    if lines.is_empty() {
        text.push_str(&format!(
            "Thank you for your message. Your request is ticket {number}: {subject}\n\n"
        ));
        html.push_str(&format!(
            "<p>Thank you for your message. Your request is ticket <strong>{number}</strong>: {}</p>\n",
            escape(&subject)
        ));
        if let Some(message) = t.message {
            text.push_str(&format!("Your message:\n\n{message}\n"));
            html.push_str(&format!(
                "<p>Your message:</p>\n<blockquote style=\"white-space: pre-wrap\">{}</blockquote>\n",
                escape(message)
            ));
        }
    } else {
        text.push_str(&format!(
            "Thank you for chatting with us. Here is the transcript of the chat; your request continues as ticket {number}: {subject}\n\n"
        ));
        html.push_str(&format!(
            "<p>Thank you for chatting with us. Here is the transcript of the chat; your request continues as ticket <strong>{number}</strong>: {}</p>\n<table cellpadding=\"4\" style=\"border-collapse: collapse\">\n",
            escape(&subject)
        ));
        for (at, who, body) in &lines {
            let when = utc(*at);
            if who.is_empty() {
                text.push_str(&format!("[{when}] -- {body} --\n"));
                html.push_str(&format!(
                    "<tr><td style=\"color: #666; white-space: nowrap; vertical-align: top\">{when}</td><td colspan=\"2\" style=\"color: #666; font-style: italic\">{}</td></tr>\n",
                    escape(body)
                ));
            } else {
                // Continuation lines of a long message stay indented under it.
                let body_text = body.replace('\n', "\n    ");
                text.push_str(&format!("[{when}] {who}:\n    {body_text}\n"));
                html.push_str(&format!(
                    "<tr><td style=\"color: #666; white-space: nowrap; vertical-align: top\">{when}</td><td style=\"vertical-align: top\"><strong>{}</strong></td><td style=\"white-space: pre-wrap\">{}</td></tr>\n",
                    escape(who),
                    escape(body)
                ));
            }
        }
        html.push_str("</table>\n");
        text.push('\n');
    }
    text.push_str(&format!("Ticket {number}\n"));
    html.push_str(&format!(
        "<p style=\"color: #666\">Ticket {number}</p>\n</body></html>\n"
    ));
    (text, html)
}

fn part(content_type: ContentType, body: String) -> Result<SinglePart, String> {
    // Quoted-printable keeps long lines and any language readable and within SMTP's limits.
    let body = Body::new_with_encoding(body, ContentTransferEncoding::QuotedPrintable)
        .map_err(|_| "the message body cannot be encoded".to_string())?;
    Ok(SinglePart::builder().header(content_type).body(body))
}

/// The transcript email: multipart text + HTML, the ticket number in the subject.
pub fn transcript_message(from: &Mailbox, to: Mailbox, t: &Transcript) -> Result<Message, String> {
    let (text, html) = transcript_bodies(t);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(header_subject(t.ticket.number, &t.ticket.subject))
        .message_id(None)
        .date_now()
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, text)?)
                .singlepart(part(ContentType::TEXT_HTML, html)?),
        )
        .map_err(|e| format!("cannot build the email: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::StaffRef;
    use crate::ticket::{Requester, TicketStatus};

    fn ticket(name: &str, subject: &str) -> TicketSummary {
        TicketSummary {
            number: 1042,
            subject: subject.into(),
            requester: Requester {
                name: name.into(),
                email: "vera@example.com".into(),
            },
            status: TicketStatus::Open,
            assignee: None,
            department: None,
            chat_id: Some(1),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn smtp_urls() {
        let s = SmtpSettings::parse("smtp://ann%40x.org:p%3Ass@mail.example.com:587?tls=starttls")
            .unwrap();
        assert_eq!(
            s,
            SmtpSettings {
                host: "mail.example.com".into(),
                port: 587,
                security: Security::StartTls,
                user: Some("ann@x.org".into()),
                password: Some("p:ss".into()),
            }
        );
        assert!(!s.describe().contains("p:ss"));
        let s = SmtpSettings::parse("smtps://u:p@mail.example.com").unwrap();
        assert_eq!((s.security, s.port), (Security::Tls, 465));
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((s.security, s.port, s.user), (Security::Plain, 2525, None));
        assert!(SmtpSettings::parse("http://x").is_err());
        assert!(SmtpSettings::parse("smtp://x?tls=maybe").is_err());
        assert!(SmtpSettings::parse("not a url").is_err());
    }

    #[test]
    fn times_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_764_079_380_000), "2025-11-25 14:03 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn names_and_subjects_cannot_inject_headers() {
        assert!(recipient("Vera", "vera@example.com\r\nBcc: evil@example.com").is_err());
        assert!(recipient("Vera", "a<b>@example.com").is_err());
        let to = recipient("Vera\r\nBcc: evil@example.com", "vera@example.com").unwrap();
        let from: Mailbox = "Helpdesk <help@example.com>".parse().unwrap();
        let t = ticket(
            "Vera\r\nBcc: evil@example.com",
            "Hi\r\nBcc: evil@example.com",
        );
        let events = vec![StoredEvent {
            seq: 1,
            at: 0,
            client_id: None,
            event: Event::Message {
                author: Author::Staff(StaffRef {
                    id: 1,
                    name: "Ann <b>Lee</b>".into(),
                }),
                body: "<script>alert(1)</script>".into(),
            },
        }];
        let message = transcript_message(
            &from,
            to,
            &Transcript {
                ticket: &t,
                events: &events,
                message: None,
            },
        )
        .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{headers}"
        );
        assert!(
            headers.contains("Subject: [Ticket #1042] Hi Bcc: evil@example.com"),
            "{headers}"
        );
        assert!(raw.contains("multipart/alternative"));
        let (_, html) = transcript_bodies(&Transcript {
            ticket: &t,
            events: &events,
            message: None,
        });
        assert!(
            !html.contains("<script>") && html.contains("&lt;script&gt;"),
            "HTML is escaped"
        );
        assert!(html.contains("Ann &lt;b&gt;Lee&lt;/b&gt;"));
    }

    #[test]
    fn bodies_carry_every_visible_line() {
        let t = ticket("Vera", "Where is my order?");
        let staff = StaffRef {
            id: 1,
            name: "Ann Lee".into(),
        };
        let events: Vec<StoredEvent> = [
            Event::Message {
                author: Author::Visitor,
                body: "Where is my order?".into(),
            },
            Event::Accepted {
                staff: staff.clone(),
            },
            Event::Message {
                author: Author::Staff(staff.clone()),
                body: "Let me look.\nOne moment.".into(),
            },
            Event::Invited {
                offer: crate::rules::Offer {
                    from: staff.clone(),
                    to: staff.clone(),
                    note: "secret".into(),
                    expires_at: 0,
                },
            },
            Event::Ended {
                by: Some(Author::Staff(staff)),
                reason: crate::rules::EndReason::Ended,
            },
        ]
        .into_iter()
        .enumerate()
        .map(|(i, event)| StoredEvent {
            seq: i as i64 + 1,
            at: 0,
            client_id: None,
            event,
        })
        .collect();
        let (text, html) = transcript_bodies(&Transcript {
            ticket: &t,
            events: &events,
            message: None,
        });
        for needle in [
            "Where is my order?",
            "Ann Lee has joined the chat",
            "Let me look.",
            "One moment.",
            "Chat ended",
            "#1042",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
            assert!(html.contains(needle), "{needle} in {html}");
        }
        assert!(
            !text.contains("invited"),
            "staff-only notices stay out: {text}"
        );
    }
}
