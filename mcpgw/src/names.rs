//! The names clients see: `<server>__<name>`, always prefixed, and always valid for every
//! client (`^[a-zA-Z0-9_-]{1,64}$`). A name that would not fit is shortened with a hash of the
//! server and the original name, so it is the same every time and never depends on what
//! other servers the project has.

use sha2::{Digest, Sha256};

/// The longest tool or prompt name every client accepts.
pub const MAX_NAME: usize = 64;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// The name a client sees for `server`'s tool or prompt `name`.
pub fn exposed(server: &str, name: &str) -> String {
    let plain = format!("{server}__{name}");
    if plain.len() <= MAX_NAME && plain.chars().all(allowed) {
        return plain;
    }
    let digest = Sha256::new().chain_update(server).chain_update([0]).chain_update(name).finalize();
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let cleaned: String = plain.chars().map(|c| if allowed(c) { c } else { '_' }).collect();
    // Every character is ASCII now: byte truncation is safe.
    let keep = MAX_NAME - hash.len() - 1;
    format!("{}_{hash}", &cleaned[..cleaned.len().min(keep)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(name: &str) -> bool {
        !name.is_empty() && name.len() <= MAX_NAME && name.chars().all(allowed)
    }

    #[test]
    fn short_names_are_prefixed_plainly() {
        assert_eq!(exposed("github", "create_issue"), "github__create_issue");
        assert_eq!(exposed("fs", "read-file"), "fs__read-file");
    }

    #[test]
    fn names_clients_would_reject_are_shortened_stably() {
        let long = "a".repeat(80);
        let dotted = "files.read/v2";
        for (server, name) in [("github", long.as_str()), ("fs", dotted), (&*"s".repeat(63), "x"), ("fs", "ünïcode")]
        {
            let shown = exposed(server, name);
            assert!(valid(&shown), "{shown}");
            assert_eq!(shown, exposed(server, name), "stable");
            assert!(shown.starts_with(&server[..server.len().min(40)]), "{shown}");
        }
        // Two names that clean to the same text still differ.
        assert_ne!(exposed("fs", "a.b"), exposed("fs", "a/b"));
        assert_ne!(exposed("one", dotted), exposed("two", dotted));
    }
}
