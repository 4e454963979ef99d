//! The mails: subject, plain-text and HTML body, rendered from `templates/` as the guide's
//! examples show them ("ThreatQ Watchlist: Indicator Added", "ThreatQ Data Collection
//! Updated: 3 New Items"). [`crate::smtp`] sends them as `multipart/alternative`.
//!
//! Every value from ThreatQ is HTML-escaped in the HTML part and kept on one line in both
//! parts ([`crate::template`]); the subject holds no control character, so no value can
//! add a header. Both parts of every mail carry the links to the objects' details pages.

use crate::collection::CollectionDiff;
use crate::model::CollectionItem;
use crate::objects::{LinkBase, ObjectKind};
use crate::snapshot::change_line;
use crate::template::{one_line, render, Format, Value};
use crate::watchlist::WatchAlert;

/// One rendered mail (sender and recipients come from the settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The subject: one line, no control characters.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

/// A template in its two formats.
struct Pair {
    text: &'static str,
    html: &'static str,
}

impl Pair {
    fn get(&self, f: Format) -> &'static str {
        match f {
            Format::Text => self.text,
            Format::Html => self.html,
        }
    }
}

/// `templates/<name>.txt` and `templates/<name>.html`, compiled in.
macro_rules! pair {
    ($name:literal) => {
        Pair {
            text: include_str!(concat!("../templates/", $name, ".txt")),
            html: include_str!(concat!("../templates/", $name, ".html")),
        }
    };
}

const WATCHLIST: Pair = pair!("watchlist");
const WATCHLIST_CHANGES: Pair = pair!("watchlist_changes");
const COLLECTION: Pair = pair!("collection");
const COLLECTION_GROUP: Pair = pair!("collection_group");
const COLLECTION_ITEM: Pair = pair!("collection_item");

/// Renders a template pair with the same values into a [`Mail`] (`{{subject}}` is set too).
fn both(
    subject: String,
    pair: &Pair,
    vars: impl Fn(Format) -> Vec<(&'static str, Value<'static>)>,
) -> Mail {
    let subject = one_line(&subject);
    let body = |f: Format| {
        let mut v = vars(f);
        v.push(("subject", Value::Fragment(escape_for(f, &subject))));
        render(pair.get(f), f, &v)
    };
    // One final newline, however the fragments ended.
    let (text, html) = (
        format!("{}\n", body(Format::Text).trim_end()),
        format!("{}\n", body(Format::Html).trim_end()),
    );
    Mail {
        subject,
        text,
        html,
    }
}

/// The subject of a watchlist mail: "ThreatQ Watchlist: Indicator Added".
pub fn watchlist_subject(alert: &WatchAlert) -> String {
    format!(
        "ThreatQ Watchlist: {} {}",
        alert.object.kind.singular(),
        alert.action.as_str()
    )
}

/// The mail for one watchlist alert.
pub fn watchlist_mail(alert: &WatchAlert, links: &LinkBase) -> Mail {
    let link = links.details(alert.object);
    let changed_at = alert.touched_at.to_string();
    let changes = change_line(&alert.changes);
    both(watchlist_subject(alert), &WATCHLIST, |f| {
        let changes_block = if changes.is_empty() {
            String::new()
        } else {
            render(
                WATCHLIST_CHANGES.get(f),
                f,
                &[("changes", Value::Text(&changes))],
            )
        };
        let rendered = |name: &'static str, v: &str| (name, Value::Fragment(escape_for(f, v)));
        vec![
            rendered("type", alert.object.kind.singular()),
            rendered("item", &alert.name),
            rendered("changed_at", &changed_at),
            rendered("link", &link),
            ("changes", Value::Fragment(changes_block)),
        ]
    })
}

/// A value rendered for `f` (escaped and one line), to hand over as a fragment.
fn escape_for(f: Format, v: &str) -> String {
    render("{{v}}", f, &[("v", Value::Text(v))])
}

