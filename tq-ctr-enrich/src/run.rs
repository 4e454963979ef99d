//! One enrichment run: read the saved search, select the changed indicators, enrich them
//! in CTR batches, write attributes and status back in bulk, read the collection back and
//! save the state (docs/ctr-enrich.md).
//!
//! Crash safety: the state is saved only after the work it covers is in ThreatQ: after
//! every bulk write (without a read-back: the indicators just written are left unsettled,
//! so a SIGKILL before the run's end sends them again, and the duplicate check keeps that
//! harmless) and at the end of the run from a read-back of the collection (exact: our own
//! writes are settled, changes made by others meanwhile stay pending). A CTR failure in
//! the middle (429 with a long `Retry-After`, retries exhausted, a refused token) stops the
//! enrich loop cleanly: what is enriched is written, the state is saved with the rest still
//! pending, and the run exits 1.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use tq_common::app::Context;
use tq_common::http::{Http, HttpSettings};
use tq_common::threatq::collections::SearchHints;
use tq_common::threatq::lookups::Lookup;
use tq_common::threatq::{
    Attribute, AttributeWrite, Collection, Indicator, IndicatorUpsert, NameRef, ObjRef,
    SourceWrite, ThreatQ, BULK_BATCH,
};
use tq_common::{Error, Result};

use crate::attributes::{self, SOURCE};
use crate::ctim::{ModuleContext, ObserveAnswer};
use crate::ctr::{CtrClient, CtrSettings, Observable, SYSTEM as CTR};
use crate::observable_types::{observable_type, observable_value};
use crate::selection::{next_state, snapshot, Since, Snapshot, State};

/// Rows asked per collection page (the server may send fewer; cursor paging copes).
pub const COLLECTION_PAGE: usize = 1000;

/// What to tell the operator when `saved_search` names no saved search, or several.
pub const SAVED_SEARCH_HINTS: SearchHints<'static> = SearchHints {
    option: "saved_search",
    not_found: "check saved_search, or give the collection hash as saved_search_hash",
    several: "set saved_search_hash to the one to use",
};

/// Enrich calls in flight at once. IROH asks every enabled module for each call, so a
/// call takes seconds on a real tenant; two in flight halve the wall time and leave the
/// request count (the rate-limit budget) unchanged.
pub const CTR_PARALLEL: usize = 2;

/// Seconds between progress lines at `-v 2`.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The saved search to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedSearch {
    /// The data collection hash (`saved_search_hash`).
    Hash(String),
    /// The saved search name, looked up in ThreatQ (`saved_search`).
    Name(String),
}

impl std::fmt::Display for SavedSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SavedSearch::Hash(h) => write!(f, "collection {h}"),
            SavedSearch::Name(n) => write!(f, "\"{n}\""),
        }
    }
}

/// What a run needs from the config and the flags.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The saved search.
    pub search: SavedSearch,
    /// Observables per enrich call.
    pub batch_size: usize,
    /// The status set on enriched indicators (`[threatq] status`).
    pub status: String,
    /// CTR connection.
    pub ctr: CtrSettings,
    /// Which indicators to send.
    pub since: Since,
}

/// The HTTP client for CTR: the process's CA file and proxy, TLS always verified (the
/// `[threatq] verify_tls` switch is for a self-signed appliance, not for Cisco's cloud),
/// and at least 120 s per call (IROH fans each call out to every module).
pub fn ctr_http(ctx: &Context) -> Result<Http> {
    let tq = ctx.http.settings();
    Http::new(HttpSettings {
        ca_file: tq.ca_file.clone(),
        verify_tls: true,
        proxy: tq.proxy.clone(),
        timeout: tq.timeout.max(Duration::from_secs(120)),
        ..HttpSettings::default()
    })
}

/// One indicator of the collection as read.
#[derive(Debug, Clone)]
struct Row {
    ind: Indicator,
    type_name: String,
    /// The row embedded `attributes` (else they are fetched before writing).
    has_attributes: bool,
    snap: Snapshot,
}

