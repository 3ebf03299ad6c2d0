//! Session JWTs: HS256 only, with issuer, audience, expiry and a revocable `jti`.

use crate::util::hex;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

const ISSUER: &str = "mcpd";
const AUDIENCE: &str = "mcpctl";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// When the session was issued, in milliseconds: sessions issued before a password change
    /// end with it.
    #[serde(default)]
    pub iat_ms: i64,
}

#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl SessionKeys {
    pub fn new(secret: &[u8]) -> SessionKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        SessionKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// A new random signing key: 256 bits, hex-encoded for storage.
    pub fn generate_secret() -> String {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hex(&bytes)
    }

    pub fn issue(&self, email: &str, ttl_seconds: i64) -> (String, Claims) {
        let now_ms = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        let now = now_ms / 1000;
        let mut jti = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut jti);
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: email.to_owned(),
            iat: now,
            exp: now + ttl_seconds,
            jti: hex(&jti),
            iat_ms: now_ms,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding cannot fail");
        (token, claims)
    }

    /// Verifies signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_sessions_verify_and_forged_ones_do_not() {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef");
        let (token, claims) = keys.issue("a@x", 60);
        assert_eq!(keys.verify(&token).unwrap().jti, claims.jti);
        let other = SessionKeys::new(b"another key another key another k");
        assert!(other.verify(&token).is_none());
        let (expired, _) = keys.issue("a@x", -120);
        assert!(keys.verify(&expired).is_none());
        // alg: none with the same claims is refused.
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(keys.verify(&none).is_none());
    }

    #[test]
    fn wrong_issuer_audience_or_algorithm_is_refused() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let keys = SessionKeys::new(secret);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = |iss: &str, aud: &str| Claims {
            iss: iss.to_owned(),
            aud: aud.to_owned(),
            sub: "a@x".to_owned(),
            iat: now,
            exp: now + 60,
            jti: "j".to_owned(),
            iat_ms: now * 1000,
        };
        let sign =
            |header: Header, c: &Claims| jsonwebtoken::encode(&header, c, &EncodingKey::from_secret(secret)).unwrap();
        assert!(keys.verify(&sign(Header::new(Algorithm::HS256), &claims("mcpd", "mcpctl"))).is_some());
        assert!(keys.verify(&sign(Header::new(Algorithm::HS256), &claims("other", "mcpctl"))).is_none());
        assert!(keys.verify(&sign(Header::new(Algorithm::HS256), &claims("mcpd", "other"))).is_none());
        assert!(keys.verify(&sign(Header::new(Algorithm::HS512), &claims("mcpd", "mcpctl"))).is_none());
    }
}