/// The subject of a data collection mail: "ThreatQ Data Collection Updated: 3 New Items",
/// "… 2 Updated Items", "… 3 New and 2 Updated Items" ("1 New Item" in the singular).
pub fn collection_subject(new: usize, updated: usize) -> String {
    let items = |n: usize| if n == 1 { "Item" } else { "Items" };
    let what = match (new, updated) {
        (n, 0) => format!("{n} New {}", items(n)),
        (0, u) => format!("{u} Updated {}", items(u)),
        (n, u) => format!("{n} New and {u} Updated {}", items(u)),
    };
    format!("ThreatQ Data Collection Updated: {what}")
}

/// The one mail of a run for the data collection `name`: items grouped by type (in the
/// order indicators, adversaries, events, attachments, signatures), new before updated,
/// each linked to its details page; updated items are marked "(updated)".
pub fn collection_mail(name: &str, diff: &CollectionDiff, links: &LinkBase) -> Mail {
    let subject = collection_subject(diff.new.len(), diff.updated.len());
    both(subject, &COLLECTION, |f| {
        let mut groups = String::new();
        for kind in ObjectKind::ALL {
            let items = group(f, kind, &diff.new, "", links)
                + &group(f, kind, &diff.updated, " (updated)", links);
            if items.is_empty() {
                continue;
            }
            groups.push_str(&render(
                COLLECTION_GROUP.get(f),
                f,
                &[
                    ("heading", Value::Text(kind.plural())),
                    ("items", Value::Fragment(items)),
                ],
            ));
        }
        vec![
            ("collection", Value::Fragment(escape_for(f, name))),
            ("groups", Value::Fragment(groups)),
        ]
    })
}

