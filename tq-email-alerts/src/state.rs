//! What the connector remembers between runs, and how a delivered mail is never lost from
//! it.
//!
//! - The state file (`<instance>.state.json`, `tq_common::state`): the watchlist part
//!   ([`WatchlistState`]: the users baselined, per watched object its watchers and the
//!   few counts and values the change line needs) and the data collection part
//!   ([`CollectionState`]: per type the watermark and the ids the collection held).
//! - The delivery journal (`<instance>.sent/`, `tq_common::journal`): right after the SMTP
//!   server accepted a mail (250 to the end of DATA), what the mail covers is appended
//!   there in one write ([`Delivered`]), before the next mail goes out. The state file is
//!   written once at the end of the run, then the journal is emptied ([`Ledger::settle`]).
//!   A run killed in between (kill -9, OOM) leaves the journal: the next run applies it to
//!   the state first ([`Ledger::recover`]), so a mail the server accepted is not sent again.
//!
//! What remains: a kill between the server's 250 and the journal write (microseconds) sends
//! that one mail again on the next run; a power loss may lose journal lines the kernel had
//! not written yet, with the same effect. At most a duplicate, never a lost alert.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tq_common::journal::Journal;
use tq_common::{Error, Result};

use crate::collection::CollectionState;
use crate::objects::ObjectRef;
use crate::watchlist::{WatchAlert, WatchEntry, WatchlistState};

/// The format version of the state file.
pub const STATE_VERSION: u32 = 1;

/// The journal holds at most this many bytes of deliveries not yet folded into the state
/// (far more than a run writes: a watchlist record is ~200 bytes).
const JOURNAL_BYTES: u64 = 256 * 1024 * 1024;

/// The state file's data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The watchlist part (empty while `enable_watchlist` is false).
    #[serde(default)]
    pub watchlist: WatchlistState,
    /// The data collection part (`None` while `enable_data_collection` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionState>,
}

/// What one accepted mail moves forward in the state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mail", rename_all = "snake_case")]
pub enum Delivered {
    /// A watchlist mail: the object's entry as the mail reported it.
    Watchlist {
        /// The object.
        object: ObjectRef,
        /// Its watchers and snapshot.
        entry: WatchEntry,
    },
    /// The data collection mail: the collection's marks after it.
    Collection {
        /// The collection part of the state.
        state: CollectionState,
    },
}

impl Delivered {
    /// The record of a delivered watchlist alert.
    pub fn watchlist(alert: &WatchAlert) -> Delivered {
        Delivered::Watchlist {
            object: alert.object,
            entry: alert.entry().clone(),
        }
    }

    /// Moves `state` past this delivery (applying it twice changes nothing more).
    pub fn apply(&self, state: &mut State) {
        match self {
            Delivered::Watchlist { object, entry } => {
                state.watchlist.objects.insert(*object, entry.clone());
            }
            Delivered::Collection { state: c } => state.collection = Some(c.clone()),
        }
    }
}

/// The delivery journal of one instance.
pub struct Ledger {
    journal: Journal<Delivered>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("dir", &self.journal.dir())
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// The journal directory of an instance: `<config dir>/<instance>.sent`.
    pub fn dir(config_dir: &Path, instance: &str) -> PathBuf {
        config_dir.join(format!("{instance}.sent"))
    }

    /// Opens (or creates) the journal in `dir`.
    pub fn open(dir: &Path) -> Result<Ledger> {
        let journal = Journal::open(dir, JOURNAL_BYTES)
            .map_err(|e| Error::runtime(format!("delivery journal: {e}")))?;
        Ok(Ledger { journal })
    }

    /// Applies to `state` the deliveries an interrupted run recorded after its last state
    /// write; returns how many. The caller saves the state, then [`Ledger::settle`]s.
    pub fn recover(&self, state: &mut State) -> Result<usize> {
        let batch = self.read_all()?;
        if batch.unreadable > 0 {
            log::warn!(
                "{}: {} unreadable line(s) skipped",
                self.journal.dir().display(),
                batch.unreadable
            );
        }
        for d in &batch.items {
            d.apply(state);
        }
        Ok(batch.items.len())
    }

