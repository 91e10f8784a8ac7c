//! Marks a search's words in a result's title and cuts its snippet from the body, in Rust from
//! the page's own rows. FTS5's highlight() and snippet() re-run the MATCH for every row of the
//! page, and a common word's list spans many index segments: that was about half of a search's
//! time over 100,000 articles. Words compare as the `unicode61 remove_diacritics 2` tokenizer of
//! the indexes compares them: runs of letters and digits, case and diacritics folded.

use crate::article::Piece;
use std::borrow::Cow;
use std::ops::Range;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Words of a body shown around the matches.
pub const SNIPPET_WORDS: usize = 24;

/// What a search looks for: its words, folded; the last one matches as a prefix if `prefix`.
pub struct Terms {
    words: Vec<String>,
    prefix: bool,
}

impl Terms {
    pub fn new(words: &[String], prefix: bool) -> Self {
        Self {
            words: words.iter().map(|w| fold(w).into_owned()).collect(),
            prefix,
        }
    }

    /// Which of the words `token` is, if any.
    fn word_of(&self, token: &str) -> Option<usize> {
        let token = fold(token);
        let last = self.words.len().checked_sub(1)?;
        self.words.iter().enumerate().position(|(i, w)| {
            if self.prefix && i == last {
                token.starts_with(w.as_str())
            } else {
                *token == **w
            }
        })
    }

    /// The whole title, every matching word marked.
    pub fn title(&self, text: &str) -> Vec<Piece> {
        let hits = tokens(text).filter(|t| self.word_of(&text[t.clone()]).is_some());
        marked(text, 0..text.len(), hits, false, false)
    }

    /// At most `len` words of `text`, where the most different words of the search are, the
    /// matches centred; "…" where text was left out on either side. Without a match, the start.
    pub fn snippet(&self, text: &str, len: usize) -> Vec<Piece> {
        let toks: Vec<Range<usize>> = tokens(text).collect();
        let n = toks.len();
        if n == 0 || len == 0 {
            return Vec::new();
        }
        let hits: Vec<(usize, usize)> = toks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| self.word_of(&text[t.clone()]).map(|w| (i, w)))
            .collect();
        let start = if n <= len {
            0
        } else {
            Self::best_window(&hits, len).map_or(0, |(first, last)| {
                let slack = len - (last - first + 1);
                first.saturating_sub(slack / 2).min(n - len)
            })
        };
        let end = (start + len).min(n);
        let inside = hits
            .iter()
            .filter(|(i, _)| (start..end).contains(i))
            .map(|(i, _)| toks[*i].clone());
        // A body shown from its start or to its end keeps what is around its first or last word.
        let from = if start == 0 {
            text.len() - text.trim_start().len()
        } else {
            toks[start].start
        };
        let to = if end == n {
            text.trim_end().len()
        } else {
            toks[end - 1].end
        };
        marked(text, from..to, inside, start > 0, end < n)
    }

    /// The first and last match of the window of `len` words, starting at a match, that holds
    /// the most different words, then the most matches; the earliest of equals.
    fn best_window(hits: &[(usize, usize)], len: usize) -> Option<(usize, usize)> {
        let mut best: Option<((u32, usize), (usize, usize))> = None;
        for (k, &(first, _)) in hits.iter().enumerate() {
            let within = hits[k..].iter().take_while(|(i, _)| *i < first + len);
            // A search has at most 12 words (`search_words`): one bit each.
            let (words, count, last) = within.fold((0u64, 0, first), |(words, n, _), &(i, w)| {
                (words | 1 << w.min(63), n + 1, i)
            });
            let score = (words.count_ones(), count);
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, (first, last)));
            }
        }
        best.map(|(_, window)| window)
    }
}

/// Lower case without diacritics; words of plain lower-case ASCII, the most common, as they are.
fn fold(word: &str) -> Cow<'_, str> {
    if word.is_ascii() {
        if word.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(word.to_ascii_lowercase())
        } else {
            Cow::Borrowed(word)
        }
    } else {
        Cow::Owned(
            word.nfd()
                .filter(|c| !is_combining_mark(*c))
                .flat_map(char::to_lowercase)
                .collect(),
        )
    }
}

