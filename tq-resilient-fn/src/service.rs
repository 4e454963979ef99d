//! The `run` command: the fn_threatq message destination served through
//! [`tq_common::service`] (connect, subscribe, reconnect with capped backoff, stop on
//! SIGTERM) with a pool of workers.
//!
//! For each message, in this order:
//!
//! 1. an interim reply (`complete: false`) to its `reply-to`, with its `correlation-id`;
//! 2. the work (the rule named by its `action_id`, or the function named in its body);
//! 3. the message id is recorded as processed (with the outcome) in the index beside the
//!    lock file ([`tq_common::dedup::Index`], the last 10,000);
//! 4. the final reply (`message_type` 0 and the rule's text or the function's results; or
//!    `message_type` 1 and `ERROR:` with what failed), `complete: true`, persistent;
//! 5. the ACK.
//!
//! resilient-circuits acknowledges before its final reply; here the ACK comes last on
//! purpose: a crash (or a broker restart) during the work means the broker redelivers the
//! message, not that it is lost. A redelivered message (same `message-id`) whose work is
//! done is not worked again: it gets its final reply again and is acknowledged. One being
//! worked on when it comes again (after a reconnect) is acknowledged by its worker under
//! the new delivery. A failure still acknowledges, so the destination never jams.
//!
//! Replies and ACKs are written by the service loop's thread only ([`Outgoing`] through the
//! loop's `Acker`), in the order each worker queues them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use tq_common::dedup::Index;
use tq_common::service::{Acker, ConnectionEvent, Context, Handler, Service, Stop};
use tq_common::threatq::ThreatQ;

use crate::batch::UpsertBatcher;
use crate::context::{Ctx, IncidentLocks};
use crate::error::{Error, Result};
use crate::message::{Payload, Reply, Results};
use crate::resilient::Resilient;
use crate::settings::RuleSettings;
use crate::stomp::{Delivery, Outgoing, StompSession};
use crate::{functions, rules};

/// Processed message ids remembered (at least; at most twice as many are held).
pub const KEEP_PROCESSED: usize = 10_000;

/// How long the workers get to finish at a stop (the guide's unit stops after 10 s).
pub const STOP_GRACE: Duration = Duration::from_secs(8);

/// The outcome recorded for a processed message.
const DONE: u64 = 1;
const FAILED: u64 = 2;

/// What a rule message acts on, for the interim reply ("artifact 11 of incident 2095").
fn object_of(a: &crate::message::ActionData) -> String {
    let inc = a.incident.id;
    if let Some(x) = &a.artifact {
        format!("artifact {} of incident {inc}", x.id)
    } else if let Some(n) = &a.note {
        format!("note {} of incident {inc}", n.id)
    } else if let Some(x) = &a.attachment {
        format!("attachment {} of incident {inc}", x.id)
    } else if let Some(t) = &a.task {
        format!("task {} of incident {inc}", t.id)
    } else {
        format!("incident {inc}")
    }
}

/// The processed-id index of a lock file: `<lock without .lock>.processed` beside it.
pub fn index_path(state_file: &Path) -> PathBuf {
    let name = state_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".state.json").unwrap_or(&name);
    state_file.with_file_name(format!("{stem}.processed"))
}

/// Counters for the progress line and the tests.
#[derive(Debug, Default)]
pub struct Stats {
    /// Messages worked on and answered.
    pub handled: AtomicU64,
    /// Of those, answered with an error.
    pub failed: AtomicU64,
    /// Redeliveries of processed messages, answered again without work.
    pub repeated: AtomicU64,
}

struct InFlight {
    /// The ACK of the latest delivery of the message.
    ack: Outgoing,
}

struct Ledger {
    index: Index,
    inflight: HashMap<String, InFlight>,
}

/// What workers share.
pub struct Processor {
    tq: ThreatQ,
    soar: Resilient,
    rules: RuleSettings,
    locks: IncidentLocks,
    batch: UpsertBatcher,
    ledger: Mutex<Ledger>,
    busy: Arc<AtomicUsize>,
    stats: Stats,
}

struct Job {
    delivery: Delivery,
    acks: Acker<Outgoing>,
}

