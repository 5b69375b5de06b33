//! The forges a hook can be set up for, and which one sent a request.
//!
//! Detection reads only header names, in a fixed order: Forgejo, Gitea,
//! GitLab, then GitHub last, because Forgejo and Gitea also send
//! GitHub's headers. The detected forge names the request in logs and
//! says where its delivery id and event name are; the hook's configured
//! kind decides how the request is verified and its body read.

use axum::http::HeaderMap;

/// A hook's `forge` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgeKind {
    Github,
    Gitea,
    Forgejo,
    Gitlab,
    Generic,
}

impl ForgeKind {
    pub fn parse(text: &str) -> Option<ForgeKind> {
        Some(match text {
            "github" => ForgeKind::Github,
            "gitea" => ForgeKind::Gitea,
            "forgejo" => ForgeKind::Forgejo,
            "gitlab" => ForgeKind::Gitlab,
            "generic" => ForgeKind::Generic,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ForgeKind::Github => "github",
            ForgeKind::Gitea => "gitea",
            ForgeKind::Forgejo => "forgejo",
            ForgeKind::Gitlab => "gitlab",
            ForgeKind::Generic => "generic",
        }
    }

    /// Whether pushes come in GitHub's payload shape (Gitea and Forgejo
    /// copy it).
    pub fn github_shaped(self) -> bool {
        matches!(
            self,
            ForgeKind::Github | ForgeKind::Gitea | ForgeKind::Forgejo
        )
    }
}

/// Which forge sent a request, from its headers; `None` when no forge's
/// headers are present (a generic sender).
pub fn detect(headers: &HeaderMap) -> Option<ForgeKind> {
    let has = |name: &str| headers.contains_key(name);
    if has("x-forgejo-signature") || has("x-forgejo-event") || has("x-forgejo-delivery") {
        Some(ForgeKind::Forgejo)
    } else if has("x-gitea-signature") || has("x-gitea-event") || has("x-gitea-delivery") {
        Some(ForgeKind::Gitea)
    } else if has("x-gitlab-event") || has("x-gitlab-token") || has("webhook-signature") {
        Some(ForgeKind::Gitlab)
    } else if has("x-hub-signature-256") || has("x-github-event") || has("x-github-delivery") {
        Some(ForgeKind::Github)
    } else {
        None
    }
}

/// The delivery id a forge repeats on a redelivery or retry.
pub fn delivery_id(forge: ForgeKind, headers: &HeaderMap) -> Option<String> {
    let names: &[&str] = match forge {
        ForgeKind::Forgejo => &["x-forgejo-delivery", "x-gitea-delivery"],
        ForgeKind::Gitea => &["x-gitea-delivery"],
        ForgeKind::Gitlab => &["webhook-id", "idempotency-key", "x-gitlab-event-uuid"],
        ForgeKind::Github => &["x-github-delivery"],
        ForgeKind::Generic => &["idempotency-key", "x-delivery-id"],
    };
    names.iter().find_map(|name| header_text(headers, name))
}

/// The event name the forge sends (`push`, `ping`, `Push Hook`, …).
pub fn event(forge: ForgeKind, headers: &HeaderMap) -> Option<String> {
    let name = match forge {
        ForgeKind::Forgejo => "x-forgejo-event",
        ForgeKind::Gitea => "x-gitea-event",
        ForgeKind::Gitlab => "x-gitlab-event",
        ForgeKind::Github => "x-github-event",
        ForgeKind::Generic => return None,
    };
    header_text(headers, name)
}

/// A header's value as text, when it is visible ASCII.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for name in names {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                "x".parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn forgejo_and_gitea_win_over_the_github_headers_they_also_send() {
        let forgejo = headers(&[
            "x-forgejo-signature",
            "x-gitea-signature",
            "x-hub-signature-256",
        ]);
        assert_eq!(detect(&forgejo), Some(ForgeKind::Forgejo));
        let gitea = headers(&["x-gitea-signature", "x-hub-signature-256", "x-github-event"]);
        assert_eq!(detect(&gitea), Some(ForgeKind::Gitea));
        assert_eq!(
            detect(&headers(&["webhook-signature"])),
            Some(ForgeKind::Gitlab)
        );
        assert_eq!(
            detect(&headers(&["x-hub-signature-256"])),
            Some(ForgeKind::Github)
        );
        assert_eq!(detect(&headers(&["authorization"])), None);
    }
}