fn group(
    f: Format,
    kind: ObjectKind,
    items: &[CollectionItem],
    marker: &str,
    links: &LinkBase,
) -> String {
    items
        .iter()
        .filter(|i| i.object.kind == kind)
        .map(|i| {
            let link = links.details(i.object);
            render(
                COLLECTION_ITEM.get(f),
                f,
                &[
                    ("item", Value::Text(&i.name)),
                    ("marker", Value::Fragment(marker.to_string())),
                    ("link", Value::Text(&link)),
                ],
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::{diff as collection_diff, Frequency};
    use crate::model::{Timestamp, WatchedObject};
    use crate::objects::ObjectRef;
    use crate::watchlist::{diff as watch_diff, Action, WatchlistState};

    fn links() -> LinkBase {
        LinkBase::parse("threatq.hostname.com").unwrap()
    }

    fn watched(value: &str, comments: u32) -> WatchedObject {
        let r = ObjectRef {
            kind: ObjectKind::Indicators,
            id: 8,
        };
        let touched = Timestamp::parse("2021-10-28 20:32:57").unwrap();
        WatchedObject {
            status: Some("Review".into()),
            comments,
            watchers: vec![1],
            ..WatchedObject::new(r, value, touched)
        }
    }

    /// The alert for indicator 8 going from 0 to `comments` comments (Updated), or newly
    /// watched (Added) when `comments` is None.
    fn alert(value: &str, comments: Option<u32>) -> WatchAlert {
        // First run: user 1 baselined, with or without the indicator on the watchlist.
        let first: &[WatchedObject] = match comments {
            None => &[],
            Some(_) => &[watched(value, 0)],
        };
        let state = watch_diff(&WatchlistState::default(), &[1], first, false).state;
        let d = watch_diff(
            &state,
            &[1],
            &[watched(value, comments.unwrap_or(0))],
            false,
        );
        d.alerts.into_iter().next().expect("one alert")
    }

    #[test]
    fn watchlist_added_matches_the_guide() {
        let a = alert("7.8.9.0", None);
        assert_eq!(a.action, Action::Added);
        let m = watchlist_mail(&a, &links());
        assert_eq!(m.subject, "ThreatQ Watchlist: Indicator Added");
        assert_eq!(
            m.text,
            "An item in your ThreatQ watchlist has been updated!\n\nDetails\n\nType: Indicator\nItem: 7.8.9.0\nChanged At: 2021-10-28 20:32:57\nThreatQ Link: https://threatq.hostname.com/indicators/8/details\n"
        );
        assert!(!m.text.contains("What has changed?"));
        assert!(m.html.contains(
            "<a href=\"https://threatq.hostname.com/indicators/8/details\">https://threatq.hostname.com/indicators/8/details</a>"
        ));
        assert!(m.html.contains("<td>7.8.9.0</td>"));
        assert!(m
            .html
            .contains("<title>ThreatQ Watchlist: Indicator Added</title>"));
        assert!(!m.html.contains("{{") && !m.text.contains("{{"));
    }

    #[test]
    fn watchlist_updated_says_what_changed() {
        let m = watchlist_mail(&alert("7.8.9.0", Some(2)), &links());
        assert_eq!(m.subject, "ThreatQ Watchlist: Indicator Updated");
        assert!(
            m.text
                .ends_with("details\n\nWhat has changed? Comment added: 2\n"),
            "{}",
            m.text
        );
        assert!(m
            .html
            .contains("<p><strong>What has changed?</strong> Comment added: 2</p>"));
    }

    #[test]
    fn threatq_values_are_escaped_in_html_and_kept_on_one_line() {
        let m = watchlist_mail(&alert("<script>alert(1)</script>", None), &links());
        assert!(!m.html.contains("<script>"), "{}", m.html);
        assert!(m
            .html
            .contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
        assert!(m.text.contains("Item: <script>alert(1)</script>\n"));
        let m = watchlist_mail(&alert("x\r\nBcc: victim@example.org", None), &links());
        assert!(m.text.contains("Item: x  Bcc: victim@example.org\n"));
        assert!(!m.text.contains("\r"));
    }

    fn item(kind: ObjectKind, id: u64, name: &str) -> CollectionItem {
        CollectionItem {
            object: ObjectRef { kind, id },
            name: name.into(),
            touched_at: Timestamp::parse("2021-10-28 20:32:57").unwrap(),
        }
    }

    fn new_items(items: &[CollectionItem]) -> CollectionDiff {
        let kinds: Vec<ObjectKind> = ObjectKind::ALL.to_vec();
        let base = collection_diff(None, "Watch", &kinds, &[], Frequency::NewOnly, false);
        collection_diff(
            Some(&base.state),
            "Watch",
            &kinds,
            items,
            Frequency::NewOnly,
            false,
        )
    }

    #[test]
    fn collection_mail_matches_the_guide() {
        let d = new_items(&[
            item(ObjectKind::Indicators, 8, "7.8.9.0"),
            item(ObjectKind::Indicators, 9, "1.2.3.4"),
            item(ObjectKind::Indicators, 10, "5.6.7.8"),
        ]);
        let m = collection_mail("Watch", &d, &links());
        assert_eq!(m.subject, "ThreatQ Data Collection Updated: 3 New Items");
        assert_eq!(
            m.text,
            "The following items have been updated in your data collection\n\nData Collection: Watch\n\nIndicators\n  - 7.8.9.0 <https://threatq.hostname.com/indicators/8/details>\n  - 1.2.3.4 <https://threatq.hostname.com/indicators/9/details>\n  - 5.6.7.8 <https://threatq.hostname.com/indicators/10/details>\n"
        );
        assert!(m.html.contains("<h3 style=\"font-size: 15px;\">Indicators</h3>\n<ul>\n<li><a href=\"https://threatq.hostname.com/indicators/8/details\">7.8.9.0</a></li>\n<li><a href=\"https://threatq.hostname.com/indicators/9/details\">1.2.3.4</a></li>\n"), "{}", m.html);
        assert_eq!(m.html.matches("<li>").count(), 3);
    }

    #[test]
    fn collection_groups_by_type_and_marks_updated_items() {
        let mut d = new_items(&[
            item(ObjectKind::Events, 3, "Phish <wave>"),
            item(ObjectKind::Indicators, 8, "7.8.9.0"),
        ]);
        d.updated
            .push(item(ObjectKind::Indicators, 2, "evil.example"));
        let m = collection_mail("A & B", &d, &links());
        assert_eq!(
            m.subject,
            "ThreatQ Data Collection Updated: 2 New and 1 Updated Item"
        );
        let ind = m.text.find("Indicators").unwrap();
        let ev = m.text.find("Events").unwrap();
        assert!(ind < ev, "indicators first: {}", m.text);
        assert!(m.text.contains(
            "  - evil.example (updated) <https://threatq.hostname.com/indicators/2/details>"
        ));
        assert!(m.html.contains("Phish &lt;wave&gt;</a>"));
        assert!(m
            .html
            .contains("<strong>Data Collection:</strong> A &amp; B"));
        assert!(m.html.contains(">evil.example</a> (updated)</li>"));
        assert!(!m.html.contains("{{") && !m.text.contains("{{"));
    }

    #[test]
    fn collection_subjects() {
        assert_eq!(
            collection_subject(3, 0),
            "ThreatQ Data Collection Updated: 3 New Items"
        );
        assert_eq!(
            collection_subject(1, 0),
            "ThreatQ Data Collection Updated: 1 New Item"
        );
        assert_eq!(
            collection_subject(0, 2),
            "ThreatQ Data Collection Updated: 2 Updated Items"
        );
        assert_eq!(
            collection_subject(3, 2),
            "ThreatQ Data Collection Updated: 3 New and 2 Updated Items"
        );
    }
}

#[cfg(test)]
mod docs {
    //! docs/email-alerts.md shows one rendered mail of each kind: they must stay true.
    use super::*;
    use crate::collection::{diff as collection_diff, Frequency};
    use crate::model::{Timestamp, WatchedObject};
    use crate::objects::ObjectRef;
    use crate::watchlist::{diff as watch_diff, WatchlistState};

    const DOC: &str = include_str!("../../docs/email-alerts.md");

    fn links() -> LinkBase {
        LinkBase::parse("threatq.hostname.com").unwrap()
    }

    fn indicator(comments: u32, status: &str, score: f64, sources: &[&str]) -> WatchedObject {
        let r = ObjectRef {
            kind: ObjectKind::Indicators,
            id: 8,
        };
        let touched = Timestamp::parse("2021-10-28 20:32:57").unwrap();
        WatchedObject {
            status: Some(status.into()),
            score: Some(score),
            comments,
            sources: sources.iter().map(|s| s.to_string()).collect(),
            watchers: vec![1],
            ..WatchedObject::new(r, "7.8.9.0", touched)
        }
    }

    /// The three example mails: Added, Updated, and a data collection with 3 new items.
    pub(crate) fn examples() -> [Mail; 3] {
        let empty = watch_diff(&WatchlistState::default(), &[1], &[], false).state;
        let before = indicator(0, "Review", 5.0, &["Feed A"]);
        let added =
            watch_diff(&empty, &[1], std::slice::from_ref(&before), false).alerts[0].clone();
        let base = watch_diff(&WatchlistState::default(), &[1], &[before], false).state;
        let after = indicator(2, "Active", 7.0, &["Feed A", "CrowdStrike"]);
        let updated = watch_diff(&base, &[1], &[after], false).alerts[0].clone();
        let kinds = [ObjectKind::Indicators];
        let first = collection_diff(
            None,
            "High Confidence",
            &kinds,
            &[],
            Frequency::NewOnly,
            false,
        );
        let items: Vec<CollectionItem> = [(8, "7.8.9.0"), (9, "1.2.3.4"), (10, "5.6.7.8")]
            .into_iter()
            .map(|(id, v)| CollectionItem {
                object: ObjectRef {
                    kind: ObjectKind::Indicators,
                    id,
                },
                name: v.into(),
                touched_at: Timestamp::parse("2021-10-28 20:32:57").unwrap(),
            })
            .collect();
        let d = collection_diff(
            Some(&first.state),
            "High Confidence",
            &kinds,
            &items,
            Frequency::NewOnly,
            false,
        );
        [
            watchlist_mail(&added, &links()),
            watchlist_mail(&updated, &links()),
            collection_mail("High Confidence", &d, &links()),
        ]
    }

    #[test]
    fn the_docs_show_the_mails_as_rendered() {
        for m in examples() {
            assert!(
                DOC.contains(&format!("Subject: {}\n", m.subject)),
                "docs lack the subject {:?}",
                m.subject
            );
            assert!(
                DOC.contains(&m.text),
                "docs lack the text part:\n{}",
                m.text
            );
        }
        // The data collection mail's HTML part is shown whole.
        let html = &examples()[2].html;
        assert!(
            DOC.contains(html.as_str()),
            "docs lack the HTML part:\n{html}"
        );
    }
}
