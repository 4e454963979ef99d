//! What the alerts are computed from: plain structs filled from ThreatQ's answers (phase 2
//! maps the typed ThreatQ client's objects onto them), and ThreatQ's timestamps.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::objects::ObjectRef;

/// A ThreatQ timestamp (UTC, second precision). Parsed from the documented
/// `YYYY-MM-DD HH:MM:SS` (fractional seconds ignored) or from RFC 3339 with any offset
/// (converted to UTC); printed as `YYYY-MM-DD HH:MM:SS`, the "Changed At" of the mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(PrimitiveDateTime);

const THREATQ_FORMAT: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");

impl Timestamp {
    /// Parses either documented form; the error quotes the value.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let t = s.trim();
        // "2021-10-28 20:32:57" (optionally ".123456"), the API's own form.
        let base = t.split('.').next().unwrap_or(t);
        if let Ok(dt) = PrimitiveDateTime::parse(base, THREATQ_FORMAT) {
            return Ok(Timestamp(dt));
        }
        if let Ok(dt) = OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
            let utc = dt.to_offset(time::UtcOffset::UTC);
            let dt = PrimitiveDateTime::new(utc.date(), utc.time())
                .replace_nanosecond(0)
                .unwrap_or(PrimitiveDateTime::new(utc.date(), utc.time()));
            return Ok(Timestamp(dt));
        }
        Err(format!(
            "\"{s}\" is not a ThreatQ timestamp (YYYY-MM-DD HH:MM:SS or RFC 3339)"
        ))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(THREATQ_FORMAT) {
            Ok(s) => f.write_str(&s),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The effective score as the mails print it: `5`, `7.5` (no trailing zeros).
pub fn score_text(score: f64) -> String {
    let s = format!("{score:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// An object on the watchlist of at least one of the `watchlist_users`, with what the
/// change detection needs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchedObject {
    /// Type and id.
    pub object: ObjectRef,
    /// What the mails call it: an indicator's value, an adversary's name, an event's title.
    pub name: String,
    /// When the object or anything related to it last changed.
    pub touched_at: Timestamp,
    /// The status name (indicators), if any.
    pub status: Option<String>,
    /// The effective score (manual if set, else generated), if any.
    pub score: Option<f64>,
    /// How many comments it has.
    pub comments: u32,
    /// How many attributes it has.
    pub attributes: u32,
    /// The names of its sources.
    pub sources: Vec<String>,
    /// The ThreatQ user ids of the listed users whose watchlist holds it.
    pub watchers: Vec<u64>,
}

impl WatchedObject {
    /// An object with no status, score, comments, attributes, sources or watchers yet;
    /// fill in the rest with struct update syntax.
    pub fn new(object: ObjectRef, name: impl Into<String>, touched_at: Timestamp) -> Self {
        WatchedObject {
            object,
            name: name.into(),
            touched_at,
            status: None,
            score: None,
            comments: 0,
            attributes: 0,
            sources: Vec::new(),
            watchers: Vec::new(),
        }
    }
}

/// One item a data collection (saved search) returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionItem {
    /// Type and id.
    pub object: ObjectRef,
    /// What the mail calls it (value, name or title).
    pub name: String,
    /// When it or anything related to it last changed ("updated with context").
    pub touched_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_both_forms_and_print_the_guides_form() {
        let a = Timestamp::parse("2021-10-28 20:32:57").unwrap();
        assert_eq!(a.to_string(), "2021-10-28 20:32:57");
        assert_eq!(Timestamp::parse("2021-10-28 20:32:57.123456").unwrap(), a);
        assert_eq!(Timestamp::parse("2021-10-28T20:32:57Z").unwrap(), a);
        assert_eq!(Timestamp::parse("2021-10-28T22:32:57.5+02:00").unwrap(), a);
        assert!(Timestamp::parse("2021-10-28").is_err());
        assert!(Timestamp::parse("yesterday")
            .unwrap_err()
            .contains("\"yesterday\""));
        assert!(Timestamp::parse("2021-10-28 20:32:58").unwrap() > a);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            "\"2021-10-28 20:32:57\""
        );
    }

    #[test]
    fn scores_print_without_trailing_zeros() {
        assert_eq!(score_text(5.0), "5");
        assert_eq!(score_text(7.5), "7.5");
        assert_eq!(score_text(4.25), "4.25");
        assert_eq!(score_text(0.0), "0");
        assert_eq!(score_text(10.0), "10");
    }
}
