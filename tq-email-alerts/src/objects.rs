//! The ThreatQ object types the alerts cover, what the mails call them, and the links to
//! their details pages (research/threatq-api.md §1: `https://<host>/<path>/<id>/details`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// An object type, by its ThreatQ collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// `indicators`
    Indicators,
    /// `adversaries`
    Adversaries,
    /// `events`
    Events,
    /// `attachments` (files)
    Attachments,
    /// `signatures`
    Signatures,
}

impl ObjectKind {
    /// Every kind, in the order the mails list them.
    pub const ALL: [ObjectKind; 5] = [
        ObjectKind::Indicators,
        ObjectKind::Adversaries,
        ObjectKind::Events,
        ObjectKind::Attachments,
        ObjectKind::Signatures,
    ];

    /// The kinds a watchlist covers (issue 10: indicators, events, adversaries).
    pub const WATCHABLE: [ObjectKind; 3] = [
        ObjectKind::Indicators,
        ObjectKind::Events,
        ObjectKind::Adversaries,
    ];

    /// The API collection name (`indicators`, ...), as in `data_collection_objects`.
    pub fn collection(self) -> &'static str {
        match self {
            ObjectKind::Indicators => "indicators",
            ObjectKind::Adversaries => "adversaries",
            ObjectKind::Events => "events",
            ObjectKind::Attachments => "attachments",
            ObjectKind::Signatures => "signatures",
        }
    }

    /// The kind for a collection name (case-insensitive).
    pub fn from_collection(name: &str) -> Option<ObjectKind> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| k.collection().eq_ignore_ascii_case(name.trim()))
    }

    /// One object, as in "ThreatQ Watchlist: Indicator Added" and "Type: Indicator".
    pub fn singular(self) -> &'static str {
        match self {
            ObjectKind::Indicators => "Indicator",
            ObjectKind::Adversaries => "Adversary",
            ObjectKind::Events => "Event",
            ObjectKind::Attachments => "Attachment",
            ObjectKind::Signatures => "Signature",
        }
    }

    /// The heading of a group of items in a data collection mail ("Indicators").
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::Indicators => "Indicators",
            ObjectKind::Adversaries => "Adversaries",
            ObjectKind::Events => "Events",
            ObjectKind::Attachments => "Attachments",
            ObjectKind::Signatures => "Signatures",
        }
    }

    /// The UI path of the details pages: attachments are `/files/<id>/details`
    /// (research/threatq-api.md §1); signatures follow the same pattern [I].
    pub fn ui_path(self) -> &'static str {
        match self {
            ObjectKind::Attachments => "files",
            other => other.collection(),
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.collection())
    }
}

/// One object: its type and id (ids are per type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// The type.
    pub kind: ObjectKind,
    /// The ThreatQ id.
    pub id: u64,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.id)
    }
}

impl std::str::FromStr for ObjectRef {
    type Err = String;

    /// Parses `indicators/8` (the form [`Display`](fmt::Display) writes, used as state keys).
    fn from_str(s: &str) -> Result<ObjectRef, String> {
        let (k, id) = s
            .split_once('/')
            .ok_or_else(|| format!("\"{s}\" is not <type>/<id>"))?;
        let kind = ObjectKind::from_collection(k)
            .ok_or_else(|| format!("\"{s}\": unknown object type \"{k}\""))?;
        let id = id
            .parse()
            .map_err(|_| format!("\"{s}\": \"{id}\" is not an id"))?;
        Ok(ObjectRef { kind, id })
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ObjectRef, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The base of the links in the mails, from `threatq_link_host` (or the `[threatq]` host):
/// `https://<host>` unless the value names its own scheme; no trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBase(String);

impl LinkBase {
    /// Normalises a host name, `host:port`, or `http(s)://host[:port][/prefix]` URL.
    /// Returns what is wrong with anything else (empty, spaces, query, fragment, userinfo).
    pub fn parse(raw: &str) -> Result<LinkBase, String> {
        let raw = raw.trim();
        let lower = raw.to_ascii_lowercase();
        let (scheme, rest) = if lower.starts_with("https://") {
            ("https://", &raw[8..])
        } else if lower.starts_with("http://") {
            ("http://", &raw[7..])
        } else {
            ("https://", raw)
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty()
            || rest.starts_with('/')
            || rest.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '?' | '#' | '@' | '"' | '<' | '>')
            })
        {
            return Err(format!(
                "\"{raw}\" is not a host name, host:port, or http(s):// URL"
            ));
        }
        Ok(LinkBase(format!("{scheme}{rest}")))
    }

    /// The link to an object's details page: `<base>/<path>/<id>/details`.
    pub fn details(&self, object: ObjectRef) -> String {
        format!("{}/{}/{}/details", self.0, object.kind.ui_path(), object.id)
    }

    /// The base URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_follow_the_guide() {
        let b = LinkBase::parse("threatq.hostname.com").unwrap();
        let r = ObjectRef {
            kind: ObjectKind::Indicators,
            id: 8,
        };
        assert_eq!(
            b.details(r),
            "https://threatq.hostname.com/indicators/8/details"
        );
        let f = ObjectRef {
            kind: ObjectKind::Attachments,
            id: 3,
        };
        assert_eq!(b.details(f), "https://threatq.hostname.com/files/3/details");
        assert_eq!(
            LinkBase::parse("HTTP://10.0.0.5:8443/").unwrap().as_str(),
            "http://10.0.0.5:8443"
        );
        assert_eq!(
            LinkBase::parse("https://tq.example/").unwrap().as_str(),
            "https://tq.example"
        );
        for bad in ["", "https://", "a b", "h?x=1", "u@h", "h\r\nX: y", "//x"] {
            assert!(LinkBase::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn object_refs_round_trip_as_state_keys() {
        let r: ObjectRef = "events/42".parse().unwrap();
        assert_eq!(r.kind, ObjectKind::Events);
        assert_eq!(r.id, 42);
        assert_eq!(r.to_string(), "events/42");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"events/42\"");
        assert!("widgets/1".parse::<ObjectRef>().is_err());
        assert!("events/x".parse::<ObjectRef>().is_err());
        assert_eq!(
            ObjectKind::from_collection(" Adversaries"),
            Some(ObjectKind::Adversaries)
        );
    }
}