    /// Records a delivery (one write; survives the process being killed).
    pub fn record(&self, delivered: &Delivered) -> Result<()> {
        match self.journal.append(delivered) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::runtime(format!(
                "delivery journal {} is full",
                self.journal.dir().display()
            ))),
            Err(e) => Err(Error::runtime(format!("delivery journal: {e}"))),
        }
    }

    /// Empties the journal once the state file holds everything in it.
    pub fn settle(&self) -> Result<()> {
        let batch = self.read_all()?;
        if batch.is_empty() {
            return Ok(());
        }
        self.journal
            .ack(batch.end, batch.len())
            .map_err(|e| Error::runtime(format!("delivery journal: {e}")))
    }

    fn read_all(&self) -> Result<tq_common::journal::Batch<Delivered>> {
        self.journal
            .read_batch(usize::MAX)
            .map_err(|e| Error::runtime(format!("delivery journal: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::{diff as collection_diff, Frequency};
    use crate::model::{CollectionItem, Timestamp, WatchedObject};
    use crate::objects::ObjectKind;
    use crate::watchlist::diff as watch_diff;

    fn watched(id: u64, comments: u32) -> WatchedObject {
        let r = ObjectRef {
            kind: ObjectKind::Indicators,
            id,
        };
        let t = Timestamp::parse("2024-01-01 00:00:00").unwrap();
        WatchedObject {
            comments,
            watchers: vec![7],
            ..WatchedObject::new(r, format!("10.0.0.{id}"), t)
        }
    }

    #[test]
    fn recorded_deliveries_survive_until_settled_and_apply_once() {
        let dir = tempfile::tempdir().unwrap();
        let jdir = Ledger::dir(dir.path(), "tq-email-alerts");
        let base = watch_diff(&WatchlistState::default(), &[7], &[watched(1, 0)], false);
        let mut state = State {
            watchlist: base.state,
            collection: None,
        };
        let d = watch_diff(
            &state.watchlist,
            &[7],
            &[watched(1, 2), watched(2, 0)],
            false,
        );
        assert_eq!(d.alerts.len(), 2);
        let items = [CollectionItem {
            object: ObjectRef {
                kind: ObjectKind::Indicators,
                id: 9,
            },
            name: "x".into(),
            touched_at: Timestamp::parse("2024-01-01 00:00:00").unwrap(),
        }];
        let c = collection_diff(
            None,
            "C",
            &[ObjectKind::Indicators],
            &items,
            Frequency::NewOnly,
            true,
        );
        {
            // A run that was killed after two mails were accepted.
            let ledger = Ledger::open(&jdir).unwrap();
            ledger.record(&Delivered::watchlist(&d.alerts[0])).unwrap();
            ledger
                .record(&Delivered::Collection {
                    state: c.state.clone(),
                })
                .unwrap();
        }
        let ledger = Ledger::open(&jdir).unwrap();
        assert_eq!(ledger.recover(&mut state).unwrap(), 2);
        let again = watch_diff(
            &state.watchlist,
            &[7],
            &[watched(1, 2), watched(2, 0)],
            false,
        );
        assert_eq!(again.alerts.len(), 1, "the delivered one is not sent again");
        assert_eq!(again.alerts[0].object.id, 2);
        assert_eq!(state.collection.as_ref(), Some(&c.state));
        // Recovering twice (the state write happened, the settle did not) changes nothing.
        let once = state.clone();
        assert_eq!(Ledger::open(&jdir).unwrap().recover(&mut state).unwrap(), 2);
        assert_eq!(state, once);
        ledger.settle().unwrap();
        assert_eq!(Ledger::open(&jdir).unwrap().recover(&mut state).unwrap(), 0);
    }

    #[test]
    fn the_state_round_trips_and_an_empty_one_reads() {
        let s: State = serde_json::from_str("{}").unwrap();
        assert_eq!(s, State::default());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"watchlist":{"users":[],"objects":{}}}"#);
    }
}
