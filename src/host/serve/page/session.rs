//! Operator sessions: what the login form's token buys, kept in memory.
//!
//! A session id is 32 random bytes from the operating system, sent as
//! the `waybill_session` cookie (HttpOnly, SameSite=Strict, Path=/, and
//! Secure behind TLS); each session has its own CSRF token, 32 random
//! bytes too, that every form of the page carries and `POST /actions`
//! and `POST /logout` check in constant time. At most [`MAX_SESSIONS`]
//! live at once (the oldest goes first), each for [`LIFETIME`]; a
//! restart of the server ends them all, by design.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cookie's name.
pub const COOKIE: &str = "waybill_session";
/// How long a session lasts after login.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at once.
pub const MAX_SESSIONS: usize = 256;

/// A logged-in operator.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    expires: Instant,
}

#[derive(Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
}

/// The OS's random source could not be read: no session is made.
#[derive(Debug, thiserror::Error)]
#[error("failed to read random bytes for a session: {0}")]
pub struct NoRandom(String);

impl Sessions {
    /// A new session, after the oldest is dropped when at the bound.
    pub fn create(&self, now: Instant) -> Result<Session, NoRandom> {
        let session = Session {
            id: random_hex()?,
            csrf: random_hex()?,
            expires: now + LIFETIME,
        };
        let mut map = self.lock();
        map.retain(|_, s| s.expires > now);
        while map.len() >= MAX_SESSIONS {
            let oldest = map.values().min_by_key(|s| s.expires).map(|s| s.id.clone());
            match oldest {
                Some(id) => map.remove(&id),
                None => break,
            };
        }
        map.insert(session.id.clone(), session.clone());
        Ok(session)
    }

    /// The live session of this id, compared in constant time.
    pub fn find(&self, id: &str, now: Instant) -> Option<Session> {
        let map = self.lock();
        // A lookup by hash would answer faster for a near miss; the
        // sessions are few, so every id is compared in constant time.
        map.values()
            .find(|s| crate::host::serve::verify::bytes_eq(s.id.as_bytes(), id.as_bytes()))
            .filter(|s| s.expires > now)
            .cloned()
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.by_id.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Session {
    /// Whether `sent` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, sent: &str) -> bool {
        crate::host::serve::verify::bytes_eq(self.csrf.as_bytes(), sent.as_bytes())
    }
}

/// 32 bytes from the OS, as 64 hex digits.
fn random_hex() -> Result<String, NoRandom> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| NoRandom(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The session cookie's value in a `Cookie` header, if sent.
pub fn cookie_value(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
}

/// The `Set-Cookie` value for a new session.
pub fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        LIFETIME.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_found_by_id_until_they_expire_and_stay_bounded() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let s = sessions.create(now).unwrap();
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        assert!(sessions.find(&s.id, now).is_some());
        assert!(sessions.find("nope", now).is_none());
        assert!(sessions.find(&s.id, now + LIFETIME).is_none());
        for _ in 0..MAX_SESSIONS + 3 {
            sessions.create(now).unwrap();
        }
        assert_eq!(sessions.lock().len(), MAX_SESSIONS);
        assert!(s.csrf_ok(&s.csrf.clone()) && !s.csrf_ok("x"));
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        assert_eq!(cookie_value("a=1; waybill_session=abc ; b=2"), Some("abc"));
        assert_eq!(cookie_value("waybill_sessionx=1"), None);
        let set = set_cookie("abc", true);
        assert!(
            set.contains("HttpOnly")
                && set.contains("SameSite=Strict")
                && set.ends_with("; Secure")
        );
    }
}
