//! ThreatQ: Historical Sync (menu item, incident): every incident created on or after
//! Created After Date is synced as Sync Incident does (automatic: no imports), with its
//! tasks when Historically Sync Tasks = Yes, paging through Resilient's `query_paged`; an
//! interim reply reports the progress after every page.

use super::RuleDef;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::event::{self, IncidentView, Outcome};
use crate::fields::{CREATED_AFTER, SYNC_TASKS};
use crate::mapping::dates;
use crate::message::ActionData;

/// Incidents asked for per page (Resilient may answer fewer; paging follows what came).
pub const PAGE: usize = 100;

/// The rule.
pub const RULE: RuleDef = RuleDef {
    name: "ThreatQ: Historical Sync",
    object: "incident",
    automatic: false,
    on_create_only: false,
    fields: &[CREATED_AFTER, SYNC_TASKS],
    description: "Sync the incidents created since a date, optionally with their tasks",
    run,
};

fn run(cx: &Ctx, action: &ActionData) -> Result<String> {
    let after = action
        .date_ms(CREATED_AFTER.name)?
        .ok_or_else(|| Error::action(format!("{}: set the Created After Date", RULE.name)))?;
    let with_tasks = action.yes_no(SYNC_TASKS.name)?.unwrap_or(false);
    let since = dates::day(after);
    let (mut seen, mut created, mut tasks) = (0usize, 0usize, 0usize);
    let mut total = None;
    loop {
        let page = cx.soar.incidents_created_since(after, seen, PAGE)?;
        if page.total.is_some() {
            total = page.total;
        }
        let n = page.incidents.len();
        for inc in &page.incidents {
            let view = IncidentView {
                incident: inc,
                message: None,
            };
            let (_, outcome) = event::sync(cx, view)?;
            if outcome == Outcome::Created {
                created += 1;
            }
            if with_tasks {
                for t in cx.soar.tasks(inc.id)? {
                    crate::task::sync(cx, view, &t)?;
                    tasks += 1;
                }
            }
        }
        seen += n;
        let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
        cx.progress(&format!(
            "Historical Sync since {since}: {seen}{of} incident(s) synced"
        ));
        let done = n == 0 || total.map_or(n < PAGE, |t| seen >= t);
        if done {
            break;
        }
    }
    let mut text = format!(
        "Historical Sync since {since}: {seen} incident(s) synced to ThreatQ ({created} new event(s))"
    );
    if with_tasks {
        text.push_str(&format!(", {tasks} task(s)"));
    }
    Ok(text)
}
