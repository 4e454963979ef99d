//! One backoff policy and one random source for every connector: HTTP retries, broker
//! reconnects (MQTT, STOMP), SMTP and writer back-off all wait through [`Backoff`], and
//! everything that needs a little randomness (jitter, client ids, multipart boundaries)
//! draws from [`Rng`].
//!
//! The policy: the first delay is `initial`, each further one doubles, capped at `max`;
//! each delay gets up to `jitter` × itself added at random, so that many clients that lost
//! the same server do not come back in step. `TQ_RETRY_BASE_MS` shortens the first delay of
//! the HTTP retries in tests ([`base_from_env`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A small, fast random source (splitmix64), seeded per instance from the operating
/// system's per-process random keys, the process id, the time and a counter. Enough for
/// jitter, client ids and boundaries; not for keys.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A new generator; two generators made in a row differ.
    pub fn seeded() -> Rng {
        use std::hash::{BuildHasher, Hasher};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        // RandomState is seeded from the OS once per process and varies per instance.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        Rng(h.finish())
    }

    /// A generator with a fixed seed (tests).
    pub fn with_seed(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// 64 random bits from a fresh [`Rng`].
pub fn random_u64() -> u64 {
    Rng::seeded().next_u64()
}

/// A random version-4 UUID in its usual text form (`8-4-4-4-12` lower-case hex).
pub fn random_uuid() -> String {
    let mut rng = Rng::seeded();
    let a = rng.next_u64();
    let b = rng.next_u64();
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// Capped exponential backoff with jitter: `initial`, doubling after each failure up to
/// `max`, each delay plus up to `jitter` × itself at random (the result never exceeds
/// `max` × (1 + `jitter`)). [`Backoff::reset`] after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    jitter: f64,
    current: Duration,
    rng: Rng,
}

impl Backoff {
    /// A backoff starting at `initial`, capped at `max`, with up to `jitter` (0..=1) × the
    /// delay added at random.
    pub fn new(initial: Duration, max: Duration, jitter: f64) -> Backoff {
        Backoff {
            initial,
            max: max.max(initial),
            jitter: jitter.clamp(0.0, 1.0),
            current: initial,
            rng: Rng::seeded(),
        }
    }

    /// The delay before the next attempt; the one after it doubles (up to `max`).
    pub fn next_delay(&mut self) -> Duration {
        let base = self.current;
        self.current = self.current.saturating_mul(2).min(self.max);
        base + base.mul_f64(self.jitter * self.rng.unit())
    }

    /// The delay before retry number `attempt` (1 = the first retry), without changing
    /// the state: for callers that count attempts themselves.
    pub fn delay_for(&mut self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(20);
        let base = self.initial.saturating_mul(factor).min(self.max);
        base + base.mul_f64(self.jitter * self.rng.unit())
    }

    /// Back to `initial` (after a success).
    pub fn reset(&mut self) {
        self.current = self.initial;
    }

    /// The delay the next [`Backoff::next_delay`] starts from (before jitter).
    pub fn current(&self) -> Duration {
        self.current
    }
}

/// How a request is retried after a failure the server may recover from (connect error,
/// 5xx, 429): how many times, the backoff between attempts, and the longest wait a server
/// may ask for (`Retry-After`) inside a run. One value, so a caller sets it as a whole
/// ([`crate::http::HttpSettings::retry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff delay; it doubles each retry up to [`RetryPolicy::MAX_DELAY`],
    /// plus up to half again of jitter ([`Backoff`]).
    pub first_delay: Duration,
    /// The longest `Retry-After` waited for; a longer one fails the call at once (the
    /// error carries the wait) so the connector can stop cleanly.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 retries from 500 ms (`TQ_RETRY_BASE_MS` in tests, [`base_from_env`]), a
    /// `Retry-After` of up to 60 s honoured.
    fn default() -> Self {
        RetryPolicy {
            retries: 4,
            first_delay: base_from_env(Duration::from_millis(500)),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The longest backoff between two attempts, before jitter.
    pub const MAX_DELAY: Duration = Duration::from_secs(30);

    /// The default policy with `retries` retries.
    pub fn with_retries(retries: u32) -> RetryPolicy {
        RetryPolicy {
            retries,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all: the first one and the retries.
    pub fn attempts(&self) -> u32 {
        self.retries.saturating_add(1)
    }

    /// The wait before retry number `attempt` (1 = the first retry).
    pub fn delay_for(&self, attempt: u32) -> Duration {
        Backoff::new(self.first_delay, Self::MAX_DELAY, 0.5).delay_for(attempt)
    }

    /// True when a server's `Retry-After` of `wait` is short enough to wait for.
    pub fn waits_for(&self, wait: Duration) -> bool {
        wait <= self.max_retry_after
    }
}

/// The first HTTP retry delay: `TQ_RETRY_BASE_MS` when set (tests shorten it), else `default`.
pub fn base_from_env(default: Duration) -> Duration {
    std::env::var("TQ_RETRY_BASE_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(default)
}

/// Sleeps for `total` in slices of at most `slice`, returning early (true) as soon as
/// `stop` says so: a wait a SIGTERM can cut short.
pub fn sleep_unless(total: Duration, slice: Duration, stop: &dyn Fn() -> bool) -> bool {
    let until = std::time::Instant::now() + total;
    loop {
        if stop() {
            return true;
        }
        let now = std::time::Instant::now();
        if now >= until {
            return false;
        }
        std::thread::sleep((until - now).min(slice));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), 0.25);
        let bases = [1u64, 2, 4, 8, 16, 32, 60, 60, 60];
        let mut jittered = 0;
        for base in bases {
            let d = b.next_delay();
            let base = Duration::from_secs(base);
            assert!(
                d >= base && d <= base.mul_f64(1.25),
                "{d:?} for base {base:?}"
            );
            if d > base {
                jittered += 1;
            }
        }
        assert!(jittered > 0, "no jitter at all");
        b.reset();
        let d = b.next_delay();
        assert!(d >= Duration::from_secs(1) && d <= Duration::from_millis(1250));
    }

    #[test]
    fn delay_for_attempt_grows_and_is_capped() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(30), 0.5);
        let d1 = b.delay_for(1).as_millis();
        let d3 = b.delay_for(3).as_millis();
        assert!((100..=150).contains(&d1), "{d1}");
        assert!((400..=600).contains(&d3), "{d3}");
        assert!(b.delay_for(40) <= Duration::from_secs(45));
        assert!(b.delay_for(40) >= Duration::from_secs(30));
        // delay_for does not move the state
        assert!(b.next_delay() <= Duration::from_millis(150));
    }

    #[test]
    fn retry_policy_counts_attempts_grows_its_delay_and_bounds_retry_after() {
        let p = RetryPolicy {
            retries: 2,
            first_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        };
        assert_eq!(p.attempts(), 3);
        let d1 = p.delay_for(1).as_millis();
        let d3 = p.delay_for(3).as_millis();
        assert!((100..=150).contains(&d1), "{d1}");
        assert!((400..=600).contains(&d3), "{d3}");
        assert!(p.delay_for(30) <= RetryPolicy::MAX_DELAY.mul_f64(1.5));
        assert!(p.waits_for(Duration::from_secs(5)));
        assert!(!p.waits_for(Duration::from_secs(6)));
        assert_eq!(RetryPolicy::with_retries(0).attempts(), 1);
    }

    #[test]
    fn zero_jitter_is_exact_and_zero_initial_is_zero() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 0.0);
        let got: Vec<u64> = (0..7).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30]);
        let mut z = Backoff::new(Duration::ZERO, Duration::ZERO, 1.0);
        assert_eq!(z.next_delay(), Duration::ZERO);
    }

    #[test]
    fn rng_units_are_in_range_and_generators_differ() {
        let mut r = Rng::with_seed(42);
        for _ in 0..1000 {
            assert!((0.0..1.0).contains(&r.unit()));
        }
        assert_ne!(random_u64(), random_u64());
        assert_eq!(
            Rng::with_seed(7).next_u64(),
            Rng::with_seed(7).next_u64(),
            "a fixed seed repeats"
        );
    }

    #[test]
    fn uuids_are_version_4() {
        let u = random_uuid();
        assert_eq!(u.len(), 36, "{u}");
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{u}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(random_uuid(), u);
    }

    #[test]
    fn sleep_unless_stops_early() {
        let t = std::time::Instant::now();
        assert!(sleep_unless(
            Duration::from_secs(5),
            Duration::from_millis(10),
            &|| true
        ));
        assert!(t.elapsed() < Duration::from_secs(1));
        assert!(!sleep_unless(
            Duration::from_millis(20),
            Duration::from_millis(5),
            &|| false
        ));
    }
}