/// Reads every page of the collection; types given only by id are named by lookup.
fn read_collection(tq: &ThreatQ, hash: &str) -> Result<(Vec<Row>, usize)> {
    let mut rows = Vec::new();
    let pages = read_pages(tq, hash, |raw| {
        let has_attributes = raw.get("attributes").is_some_and(Value::is_array);
        let ind = match Indicator::deserialize(&raw) {
            Ok(i) => i,
            Err(e) => {
                log::warn!(
                    "skipping an unreadable row of the saved search ({e}): {}",
                    excerpt(&raw)
                );
                return Ok(());
            }
        };
        let type_name = match (&ind.type_name, ind.type_id) {
            (Some(n), _) => n.clone(),
            (None, Some(id)) => tq.lookup_name(Lookup::IndicatorType, id)?,
            (None, None) => String::new(),
        };
        let snap = snapshot(&raw);
        rows.push(Row {
            ind,
            type_name,
            has_attributes,
            snap,
        });
        Ok(())
    })?;
    Ok((rows, pages))
}

/// Reads the collection again for the state: only ids and snapshots.
fn read_snapshots(tq: &ThreatQ, hash: &str) -> Result<BTreeMap<i64, Snapshot>> {
    let mut out = BTreeMap::new();
    read_pages(tq, hash, |raw| {
        if let Some(id) = raw.get("id").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        }) {
            out.insert(id, snapshot(&raw));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Every row of every page of the collection, handed to `each`; returns the page count.
fn read_pages(
    tq: &ThreatQ,
    hash: &str,
    mut each: impl FnMut(Value) -> Result<()>,
) -> Result<usize> {
    let mut pager = tq.collection(Collection::Indicators, hash, COLLECTION_PAGE);
    let mut pages = 0;
    let mut seen = 0;
    while let Some(page) = pager.next_page()? {
        pages += 1;
        seen += page.len();
        for raw in page {
            each(raw)?;
        }
        if pages % 20 == 0 {
            tq_common::logging::progress("indicators read", seen, pager.total().unwrap_or(seen));
        }
    }
    Ok(pages)
}

fn excerpt(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(200).collect()
}

/// Counters for the summary.
#[derive(Debug, Default)]
struct Counts {
    read: usize,
    selected: usize,
    skipped_by_type: BTreeMap<String, usize>,
    empty_values: usize,
    observables: usize,
    sent: usize,
    enrich_calls: usize,
    enriched: usize,
    no_context: usize,
    attributes_written: usize,
    attributes_present: usize,
    status_set: usize,
    indicators_written: usize,
    consume_calls: usize,
}

/// What a run has done so far.
struct Progress {
    /// Indicators done without a write (no context, unsupported type, nothing new).
    done: BTreeSet<i64>,
    /// Indicators written (confirmed by ThreatQ).
    written: BTreeSet<i64>,
    c: Counts,
}

/// One bulk consume for the writer thread.
struct Job {
    items: Vec<IndicatorUpsert>,
    ids: BTreeSet<i64>,
    attributes: usize,
    statuses: usize,
}

/// One indicator's pending write.
struct Write {
    row: usize,
    attributes: Vec<AttributeWrite>,
    status_changes: bool,
}

/// The run.
pub struct Run<'a> {
    ctx: &'a Context,
    tq: ThreatQ,
    ctr: CtrClient,
    settings: Settings,
}

impl<'a> Run<'a> {
    /// A run over the context's ThreatQ and a CTR client.
    pub fn new(ctx: &'a Context, settings: Settings) -> Result<Run<'a>> {
        if settings
            .ctr
            .base_url
            .to_ascii_lowercase()
            .starts_with("http://")
        {
            log::warn!(
                "[connector] api_url {} is plain HTTP: the CTR client credentials and tokens \
                 cross the network unencrypted",
                settings.ctr.base_url
            );
        }
        let ctr = CtrClient::new(settings.ctr.clone(), ctr_http(ctx)?);
        Ok(Run {
            ctx,
            tq: ctx.threatq(),
            ctr,
            settings,
        })
    }

    /// The saved search's collection hash.
    pub fn resolve_hash(&self) -> Result<String> {
        match &self.settings.search {
            SavedSearch::Hash(h) => Ok(h.clone()),
            SavedSearch::Name(n) => self.tq.saved_search_hash(n, &SAVED_SEARCH_HINTS),
        }
    }

    /// The ThreatQ client.
    pub fn threatq(&self) -> &ThreatQ {
        &self.tq
    }

    /// The CTR client.
    pub fn ctr(&self) -> &CtrClient {
        &self.ctr
    }

    fn save(&self, state: &State, hash: &str) -> Result<()> {
        let mut s = state.clone();
        s.saved_search_hash = Some(hash.to_string());
        s.saved_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .ok();
        self.ctx.state.save(&s)
    }

    /// Runs the job.
    pub fn execute(&self) -> Result<()> {
        let mut old: State = self.ctx.state.load()?.unwrap_or_default();
        let hash = self.resolve_hash()?;
        if let Some(prev) = old
            .saved_search_hash
            .clone()
            .filter(|p| *p != hash.as_str())
        {
            // Another saved search: its first run (the duplicate check keeps indicators
            // already enriched through the old one from getting anything twice).
            log::warn!(
                "the saved search changed (collection {prev} -> {hash}): sending all its \
                 indicators, as on a first run"
            );
            old = State::default();
        }
        let (rows, pages) = read_collection(&self.tq, &hash)?;
        let mut c = Counts {
            read: rows.len(),
            ..Counts::default()
        };
        log::info!(
            "saved search {} ({hash}): read {} indicators in {pages} page(s)",
            self.settings.search,
            rows.len()
        );
        let since = &self.settings.since;
        let mut selected: Vec<usize> = (0..rows.len())
            .filter(|&i| old.selects(since, rows[i].ind.id, &rows[i].snap))
            .collect();
        selected.sort_by(|&a, &b| {
            (&rows[a].snap.key, rows[a].ind.id).cmp(&(&rows[b].snap.key, rows[b].ind.id))
        });
        c.selected = selected.len();
        log::info!(
            "selected {} indicator(s) {}",
            selected.len(),
            match (since, &old.cursor) {
                (Since::Date(d), _) => format!("created or updated since {d} (--historical)"),
                (Since::LastRun, None) => "(first run: all of them)".to_string(),
                (Since::LastRun, Some(cur)) => format!("created or updated since {cur}"),
            }
        );

        // Type mapping: unsupported types are done at once.
        let mut done: BTreeSet<i64> = BTreeSet::new();
        let mut order: Vec<Observable> = Vec::new();
        let mut by_obs: HashMap<Observable, Vec<usize>> = HashMap::new();
        for &i in &selected {
            let r = &rows[i];
            let Some(kind) = observable_type(&r.type_name) else {
                let name = if r.type_name.is_empty() {
                    "(no type)".to_string()
                } else {
                    r.type_name.clone()
                };
                *c.skipped_by_type.entry(name).or_default() += 1;
                done.insert(r.ind.id);
                continue;
            };
            let Some(value) = observable_value(kind, &r.ind.value) else {
                c.empty_values += 1;
                done.insert(r.ind.id);
                continue;
            };
            let obs = Observable {
                kind: kind.to_string(),
                value,
            };
            let list = by_obs.entry(obs.clone()).or_default();
            if list.is_empty() {
                order.push(obs);
            }
            list.push(i);
        }
        c.observables = order.len();
        if c.empty_values > 0 {
            log::info!(
                "skipped {} indicator(s) with an empty value",
                c.empty_values
            );
        }
        if !c.skipped_by_type.is_empty() {
            log::info!(
                "skipped {} indicator(s) of a type CTR does not know: {}",
                c.skipped_by_type.values().sum::<usize>(),
                c.skipped_by_type
                    .iter()
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }

        let mut p = Progress {
            done,
            written: BTreeSet::new(),
            c,
        };
        let mut stop: Option<Error> = None;
        if !order.is_empty() {
            // Before spending any CTR budget: the status must exist, and the CTR client
            // must get a token (wrong credentials stop here with the state untouched).
            let status_id = self.tq.status_id(&self.settings.status)?;
            self.ctr.check_token()?;
            let started = Instant::now();
            let tq_error = self.enrich(
                &old, &hash, &rows, &order, &by_obs, status_id, &mut p, &mut stop,
            );
            log::info!(
                "CTR: sent {} of {} observable(s) in {} enrich call(s) ({} token request(s)) in {:.2} s",
                p.c.sent,
                p.c.observables,
                p.c.enrich_calls,
                self.ctr.token_requests(),
                started.elapsed().as_secs_f64()
            );
            if let Some(e) = tq_error {
                self.save_unconfirmed(&old, &rows, &p.done, &p.written, &hash);
                return Err(e);
            }
        }
        let Progress { done, written, c } = p;

        // Read back: our own writes become settled, changes by others stay pending. With
        // nothing written, the collection as read is the view (a change after the read has
        // a newer fingerprint or change time, so it is still seen next run).
        let state = if written.is_empty() {
            unconfirmed_state(&old, &rows, &done, &written)
        } else {
            match read_snapshots(&self.tq, &hash) {
                Ok(view) => readback_state(&old, &rows, &view, &done, &written),
                Err(e) => {
                    self.save_unconfirmed(&old, &rows, &done, &written, &hash);
                    return Err(e);
                }
            }
        };
        self.save(&state, &hash)?;
        log::info!(
            "read {} indicator(s), selected {}, skipped by type {}, sent {} observable(s), \
             enriched {} indicator(s) ({} without context), wrote {} attribute(s) ({} already \
             present) and set status \"{}\" on {} in {} bulk write(s)",
            c.read,
            c.selected,
            c.skipped_by_type.values().sum::<usize>(),
            c.sent,
            c.enriched,
            c.no_context,
            c.attributes_written,
            c.attributes_present,
            self.settings.status,
            c.status_set,
            c.consume_calls
        );
        match stop {
            None => Ok(()),
            Some(e) => Err(stopped(e, &c)),
        }
    }

    /// The enrich loop: CTR batches in order, [`CTR_PARALLEL`] calls in flight; every 500
    /// indicators to write go to a writer
    /// thread as one bulk consume, so ThreatQ ingests while CTR enriches the next batches
    /// (at most one write queued behind the one in flight). The state is saved after each
    /// confirmed write. A CTR failure ends the loop into `stop`; a ThreatQ failure is
    /// returned (the writes confirmed before it are saved).
    #[allow(clippy::too_many_arguments)]
    fn enrich(
        &self,
        old: &State,
        hash: &str,
        rows: &[Row],
        order: &[Observable],
        by_obs: &HashMap<Observable, Vec<usize>>,
        status_id: i64,
        p: &mut Progress,
        stop: &mut Option<Error>,
    ) -> Option<Error> {
        let mut tq_error: Option<Error> = None;
        let chunks: Vec<&[Observable]> = order.chunks(self.settings.batch_size.max(1)).collect();
        let next = AtomicUsize::new(0);
        let halt = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let (jobs, job_rx) = mpsc::sync_channel::<Job>(1);
            let (done_tx, results) = mpsc::channel::<(Job, Result<usize>)>();
            let tq = &self.tq;
            scope.spawn(move || {
                for job in job_rx {
                    let r = tq.consume_indicators(&job.items).map(|consumed| {
                        for k in consumed.iter().filter(|k| !job.ids.contains(&k.id)) {
                            log::warn!(
                                "ThreatQ answered the bulk write with indicator {} ({}), which was not sent",
                                k.id,
                                k.value
                            );
                        }
                        consumed.len()
                    });
                    if done_tx.send((job, r)).is_err() {
                        break;
                    }
                }
            });
            let confirm = |job: Job, r: Result<usize>, p: &mut Progress| -> Result<()> {
                r?;
                p.c.consume_calls += job.items.len().div_ceil(BULK_BATCH);
                p.c.attributes_written += job.attributes;
                p.c.status_set += job.statuses;
                p.c.indicators_written += job.ids.len();
                p.written.extend(job.ids.iter().copied());
                log::info!(
                    "wrote {} indicator(s) to ThreatQ ({} so far)",
                    job.ids.len(),
                    p.c.indicators_written
                );
                self.save(&unconfirmed_state(old, rows, &p.done, &p.written), hash)
            };
            // CTR calls run on CTR_PARALLEL threads pulling the next batch; the answers
            // are handled here in the order they arrive.
            let (answers_tx, answers) = mpsc::channel::<(usize, Result<Value>)>();
            for _ in 0..CTR_PARALLEL.min(chunks.len()) {
                let answers_tx = answers_tx.clone();
                let (next, halt, chunks, ctr) = (&next, &halt, &chunks, &self.ctr);
                scope.spawn(move || loop {
                    if halt.load(Ordering::SeqCst) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(chunk) = chunks.get(i) else { break };
                    let r = ctr.observe(chunk);
                    let failed = r.is_err();
                    if answers_tx.send((i, r)).is_err() || failed {
                        break;
                    }
                });
            }
            drop(answers_tx);
            let mut pending: Vec<Write> = Vec::new();
            let mut last_progress = Instant::now();
            let mut module_errors: BTreeMap<String, usize> = BTreeMap::new();
            for (i, r) in answers.iter() {
                while let Ok((job, r)) = results.try_recv() {
                    if let Err(e) = confirm(job, r, p) {
                        tq_error.get_or_insert(e);
                    }
                }
                if tq_error.is_some() {
                    // Failing anyway: let the calls in flight end, use none of them.
                    halt.store(true, Ordering::SeqCst);
                    continue;
                }
                let body = match r {
                    Ok(b) => b,
                    Err(e) => {
                        // Stop cleanly: no new calls; answers of calls in flight are used.
                        halt.store(true, Ordering::SeqCst);
                        stop.get_or_insert(e);
                        continue;
                    }
                };
                let chunk = chunks[i];
                p.c.enrich_calls += 1;
                p.c.sent += chunk.len();
                let answer = ObserveAnswer::parse(&body);
                for e in &answer.errors {
                    let n = module_errors.entry(e.module.clone()).or_default();
                    if *n == 0 {
                        log::warn!(
                            "CTR module {} reported {} ({}); its answers are not used",
                            if e.module.is_empty() { "?" } else { &e.module },
                            e.kind,
                            e.text
                        );
                    }
                    *n += 1;
                }
                for obs in chunk {
                    let contexts = answer.contexts(&obs.kind, &obs.value);
                    for &i in by_obs.get(obs).map(Vec::as_slice).unwrap_or(&[]) {
                        match self.plan_write(rows, i, &contexts, status_id, p) {
                            Ok(Some(w)) => pending.push(w),
                            Ok(None) => {}
                            Err(e) => {
                                tq_error.get_or_insert(e);
                            }
                        }
                    }
                }
                if tq_error.is_none()
                    && pending.len() >= BULK_BATCH
                    && jobs
                        .send(self.job(rows, std::mem::take(&mut pending)))
                        .is_err()
                {
                    tq_error.get_or_insert(Error::runtime("the ThreatQ writer stopped"));
                }
                if last_progress.elapsed() >= PROGRESS_EVERY {
                    last_progress = Instant::now();
                    tq_common::logging::progress("observables enriched", p.c.sent, p.c.observables);
                }
            }
            if tq_error.is_none()
                && !pending.is_empty()
                && jobs
                    .send(self.job(rows, std::mem::take(&mut pending)))
                    .is_err()
            {
                tq_error.get_or_insert(Error::runtime("the ThreatQ writer stopped"));
            }
            drop(jobs);
            // Wait for the writes in flight and confirm them.
            for (job, r) in results.iter() {
                if let Err(e) = confirm(job, r, p) {
                    tq_error.get_or_insert(e);
                }
            }
        });
        tq_error
    }

    /// What to write to one indicator given the modules' contexts: `None` when it got no
    /// context or already carries everything (it is then done).
    fn plan_write(
        &self,
        rows: &[Row],
        i: usize,
        contexts: &[ModuleContext],
        status_id: i64,
        p: &mut Progress,
    ) -> Result<Option<Write>> {
        let r = &rows[i];
        if contexts.is_empty() {
            p.c.no_context += 1;
            p.done.insert(r.ind.id);
            return Ok(None);
        }
        p.c.enriched += 1;
        let candidates: Vec<(String, String)> =
            contexts.iter().flat_map(attributes::from_context).collect();
        let fetched;
        let existing: &[Attribute] = if r.has_attributes {
            &r.ind.attributes
        } else {
            fetched = self.tq.attributes(&ObjRef::indicator(r.ind.id))?;
            &fetched
        };
        let (new, present) = attributes::new_attributes(existing, &candidates);
        p.c.attributes_present += present;
        let status_changes = !(r
            .ind
            .status_name
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(&self.settings.status))
            || r.ind.status_id == Some(status_id));
        if new.is_empty() && !status_changes {
            p.done.insert(r.ind.id);
            return Ok(None);
        }
        log::debug!(
            "indicator {} {}: {} new attribute(s){}",
            r.ind.id,
            r.ind.value,
            new.len(),
            if status_changes { ", status" } else { "" }
        );
        Ok(Some(Write {
            row: i,
            attributes: new,
            status_changes,
        }))
    }

    /// One bulk consume of pending writes: attributes, status and our source per indicator.
    fn job(&self, rows: &[Row], writes: Vec<Write>) -> Job {
        let mut job = Job {
            items: Vec::with_capacity(writes.len()),
            ids: BTreeSet::new(),
            attributes: 0,
            statuses: 0,
        };
        for w in writes {
            let r = &rows[w.row];
            let mut u = IndicatorUpsert::new(r.ind.value.clone(), r.type_name.clone());
            u.status = Some(NameRef::new(self.settings.status.clone()));
            u.sources = vec![SourceWrite {
                name: SOURCE.to_string(),
            }];
            job.attributes += w.attributes.len();
            job.statuses += usize::from(w.status_changes);
            u.attributes = w.attributes;
            job.ids.insert(r.ind.id);
            job.items.push(u);
        }
        job
    }

    /// Best effort after a ThreatQ failure: keep the progress made so far.
    fn save_unconfirmed(
        &self,
        old: &State,
        rows: &[Row],
        done: &BTreeSet<i64>,
        written: &BTreeSet<i64>,
        hash: &str,
    ) {
        if done.is_empty() && written.is_empty() {
            return;
        }
        if let Err(e) = self.save(&unconfirmed_state(old, rows, done, written), hash) {
            log::error!("cannot save the state: {}", e.safe_message());
        }
    }
}