/// The service's [`Handler`]: hands messages to the workers, answers redeliveries of
/// processed ones.
pub struct FnThreatQ {
    proc: Arc<Processor>,
    jobs: Option<mpsc::Sender<Job>>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Processor {
    /// The shared part: clients, settings, the processed-id index (opened at `index`).
    pub fn new(
        tq: ThreatQ,
        soar: Resilient,
        rules: RuleSettings,
        index: &Path,
        busy: Arc<AtomicUsize>,
    ) -> Result<Processor> {
        let index = Index::open(index, KEEP_PROCESSED).map_err(|e| {
            Error::Remote(tq_common::Error::runtime(format!(
                "the processed-message index: {e}"
            )))
        })?;
        Ok(Processor {
            tq,
            soar,
            rules,
            locks: IncidentLocks::default(),
            batch: UpsertBatcher::new(),
            ledger: Mutex::new(Ledger {
                index,
                inflight: HashMap::new(),
            }),
            busy,
            stats: Stats::default(),
        })
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Works on one message and queues its replies and ACK.
    fn process(&self, job: Job) {
        let m = &job.delivery.message;
        let id = m.message_id().to_string();
        let corr = m.correlation_id().unwrap_or("").to_string();
        let reply_to = m.reply_to().map(str::to_string);
        let send = |r: &Reply| {
            if let Some(to) = &reply_to {
                job.acks
                    .ack(Outgoing::send(to, &Reply::headers(&corr), r.to_bytes()));
            }
        };
        let t0 = Instant::now();
        // What the message asks for: the rule (its name looked up by `action_id`) or the
        // function; the interim reply names it.
        enum Work {
            Rule(Box<crate::message::ActionData>, &'static rules::RuleDef),
            Function(
                Box<crate::message::FunctionData>,
                &'static functions::FunctionDef,
            ),
        }
        let work = match Payload::parse(m.header("Co3MessagePayload"), m.body()) {
            Err(e) => Err(("message".to_string(), Error::from(e))),
            Ok(Payload::Action(a)) => match self.rule_of(&a) {
                Ok(rule) => Ok(Work::Rule(a, rule)),
                Err(e) => Err(("rule".to_string(), e)),
            },
            Ok(Payload::Function(f)) => match functions::by_name(&f.function.name) {
                Some(def) => Ok(Work::Function(f, def)),
                None => Err((
                    f.function.name.clone(),
                    Error::action(format!(
                        "the function {} is not one of this integration's ({})",
                        f.function.name,
                        functions::ALL
                            .iter()
                            .map(|d| d.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                )),
            },
        };
        let what = match &work {
            Ok(Work::Rule(a, r)) => format!("{} ({})", r.name, object_of(a)),
            Ok(Work::Function(_, d)) => d.name.to_string(),
            Err((w, _)) => w.clone(),
        };
        send(&Reply::interim(format!(
            "tq-resilient-fn: working on {what}"
        )));
        let progress = |text: &str| send(&Reply::interim(text));
        let cx = Ctx::new(
            &self.tq,
            self.soar.in_context(m.header("Co3ContextToken")),
            &self.rules,
            &self.locks,
            &self.batch,
            &progress,
        );
        let (name, outcome) = match work {
            Err((w, e)) => (w, Err(e)),
            Ok(Work::Rule(a, rule)) => {
                (rule.name.to_string(), (rule.run)(&cx, &a).map(Reply::done))
            }
            Ok(Work::Function(f, def)) => (
                def.name.to_string(),
                (def.run)(&cx, &f).map(|r| Reply::function_result(Results::Plain(r))),
            ),
        };
        let ms = t0.elapsed().as_millis();
        let (reply, code) = match outcome {
            Ok(r) => {
                log::info!("{corr} {name}: done in {ms} ms: {}", r.message);
                (r, DONE)
            }
            Err(e) => {
                let text = e.safe_message();
                log::warn!("{corr} {name}: failed after {ms} ms: {text}");
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                (Reply::error(&text), FAILED)
            }
        };
        if reply_to.is_none() {
            log::warn!("{corr} message {id} has no reply-to: no reply sent");
        }
        self.stats.handled.fetch_add(1, Ordering::Relaxed);
        let mut ledger = lock(&self.ledger);
        let ack = match ledger.inflight.remove(&id) {
            Some(f) => f.ack,
            None => job.delivery.ack(),
        };
        if !id.is_empty() {
            if let Err(e) = ledger.index.record([(id.as_str(), code)]) {
                log::warn!(
                    "message {id}: not recorded as processed ({e}); a redelivery would be \
                     worked again"
                );
            }
        }
        send(&reply);
        job.acks.ack(ack);
        drop(ledger);
        self.busy.fetch_sub(1, Ordering::AcqRel);
    }

    /// The rule of an action message: its name from Resilient by `action_id`, then ours.
    fn rule_of(&self, a: &crate::message::ActionData) -> Result<&'static rules::RuleDef> {
        let id = a.action_id.ok_or_else(|| {
            Error::action(
                "the message names no rule (action_id is null: sent by a workflow, not a rule)",
            )
        })?;
        let name = self
            .soar
            .rule_name(id)?
            .ok_or_else(|| Error::action(format!("Resilient has no rule with id {id}")))?;
        rules::by_name(&name).ok_or_else(|| {
            Error::action(format!(
                "the rule \"{name}\" (id {id}) is not one of this integration's ({})",
                rules::ALL
                    .iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

impl FnThreatQ {
    /// The handler with `workers` worker threads.
    pub fn new(proc: Processor, workers: usize) -> FnThreatQ {
        let proc = Arc::new(proc);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..workers.max(1))
            .map(|i| {
                let rx = rx.clone();
                let p = proc.clone();
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || loop {
                        let job = lock(&rx).recv();
                        match job {
                            Ok(j) => p.process(j),
                            Err(_) => return,
                        }
                    })
                    .expect("spawn a worker thread")
            })
            .collect();
        FnThreatQ {
            proc,
            jobs: Some(tx),
            workers,
        }
    }

    /// The shared part (counters).
    pub fn processor(&self) -> &Arc<Processor> {
        &self.proc
    }

    /// Stops the workers after their current message (the others stay unacknowledged: the
    /// broker redelivers them).
    pub fn shutdown(&mut self) {
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Handler<StompSession> for FnThreatQ {
    fn message(&mut self, d: Delivery, cx: &mut Context<'_, Outgoing>) {
        let id = d.message.message_id().to_string();
        if !id.is_empty() {
            let mut ledger = lock(&self.proc.ledger);
            if let Some(code) = ledger.index.get(&id) {
                drop(ledger);
                self.proc.stats.repeated.fetch_add(1, Ordering::Relaxed);
                let corr = d.message.correlation_id().unwrap_or("");
                log::info!(
                    "{corr} message {id} was processed before (redelivered): answered again, \
                     not worked again"
                );
                let reply = if code == FAILED {
                    Reply::error(&format!(
                        "message {id} was processed before and failed; send the action again"
                    ))
                } else {
                    let mut r = Reply::done(format!(
                        "message {id} was processed before (redelivered); nothing done again"
                    ));
                    if d.message.header("Co3MessagePayload") == Some("FunctionDataDTO") {
                        r.results = Some(Results::Plain(serde_json::json!({
                            "success": true, "redelivered": true
                        })));
                    }
                    r
                };
                if let Some(to) = d.message.reply_to() {
                    cx.acks
                        .ack(Outgoing::send(to, &Reply::headers(corr), reply.to_bytes()));
                }
                cx.acks.ack(d.ack());
                return;
            }
            if let Some(f) = ledger.inflight.get_mut(&id) {
                // Delivered again while a worker has it (after a reconnect): the worker
                // acknowledges this delivery.
                f.ack = d.ack();
                return;
            }
            ledger.inflight.insert(id, InFlight { ack: d.ack() });
        }
        self.proc.busy.fetch_add(1, Ordering::AcqRel);
        let job = Job {
            delivery: d,
            acks: cx.acks.clone(),
        };
        if let Some(tx) = &self.jobs {
            if let Err(mpsc::SendError(job)) = tx.send(job) {
                self.proc.process(job);
            }
        }
    }

    fn connection(&mut self, event: &ConnectionEvent<'_>) {
        if let ConnectionEvent::Lost { .. } = event {
            // Every delivery in flight comes again on the next connection; keep the entries
            // so that the worker acknowledges the new delivery.
            log::debug!(
                "{} message(s) in flight when the connection was lost",
                lock(&self.proc.ledger).inflight.len()
            );
        }
    }

    fn progress(&mut self) -> Option<String> {
        let s = &self.proc.stats;
        let (calls, items) = self.proc.batch.counts();
        Some(format!(
            "{} message(s) handled ({} failed), {} redelivered after processing, {} in flight; \
             {items} indicator upsert(s) in {calls} ThreatQ call(s)",
            s.handled.load(Ordering::Relaxed),
            s.failed.load(Ordering::Relaxed),
            s.repeated.load(Ordering::Relaxed),
            self.proc.busy.load(Ordering::Relaxed),
        ))
    }

    fn stopping(&mut self, deadline: Instant) {
        self.jobs = None;
        while self.proc.busy.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let left = self.proc.busy.load(Ordering::Acquire);
        if left > 0 {
            log::warn!(
                "stopping with {left} message(s) unfinished: not acknowledged, the broker \
                 redelivers them"
            );
        }
    }
}

/// Runs the service until `stop`; see the module docs.
pub fn serve(
    session: &mut StompSession,
    handler: &mut FnThreatQ,
    stop: &Stop,
) -> Result<(), crate::stomp::Error> {
    let mut svc = Service::new("Resilient");
    svc.stop_grace = STOP_GRACE;
    // 1 s doubling to 60 s; the tests' TQ_RETRY_BASE_MS shortens the first wait.
    svc.backoff_initial = tq_common::retry::base_from_env(Duration::from_secs(1));
    let r = svc.run(session, handler, stop);
    handler.shutdown();
    r
}
