//! Indicator upserts of concurrent workers sent to ThreatQ together (design.md §3: "batch
//! wherever the API allows"): a burst of Sync Indicator actions costs one bulk consume per
//! batch, not one request per action.
//!
//! Group commit, with no thread and no added delay: a worker that has an upsert queues it;
//! if no consume is in flight it sends everything queued (up to [`MAX_BATCH`]) itself and
//! hands every other worker its result; otherwise it waits for the one in flight and the
//! next. A lone action goes out at once; while a consume is on its way the next ones gather.
//!
//! A batch ThreatQ refuses as invalid (4xx) is sent again one upsert at a time, so one bad
//! item (an event id that no longer exists) fails alone; a batch that fails otherwise
//! (ThreatQ unreachable after its retries, 5xx) fails every item in it with that error.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use tq_common::threatq::{IndicatorUpsert, ThreatQ};

/// The most upserts one consume carries.
pub const MAX_BATCH: usize = 250;

/// A failure handed to several waiters (the error is rebuilt for each).
#[derive(Debug, Clone)]
struct Failure {
    system: String,
    message: String,
    status: Option<u16>,
}

impl Failure {
    fn of(e: &tq_common::Error) -> Failure {
        match e {
            tq_common::Error::Remote {
                system,
                message,
                status,
                ..
            } => Failure {
                system: system.clone(),
                message: message.clone(),
                status: *status,
            },
            other => Failure {
                system: "ThreatQ".into(),
                message: other.to_string(),
                status: None,
            },
        }
    }

    fn error(&self) -> tq_common::Error {
        tq_common::Error::Remote {
            system: self.system.clone(),
            message: self.message.clone(),
            retry_after: None,
            status: self.status,
        }
    }
}

#[derive(Default)]
struct State {
    queue: Vec<(u64, IndicatorUpsert)>,
    done: HashMap<u64, Result<i64, Failure>>,
    sending: bool,
    next: u64,
    /// Consume calls made, upserts sent (for the progress line and tests).
    calls: u64,
    items: u64,
}

/// The shared upsert queue; see the module docs.
#[derive(Default)]
pub struct UpsertBatcher {
    state: Mutex<State>,
    cv: Condvar,
}

impl UpsertBatcher {
    /// A batcher.
    pub fn new() -> UpsertBatcher {
        UpsertBatcher::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (consume calls, upserts) so far.
    pub fn counts(&self) -> (u64, u64) {
        let s = self.lock();
        (s.calls, s.items)
    }

    /// Upserts `up` (with its links) in the next batch; returns the indicator's id.
    pub fn upsert(&self, tq: &ThreatQ, up: IndicatorUpsert) -> tq_common::Result<i64> {
        let mut s = self.lock();
        let ticket = s.next;
        s.next += 1;
        s.queue.push((ticket, up));
        loop {
            if let Some(r) = s.done.remove(&ticket) {
                return r.map_err(|f| f.error());
            }
            if s.sending {
                s = self.cv.wait(s).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            s.sending = true;
            let n = s.queue.len().min(MAX_BATCH);
            let batch: Vec<(u64, IndicatorUpsert)> = s.queue.drain(..n).collect();
            s.calls += 1;
            s.items += batch.len() as u64;
            drop(s);
            let results = send(tq, &batch);
            s = self.lock();
            s.sending = false;
            s.done.extend(results);
            self.cv.notify_all();
        }
    }
}

/// One consume for `batch`; its results by ticket.
fn send(tq: &ThreatQ, batch: &[(u64, IndicatorUpsert)]) -> Vec<(u64, Result<i64, Failure>)> {
    let ups: Vec<IndicatorUpsert> = batch.iter().map(|(_, u)| u.clone()).collect();
    match tq.consume_indicators(&ups) {
        Ok(done) => batch
            .iter()
            .enumerate()
            .map(|(i, (t, u))| {
                // By value (the answer's order is the request's, but an upsert of a value
                // twice in one batch may be answered once).
                let id = done
                    .get(i)
                    .filter(|c| c.value == u.value)
                    .or_else(|| done.iter().find(|c| c.value == u.value))
                    .map(|c| c.id);
                let r = id.ok_or_else(|| Failure {
                    system: "ThreatQ".into(),
                    message: format!("the upsert of {} answered no indicator", u.value),
                    status: None,
                });
                (*t, r)
            })
            .collect(),
        Err(e) if batch.len() > 1 && e.status().is_some_and(|s| (400..500).contains(&s)) => {
            log::info!(
                "ThreatQ refused a batch of {} upserts ({}); sending them one by one",
                batch.len(),
                e.safe_message()
            );
            batch
                .iter()
                .flat_map(|item| send(tq, std::slice::from_ref(item)))
                .collect()
        }
        Err(e) => {
            let f = Failure::of(&e);
            batch.iter().map(|(t, _)| (*t, Err(f.clone()))).collect()
        }
    }
}
