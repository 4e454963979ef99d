//! Watchlist change detection: which watched objects get a mail this run ("Added" or
//! "Updated"), and the watchlist part of the state file.
//!
//! Rules (issue 10):
//! - an object newly on the watchlist of a listed user is **Added** (also when it changed
//!   too); a watched object whose [`Snapshot`] shows a reportable change is **Updated**;
//! - a user seen for the first time (first run, or newly added to `watchlist_users`) is
//!   baselined: what is on that user's watchlist now is recorded, not mailed;
//! - `--send-existing` mails every object on the listed watchlists as Added (a backfill,
//!   allowed on any run);
//! - an object that left every listed watchlist is forgotten (watched again later: Added).
//!
//! The state moves only past what was delivered: [`diff`] returns the state with the
//! silent updates applied (baselines, snapshots without a reportable change, objects no
//! longer watched), and each [`WatchAlert`] is recorded with [`WatchlistState::record`]
//! once the SMTP server accepted its mail. An alert not recorded is computed again on the
//! next run.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::model::{Timestamp, WatchedObject};
use crate::objects::ObjectRef;
use crate::snapshot::{diff as snapshot_diff, Change, Snapshot};

/// The watchlist part of the state file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchlistState {
    /// ThreatQ ids of the users whose watchlists are baselined.
    #[serde(default)]
    pub users: BTreeSet<u64>,
    /// Every watched object: who watches it, and its snapshot as last mailed or baselined.
    #[serde(default)]
    pub objects: BTreeMap<ObjectRef, WatchEntry>,
}

/// What the state keeps per watched object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchEntry {
    /// The listed users (ThreatQ ids) whose watchlist holds it.
    pub watchers: BTreeSet<u64>,
    /// Counts and values the next change is measured against.
    #[serde(flatten)]
    pub snapshot: Snapshot,
}

/// Why a watchlist mail is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Newly on a listed user's watchlist (or a `--send-existing` backfill).
    Added,
    /// Already watched, and something reportable changed.
    Updated,
}

impl Action {
    /// "Added" / "Updated", as in the subject.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Added => "Added",
            Action::Updated => "Updated",
        }
    }
}

/// One watchlist mail to send.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchAlert {
    /// The object.
    pub object: ObjectRef,
    /// What the mail calls it.
    pub name: String,
    /// Its touched_at ("Changed At").
    pub touched_at: Timestamp,
    /// Added or Updated.
    pub action: Action,
    /// What changed since the last mail (may be empty for Added).
    pub changes: Vec<Change>,
    /// What the state records once the mail was accepted.
    entry: WatchEntry,
}

/// The outcome of one run's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchlistDiff {
    /// The mails to send, in object order.
    pub alerts: Vec<WatchAlert>,
    /// The state with every silent update applied; record each delivered alert into it.
    pub state: WatchlistState,
}

impl WatchAlert {
    /// What the state records for this object once the mail was accepted.
    pub fn entry(&self) -> &WatchEntry {
        &self.entry
    }
}

impl WatchlistState {
    /// Records a delivered alert: its object's snapshot and watchers move forward.
    pub fn record(&mut self, alert: &WatchAlert) {
        self.objects.insert(alert.object, alert.entry.clone());
    }
}

