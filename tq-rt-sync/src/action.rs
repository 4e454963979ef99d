//! The action mode: `tq-rt-sync action --ticket N --transaction ID --type TYPE`, run by RT's
//! scrip for each transaction of a ticket in `RT_Queues_For_ThreatQ` (in the background) and
//! by the menu Ticket > ThreatQ > Sync Ticket (`--type Manual`, waited for).
//!
//! - Settings: the JSON RT::Extension::ThreatQ writes on stdin ([`crate::handover`]), under
//!   the guide's RT_SiteConfig names; the common runner validates them (errors name the
//!   setting). `ThreatQ_Use_SSL` and `ThreatQ_CA_File` hold for ThreatQ and RT alike.
//! - Output: to stdout, which the scrip puts into RT's log (debug on success, error on
//!   failure) and Sync Ticket shows; with `ThreatQ_Log_Dir`, into `<dir>/tq-rt-sync.log`
//!   too. The last line says what the sync did, or the error. At least info level.
//! - One sync of a ticket at a time: a web edit can start several at once (one per
//!   transaction), so each waits for the ticket's lock (one of 64 lock files, by ticket id,
//!   in `ThreatQ_Log_Dir` or a private directory under the system temp dir).
//! - Create waits `ThreatQ_Create_Wait` seconds (default 5) first, holding the lock, so the
//!   ticket is complete and the other syncs of the new ticket follow it.
//! - RT's session is kept for the next sync (`<instance>.<rtname>.rt-session`, mode 0600,
//!   beside the locks): a sync sends no login while RT keeps the session open.
//! - A sync that fails after RT answered marks the ticket's ThreatQ Link as pending
//!   ([`crate::pending`]): the next cron run or a Sync Ticket completes it.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use tq_common::app::{Context, InstanceFiles, Invocation, Layout};
use tq_common::cli::{validate_instance_name, CommonArgs};
use tq_common::logging::LogLocation;
use tq_common::{Error, Result, Secret};

use crate::handover::Handover;
use crate::mapping::Plan;
use crate::options::{
    site_options, CREATE_WAIT, LOG_DIR, RTNAME, RT_QUEUES, RT_USER, RT_USER_PASSWORD, SITE_THREATQ,
    WEB_URL,
};
use crate::pending;
use crate::rt::session::StoredSession;
use crate::rt::{CfValue, RtClient, Snapshot, TicketUpdate};
use crate::sync::{now_utc, Syncer};
use crate::urls::{event_id_in, Urls};
use crate::writeback::LINK_CF;

/// The arguments of `tq-rt-sync action`.
#[derive(clap::Args, Debug, Clone)]
pub struct ActionArgs {
    /// The ticket to sync
    #[arg(long, value_name = "ID")]
    pub ticket: u64,
    /// The transaction that started the sync (none for Sync Ticket)
    #[arg(long, value_name = "ID")]
    pub transaction: Option<u64>,
    /// The transaction's type: Create, Comment, Correspond, AddLink, CustomField, Status, any
    /// other; Manual (Sync Ticket) syncs everything
    #[arg(long = "type", value_name = "TYPE", default_value = "Manual")]
    pub kind: String,
}

/// How long a sync waits for another sync of the same ticket.
pub const LOCK_WAIT: Duration = Duration::from_secs(300);

/// Lock files per RT (tickets share them by id modulo this), so their number stays bounded.
pub const LOCK_FILES: u64 = 64;

/// Whether the log goes to stdout (then the result line is not printed a second time).
static LOG_ON_STDOUT: OnceLock<bool> = OnceLock::new();

/// The invocation of an action: settings from stdin, the per-ticket lock, at least info.
pub fn invocation(common: &CommonArgs, instance: String, args: &ActionArgs) -> Result<Invocation> {
    validate_instance_name(&instance)?;
    let handover = Handover::from_stdin()?;
    let log_dir = handover.get(LOG_DIR.opt().name).map(PathBuf::from);
    let log = match &log_dir {
        Some(d) => LogLocation::Dir(d.clone()),
        None => common.base.log_location(),
    };
    let _ = LOG_ON_STDOUT.set(log == LogLocation::Stdout);
    let dir = lock_dir(log_dir)?;
    let rt = handover
        .get(RTNAME.opt().name)
        .map(file_part)
        .unwrap_or_else(|| "rt".to_string());
    let name = format!("{instance}.{rt}.ticket-lock-{}", args.ticket % LOCK_FILES);
    Ok(Invocation {
        log,
        verbosity: common.base.verbosity.max(2),
        check: common.base.check,
        source: Box::new(handover),
        layout: Layout {
            options: site_options(),
            threatq: SITE_THREATQ,
            enabled: None,
        },
        files: InstanceFiles::in_dir(&dir, &name).waiting_for_lock(LOCK_WAIT),
        instance,
    })
}

