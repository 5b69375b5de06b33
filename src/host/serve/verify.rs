//! Checking that a request comes from the hook's forge.
//!
//! Every comparison is constant-time over the raw body bytes: HMACs
//! through `Mac::verify_slice`, shared tokens by comparing their SHA-256
//! digests with `subtle`. A refusal carries no detail for the client;
//! the server answers only "invalid signature", and neither the expected
//! value nor the secret is ever echoed or logged.

use super::config::Hook;
use super::forge::{header_text, ForgeKind};
use super::secret::Secret;
use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// How far a GitLab signing-token timestamp may be from our clock.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 5 * 60;

/// Why a request was refused; for the log line only, never the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The header that carries the signature or token is absent.
    Missing,
    /// It is there but malformed (not hex, not base64, no `sha256=`).
    Malformed,
    /// It does not match.
    Mismatch,
    /// A GitLab signing-token timestamp outside ±5 minutes.
    Stale,
}

impl Refused {
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Missing => "signature missing",
            Refused::Malformed => "signature malformed",
            Refused::Mismatch => "signature mismatch",
            Refused::Stale => "timestamp outside the window",
        }
    }
}

/// Verifies `body` as sent to `hook`; `now` is seconds since the epoch.
pub fn verify(hook: &Hook, headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), Refused> {
    let secret = &hook.secret;
    match hook.forge {
        ForgeKind::Github => {
            let value = header_text(headers, "x-hub-signature-256").ok_or(Refused::Missing)?;
            let hex = value.strip_prefix("sha256=").ok_or(Refused::Malformed)?;
            hmac_hex(secret.text().as_bytes(), body, hex)
        }
        ForgeKind::Gitea => {
            let hex = header_text(headers, "x-gitea-signature").ok_or(Refused::Missing)?;
            hmac_hex(secret.text().as_bytes(), body, &hex)
        }
        ForgeKind::Forgejo => {
            let hex = header_text(headers, "x-forgejo-signature").ok_or(Refused::Missing)?;
            hmac_hex(secret.text().as_bytes(), body, &hex)
        }
        ForgeKind::Gitlab => {
            if headers.contains_key("webhook-signature") {
                gitlab_signed(secret, headers, body, now)
            } else {
                let token = header_text(headers, "x-gitlab-token").ok_or(Refused::Missing)?;
                token_eq(secret, &token)
            }
        }
        ForgeKind::Generic => match &hook.signature_header {
            Some(name) => {
                let value = header_text(headers, name).ok_or(Refused::Missing)?;
                let hex = value.strip_prefix("sha256=").unwrap_or(&value);
                hmac_hex(secret.text().as_bytes(), body, hex)
            }
            None => {
                let value = header_text(headers, "authorization").ok_or(Refused::Missing)?;
                let token = value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .ok_or(Refused::Malformed)?;
                token_eq(secret, token.trim())
            }
        },
    }
}

/// The Standard Webhooks scheme GitLab's signing tokens use:
/// `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
/// possibly several space-separated signatures (during key rotation).
fn gitlab_signed(
    secret: &Secret,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), Refused> {
    let id = header_text(headers, "webhook-id").ok_or(Refused::Missing)?;
    let timestamp = header_text(headers, "webhook-timestamp").ok_or(Refused::Missing)?;
    let signatures = header_text(headers, "webhook-signature").ok_or(Refused::Missing)?;
    let key = secret.signing_key().ok_or(Refused::Mismatch)?;
    let sent: i64 = timestamp.parse().map_err(|_| Refused::Malformed)?;
    if (now - sent).abs() > TIMESTAMP_TOLERANCE_SECS {
        return Err(Refused::Stale);
    }
    let mut outcome = Err(Refused::Malformed);
    for entry in signatures.split(' ').filter(|s| !s.is_empty()) {
        let Some(encoded) = entry.strip_prefix("v1,") else {
            continue;
        };
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            continue;
        };
        let mut mac = HmacSha256::new_from_slice(&key).map_err(|_| Refused::Mismatch)?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&signature).is_ok() {
            return Ok(());
        }
        outcome = Err(Refused::Mismatch);
    }
    outcome
}

/// Checks a hex HMAC-SHA256 of `body` under `key`.
fn hmac_hex(key: &[u8], body: &[u8], hex: &str) -> Result<(), Refused> {
    let expected = decode_hex(hex.trim()).ok_or(Refused::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| Refused::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| Refused::Mismatch)
}

/// Compares a shared token in constant time; hashing first hides the
/// secret's length too.
pub fn token_eq(secret: &Secret, sent: &str) -> Result<(), Refused> {
    let a = Sha256::digest(secret.text().as_bytes());
    let b = Sha256::digest(sent.as_bytes());
    if bool::from(a.ct_eq(&b)) {
        Ok(())
    } else {
        Err(Refused::Mismatch)
    }
}

