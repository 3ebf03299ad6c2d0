//! The McpToken format: `mcpctl_pat_` + 30 base62 characters of randomness (about 178 bits) +
//! a 6-character base62 CRC32 of everything before it, so a mistyped or truncated token is
//! refused without a database lookup and secret scanners can recognise one.

pub const PREFIX: &str = "mcpctl_pat_";
const BODY_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Builds a token from 30 random base62 characters.
pub fn from_body(body: &str) -> String {
    debug_assert!(body.len() == BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric()));
    let head = format!("{PREFIX}{body}");
    let sum = checksum(&head);
    head + &sum
}

/// True when `text` has the token's shape and its checksum matches.
pub fn is_well_formed(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(PREFIX) else {
        return false;
    };
    rest.len() == BODY_LEN + CHECKSUM_LEN
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        && checksum(&text[..PREFIX.len() + BODY_LEN]) == text[PREFIX.len() + BODY_LEN..]
}

/// The part shown in listings: the prefix and the first four characters.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(PREFIX.len() + 4).collect()
}

/// How an audit trail names a credential it refused: a token by its display prefix when it
/// is well formed, a session as such; never the credential itself.
pub fn refused_name(bearer: &str) -> String {
    if is_well_formed(bearer) {
        format!("mcptoken ({})", display_prefix(bearer))
    } else if bearer.starts_with(PREFIX) {
        "mcptoken (malformed)".to_owned()
    } else {
        "session".to_owned()
    }
}

fn checksum(head: &str) -> String {
    let mut n = crc32fast::hash(head.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_credential_is_named_without_its_secret() {
        let token = from_body("abcdefghijABCDEFGHIJ0123456789");
        assert_eq!(refused_name(&token), "mcptoken (mcpctl_pat_abcd)");
        let mut mistyped = token.clone();
        mistyped.pop();
        assert_eq!(refused_name(&mistyped), "mcptoken (malformed)");
        assert_eq!(refused_name("eyJhbGciOi.session.jwt"), "session");
    }

    #[test]
    fn tokens_carry_a_checksum_that_catches_one_changed_character() {
        let token = from_body("abcdefghijABCDEFGHIJ0123456789");
        assert_eq!(token.len(), PREFIX.len() + 36);
        assert!(is_well_formed(&token));
        for i in PREFIX.len()..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
            assert!(!is_well_formed(&String::from_utf8(bytes).unwrap()), "change at {i} went unnoticed");
        }
        assert!(!is_well_formed(&token[..token.len() - 1]));
        assert!(!is_well_formed("mcpctl_pat_"));
        assert_eq!(display_prefix(&token), "mcpctl_pat_abcd");
    }

    #[test]
    fn the_checksum_is_base62_crc32_as_published() {
        // A fixed vector: any other checksum scheme, or another digit order, breaks every
        // token already handed out and every secret scanner's rule.
        assert_eq!(from_body("abcdefghijABCDEFGHIJ0123456789"), "mcpctl_pat_abcdefghijABCDEFGHIJ01234567890ZOFPC");
        assert_eq!(from_body("000000000000000000000000000000").len(), PREFIX.len() + BODY_LEN + CHECKSUM_LEN);
        assert!(is_well_formed("mcpctl_pat_abcdefghijABCDEFGHIJ01234567890ZOFPC"));
    }
}
