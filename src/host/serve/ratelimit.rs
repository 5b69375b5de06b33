//! Each hook's rate limit: a token bucket of `requests` per `per`.
//!
//! Only verified deliveries spend tokens, so a stranger without the
//! secret cannot use up a hook's budget. A refusal says when the next
//! token arrives, for the `Retry-After` header.

use super::config::RateLimit;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Bucket {
    limit: RateLimit,
    tokens: f64,
    updated: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn new(limit: RateLimit, now: Instant) -> Bucket {
        Bucket {
            limit,
            tokens: f64::from(limit.requests),
            updated: now,
        }
    }

    /// Takes one token, or says how long until one is there.
    pub fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.limit.requests);
        let per_second = capacity / self.limit.per.as_secs_f64();
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(capacity);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_then_refill() {
        let start = Instant::now();
        let limit = RateLimit {
            requests: 2,
            per: Duration::from_secs(10),
        };
        let mut b = Bucket::new(limit, start);
        assert!(b.take(start).is_ok() && b.take(start).is_ok());
        let wait = b.take(start).unwrap_err();
        assert!(
            wait > Duration::from_secs(4) && wait <= Duration::from_secs(5),
            "{wait:?}"
        );
        assert!(b.take(start + Duration::from_secs(5)).is_ok());
    }
}