/// A name safe in a file name.
fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where the ticket locks live: `ThreatQ_Log_Dir`, else `<temp>/tq-rt-sync-<uid>` (mode
/// 0700, checked to be this user's own directory).
fn lock_dir(log_dir: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = log_dir {
        return Ok(d);
    }
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0);
    let d = std::env::temp_dir().join(format!("tq-rt-sync-{uid}"));
    match std::fs::DirBuilder::new().mode(0o700).create(&d) {
        Ok(()) => return Ok(d),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::runtime(format!(
                "cannot create the lock directory {}: {e} (set ThreatQ_Log_Dir)",
                d.display()
            )))
        }
    }
    let meta = std::fs::symlink_metadata(&d).map_err(|e| {
        Error::runtime(format!(
            "cannot read the lock directory {}: {e}",
            d.display()
        ))
    })?;
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::runtime(format!(
            "{} is not a private directory of this user; remove it or set ThreatQ_Log_Dir",
            d.display()
        )));
    }
    Ok(d)
}

/// The action's settings besides ThreatQ's.
#[derive(Debug, Clone)]
pub struct Settings {
    /// RT's web URL.
    pub web_url: String,
    /// RT_User_For_ThreatQ.
    pub rt_user: String,
    /// Its password.
    pub rt_password: Secret,
    /// RT_Queues_For_ThreatQ (empty: not checked here; the scrip checks it).
    pub queues: Vec<String>,
    /// ThreatQ_Create_Wait.
    pub create_wait: Duration,
    /// RT's `$rtname`.
    pub rtname: Option<String>,
    /// Where links point.
    pub urls: Urls,
}

impl Settings {
    /// From the validated hand-over.
    pub fn from_config(ctx: &Context) -> Result<Settings> {
        let c = &ctx.config;
        let web_url = c.get(WEB_URL);
        Ok(Settings {
            urls: Urls::new(&c.get(SITE_THREATQ.host), &web_url),
            web_url,
            rt_user: c.get(RT_USER),
            rt_password: c.get(RT_USER_PASSWORD),
            queues: c.get(RT_QUEUES),
            create_wait: Duration::from_secs(c.get(CREATE_WAIT).max(0) as u64),
            rtname: c.get(RTNAME),
        })
    }

    /// RT as RT_User_For_ThreatQ, over the process's HTTP client (ThreatQ_Use_SSL,
    /// ThreatQ_CA_File).
    pub fn rt(&self, ctx: &Context) -> Result<RtClient> {
        RtClient::new(
            ctx.http.clone(),
            &self.web_url,
            &self.rt_user,
            self.rt_password.clone(),
        )
    }

    /// Whether tickets of `queue` are synced.
    pub fn queue_listed(&self, queue: &str) -> bool {
        self.queues.is_empty() || self.queues.iter().any(|q| q.eq_ignore_ascii_case(queue))
    }
}

/// `--check`: logs in to RT.
pub fn check_rt(ctx: &Context) -> Result<String> {
    let s = Settings::from_config(ctx)?;
    s.rt(ctx)?.login()?;
    Ok(format!("logged in to {} as {}", s.web_url, s.rt_user))
}

fn say(line: &str) {
    log::info!("{line}");
    if !LOG_ON_STDOUT.get().copied().unwrap_or(true) {
        println!("{line}");
    }
}

/// Runs the sync of one ticket.
pub fn run(ctx: &Context, args: &ActionArgs) -> Result<()> {
    let s = Settings::from_config(ctx)?;
    let rt = s.rt(ctx)?;
    let session_file = ctx.config_dir.join(format!(
        "{}.{}.rt-session",
        ctx.instance,
        file_part(s.rtname.as_deref().unwrap_or("rt"))
    ));
    let kept = StoredSession::load(&session_file);
    if let Some(k) = &kept {
        k.resume_into(&rt, &s.web_url, &s.rt_user);
    }
    let result = sync_ticket(ctx, args, &s, &rt);
    let now = StoredSession::of(&rt, &s.web_url, &s.rt_user);
    if now.is_some() && now != kept {
        if let Some(n) = now {
            n.save(&session_file);
        }
    }
    result
}

