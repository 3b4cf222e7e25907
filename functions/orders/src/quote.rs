//! Quoting client text in errors and logs: a short prefix, marked as cut, never the whole thing.
//!
//! A refusal names what the client sent (an unknown key, a wrong value) so it can be fixed, but a
//! 60,000-character key must not come back four times in a 400 body and twice in a log line.

use std::borrow::Cow;

/// Most characters of client text an error quotes.
pub const MAX_QUOTED_CHARS: usize = 100;
/// Longest rule an error states; only a message with several long quotes ever reaches it.
const MAX_RULE_CHARS: usize = 400;

/// `text` itself when short, else its first [`MAX_QUOTED_CHARS`] characters, `…` and the full
/// length, e.g. `xxxx… (60000 characters)`.
pub fn shorten(text: &str) -> Cow<'_, str> {
    shorten_to(text, MAX_QUOTED_CHARS)
}

/// `text` itself when at most `max_chars` characters, else its first `max_chars`, `…` and the
/// full length (for quoting at another length than [`MAX_QUOTED_CHARS`]).
pub fn shorten_to(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &text[..cut],
            text.chars().count()
        )),
    }
}

/// A message (typically serde's, such as ``unknown field `…`, expected one of …``) with every
/// quoted part — between backticks or double quotes — shortened, and the whole kept bounded.
pub(crate) fn shorten_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_RULE_CHARS));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        let inside = &rest[open + 1..];
        let close = closing(inside, quote).unwrap_or(inside.len());
        out.push_str(&shorten(&inside[..close]));
        rest = &inside[close..];
        if let Some(after) = rest.strip_prefix(quote) {
            out.push(quote);
            rest = after;
        }
    }
    out.push_str(rest);
    shorten_to(&out, MAX_RULE_CHARS).into_owned()
}

/// Where the quote opened before `text` closes: the next `quote` not escaped by a backslash
/// (serde writes string values Debug-escaped).
fn closing(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote == '"' => escaped = true,
            _ if c == quote => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_and_long_text_is_cut_and_marked() {
        assert_eq!(shorten("city"), "city");
        assert_eq!(shorten(&"é".repeat(100)), "é".repeat(100));
        let long = "é".repeat(60_000);
        let cut = shorten(&long);
        assert_eq!(cut, format!("{}… (60000 characters)", "é".repeat(100)));
    }

    #[test]
    fn quoted_parts_of_a_message_are_cut_and_the_rest_kept() {
        let key = "k".repeat(60_000);
        let message = format!("unknown field `{key}`, expected one of `city`, `details`");
        let short = shorten_quoted(&message);
        assert_eq!(
            short,
            format!(
                "unknown field `{}… (60000 characters)`, expected one of `city`, `details`",
                "k".repeat(100)
            )
        );
        let value = format!(
            "invalid type: string \"{}\\\"{}\", expected u32",
            "a".repeat(150),
            "b"
        );
        let short = shorten_quoted(&value);
        assert!(short.starts_with(&format!("invalid type: string \"{}", "a".repeat(100))));
        assert!(
            short.ends_with("(153 characters)\", expected u32"),
            "{short}"
        );
    }

    #[test]
    fn an_unclosed_quote_or_many_quotes_still_give_a_bounded_message() {
        let unclosed = format!("bad `{}", "x".repeat(10_000));
        assert!(shorten_quoted(&unclosed).chars().count() < 150);
        let many = format!("`{}` ", "y".repeat(200)).repeat(50);
        let short = shorten_quoted(&many);
        assert!(short.chars().count() <= MAX_RULE_CHARS + 30, "{short}");
        assert!(short.ends_with(" characters)"), "{short}");
    }
}
