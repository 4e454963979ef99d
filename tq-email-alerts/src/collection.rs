//! Data collection change detection: which items of the named collection are new (or
//! updated, per `notification_frequency`) since the last run, and the collection part of
//! the state file.
//!
//! - **New**: an item of a type that was not in the collection at the last run (the state
//!   keeps, per type, the ids the collection held then; an item that left the collection
//!   and matches it again is new again).
//! - **Updated** (`new_or_updated` only): a seen item whose `touched_at` moved past the
//!   type's watermark (the newest `touched_at` of the last run; items touched in that very
//!   second count when their id was not among those recorded at it).
//! - A type with no watermark yet (first run, a type newly added to
//!   `data_collection_objects`, or another collection name) is baselined: its items are
//!   recorded, not mailed, unless `--send-existing` asks for the backfill (every current
//!   item as new).
//!
//! One mail per run covers all of it, so [`diff`]'s state is saved after the SMTP server
//! accepted the mail (or at once when there is nothing to send).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{CollectionItem, Timestamp};
use crate::objects::{ObjectKind, ObjectRef};

/// `notification_frequency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// `new_only`: items new to the collection.
    NewOnly,
    /// `new_or_updated`: also items whose touched_at moved (context added).
    NewOrUpdated,
}

impl Frequency {
    /// From the option's value (`new_only` | `new_or_updated`).
    pub fn parse(s: &str) -> Option<Frequency> {
        match s.trim().to_ascii_lowercase().as_str() {
            "new_only" => Some(Frequency::NewOnly),
            "new_or_updated" => Some(Frequency::NewOrUpdated),
            _ => None,
        }
    }
}

/// The data collection part of the state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionState {
    /// The collection the marks belong to; another name starts over with a baseline.
    #[serde(default)]
    pub name: String,
    /// Per selected type: how far its items were seen.
    #[serde(default)]
    pub types: BTreeMap<ObjectKind, TypeMark>,
}

/// How far the items of one type were seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeMark {
    /// The newest touched_at seen (None: the type had no items yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<Timestamp>,
    /// The ids seen with exactly that touched_at.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub at_watermark: BTreeSet<u64>,
    /// The ids of this type the collection held.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub ids: BTreeSet<u64>,
}

/// The outcome of one run's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionDiff {
    /// Items new to the collection, in the order the collection returned them.
    pub new: Vec<CollectionItem>,
    /// Items updated since the last run (always empty with `new_only`).
    pub updated: Vec<CollectionItem>,
    /// The state to save once the mail was accepted (or at once when nothing is sent).
    pub state: CollectionState,
}

impl CollectionDiff {
    /// True when there is something to mail.
    pub fn has_items(&self) -> bool {
        !self.new.is_empty() || !self.updated.is_empty()
    }
}

/// Compares the collection's current items with the state of the last run.
///
/// `selected` are the types of `data_collection_objects` that were read (items of other
/// types are ignored, and only the selected types are kept in the state).
pub fn diff(
    prev: Option<&CollectionState>,
    name: &str,
    selected: &[ObjectKind],
    items: &[CollectionItem],
    frequency: Frequency,
    send_existing: bool,
) -> CollectionDiff {
    let prev_types = prev
        .filter(|p| p.name == name)
        .map(|p| &p.types)
        .cloned()
        .unwrap_or_default();
    let selected: BTreeSet<ObjectKind> = selected.iter().copied().collect();
    let mut out = CollectionDiff {
        new: Vec::new(),
        updated: Vec::new(),
        state: CollectionState {
            name: name.to_string(),
            types: BTreeMap::new(),
        },
    };
    for kind in &selected {
        // The watermark carries over; the ids are those of this run.
        let mark = prev_types.get(kind).map(|m| TypeMark {
            ids: BTreeSet::new(),
            ..m.clone()
        });
        out.state.types.insert(*kind, mark.unwrap_or_default());
    }

    let mut done: BTreeSet<ObjectRef> = BTreeSet::new();
    for item in items {
        let kind = item.object.kind;
        if !selected.contains(&kind) || !done.insert(item.object) {
            continue;
        }
        match prev_types.get(&kind) {
            _ if send_existing => out.new.push(item.clone()),
            None => {} // baseline
            Some(mark) if !mark.ids.contains(&item.object.id) => out.new.push(item.clone()),
            Some(mark) => {
                let moved = match mark.watermark {
                    None => true,
                    Some(wm) => {
                        item.touched_at > wm
                            || (item.touched_at == wm
                                && !mark.at_watermark.contains(&item.object.id))
                    }
                };
                if moved && frequency == Frequency::NewOrUpdated {
                    out.updated.push(item.clone());
                }
            }
        }
        let mark = out.state.types.entry(kind).or_default();
        mark.ids.insert(item.object.id);
        advance(mark, item);
    }
    out
}

