//! Markdown of solution articles, on the server only (the browser gets finished HTML or text).
//!
//! Safe by construction: raw HTML in the source is shown as text, never passed through, and a
//! link or image keeps its address only when that is http(s), mailto or relative; otherwise the
//! link becomes its text and the image its description.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Whether a link may point there: http, https, mailto, or no scheme at all (relative).
/// Browsers ignore tabs and newlines inside a URL, so those are dropped before looking.
pub fn safe_url(url: &str) -> bool {
    let url: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']);
    match scheme_end {
        None => true,
        Some(colon) if path_start.is_some_and(|p| p < colon) => true,
        Some(colon) => {
            let scheme = url[..colon].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
    }
}

/// The source's events with raw HTML turned into text and unsafe links and images unwrapped.
fn safe_events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    // Links and images do not nest in Markdown's output, so one flag per kind is enough.
    let mut dropped_link = false;
    let mut dropped_image = false;
    Parser::new_ext(markdown, options()).filter_map(move |event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::Start(Tag::HtmlBlock) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::HtmlBlock) => Some(Event::End(TagEnd::Paragraph)),
        Event::Start(Tag::Link { ref dest_url, .. }) if !safe_url(dest_url) => {
            dropped_link = true;
            None
        }
        Event::End(TagEnd::Link) if dropped_link => {
            dropped_link = false;
            None
        }
        Event::Start(Tag::Image { ref dest_url, .. }) if !safe_url(dest_url) => {
            dropped_image = true;
            None
        }
        Event::End(TagEnd::Image) if dropped_image => {
            dropped_image = false;
            None
        }
        other => Some(other),
    })
}

/// The article as HTML for its public page.
pub fn to_html(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut out, safe_events(markdown));
    out
}

/// The article as plain text for a chat message: paragraphs and headings on their own lines,
/// list items with bullets or numbers, and a link's address after its text.
pub fn to_plain(markdown: &str) -> String {
    let mut out = String::new();
    // The next number of each open list (`None`: bullets).
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut link: Option<CowStr> = None;
    let mut link_text = String::new();
    for event in safe_events(markdown) {
        match event {
            Event::Start(Tag::Heading { .. } | Tag::Paragraph | Tag::CodeBlock(_)) => {
                block_break(&mut out)
            }
            Event::End(TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::CodeBlock) => {
                block_break(&mut out)
            }
            Event::Start(Tag::List(start)) => {
                block_break(&mut out);
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                block_break(&mut out);
            }
            Event::Start(Tag::Item) => {
                line_break(&mut out);
                out.push_str(&"  ".repeat(lists.len().saturating_sub(1)));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("• "),
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link = Some(dest_url);
                link_text.clear();
            }
            Event::End(TagEnd::Link) => {
                if let Some(url) = link.take() {
                    let absolute = url.contains(':');
                    let target = url.strip_prefix("mailto:").unwrap_or(&url);
                    if absolute && link_text.trim() != target {
                        out.push_str(&format!(" ({url})"));
                    }
                }
            }
            Event::Start(Tag::TableRow | Tag::TableHead) => line_break(&mut out),
            Event::End(TagEnd::TableCell) => out.push_str(" | "),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => {
                let kept = out.trim_end_matches(" | ").len();
                out.truncate(kept);
            }
            Event::End(TagEnd::Table) => block_break(&mut out),
            Event::Text(text) | Event::Code(text) => {
                if link.is_some() {
                    link_text.push_str(&text);
                }
                out.push_str(&text);
            }
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Rule => {
                block_break(&mut out);
                out.push_str("———");
                block_break(&mut out);
            }
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Ends the current line, unless already at the start of one.
fn line_break(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Leaves one blank line before what comes next.
fn block_break(out: &mut String) {
    if out.is_empty() || out.ends_with("\n\n") {
        return;
    }
    line_break(out);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://example.com/a",
            "http://x",
            "mailto:a@b.c",
            "/kb/other",
            "other#part",
            "a/b:c",
            "?q=1",
            "HTTPS://EXAMPLE.COM",
        ] {
            assert!(safe_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java\tscript:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            assert!(!safe_url(bad), "{bad}");
        }
    }

    #[test]
    fn plain_text_keeps_the_shape() {
        let md = "# Reset\n\nOpen *Settings*\nthen [Security](https://example.com/s).\n\n\
                  - one\n- two\n\n1. first\n2. second\n\n<b>bold</b>";
        assert_eq!(
            to_plain(md),
            "Reset\n\nOpen Settings then Security (https://example.com/s).\n\n\
             • one\n• two\n\n1. first\n2. second\n\n<b>bold</b>"
        );
    }
}
