//! What a rule or function works with: the ThreatQ client, the Resilient client (its calls
//! carrying the message's context token), the rules' settings, the per-incident locks, and
//! a way to send interim replies (progress) for the message being handled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tq_common::threatq::ThreatQ;

use crate::batch::UpsertBatcher;
use crate::resilient::Resilient;
use crate::settings::RuleSettings;

/// Serialises the work on one incident within this process (several workers may handle
/// actions of one incident at once: an incident created with artifacts fires Sync Incident
/// and a Sync Indicator per artifact together), so that its ThreatQ event is created once.
#[derive(Debug, Default)]
pub struct IncidentLocks {
    map: Mutex<HashMap<u64, Arc<Mutex<()>>>>,
}

impl IncidentLocks {
    /// Runs `f` holding the lock of incident `id`.
    pub fn with<T>(&self, id: u64, f: impl FnOnce() -> T) -> T {
        let lock = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(id).or_default().clone()
        };
        let out = {
            let _held = lock.lock().unwrap_or_else(|p| p.into_inner());
            f()
        };
        drop(lock);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(&id).is_some_and(|l| Arc::strong_count(l) == 1) {
            map.remove(&id);
        }
        out
    }

    /// How many incidents have a lock held or waited for (for tests).
    pub fn held(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// The working context of one message.
pub struct Ctx<'a> {
    /// ThreatQ.
    pub tq: &'a ThreatQ,
    /// Resilient, its calls carrying the message's `Co3ContextToken`.
    pub soar: Resilient,
    /// `custom_source`, `status`, the custom mappings.
    pub rules: &'a RuleSettings,
    /// Per-incident locks.
    pub locks: &'a IncidentLocks,
    /// Indicator upserts, batched across workers.
    pub batch: &'a UpsertBatcher,
    progress: &'a (dyn Fn(&str) + Sync),
}

impl<'a> Ctx<'a> {
    /// A context; `progress` sends an interim reply for the message.
    pub fn new(
        tq: &'a ThreatQ,
        soar: Resilient,
        rules: &'a RuleSettings,
        locks: &'a IncidentLocks,
        batch: &'a UpsertBatcher,
        progress: &'a (dyn Fn(&str) + Sync),
    ) -> Ctx<'a> {
        Ctx {
            tq,
            soar,
            rules,
            locks,
            batch,
            progress,
        }
    }

    /// Sends an interim reply (`complete: false`) with `text`.
    pub fn progress(&self, text: &str) {
        (self.progress)(text)
    }
}
