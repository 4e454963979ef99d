//! What the state file keeps per watched object, and the changes between two snapshots:
//! exactly what a watchlist mail can say under "What has changed?" (issue 10, the guide's
//! sample) and nothing more: "Comment added: 2", "Attribute added: 1",
//! "Status changed: Review → Active", "Score changed: 5 → 7", "Source added: <name>".
//!
//! Counts only grow the change line: a comment deleted and another added in the same
//! interval leave the count unchanged and are not reported; removed sources and attributes
//! are not reported either.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{score_text, WatchedObject};

/// The few values kept per watched object (state file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Number of comments.
    #[serde(default)]
    pub comments: u32,
    /// Number of attributes.
    #[serde(default)]
    pub attributes: u32,
    /// Status name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Effective score, as printed ([`score_text`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// Source names, sorted, without duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

impl Snapshot {
    /// The snapshot of an object as ThreatQ returns it now.
    pub fn of(o: &WatchedObject) -> Snapshot {
        let mut sources: Vec<String> = o.sources.iter().map(|s| s.trim().to_string()).collect();
        sources.retain(|s| !s.is_empty());
        sources.sort();
        sources.dedup();
        Snapshot {
            comments: o.comments,
            attributes: o.attributes,
            status: o
                .status
                .as_ref()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            score: o.score.map(score_text),
            sources,
        }
    }
}

/// One change of a watched object, as the mail states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// "Comment added: N"
    CommentsAdded(u32),
    /// "Attribute added: N"
    AttributesAdded(u32),
    /// "Status changed: A → B"
    StatusChanged {
        /// Before (`none` when there was none).
        from: Option<String>,
        /// After.
        to: Option<String>,
    },
    /// "Score changed: A → B"
    ScoreChanged {
        /// Before.
        from: Option<String>,
        /// After.
        to: Option<String>,
    },
    /// "Source added: NAME"
    SourceAdded(String),
}

fn or_none(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("none")
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::CommentsAdded(n) => write!(f, "Comment added: {n}"),
            Change::AttributesAdded(n) => write!(f, "Attribute added: {n}"),
            Change::StatusChanged { from, to } => {
                write!(f, "Status changed: {} → {}", or_none(from), or_none(to))
            }
            Change::ScoreChanged { from, to } => {
                write!(f, "Score changed: {} → {}", or_none(from), or_none(to))
            }
            Change::SourceAdded(name) => write!(f, "Source added: {name}"),
        }
    }
}

/// The changes from `prev` to `cur`, in the order the mail lists them: comments,
/// attributes, status, score, then each added source.
pub fn diff(prev: &Snapshot, cur: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    if cur.comments > prev.comments {
        out.push(Change::CommentsAdded(cur.comments - prev.comments));
    }
    if cur.attributes > prev.attributes {
        out.push(Change::AttributesAdded(cur.attributes - prev.attributes));
    }
    if cur.status != prev.status {
        out.push(Change::StatusChanged {
            from: prev.status.clone(),
            to: cur.status.clone(),
        });
    }
    if cur.score != prev.score {
        out.push(Change::ScoreChanged {
            from: prev.score.clone(),
            to: cur.score.clone(),
        });
    }
    for s in &cur.sources {
        if prev.sources.binary_search(s).is_err() {
            out.push(Change::SourceAdded(s.clone()));
        }
    }
    out
}

/// The changes on one line, separated by ", " (the mail's "What has changed?").
pub fn change_line(changes: &[Change]) -> String {
    changes
        .iter()
        .map(Change::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;
    use crate::objects::{ObjectKind, ObjectRef};

    fn obj() -> WatchedObject {
        let r = ObjectRef {
            kind: ObjectKind::Indicators,
            id: 8,
        };
        WatchedObject {
            status: Some("Review".into()),
            score: Some(5.0),
            comments: 1,
            attributes: 3,
            sources: vec!["Feed B".into(), "Feed A".into(), "Feed A".into()],
            ..WatchedObject::new(
                r,
                "7.8.9.0",
                Timestamp::parse("2021-10-28 20:32:57").unwrap(),
            )
        }
    }

    #[test]
    fn the_issues_change_line() {
        let before = Snapshot::of(&obj());
        let mut o = obj();
        o.comments += 2;
        o.status = Some("Active".into());
        o.score = Some(7.0);
        o.sources.push("CrowdFeed".into());
        let changes = diff(&before, &Snapshot::of(&o));
        assert_eq!(
            change_line(&changes),
            "Comment added: 2, Status changed: Review → Active, Score changed: 5 → 7, Source added: CrowdFeed"
        );
    }

    #[test]
    fn the_guides_sample_and_each_change_alone() {
        let before = Snapshot::of(&obj());
        let mut o = obj();
        o.comments = 3;
        assert_eq!(
            change_line(&diff(&before, &Snapshot::of(&o))),
            "Comment added: 2"
        );
        let mut o = obj();
        o.attributes = 4;
        assert_eq!(
            change_line(&diff(&before, &Snapshot::of(&o))),
            "Attribute added: 1"
        );
        let mut o = obj();
        o.score = None;
        assert_eq!(
            change_line(&diff(&before, &Snapshot::of(&o))),
            "Score changed: 5 → none"
        );
        let mut o = obj();
        o.sources = vec!["Feed A".into(), "New 1".into(), "New 2".into()];
        assert_eq!(
            change_line(&diff(&before, &Snapshot::of(&o))),
            "Source added: New 1, Source added: New 2"
        );
    }

    #[test]
    fn no_change_and_removals_say_nothing() {
        let before = Snapshot::of(&obj());
        assert!(diff(&before, &before).is_empty());
        let mut o = obj();
        o.comments = 0;
        o.attributes = 1;
        o.sources = vec!["Feed A".into()];
        o.touched_at = Timestamp::parse("2022-01-01 00:00:00").unwrap();
        assert!(diff(&before, &Snapshot::of(&o)).is_empty());
        // Equal scores in the two documented forms compare equal once printed.
        let mut o = obj();
        o.score = Some(5.00);
        assert!(diff(&before, &Snapshot::of(&o)).is_empty());
    }

    #[test]
    fn snapshot_keeps_only_the_counts_and_values() {
        let s = Snapshot::of(&obj());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"comments":1,"attributes":3,"status":"Review","score":"5","sources":["Feed A","Feed B"]})
        );
        let back: Snapshot = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
        let empty: Snapshot = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Snapshot::default());
    }
}
