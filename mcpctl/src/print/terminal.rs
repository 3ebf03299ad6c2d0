//! Text from the server shown on a terminal: control characters are written out as escapes
//! (`\e`, `\n`, `\u{9b}`), so that an object's description, labels or annotations cannot move
//! the cursor, clear the screen or plant links in an operator's terminal. YAML and JSON output
//! stays exact; only tables and describe go through here.

use std::borrow::Cow;

/// `text` with every control character escaped, newlines and tabs included.
pub fn escaped(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Like [`escaped`], but keeps the newlines and tabs that lay out a whole block of output.
pub fn escaped_keeping_layout(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let kept = |c: char| keep_layout && matches!(c, '\n' | '\t');
    if !text.chars().any(|c| is_control(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if kept(c) || !is_control(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 controls and DEL, and the bidirectional overrides that reorder what is shown.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_run() {
        let osc8 = "\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{7}";
        assert_eq!(escaped(osc8), "\\e]8;;https://evil.example\\u{7}click\\e]8;;\\u{7}");
        assert_eq!(escaped("a\nb\tc\u{9b}2J"), "a\\nb\\tc\\u{9b}2J");
        assert_eq!(escaped_keeping_layout("a:\tb\n\u{1b}[2J"), "a:\tb\n\\e[2J");
        assert_eq!(escaped("plain text, ünïcode"), "plain text, ünïcode");
        assert_eq!(escaped("\u{202e}txt.exe"), "\\u{202e}txt.exe");
    }
}
