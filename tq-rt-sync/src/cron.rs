//! The cron mode (`tq-rt-sync -c DIR -ll DIR -v N`, also installed as `tqRequestTracker`):
//!
//! 1. Completes the syncs a failure left pending: the tickets whose ThreatQ Link carries
//!    the pending mark ([`crate::pending`]) get a full sync, as Sync Ticket would do it.
//!    The search is the run's first RT request and carries the login, so a run with
//!    nothing to do sends RT that one request (none at all when the session of the last
//!    run, kept in the state file, is still open).
//! 2. Writes the ThreatQ context back: the events carrying an "RT Ticket ID" (of this RT's
//!    source) touched since the last run, every one on the first run, read in one paged
//!    query with their attributes and indicators; their tickets' ThreatQ fields read 100
//!    tickets per request and changed 50 tickets per request, only where a value differs
//!    ([`crate::writeback`]).
//!
//! The state (`<instance>.state.json`) holds the watermark (the latest change seen, with the
//! events seen at that second) and RT's session; it is written after the tickets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tq_common::app::Context;
use tq_common::http::{Http, HttpSettings};
use tq_common::threatq::{Collection, Event, ObjRef};
use tq_common::{Error, Result, Secret};

use crate::mapping::fields::ATTRIBUTES_CF;
use crate::mapping::{Plan, TICKET_ID_ATTRIBUTE};
use crate::options::{
    RT_CA_FILE, RT_HOST, RT_PASSWORD, RT_USERNAME, THREATQ_LINK_HOST, VERIFY_TLS,
};
use crate::pending;
use crate::rt::session::StoredSession;
use crate::rt::{RtClient, TicketUpdate};
use crate::sync::{is_ours, Syncer};
use crate::urls::Urls;
use crate::writeback::{WriteBack, INDICATORS_CF, LINK_CF};

/// The relations read with the touched events.
pub const CRON_WITH: &str = "type,attributes,sources,indicators.type";

/// Tickets read per request.
pub const READ_BATCH: usize = 100;

/// Tickets changed per request.
pub const EDIT_BATCH: usize = 50;

/// The watermark of the first run: every event.
const EPOCH: &str = "1970-01-01 00:00:00";

/// The cron mode's settings besides ThreatQ's.
#[derive(Debug, Clone)]
pub struct Settings {
    /// RT's web URL.
    pub rt_host: String,
    /// The RT user.
    pub rt_user: String,
    /// Its password.
    pub rt_password: Secret,
    /// Where links point.
    pub urls: Urls,
    /// The HTTP client for RT (its own TLS settings).
    pub rt_http: Http,
}

impl Settings {
    /// From the validated config.
    pub fn from_config(ctx: &Context) -> Result<Settings> {
        let c = &ctx.config;
        let rt_host = c.get(RT_HOST);
        let link_host = c
            .get(THREATQ_LINK_HOST)
            .unwrap_or_else(|| ctx.threatq().settings().base_url.clone());
        let rt_http = Http::new(HttpSettings {
            ca_file: c.get(RT_CA_FILE),
            verify_tls: c.get(VERIFY_TLS),
            system: Some(crate::rt::transport::SYSTEM.to_string()),
            ..HttpSettings::default()
        })?;
        Ok(Settings {
            urls: Urls::new(&link_host, &rt_host),
            rt_host,
            rt_user: c.get(RT_USERNAME),
            rt_password: c.get(RT_PASSWORD),
            rt_http,
        })
    }

    /// RT as the configured user.
    pub fn rt(&self) -> Result<RtClient> {
        RtClient::new(
            self.rt_http.clone(),
            &self.rt_host,
            &self.rt_user,
            self.rt_password.clone(),
        )
    }
}

/// `--check`: logs in to RT.
pub fn check_rt(ctx: &Context) -> Result<String> {
    let s = Settings::from_config(ctx)?;
    s.rt()?.login()?;
    Ok(format!("logged in to {} as {}", s.rt_host, s.rt_user))
}

/// What a run leaves for the next.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CronState {
    /// The latest change (`touched_at` or `updated_at`) of the events handled.
    pub watermark: Option<String>,
    /// The events handled whose latest change is the watermark, each with the fingerprint
    /// of what was written back ([`WriteBack::fingerprint`]): seen again unchanged, they are
    /// skipped; changed again within that same second, they are written back.
    pub at_mark: Vec<(i64, u64)>,
    /// RT's session (the state file is mode 0600, like the config).
    pub rt_session: Option<StoredSession>,
}

/// The time one second before `stamp` (`YYYY-MM-DD HH:MM:SS`), so that changes in the
/// watermark's second after the last query are seen; the events of that second already
/// handled are told by [`CronState::at_mark`].
///
/// (`touched_at` has a resolution of one second: an event changed again in the second of the
/// last run has the same stamp, and only its content tells.)
pub fn second_before(stamp: &str) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    match time::PrimitiveDateTime::parse(stamp, &f) {
        Ok(t) => (t - time::Duration::SECOND)
            .format(&f)
            .unwrap_or_else(|_| stamp.to_string()),
        Err(_) => stamp.to_string(),
    }
}

/// The latest change of an event.
fn changed_at(e: &Event) -> &str {
    if e.touched_at > e.updated_at {
        &e.touched_at
    } else {
        &e.updated_at
    }
}