/// Moves a type's watermark to include `item`.
fn advance(mark: &mut TypeMark, item: &CollectionItem) {
    match mark.watermark {
        Some(wm) if item.touched_at < wm => {}
        Some(wm) if item.touched_at == wm => {
            mark.at_watermark.insert(item.object.id);
        }
        _ => {
            mark.watermark = Some(item.touched_at);
            mark.at_watermark = BTreeSet::from([item.object.id]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "High Confidence";

    fn item(kind: ObjectKind, id: u64, touched: &str) -> CollectionItem {
        CollectionItem {
            object: ObjectRef { kind, id },
            name: format!("{kind}-{id}"),
            touched_at: Timestamp::parse(touched).unwrap(),
        }
    }

    fn ind(id: u64, touched: &str) -> CollectionItem {
        item(ObjectKind::Indicators, id, touched)
    }

    /// A collection's state across runs, every mail delivered.
    struct Runs {
        state: Option<CollectionState>,
    }

    impl Runs {
        fn new() -> Runs {
            Runs { state: None }
        }

        /// The diff of this run, not saved (as when the mail was not accepted).
        fn peek(
            &self,
            selected: &[ObjectKind],
            items: &[CollectionItem],
            f: Frequency,
            send_existing: bool,
        ) -> CollectionDiff {
            diff(self.state.as_ref(), NAME, selected, items, f, send_existing)
        }

        /// The diff of this run, saved (the mail was accepted).
        fn run(
            &mut self,
            selected: &[ObjectKind],
            items: &[CollectionItem],
            f: Frequency,
            send_existing: bool,
        ) -> CollectionDiff {
            let d = self.peek(selected, items, f, send_existing);
            self.state = Some(d.state.clone());
            d
        }

        /// Indicators only, `new_only`, no backfill.
        fn indicators(&mut self, items: &[CollectionItem]) -> CollectionDiff {
            self.run(IND, items, Frequency::NewOnly, false)
        }
    }

    fn ids(items: &[CollectionItem]) -> Vec<u64> {
        items.iter().map(|i| i.object.id).collect()
    }

    const IND: &[ObjectKind] = &[ObjectKind::Indicators];

    #[test]
    fn first_run_baselines_then_three_new_items_are_new() {
        let mut r = Runs::new();
        let base = [ind(1, "2024-01-01 00:00:00"), ind(2, "2024-01-01 00:00:05")];
        let d = r.run(IND, &base, Frequency::NewOnly, false);
        assert!(!d.has_items());
        assert_eq!(d.state.types[&ObjectKind::Indicators].ids.len(), 2);
        let mut now = base.to_vec();
        now.extend([
            ind(3, "2024-01-02 00:00:00"),
            ind(4, "2024-01-02 00:00:00"),
            ind(5, "2023-12-01 00:00:00"), // old item, newly matching the search
        ]);
        let d = r.run(IND, &now, Frequency::NewOnly, false);
        assert_eq!(ids(&d.new), vec![3, 4, 5]);
        assert!(d.updated.is_empty());
        // Rerun with no change sends nothing.
        let d = r.run(IND, &now, Frequency::NewOnly, false);
        assert!(!d.has_items(), "{d:?}");
    }

    #[test]
    fn new_only_ignores_updates_new_or_updated_includes_them() {
        for (f, expect_updated) in [
            (Frequency::NewOnly, vec![]),
            (Frequency::NewOrUpdated, vec![1]),
        ] {
            let mut r = Runs::new();
            r.run(
                IND,
                &[ind(1, "2024-01-01 00:00:00"), ind(2, "2024-01-01 00:00:00")],
                f,
                false,
            );
            let now = [
                ind(1, "2024-01-03 00:00:00"), // context added
                ind(2, "2024-01-01 00:00:00"),
                ind(7, "2024-01-03 00:00:00"),
            ];
            let d = r.run(IND, &now, f, false);
            assert_eq!(ids(&d.new), vec![7], "{f:?}");
            assert_eq!(ids(&d.updated), expect_updated, "{f:?}");
            let d = r.run(IND, &now, f, false);
            assert!(!d.has_items(), "{f:?}: {d:?}");
        }
    }

    #[test]
    fn a_touch_in_the_watermark_second_is_not_lost() {
        let mut r = Runs::new();
        r.run(
            IND,
            &[ind(1, "2024-01-01 00:00:00"), ind(2, "2024-01-01 10:00:00")],
            Frequency::NewOrUpdated,
            false,
        );
        // Item 1 is touched in the same second as the last run's newest item.
        let d = r.run(
            IND,
            &[ind(1, "2024-01-01 10:00:00"), ind(2, "2024-01-01 10:00:00")],
            Frequency::NewOrUpdated,
            false,
        );
        assert_eq!(ids(&d.updated), vec![1]);
        let d = r.run(
            IND,
            &[ind(1, "2024-01-01 10:00:00"), ind(2, "2024-01-01 10:00:00")],
            Frequency::NewOrUpdated,
            false,
        );
        assert!(!d.has_items());
    }

    #[test]
    fn objects_filter_by_type_and_a_type_added_later_is_baselined() {
        let mut r = Runs::new();
        let adv = |id| item(ObjectKind::Adversaries, id, "2024-01-01 00:00:00");
        let d = r.run(
            IND,
            &[ind(1, "2024-01-01 00:00:00"), adv(1)],
            Frequency::NewOnly,
            false,
        );
        assert!(!d.has_items());
        assert_eq!(
            d.state.types.keys().copied().collect::<Vec<_>>(),
            vec![ObjectKind::Indicators],
            "only the selected types are kept"
        );
        // A new adversary while only indicators are selected: nothing.
        let d = r.run(
            IND,
            &[ind(1, "2024-01-01 00:00:00"), adv(1), adv(2)],
            Frequency::NewOnly,
            false,
        );
        assert!(!d.has_items());
        // Adversaries added to data_collection_objects: baselined, not flooded.
        let both = [ObjectKind::Indicators, ObjectKind::Adversaries];
        let d = r.run(
            &both,
            &[ind(1, "2024-01-01 00:00:00"), adv(1), adv(2)],
            Frequency::NewOnly,
            false,
        );
        assert!(!d.has_items(), "{d:?}");
        // Then a new adversary and a new indicator are both reported.
        let d = r.run(
            &both,
            &[
                ind(1, "2024-01-01 00:00:00"),
                ind(9, "2024-02-01 00:00:00"),
                adv(1),
                adv(2),
                adv(3),
            ],
            Frequency::NewOnly,
            false,
        );
        assert_eq!(
            d.new
                .iter()
                .map(|i| i.object.to_string())
                .collect::<Vec<_>>(),
            vec!["indicators/9", "adversaries/3"]
        );
    }

    #[test]
    fn send_existing_backfills_and_another_collection_starts_over() {
        let mut r = Runs::new();
        let items = [ind(1, "2024-01-01 00:00:00"), ind(2, "2024-01-01 00:00:00")];
        let d = r.run(IND, &items, Frequency::NewOnly, true);
        assert_eq!(ids(&d.new), vec![1, 2]);
        // Allowed on a later run too.
        let d = r.run(IND, &items, Frequency::NewOnly, true);
        assert_eq!(ids(&d.new), vec![1, 2]);
        // Another collection name: baseline again.
        let prev = r.state.clone();
        let d = diff(
            prev.as_ref(),
            "Other",
            IND,
            &[ind(5, "2024-03-01 00:00:00")],
            Frequency::NewOnly,
            false,
        );
        assert!(!d.has_items());
        assert_eq!(d.state.name, "Other");
    }

    #[test]
    fn an_item_that_left_the_collection_and_matches_again_is_new_again() {
        let mut r = Runs::new();
        r.indicators(&[ind(1, "2024-01-01 00:00:00"), ind(2, "2024-01-01 00:00:00")]);
        let d = r.indicators(&[ind(1, "2024-01-01 00:00:00")]);
        assert!(!d.has_items(), "leaving is not reported");
        let d = r.indicators(&[ind(1, "2024-01-01 00:00:00"), ind(2, "2024-01-01 00:00:00")]);
        assert_eq!(ids(&d.new), vec![2]);
    }

    #[test]
    fn an_undelivered_mail_is_computed_again() {
        let mut r = Runs::new();
        r.indicators(&[ind(1, "2024-01-01 00:00:00")]);
        let now = [ind(1, "2024-01-01 00:00:00"), ind(2, "2024-01-02 00:00:00")];
        let failed = r.peek(IND, &now, Frequency::NewOnly, false);
        assert_eq!(ids(&failed.new), vec![2]);
        // Not saved (SMTP refused): the next run reports the same item.
        let d = r.indicators(&now);
        assert_eq!(ids(&d.new), vec![2]);
    }

    #[test]
    fn duplicates_from_overlapping_pages_count_once() {
        let mut r = Runs::new();
        r.indicators(&[]);
        let d = r.indicators(&[ind(4, "2024-01-01 00:00:00"), ind(4, "2024-01-01 00:00:00")]);
        assert_eq!(ids(&d.new), vec![4]);
        assert_eq!(
            d.state.types[&ObjectKind::Indicators].ids,
            BTreeSet::from([4])
        );
    }

    #[test]
    fn state_round_trips_through_json() {
        let mut r = Runs::new();
        r.indicators(&[ind(1, "2024-01-01 00:00:00")]);
        let s = r.state.clone().unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"name":"High Confidence","types":{"indicators":{"watermark":"2024-01-01 00:00:00","at_watermark":[1],"ids":[1]}}}"#
        );
        assert_eq!(serde_json::from_str::<CollectionState>(&json).unwrap(), s);
        assert_eq!(
            Frequency::parse("New_Or_Updated"),
            Some(Frequency::NewOrUpdated)
        );
        assert_eq!(Frequency::parse("sometimes"), None);
    }
}
