//! `JwtTokenIssuer`: HS256-signed access tokens.
//!
//! Only HS256 is accepted, so `alg: none` and algorithm-confusion tokens fail the
//! signature check. Expiry is checked against the injected clock rather than the
//! library's own reading of the system time, so tests can move time.

use std::time::Duration;

use anyhow::anyhow;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use qblog_domain::auth::{
    AccessToken, AuthError, IssuedToken, SessionHandle, TokenClaims, TokenIssuer,
};
use qblog_domain::user::{User, UserId};
use serde::{Deserialize, Serialize};
use shaku::Component;

/// Who issues qblog's tokens (`iss`).
const ISSUER: &str = "qblog";

/// The signing and verifying keys made from `auth.jwt_secret`.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    /// Keys for an HMAC secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

/// What a token says. Only the user id and the session count: a token is accepted
/// while its session lives, and the user's names come from the session. `sid` is
/// required, so a token of the release before device sessions (which had none) is
/// refused: its holder logs in again.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    sid: String,
    jti: String,
    iat: i64,
    exp: i64,
}

/// Issues and verifies HS256 JWTs.
#[derive(Component)]
#[shaku(interface = TokenIssuer)]
pub struct JwtTokenIssuer {
    /// The keys; no default, there is no default secret.
    keys: JwtKeys,
    /// Token lifetime (`auth.token_ttl_secs`).
    #[shaku(default = Duration::from_secs(86_400))]
    lifetime: Duration,
}

impl JwtTokenIssuer {
    /// An issuer with these keys and token lifetime.
    pub fn new(keys: JwtKeys, lifetime: Duration) -> Self {
        Self { keys, lifetime }
    }

    fn validation() -> Validation {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation
    }
}

impl TokenIssuer for JwtTokenIssuer {
    fn issue(
        &self,
        user: &User,
        session: &SessionHandle,
        now: DateTime<Utc>,
        session_ends: DateTime<Utc>,
    ) -> Result<IssuedToken, AuthError> {
        let lifetime = chrono::Duration::from_std(self.lifetime)
            .map_err(|err| AuthError::Unexpected(anyhow!("token lifetime: {err}")))?;
        let expires_at = (now + lifetime).min(session_ends);
        let claims = Claims {
            iss: ISSUER.to_owned(),
            sub: user.id.0.to_string(),
            sid: session.as_str().to_owned(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let encoded =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.keys.encoding)
                .map_err(|err| AuthError::Unexpected(anyhow!("signing a token failed: {err}")))?;
        Ok(IssuedToken {
            token: AccessToken::new(encoded),
            expires_at,
        })
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<TokenClaims, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.keys.decoding, &Self::validation())
            .map_err(|_| AuthError::Unauthenticated)?;
        let claims = data.claims;
        if claims.exp <= now.timestamp() {
            return Err(AuthError::Unauthenticated);
        }
        let user_id = claims.sub.parse().map_err(|_| AuthError::Unauthenticated)?;
        Ok(TokenClaims {
            user_id: UserId(user_id),
            session: SessionHandle::parse(&claims.sid).ok_or(AuthError::Unauthenticated)?,
            expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or(now),
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::TimeZone;
    use qblog_domain::user::{Realname, Username};

    use super::*;

    fn issuer(secret: &str) -> JwtTokenIssuer {
        JwtTokenIssuer::new(
            JwtKeys::from_secret(secret.as_bytes()),
            Duration::from_secs(3600),
        )
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
    }

    fn alice() -> User {
        User {
            id: UserId(42),
            username: Username::parse("alice").expect("valid"),
            realname: Realname::parse("Alice A.").expect("valid"),
            created_at: now(),
        }
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn session() -> SessionHandle {
        SessionHandle::parse(&"5e".repeat(16)).expect("a handle")
    }

    fn far() -> DateTime<Utc> {
        now() + chrono::Duration::days(30)
    }

    fn issue(issuer: &JwtTokenIssuer) -> IssuedToken {
        issuer
            .issue(&alice(), &session(), now(), far())
            .expect("issued")
    }

    #[test]
    fn an_issued_token_verifies_and_carries_the_user() {
        let issuer = issuer(SECRET);
        let issued = issue(&issuer);
        let claims = issuer.verify(issued.token.expose(), now()).expect("valid");
        assert_eq!(claims.user_id, UserId(42));
        assert_eq!(claims.session, session());
        assert_eq!(claims.expires_at, now() + chrono::Duration::hours(1));
        assert_eq!(issued.expires_at, claims.expires_at);
    }

    #[test]
    fn a_token_ends_no_later_than_its_session() {
        let issuer = issuer(SECRET);
        let ends = now() + chrono::Duration::minutes(5);
        let issued = issuer
            .issue(&alice(), &session(), now(), ends)
            .expect("issued");
        assert_eq!(issued.expires_at, ends);
        assert!(issuer.verify(issued.token.expose(), ends).is_err());
    }

    #[test]
    fn a_token_without_a_session_claim_is_refused() {
        // The shape the release before device sessions issued, correctly signed.
        let claims = serde_json::json!({
            "iss": "qblog", "sub": "42", "name": "alice", "rn": "Alice", "jti": "x",
            "iat": now().timestamp(), "exp": now().timestamp() + 600,
        });
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("signed");
        assert!(matches!(
            issuer(SECRET).verify(&token, now()),
            Err(AuthError::Unauthenticated)
        ));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let issuer = issuer(SECRET);
        let issued = issue(&issuer);
        let later = now() + chrono::Duration::hours(1);
        assert!(matches!(
            issuer.verify(issued.token.expose(), later),
            Err(AuthError::Unauthenticated)
        ));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let issued = issue(&issuer("another-secret-another-secret-xx"));
        assert!(issuer(SECRET).verify(issued.token.expose(), now()).is_err());
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let issuer = issuer(SECRET);
        let token = issue(&issuer).token.expose().to_owned();
        let parts: Vec<&str> = token.split('.').collect();
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("base64");
        let forged = String::from_utf8(payload)
            .expect("utf8")
            .replace("\"42\"", "\"1\"");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(forged),
            parts[2]
        );
        assert!(matches!(
            issuer.verify(&forged, now()),
            Err(AuthError::Unauthenticated)
        ));
    }

    #[test]
    fn an_unsigned_alg_none_token_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"iss":"qblog","sub":"42","sid":"{}","jti":"x","iat":0,"exp":{}}}"#,
            session(),
            now().timestamp() + 600
        ));
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert!(issuer(SECRET).verify(&token, now()).is_err(), "{token}");
        }
    }
}