/// Compares what is watched now with the state of the last run.
///
/// `users` are the ThreatQ ids of the listed users whose watchlists were read this run;
/// `objects` what those watchlists hold (an object listed more than once has its watchers
/// merged; watchers outside `users` are ignored).
pub fn diff(
    prev: &WatchlistState,
    users: &[u64],
    objects: &[WatchedObject],
    send_existing: bool,
) -> WatchlistDiff {
    let listed: BTreeSet<u64> = users.iter().copied().collect();
    let known: BTreeSet<u64> = prev.users.intersection(&listed).copied().collect();

    // One entry per object, watchers merged.
    let mut current: BTreeMap<ObjectRef, (&WatchedObject, BTreeSet<u64>)> = BTreeMap::new();
    for o in objects {
        let e = current
            .entry(o.object)
            .or_insert_with(|| (o, BTreeSet::new()));
        e.1.extend(o.watchers.iter().copied().filter(|w| listed.contains(w)));
    }

    let mut state = WatchlistState {
        users: listed,
        objects: BTreeMap::new(),
    };
    let mut alerts = Vec::new();
    for (object, (o, watchers)) in current {
        if watchers.is_empty() {
            continue;
        }
        let entry = WatchEntry {
            watchers,
            snapshot: Snapshot::of(o),
        };
        let before = prev.objects.get(&object);
        let changes = before
            .map(|b| snapshot_diff(&b.snapshot, &entry.snapshot))
            .unwrap_or_default();
        let newly_watched = entry
            .watchers
            .iter()
            .any(|w| known.contains(w) && !before.is_some_and(|b| b.watchers.contains(w)));
        let action = if send_existing || newly_watched {
            Some(Action::Added)
        } else if before.is_some() && !changes.is_empty() {
            Some(Action::Updated)
        } else {
            None
        };
        match action {
            None => {
                state.objects.insert(object, entry);
            }
            Some(action) => {
                // Until delivered, keep the old snapshot; watchers of users baselined now
                // join it so a retry does not turn into "Added" for them.
                if let Some(b) = before {
                    let mut kept = b.clone();
                    kept.watchers.retain(|w| entry.watchers.contains(w));
                    kept.watchers
                        .extend(entry.watchers.iter().filter(|w| !known.contains(w)));
                    state.objects.insert(object, kept);
                }
                alerts.push(WatchAlert {
                    object,
                    name: o.name.clone(),
                    touched_at: o.touched_at,
                    action,
                    changes,
                    entry,
                });
            }
        }
    }
    WatchlistDiff { alerts, state }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::ObjectKind;
    use crate::snapshot::change_line;

    const ALICE: u64 = 11;
    const BOB: u64 = 22;

    fn ind(id: u64, watchers: &[u64]) -> WatchedObject {
        let r = ObjectRef {
            kind: ObjectKind::Indicators,
            id,
        };
        let touched = Timestamp::parse("2021-10-28 20:32:57").unwrap();
        WatchedObject {
            status: Some("Review".into()),
            score: Some(5.0),
            sources: vec!["Feed".into()],
            watchers: watchers.to_vec(),
            ..WatchedObject::new(r, format!("10.0.0.{id}"), touched)
        }
    }

    /// Runs a diff and records every alert (all mails delivered).
    fn deliver(
        prev: &WatchlistState,
        users: &[u64],
        objs: &[WatchedObject],
    ) -> (Vec<WatchAlert>, WatchlistState) {
        let d = diff(prev, users, objs, false);
        let mut s = d.state;
        for a in &d.alerts {
            s.record(a);
        }
        (d.alerts, s)
    }

    #[test]
    fn first_run_baselines_and_sends_nothing() {
        let objs = [ind(1, &[ALICE]), ind(2, &[ALICE])];
        let d = diff(&WatchlistState::default(), &[ALICE], &objs, false);
        assert!(d.alerts.is_empty());
        assert_eq!(d.state.objects.len(), 2);
        assert!(d.state.users.contains(&ALICE));
        // A rerun with no change sends nothing either.
        let again = diff(&d.state, &[ALICE], &objs, false);
        assert!(again.alerts.is_empty());
        assert_eq!(again.state, d.state);
    }

    #[test]
    fn send_existing_backfills_every_watched_object_as_added() {
        let objs = [ind(1, &[ALICE]), ind(2, &[ALICE])];
        let d = diff(&WatchlistState::default(), &[ALICE], &objs, true);
        assert_eq!(d.alerts.len(), 2);
        assert!(d.alerts.iter().all(|a| a.action == Action::Added));
        assert!(
            d.state.objects.is_empty(),
            "nothing recorded before delivery"
        );
    }

    #[test]
    fn newly_watched_is_added_and_a_change_is_updated_once() {
        let (_, s) = deliver(&WatchlistState::default(), &[ALICE], &[ind(1, &[ALICE])]);
        // indicator 2 added to Alice's watchlist; indicator 1 gets two comments
        let mut one = ind(1, &[ALICE]);
        one.comments = 2;
        let (alerts, s) = deliver(&s, &[ALICE], &[one.clone(), ind(2, &[ALICE])]);
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].object.id, 1);
        assert_eq!(alerts[0].action, Action::Updated);
        assert_eq!(change_line(&alerts[0].changes), "Comment added: 2");
        assert_eq!(alerts[1].object.id, 2);
        assert_eq!(alerts[1].action, Action::Added);
        assert!(alerts[1].changes.is_empty());
        // Delivered and recorded: the same input sends nothing again.
        let (alerts, _) = deliver(&s, &[ALICE], &[one, ind(2, &[ALICE])]);
        assert!(alerts.is_empty(), "{alerts:?}");
    }

    #[test]
    fn an_undelivered_alert_comes_back_on_the_next_run() {
        let (_, s) = deliver(&WatchlistState::default(), &[ALICE], &[ind(1, &[ALICE])]);
        let mut one = ind(1, &[ALICE]);
        one.status = Some("Active".into());
        let objs = [one, ind(2, &[ALICE])];
        let failed = diff(&s, &[ALICE], &objs, false); // SMTP down: nothing recorded
        assert_eq!(failed.alerts.len(), 2);
        let retry = diff(&failed.state, &[ALICE], &objs, false);
        assert_eq!(retry.alerts, failed.alerts);
        assert_eq!(
            change_line(&retry.alerts[0].changes),
            "Status changed: Review → Active"
        );
        // Only the first was delivered: the second comes back alone.
        let mut s = retry.state;
        s.record(&retry.alerts[0]);
        let third = diff(&s, &[ALICE], &objs, false);
        assert_eq!(third.alerts.len(), 1);
        assert_eq!(third.alerts[0].object.id, 2);
        assert_eq!(third.alerts[0].action, Action::Added);
    }

    #[test]
    fn newly_watched_and_changed_is_added_with_its_changes() {
        let (_, s) = deliver(
            &WatchlistState::default(),
            &[ALICE, BOB],
            &[ind(1, &[ALICE])],
        );
        let mut one = ind(1, &[ALICE, BOB]);
        one.attributes = 1;
        let (alerts, _) = deliver(&s, &[ALICE, BOB], &[one]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].action, Action::Added);
        assert_eq!(change_line(&alerts[0].changes), "Attribute added: 1");
    }

    #[test]
    fn a_user_added_to_the_config_is_baselined_not_flooded() {
        let (_, s) = deliver(&WatchlistState::default(), &[ALICE], &[ind(1, &[ALICE])]);
        // Bob joins watchlist_users; he already watches 1 and 2.
        let objs = [ind(1, &[ALICE, BOB]), ind(2, &[BOB])];
        let (alerts, s) = deliver(&s, &[ALICE, BOB], &objs);
        assert!(alerts.is_empty(), "{alerts:?}");
        // Next run Bob watches 3: that one is Added.
        let objs = [ind(1, &[ALICE, BOB]), ind(2, &[BOB]), ind(3, &[BOB])];
        let (alerts, _) = deliver(&s, &[ALICE, BOB], &objs);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].object.id, 3);
        assert_eq!(alerts[0].action, Action::Added);
    }

    #[test]
    fn an_object_listed_twice_is_one_alert_and_unlisted_watchers_do_not_count() {
        let (_, s) = deliver(&WatchlistState::default(), &[ALICE, BOB], &[]);
        let objs = [ind(5, &[ALICE]), ind(5, &[BOB]), ind(6, &[99])];
        let (alerts, s) = deliver(&s, &[ALICE, BOB], &objs);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].object.id, 5);
        assert_eq!(
            s.objects[&alerts[0].object].watchers,
            BTreeSet::from([ALICE, BOB])
        );
        assert!(!s.objects.keys().any(|k| k.id == 6));
    }

    #[test]
    fn unwatched_objects_are_forgotten_and_readded_later() {
        let (_, s) = deliver(&WatchlistState::default(), &[ALICE], &[ind(1, &[ALICE])]);
        let (alerts, s) = deliver(&s, &[ALICE], &[]);
        assert!(alerts.is_empty());
        assert!(s.objects.is_empty());
        let (alerts, _) = deliver(&s, &[ALICE], &[ind(1, &[ALICE])]);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].action, Action::Added);
    }

    #[test]
    fn a_touch_without_a_reportable_change_sends_nothing_but_moves_the_baseline() {
        let mut one = ind(1, &[ALICE]);
        one.comments = 3;
        let (_, s) = deliver(&WatchlistState::default(), &[ALICE], &[one.clone()]);
        one.comments = 1; // two deleted
        one.touched_at = Timestamp::parse("2021-11-01 00:00:00").unwrap();
        let (alerts, s) = deliver(&s, &[ALICE], &[one.clone()]);
        assert!(alerts.is_empty());
        one.comments = 2; // one added after the deletions
        let (alerts, _) = deliver(&s, &[ALICE], &[one]);
        assert_eq!(change_line(&alerts[0].changes), "Comment added: 1");
    }

    #[test]
    fn state_round_trips_through_json() {
        let (_, s) = deliver(&WatchlistState::default(), &[ALICE], &[ind(1, &[ALICE])]);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"indicators/1\""), "{json}");
        let back: WatchlistState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }
}