/// Whether two values are equal, compared in constant time after
/// hashing (so the length does not show either): session ids and CSRF
/// tokens of the fleet page.
pub fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(Sha256::digest(a).ct_eq(&Sha256::digest(b)))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.len() > 256 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::serve::config::HookSelect;
    use axum::http::{HeaderName, HeaderValue};

    fn hook(forge: ForgeKind, secret: &str) -> Hook {
        Hook {
            name: "h".into(),
            forge,
            secret: Secret::new(secret.into()),
            signature_header: None,
            select: HookSelect::default(),
            batch: None,
            validate: true,
            rate_limit: None,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn sign(key: &[u8], body: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(key).unwrap();
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn github_published_test_vector_verifies() {
        // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
        let h = hook(ForgeKind::Github, "It's a Secret to Everybody");
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let ok = headers(&[("x-hub-signature-256", sig)]);
        assert_eq!(verify(&h, &ok, b"Hello, World!", 0), Ok(()));
        assert_eq!(verify(&h, &ok, b"Hello, World?", 0), Err(Refused::Mismatch));
        let bare = headers(&[("x-hub-signature-256", &sig[7..])]);
        assert_eq!(
            verify(&h, &bare, b"Hello, World!", 0),
            Err(Refused::Malformed)
        );
        assert_eq!(
            verify(&h, &HeaderMap::new(), b"x", 0),
            Err(Refused::Missing)
        );
    }

    #[test]
    fn gitea_and_forgejo_check_their_own_header() {
        let body = b"{}";
        let sig = hex(&sign(b"k", body));
        for (forge, header) in [
            (ForgeKind::Gitea, "x-gitea-signature"),
            (ForgeKind::Forgejo, "x-forgejo-signature"),
        ] {
            let h = hook(forge, "k");
            assert_eq!(verify(&h, &headers(&[(header, &sig)]), body, 0), Ok(()));
            let wrong = hex(&sign(b"other", body));
            assert_eq!(
                verify(&h, &headers(&[(header, &wrong)]), body, 0),
                Err(Refused::Mismatch)
            );
            assert_eq!(
                verify(&h, &headers(&[(header, "zz")]), body, 0),
                Err(Refused::Malformed)
            );
        }
    }

    #[test]
    fn gitlab_signing_token_checks_signature_and_window() {
        let key = b"0123456789abcdef0123456789abcdef";
        let secret = format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        );
        let h = hook(ForgeKind::Gitlab, &secret);
        let body = b"{\"object_kind\":\"push\"}";
        let signed = |id: &str, ts: i64| {
            let mut text = format!("{id}.{ts}.").into_bytes();
            text.extend_from_slice(body);
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(sign(key, &text))
            )
        };
        let now = 1_700_000_000;
        let ok = headers(&[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", &now.to_string()),
            (
                "webhook-signature",
                &format!("v1,AAAA {}", signed("msg_1", now)),
            ),
        ]);
        assert_eq!(verify(&h, &ok, body, now + 10), Ok(()));
        assert_eq!(verify(&h, &ok, body, now + 301), Err(Refused::Stale));
        assert_eq!(verify(&h, &ok, body, now - 301), Err(Refused::Stale));
        let other_id = headers(&[
            ("webhook-id", "msg_2"),
            ("webhook-timestamp", &now.to_string()),
            ("webhook-signature", &signed("msg_1", now)),
        ]);
        assert_eq!(verify(&h, &other_id, body, now), Err(Refused::Mismatch));
    }

    #[test]
    fn gitlab_token_and_generic_bearer_compare_whole_tokens() {
        let h = hook(ForgeKind::Gitlab, "tok");
        assert_eq!(
            verify(&h, &headers(&[("x-gitlab-token", "tok")]), b"", 0),
            Ok(())
        );
        assert_eq!(
            verify(&h, &headers(&[("x-gitlab-token", "to")]), b"", 0),
            Err(Refused::Mismatch)
        );
        let g = hook(ForgeKind::Generic, "tok");
        assert_eq!(
            verify(&g, &headers(&[("authorization", "Bearer tok")]), b"", 0),
            Ok(())
        );
        assert_eq!(
            verify(&g, &headers(&[("authorization", "Bearer tokk")]), b"", 0),
            Err(Refused::Mismatch)
        );
    }

    #[test]
    fn generic_hmac_reads_the_configured_header() {
        let mut g = hook(ForgeKind::Generic, "k");
        g.signature_header = Some("x-signature".into());
        let sig = hex(&sign(b"k", b"body"));
        assert_eq!(
            verify(&g, &headers(&[("x-signature", &sig)]), b"body", 0),
            Ok(())
        );
        let prefixed = format!("sha256={sig}");
        assert_eq!(
            verify(&g, &headers(&[("x-signature", &prefixed)]), b"body", 0),
            Ok(())
        );
        assert_eq!(
            verify(&g, &headers(&[("x-signature", &sig)]), b"bodY", 0),
            Err(Refused::Mismatch)
        );
    }
}
