//! One run of the connector:
//!
//! 1. the state file, with any delivery an interrupted run journaled after its last state
//!    write applied first ([`crate::state::Ledger::recover`]);
//! 2. the reads from ThreatQ ([`crate::fetch`]) and the comparisons with the state
//!    ([`crate::watchlist::diff`], [`crate::collection::diff`]): the mails to send, and the
//!    state with every silent update (baselines, changes with nothing to report);
//! 3. nothing to send: the state is saved and the run ends without touching SMTP;
//! 4. otherwise one SMTP connection for every mail; each accepted mail is journaled at once
//!    and moves the state forward; a mail not accepted leaves its part of the state where
//!    it was, so the next run sends it again; the state file is written at the end.
//!
//! Exit 1 when the SMTP server is unreachable or refused a mail (the rest is still sent);
//! a ThreatQ failure ends the run before anything is sent.

use log::{error, info, warn};
use tq_common::app::Context;
use tq_common::threatq::ThreatQ;
use tq_common::{Error, Result};

use crate::collection;
use crate::error::Error as SmtpError;
use crate::fetch;
use crate::mail::{collection_mail, watchlist_mail, Mail};
use crate::settings::Settings;
use crate::smtp::Mailer;
use crate::state::{Delivered, Ledger, State};
use crate::watchlist;

/// A mail to send and what it moves forward once accepted.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The rendered mail.
    pub mail: Mail,
    /// Its record (journal, then state).
    pub record: Delivered,
}

/// What a run found to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The state with every silent update applied (what is saved whatever happens to the
    /// mails); each accepted mail's record is applied on top.
    pub state: State,
    /// The mails, watchlist mails first (in object order), then the collection's.
    pub outgoing: Vec<Outgoing>,
}

/// Runs the connector once (`send_existing`: `--send-existing`).
pub fn run(ctx: &Context, settings: &Settings, send_existing: bool) -> Result<()> {
    if settings.watchlist.is_none() && settings.collection.is_none() {
        warn!(
            "enable_watchlist and enable_data_collection are both false in {}: nothing to watch",
            ctx.config.origin()
        );
    }
    let ledger = Ledger::open(&Ledger::dir(&ctx.config_dir, &ctx.instance))?;
    let mut state: State = ctx.state.load()?.unwrap_or_default();
    let recovered = ledger.recover(&mut state)?;
    if recovered > 0 {
        warn!(
            "{recovered} mail(s) of an interrupted run were accepted by the SMTP server after \
             its last state write: recorded now, not sent again"
        );
        ctx.state.save(&state)?;
        ledger.settle()?;
    }
    let plan = plan(&ctx.threatq(), settings, &state, send_existing)?;
    let mut state = plan.state;
    if plan.outgoing.is_empty() {
        ctx.state.save(&state)?;
        info!("nothing to send");
        return Ok(());
    }
    deliver(ctx, settings, &ledger, &mut state, plan.outgoing)
}

/// Reads ThreatQ and compares it with `prev`: the mails of this run and the state without
/// them.
pub fn plan(tq: &ThreatQ, settings: &Settings, prev: &State, send_existing: bool) -> Result<Plan> {
    let mut state = State::default();
    let mut outgoing = Vec::new();
    if let Some(w) = &settings.watchlist {
        let users = fetch::watch_users(tq, &w.users)?;
        let ids: Vec<u64> = users.iter().map(|u| u.id).collect();
        let objects = fetch::watched_objects(tq, &ids)?;
        let d = watchlist::diff(&prev.watchlist, &ids, &objects, send_existing);
        let baselined = users
            .iter()
            .filter(|u| !send_existing && !prev.watchlist.users.contains(&u.id));
        for u in baselined {
            let who = if u.configured.eq_ignore_ascii_case(&u.email) {
                u.email.clone()
            } else {
                format!("{} ({})", u.configured, u.email)
            };
            info!("watchlist of {who} baselined: what it holds now is not mailed");
        }
        info!(
            "watchlists of {} user(s): {} object(s) watched, {} to mail",
            users.len(),
            objects.len(),
            d.alerts.len()
        );
        outgoing.extend(d.alerts.iter().map(|a| Outgoing {
            mail: watchlist_mail(a, &settings.links),
            record: Delivered::watchlist(a),
        }));
        state.watchlist = d.state;
    }
    if let Some(c) = &settings.collection {
        let hash = fetch::collection_hash(tq, &c.name)?;
        let read = fetch::collection_items(tq, &hash, &c.objects)?;
        let d = collection::diff(
            prev.collection.as_ref(),
            &c.name,
            &read.kinds,
            &read.items,
            c.frequency,
            send_existing,
        );
        info!(
            "data collection \"{}\": {} item(s), {} new, {} updated",
            c.name,
            read.items.len(),
            d.new.len(),
            d.updated.len()
        );
        if d.has_items() {
            outgoing.push(Outgoing {
                mail: collection_mail(&c.name, &d, &settings.links),
                record: Delivered::Collection { state: d.state },
            });
            // Until the mail is accepted, the collection stays where it was.
            state.collection = prev.collection.clone();
        } else {
            state.collection = Some(d.state);
        }
    }
    Ok(Plan { state, outgoing })
}

/// Sends `outgoing` over one SMTP connection, journaling and applying each accepted mail;
/// saves the state at the end (also when the server cannot be reached).
fn deliver(
    ctx: &Context,
    settings: &Settings,
    ledger: &Ledger,
    state: &mut State,
    outgoing: Vec<Outgoing>,
) -> Result<()> {
    let total = outgoing.len();
    let mut mailer = match Mailer::connect(&settings.smtp) {
        Ok(m) => m,
        Err(e) => {
            ctx.state.save(state)?;
            return Err(not_sent(e, total, total));
        }
    };
    let mut sent = 0;
    let mut first_failure: Option<SmtpError> = None;
    for out in outgoing {
        match mailer.send(&out.mail) {
            Ok(_) => {
                sent += 1;
                out.record.apply(state);
                if let Err(e) = ledger.record(&out.record) {
                    warn!("{e}: writing the state file after each mail instead");
                    ctx.state.save(state)?;
                }
            }
            Err(e) => {
                let lost = matches!(e, SmtpError::Io { .. });
                error!(
                    "not sent: \"{}\": {e} (the next run sends it again)",
                    out.mail.subject
                );
                first_failure.get_or_insert(e);
                if lost {
                    break;
                }
            }
        }
    }
    let server = settings.smtp.server();
    mailer.close();
    ctx.state.save(state)?;
    ledger.settle()?;
    info!("sent {sent} of {total} mail(s) over one connection to {server}");
    match first_failure {
        None => Ok(()),
        Some(e) => Err(not_sent(e, total - sent, total)),
    }
}

/// The error of a run that left `left` of `total` mails for the next run.
fn not_sent(e: SmtpError, left: usize, total: usize) -> Error {
    match Error::from(e) {
        Error::Runtime(m) => Error::runtime(format!(
            "{m}; {left} of {total} mail(s) not sent, the next run sends them again"
        )),
        other => other,
    }
}