/// The run.
pub fn run(ctx: &Context) -> Result<()> {
    let s = Settings::from_config(ctx)?;
    let mut state: CronState = ctx.state.load()?.unwrap_or_default();
    let rt = s.rt()?;
    if let Some(sess) = &state.rt_session {
        sess.resume_into(&rt, &s.rt_host, &s.rt_user);
    }
    let syncer = Syncer {
        rt: &rt,
        tq: ctx.threatq(),
        urls: s.urls.clone(),
        status: ctx.status().to_string(),
        rtname: None,
    };
    let mut failures = 0;

    let pending = rt.search(&pending::query(), "id")?;
    let mut completed = 0;
    for id in &pending {
        match rt
            .snapshot(*id, None)
            .and_then(|snap| syncer.sync(&snap, Plan::FULL))
        {
            Ok(out) => {
                completed += 1;
                log::info!("pending sync completed: {}", out.summary(&s.urls));
            }
            Err(e) => {
                failures += 1;
                log::error!(
                    "ticket {id}: the pending sync failed again: {}",
                    e.safe_message()
                );
            }
        }
    }

    let since = state
        .watermark
        .as_deref()
        .map(second_before)
        .unwrap_or_else(|| EPOCH.to_string());
    let tq = ctx.threatq();
    let mut events = tq.events_changed_since_with(&since, Some(TICKET_ID_ATTRIBUTE), CRON_WITH)?;
    let source = s.urls.source();
    // A server that does not embed the indicators: read them per event (so a write-back
    // never drops them).
    for e in events
        .iter_mut()
        .filter(|e| e.indicators.is_none() && is_ours(&e.sources, &source))
    {
        e.indicators = Some(tq.linked(&ObjRef::event(e.id), &Collection::Indicators, "type")?);
    }
    let mut latest = state.watermark.clone().unwrap_or_default();
    let mut per_ticket: BTreeMap<u64, &Event> = BTreeMap::new();
    let mut seen = 0;
    for e in &events {
        let at = changed_at(e);
        if at > latest.as_str() {
            latest = at.to_string();
        }
        if state.watermark.as_deref() == Some(at)
            && state
                .at_mark
                .contains(&(e.id, WriteBack::of(e, &s.urls).fingerprint()))
        {
            continue;
        }
        if !is_ours(&e.sources, &source) {
            log::debug!("event {}: not from {source}; skipped", e.id);
            continue;
        }
        let Some(id) = e
            .attributes
            .iter()
            .find(|a| a.name == TICKET_ID_ATTRIBUTE)
            .and_then(|a| a.value.trim().parse::<u64>().ok())
        else {
            log::warn!(
                "event {}: its {TICKET_ID_ATTRIBUTE} is not a ticket number; skipped",
                e.id
            );
            continue;
        };
        seen += 1;
        per_ticket
            .entry(id)
            .and_modify(|old| {
                if e.id < old.id {
                    *old = e
                }
            })
            .or_insert(e);
    }

    let ids: Vec<u64> = per_ticket.keys().copied().collect();
    let fields = [
        format!("CF.{{{LINK_CF}}}"),
        format!("CF.{{{ATTRIBUTES_CF}}}"),
        format!("CF.{{{INDICATORS_CF}}}"),
    ];
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let mut updates: Vec<(u64, TicketUpdate)> = Vec::new();
    for chunk in ids.chunks(READ_BATCH) {
        for (id, read) in rt.tickets_fields(chunk, &fields)? {
            let Some(event) = per_ticket.get(&id) else {
                continue;
            };
            match read {
                Ok(ticket) => {
                    let mut wb = WriteBack::of(event, &s.urls);
                    if ticket.cf(LINK_CF).is_some_and(pending::is_marked) {
                        // Still pending (its sync failed again above): keep the mark.
                        wb.link = ticket.cf(LINK_CF).unwrap_or_default().trim().to_string();
                    }
                    let u = wb.update_for(&ticket);
                    if !u.is_empty() {
                        log::info!(
                            "ticket {id}: writing back {} (event {})",
                            wb.changed_fields(&ticket).join(", "),
                            event.id
                        );
                        updates.push((id, u));
                    }
                }
                Err(why) => {
                    log::warn!("ticket {id} (event {}): {why}; not written back", event.id)
                }
            }
        }
    }
    let mut written = 0;
    for chunk in updates.chunks(EDIT_BATCH) {
        for (id, result) in rt.edit_many(chunk)? {
            match result {
                Ok(_) => written += 1,
                Err(why) => {
                    failures += 1;
                    log::error!("ticket {id}: RT refused the write-back: {why}");
                }
            }
        }
    }

    if !latest.is_empty() {
        let mut at_mark: Vec<(i64, u64)> = events
            .iter()
            .filter(|e| changed_at(e) == latest)
            .map(|e| (e.id, WriteBack::of(e, &s.urls).fingerprint()))
            .collect();
        if state.watermark.as_deref() == Some(latest.as_str()) {
            let newer: Vec<i64> = at_mark.iter().map(|(id, _)| *id).collect();
            at_mark.extend(
                state
                    .at_mark
                    .iter()
                    .filter(|(id, _)| !newer.contains(id))
                    .copied(),
            );
        }
        at_mark.sort_unstable();
        state.watermark = Some(latest);
        state.at_mark = at_mark;
    }
    state.rt_session = StoredSession::of(&rt, &s.rt_host, &s.rt_user);
    ctx.state.save(&state)?;
    log::info!(
        "{completed} of {} pending syncs completed; {seen} touched events, {written} tickets \
         written back; {} Request Tracker requests",
        pending.len(),
        rt.requests()
    );
    if failures > 0 {
        return Err(Error::runtime(format!(
            "{failures} ticket(s) could not be synced (see the log); pending ones are retried \
             by the next run"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_before() {
        assert_eq!(second_before("2026-01-01 00:00:00"), "2025-12-31 23:59:59");
        assert_eq!(second_before("2026-03-01 10:20:31"), "2026-03-01 10:20:30");
        assert_eq!(second_before("garbage"), "garbage");
    }
}