/// The state without a read-back: the collection as read at the start; indicators we
/// wrote are left unsettled (sent again next run), those done without a write are settled,
/// the rest keeps its old standing.
fn unconfirmed_state(
    old: &State,
    rows: &[Row],
    done: &BTreeSet<i64>,
    written: &BTreeSet<i64>,
) -> State {
    let view: BTreeMap<i64, Snapshot> = rows.iter().map(|r| (r.ind.id, r.snap.clone())).collect();
    let pending: BTreeSet<i64> = rows
        .iter()
        .filter(|r| {
            !done.contains(&r.ind.id)
                && !written.contains(&r.ind.id)
                && old.is_changed(r.ind.id, &r.snap)
        })
        .map(|r| r.ind.id)
        .collect();
    next_state(old, &view, &pending, written)
}

/// The state from a read-back of the collection after the writes.
fn readback_state(
    old: &State,
    rows: &[Row],
    view: &BTreeMap<i64, Snapshot>,
    done: &BTreeSet<i64>,
    written: &BTreeSet<i64>,
) -> State {
    let before: HashMap<i64, &Snapshot> = rows.iter().map(|r| (r.ind.id, &r.snap)).collect();
    let pending: BTreeSet<i64> = view
        .iter()
        .filter(|(id, snap)| {
            if written.contains(id) {
                false
            } else if done.contains(id) {
                // Done without a write: pending only if someone changed it meanwhile.
                before.get(id).is_none_or(|b| b.fp != snap.fp)
            } else {
                old.is_changed(**id, snap)
            }
        })
        .map(|(id, _)| *id)
        .collect();
    next_state(old, view, &pending, &BTreeSet::new())
}

/// The error a stopped run exits with: the CTR cause and what was kept.
fn stopped(e: Error, c: &Counts) -> Error {
    let (retry_after, status) = match &e {
        Error::Remote {
            retry_after,
            status,
            ..
        } => (*retry_after, *status),
        _ => (None, None),
    };
    let why = if e.is_rate_limited() {
        "the CTR rate limit is reached".to_string()
    } else {
        "CTR failed".to_string()
    };
    Error::Remote {
        system: CTR.into(),
        message: format!(
            "{why} ({}); stopped cleanly after sending {} of {} observable(s): what was \
             enriched is written and saved, the next run continues with the rest",
            e.safe_message(),
            c.sent,
            c.observables
        ),
        retry_after,
        status,
    }
}