/// The byte ranges of the words of `text`: runs of letters and digits.
fn tokens(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = None;
    text.char_indices()
        .map(Some)
        .chain([None])
        .filter_map(move |item| match item {
            Some((i, c)) if c.is_alphanumeric() => {
                start.get_or_insert(i);
                None
            }
            Some((i, _)) => start.take().map(|s| s..i),
            None => start.take().map(|s| s..text.len()),
        })
}

/// `text[span]` as pieces, the `hits` (in order, inside `span`) marked.
fn marked(
    text: &str,
    span: Range<usize>,
    hits: impl Iterator<Item = Range<usize>>,
    before: bool,
    after: bool,
) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut plain = String::from(if before { "…" } else { "" });
    let mut at = span.start;
    for hit in hits {
        plain.push_str(&text[at..hit.start]);
        if !plain.is_empty() {
            out.push(Piece {
                text: std::mem::take(&mut plain),
                hit: false,
            });
        }
        out.push(Piece {
            text: text[hit.clone()].to_string(),
            hit: true,
        });
        at = hit.end;
    }
    plain.push_str(&text[at..span.end]);
    if after {
        plain.push('…');
    }
    if !plain.is_empty() {
        out.push(Piece {
            text: plain,
            hit: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str], prefix: bool) -> Terms {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        Terms::new(&words, prefix)
    }

    /// The pieces as text, marked runs in brackets.
    fn shown(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| {
                if p.hit {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn titles_mark_whole_words_and_the_last_as_a_prefix() {
        let t = terms(&["reset", "passw"], true);
        assert_eq!(
            shown(&t.title("Réset your Password, then reset it again")),
            "[Réset] your [Password], then [reset] it again"
        );
        // Only the last word is a prefix; without `prefix`, not even that one.
        assert_eq!(
            shown(&terms(&["pass", "reset"], true).title("Password reset")),
            "Password [reset]"
        );
        assert_eq!(
            shown(&terms(&["passw"], false).title("Password")),
            "Password"
        );
        assert_eq!(
            shown(&terms(&["cafe"], false).title("Un CAFÉ!")),
            "Un [CAFÉ]!"
        );
    }

    #[test]
    fn a_long_body_is_cut_around_its_matches() {
        let body: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let mut body = body.join(" ");
        body = body.replace("w50 ", "Printer ");
        let got = shown(&terms(&["printer"], true).snippet(&body, 24));
        assert!(got.starts_with('…') && got.ends_with('…'), "{got}");
        assert_eq!(got.split_whitespace().count(), 24, "{got}");
        // The match sits in the middle: 11 words before it, 12 after.
        assert!(got.starts_with("…w39 ") && got.ends_with(" w62…"), "{got}");
        assert!(got.contains(" [Printer] "), "{got}");
    }

    #[test]
    fn the_window_with_more_different_words_wins() {
        let filler = |n: usize| vec!["x"; n].join(" ");
        let body = format!(
            "{} reset reset reset {} reset your printer {}",
            filler(5),
            filler(40),
            filler(40)
        );
        let got = shown(&terms(&["reset", "printer"], false).snippet(&body, 10));
        assert!(got.contains("[reset] your [printer]"), "{got}");
        assert!(!got.contains("[reset] [reset]"), "{got}");
    }

    #[test]
    fn without_a_match_the_snippet_is_the_start_and_short_bodies_are_whole() {
        let t = terms(&["printer"], false);
        let long = vec!["word"; 30].join(" ");
        let got = shown(&t.snippet(&long, 24));
        assert_eq!(got, format!("{}…", vec!["word"; 24].join(" ")));
        assert_eq!(
            shown(&t.snippet("My printer jams.", 24)),
            "My [printer] jams."
        );
        assert!(t.snippet("", 24).is_empty());
        assert!(t.snippet("--- ***", 24).is_empty());
    }
}
