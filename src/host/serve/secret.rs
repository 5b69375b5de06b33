//! A secret held in memory: a hook's key or the operator token.
//!
//! Its `Debug` form never shows the value, so a secret cannot reach a
//! log line or an error message by accident; comparing one with what a
//! request sent is [`super::verify`]'s job.

use base64::Engine as _;

#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: String) -> Secret {
        Secret(text)
    }

    /// The secret as configured.
    pub fn text(&self) -> &str {
        &self.0
    }

    /// The key of a signing token given as `whsec_<base64>` (the
    /// Standard Webhooks form GitLab uses); `None` for any other form.
    pub fn signing_key(&self) -> Option<Vec<u8>> {
        let encoded = self.0.strip_prefix("whsec_")?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .filter(|key| !key.is_empty())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}
