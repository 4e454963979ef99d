//! The fake's controllable clock: real UTC time by default, or frozen and advanced by tests
//! so "changed since the last run" is deterministic.

use std::time::Duration;

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// The ThreatQ timestamp format: `YYYY-MM-DD HH:MM:SS`, UTC, no zone.
const FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

/// A clock that is real time plus an offset, or frozen at an instant.
#[derive(Debug, Default)]
pub struct Clock {
    frozen: Option<OffsetDateTime>,
    offset: Duration,
}

impl Clock {
    /// The current instant.
    pub fn now(&self) -> OffsetDateTime {
        match self.frozen {
            Some(t) => t,
            None => OffsetDateTime::now_utc() + self.offset,
        }
    }

    /// The current instant in the ThreatQ format.
    pub fn stamp(&self) -> String {
        format(self.now())
    }

    /// Freezes the clock at `t`.
    pub fn freeze(&mut self, t: OffsetDateTime) {
        self.frozen = Some(t);
    }

    /// Moves the clock forward (frozen or not).
    pub fn advance(&mut self, d: Duration) {
        match &mut self.frozen {
            Some(t) => *t += d,
            None => self.offset += d,
        }
    }

    /// Back to real time (keeping any offset from `advance`).
    pub fn unfreeze(&mut self) {
        self.frozen = None;
    }
}

/// Formats an instant as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn format(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_else(|_| "1970-01-01 00:00:00".to_string())
}

/// Parses `YYYY-MM-DD HH:MM:SS` as UTC.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(s, FORMAT)
        .ok()
        .map(|p| p.assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freeze_and_advance() {
        let mut c = Clock::default();
        c.freeze(parse("2026-01-01 00:00:00").unwrap());
        assert_eq!(c.stamp(), "2026-01-01 00:00:00");
        c.advance(Duration::from_secs(61));
        assert_eq!(c.stamp(), "2026-01-01 00:01:01");
        assert!(parse("2026-13-01 00:00:00").is_none());
        assert!(parse("2026-01-01T00:00:00").is_none());
    }
}
