//! A token bucket: a sustained rate with bursts.

use std::time::Instant;

/// Allows `rate` events per second on average, with bursts of up to `capacity`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Most tokens it holds (the burst).
    capacity: f64,
    /// Tokens added per second.
    rate: f64,
    /// Tokens now (fractional between refills).
    tokens: f64,
    /// When `tokens` was last brought up to date.
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate_per_second: f64, capacity: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            capacity: capacity.max(1.0),
            rate: rate_per_second.max(0.0),
            tokens: capacity.max(1.0),
            updated: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.updated = now;
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket is full again (nothing taken recently), so it can be forgotten.
    pub fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10.0, 5.0, start);
        for _ in 0..5 {
            assert!(bucket.try_take(start));
        }
        assert!(!bucket.try_take(start), "the burst is spent");
        assert!(
            bucket.try_take(start + Duration::from_millis(100)),
            "one token per 100 ms"
        );
        assert!(!bucket.try_take(start + Duration::from_millis(150)));
        assert!(bucket.is_full(start + Duration::from_secs(10)));
    }
}