fn sync_ticket(ctx: &Context, args: &ActionArgs, s: &Settings, rt: &RtClient) -> Result<()> {
    let plan = Plan::for_transaction(&args.kind);
    if plan.wait_for_create && !s.create_wait.is_zero() {
        log::info!(
            "ticket {}: waiting {} s (ThreatQ_Create_Wait) for the new ticket to be complete",
            args.ticket,
            s.create_wait.as_secs()
        );
        std::thread::sleep(s.create_wait);
    }
    let snap = if plan.wait_for_create {
        snapshot_of_new_ticket(rt, args)?
    } else {
        rt.snapshot(args.ticket, args.transaction)?
    };
    if !s.queue_listed(snap.ticket.queue()) {
        say(&format!(
            "ticket {} is in queue '{}', which RT_Queues_For_ThreatQ does not list; not synced",
            snap.ticket.id,
            snap.ticket.queue()
        ));
        return Ok(());
    }
    let syncer = Syncer {
        rt,
        tq: ctx.threatq(),
        urls: s.urls.clone(),
        status: ctx.status().to_string(),
        rtname: s.rtname.clone(),
    };
    match syncer.sync(&snap, plan) {
        Ok(out) => {
            say(&format!(
                "{}; {} Request Tracker requests",
                out.summary(&s.urls),
                rt.requests()
            ));
            Ok(())
        }
        Err(e) => {
            mark_pending(rt, &snap, &s.urls);
            Err(e)
        }
    }
}

/// How long a Create action waits for its ticket to become visible through the REST API.
const NEW_TICKET_VISIBLE_WITHIN: Duration = Duration::from_secs(20);

/// The snapshot of a ticket the scrip saw created. RT runs the scrip before its database
/// transaction is committed, so the REST API can still answer "Ticket N does not exist." for
/// a moment (with `ThreatQ_Create_Wait = 0`, or on a slow database): that answer is retried,
/// every 200 ms for up to [`NEW_TICKET_VISIBLE_WITHIN`], before it is an error.
fn snapshot_of_new_ticket(rt: &RtClient, args: &ActionArgs) -> Result<Snapshot> {
    let deadline = std::time::Instant::now() + NEW_TICKET_VISIBLE_WITHIN;
    let mut said = false;
    loop {
        match rt.snapshot(args.ticket, args.transaction) {
            Err(e) if e.status() == Some(404) && std::time::Instant::now() < deadline => {
                if !said {
                    log::info!(
                        "ticket {}: not visible through the REST API yet (RT has not committed \
                         it); waiting up to {} s",
                        args.ticket,
                        NEW_TICKET_VISIBLE_WITHIN.as_secs()
                    );
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// Marks the ticket's ThreatQ Link as pending (best effort: the error that caused it is
/// what the run reports).
fn mark_pending(rt: &RtClient, snap: &Snapshot, urls: &Urls) {
    let Some(current) = snap.ticket.cf(LINK_CF) else {
        return;
    };
    if pending::is_marked(current) {
        return;
    }
    let link = event_id_in(current).map(|id| urls.event(id));
    let value = pending::marked(link.as_deref(), &now_utc());
    let update = TicketUpdate::new().set_cf(LINK_CF, CfValue::Single(value));
    match rt.edit_ticket(snap.ticket.id, &update) {
        Ok(_) => log::warn!(
            "ticket {}: marked {LINK_CF} as pending; the next cron run or Sync Ticket completes the sync",
            snap.ticket.id
        ),
        Err(e) => log::warn!(
            "ticket {}: could not mark {LINK_CF} as pending: {}",
            snap.ticket.id,
            e.safe_message()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_file_names_are_safe() {
        assert_eq!(file_part("rt.example.com"), "rt.example.com");
        assert_eq!(file_part("a/../b c"), "a_.._b_c");
    }

    #[test]
    fn the_private_lock_dir_is_made_once_and_checked() {
        let a = lock_dir(None).expect("lock dir");
        let b = lock_dir(None).expect("again");
        assert_eq!(a, b);
        let mode = std::fs::metadata(&a).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}
