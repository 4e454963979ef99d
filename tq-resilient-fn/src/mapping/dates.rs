//! Resilient dates (epoch milliseconds, research §3.1) as ThreatQ writes them
//! (`YYYY-MM-DD HH:MM:SS`, UTC, threatq-api.md §1).

use time::macros::format_description;
use time::OffsetDateTime;

/// `ms` (epoch milliseconds) as `YYYY-MM-DD HH:MM:SS` UTC; `None` when out of range.
pub fn threatq_time(ms: i64) -> Option<String> {
    let t = OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).ok()?;
    t.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second]"
    ))
    .ok()
}

/// `ms` as a date (`YYYY-MM-DD`, UTC), for messages.
pub fn day(ms: i64) -> String {
    threatq_time(ms)
        .map(|t| t[..10].to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Now, as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn now() -> String {
    let ms = OffsetDateTime::now_utc().unix_timestamp() * 1000;
    threatq_time(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_ms_to_threatq() {
        assert_eq!(
            threatq_time(1_600_000_000_000).unwrap(),
            "2020-09-13 12:26:40"
        );
        assert_eq!(threatq_time(0).unwrap(), "1970-01-01 00:00:00");
        assert_eq!(
            threatq_time(1_600_000_000_999).unwrap(),
            "2020-09-13 12:26:40"
        );
        assert_eq!(day(1_577_836_800_000), "2020-01-01");
        assert_eq!(now().len(), 19);
    }
}
