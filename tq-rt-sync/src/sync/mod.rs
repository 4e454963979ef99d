//! One ticket's sync into its ThreatQ event, the same for both modes: the action mode runs
//! it for a transaction ([`crate::mapping::Plan`]), the cron mode for a ticket a failed sync
//! left pending.
//!
//! Reads: one RT request for the ticket, its links and its history ([`RtClient::snapshot`]);
//! one ThreatQ query for the ticket's event, the campaign and the linked tickets' events,
//! each with everything related embedded ([`EVENT_WITH`]). Then each part changes only what
//! differs ([`attributes`], [`indicators`] in one bulk consume, [`adversaries`], [`related`]
//! events, [`tags`], [`comments`]), and the ticket's ThreatQ fields are written back when
//! they change ([`crate::writeback`]). Every write is keyed so that a sync repeated after a
//! failure adds nothing twice: the event by its "RT Ticket ID" and source, comments by
//! their RT transaction id, the rest by value.

pub mod adversaries;
pub mod attributes;
pub mod comments;
pub mod indicators;
pub mod related;
pub mod tags;

use tq_common::threatq::events::EventMatch;
use tq_common::threatq::{
    pivot_id_of, AttributeWrite, Collection, Comment, Event, EventCreate, IdOnly, Indicator,
    Linked, ObjRef, SourceName, ThreatQ,
};
use tq_common::Result;

use crate::mapping::{Desired, Plan, TICKET_ID_ATTRIBUTE};
use crate::rt::{LinkType, RtClient, Snapshot};
use crate::urls::Urls;
use crate::writeback::WriteBack;

/// The relations a sync reads of an event, in one query.
pub const EVENT_WITH: &str = "type,attributes,sources,tags,comments,indicators.type,\
     indicators.sources,adversaries.sources,events.type,events.attributes,events.sources";

/// The ThreatQ event type of a ticket's event.
pub const INCIDENT: &str = "Incident";

/// The ThreatQ event type of the Threat Campaign field.
pub const CAMPAIGN: &str = "Campaign";

/// What a sync works with.
#[derive(Debug)]
pub struct Syncer<'a> {
    /// RT, as RT_User_For_ThreatQ.
    pub rt: &'a RtClient,
    /// ThreatQ.
    pub tq: ThreatQ,
    /// Where links point, and the source name of this RT.
    pub urls: Urls,
    /// The status of indicators the sync creates.
    pub status: String,
    /// RT's `$rtname` when known: links to other RTs' tickets are then left out.
    pub rtname: Option<String>,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The ticket.
    pub ticket: u64,
    /// Its event.
    pub event: i64,
    /// The event was created by this sync.
    pub created: bool,
    /// One line per change made, for the log.
    pub changes: Vec<String>,
    /// The ticket fields written back.
    pub written_back: Vec<&'static str>,
}

impl Outcome {
    /// One line for the log and the Sync Ticket page.
    pub fn summary(&self, urls: &Urls) -> String {
        let what = if self.created {
            "created"
        } else if self.changes.is_empty() {
            "already in sync"
        } else {
            "updated"
        };
        let mut s = format!(
            "ticket {}: ThreatQ event {} {what} ({})",
            self.ticket,
            self.event,
            urls.event(self.event)
        );
        if !self.changes.is_empty() {
            s.push_str(&format!("; {}", self.changes.join("; ")));
        }
        if !self.written_back.is_empty() {
            s.push_str(&format!("; wrote back {}", self.written_back.join(", ")));
        }
        s
    }
}

/// True when `sources` holds the source named `ours`.
pub fn is_ours(sources: &[SourceName], ours: &str) -> bool {
    sources.iter().any(|s| s.name == ours)
}

/// The event of ticket `id` among `events`: the one with its "RT Ticket ID" from this RT's
/// source (the lowest id when an earlier failure left several).
pub fn ticket_event<'e>(events: &'e [Event], id: u64, source: &str) -> Option<&'e Event> {
    let id = id.to_string();
    events
        .iter()
        .filter(|e| {
            is_ours(&e.sources, source)
                && e.attributes
                    .iter()
                    .any(|a| a.name == TICKET_ID_ATTRIBUTE && a.value == id)
        })
        .min_by_key(|e| e.id)
}

/// `YYYY-MM-DD HH:MM:SS` of RT's `Sun Dec 06 01:59:33 2026` (the time RT shows), or `None`.
pub fn rt_time(s: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p: Vec<&str> = s.split_whitespace().collect();
    let [_, mon, day, hms, year] = p.as_slice() else {
        return None;
    };
    let m = MONTHS.iter().position(|x| x == mon)? + 1;
    let d: u32 = day.parse().ok()?;
    let y: u32 = year.parse().ok()?;
    (hms.len() == 8 && hms.as_bytes()[2] == b':').then(|| format!("{y:04}-{m:02}-{d:02} {hms}"))
}

/// Now, `YYYY-MM-DD HH:MM:SS` UTC.
pub fn now_utc() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::now_utc()
        .format(&f)
        .unwrap_or_default()
}

impl Syncer<'_> {
    /// The ThreatQ source that stands for this RT.
    pub fn source(&self) -> String {
        self.urls.source()
    }

    /// The tickets `snap`'s ticket is linked with (RefersTo, DependsOn, MemberOf, either
    /// direction), each once.
    pub fn linked_tickets(&self, snap: &Snapshot) -> Vec<u64> {
        let mut out = Vec::new();
        for l in &snap.links {
            if !LinkType::ALL.contains(&l.kind) {
                continue;
            }
            let other = match &self.rtname {
                Some(name) => l.ticket(name),
                None => l.any_ticket().map(|(_, id)| id),
            };
            if let Some(id) = other.filter(|id| *id != snap.ticket.id && !out.contains(id)) {
                out.push(id);
            }
        }
        out
    }

    /// Syncs the ticket of `snap` by `plan` (a full sync when its event does not exist yet).
    pub fn sync(&self, snap: &Snapshot, plan: Plan) -> Result<Outcome> {
        let ticket = &snap.ticket;
        let desired = Desired::of(ticket);
        for s in &desired.skipped {
            log::warn!("ticket {}: {s}; left out", ticket.id);
        }
        let source = self.source();
        let linked = self.linked_tickets(snap);
        let id_text = ticket.id.to_string();
        let linked_text: Vec<String> = linked.iter().map(u64::to_string).collect();
        let mut matches = vec![EventMatch::Attribute {
            name: TICKET_ID_ATTRIBUTE,
            value: &id_text,
        }];
        if let Some(c) = &desired.campaign {
            matches.push(EventMatch::Titled {
                title: c,
                kind: CAMPAIGN,
            });
        }
        matches.extend(linked_text.iter().map(|v| EventMatch::Attribute {
            name: TICKET_ID_ATTRIBUTE,
            value: v,
        }));
        let found = self.tq.events_matching(&matches, EVENT_WITH)?;
        let mut out = Outcome {
            ticket: ticket.id,
            ..Outcome::default()
        };
        let mut plan = plan;
        let mut event = match ticket_event(&found, ticket.id, &source) {
            Some(e) => {
                let dups = found
                    .iter()
                    .filter(|o| {
                        o.id != e.id
                            && ticket_event(std::slice::from_ref(*o), ticket.id, &source).is_some()
                    })
                    .count();
                if dups > 0 {
                    log::warn!(
                        "ticket {}: {dups} more ThreatQ event(s) carry its RT Ticket ID; syncing event {} (the oldest)",
                        ticket.id,
                        e.id
                    );
                }
                e.clone()
            }
            None => {
                plan = Plan::FULL;
                out.created = true;
                self.create_event(snap, &desired)?
            }
        };
        out.event = event.id;
        log::info!(
            "ticket {}: syncing {} with ThreatQ event {}",
            ticket.id,
            plan.describe(),
            event.id
        );
        let obj = ObjRef::event(event.id);
        if plan.title && !out.created && event.title != desired.title {
            let update = tq_common::threatq::EventUpdate {
                title: Some(desired.title.clone()),
                ..Default::default()
            };
            self.tq.update_event(event.id, &update)?;
            out.changes
                .push(format!("title {:?} -> {:?}", event.title, desired.title));
            event.title = desired.title.clone();
        }
        if plan.fields && !out.created {
            attributes::sync(self, &obj, &mut event, &desired, &mut out)?;
        }
        if plan.status && !out.created {
            attributes::sync_status(self, &obj, &mut event, &desired, &mut out)?;
        }
        if plan.fields {
            indicators::sync(self, &obj, &mut event, &desired, &mut out)?;
            adversaries::sync(self, &obj, &mut event, &desired, &mut out)?;
            tags::sync(self, &obj, &mut event, &desired, &mut out)?;
        }
        if plan.fields || plan.links {
            related::sync(
                self, &obj, &mut event, &desired, &found, &linked, plan, &mut out,
            )?;
        }
        if plan.comments {
            comments::sync(self, &obj, &mut event, snap, &mut out)?;
        }
        linked_indicators(self, &mut event)?;
        self.write_back(snap, &event, &mut out)?;
        Ok(out)
    }

    fn create_event(&self, snap: &Snapshot, desired: &Desired) -> Result<Event> {
        let ticket = &snap.ticket;
        let source = self.source();
        let happened = ticket
            .field("Created")
            .and_then(rt_time)
            .unwrap_or_else(now_utc);
        let mut create = EventCreate::new(&desired.title, INCIDENT, happened, &source);
        create.description = Some(format!(
            "Request Tracker ticket <a href=\"{url}\">#{id}</a> (queue {queue}).",
            url = self.urls.ticket(ticket.id),
            id = ticket.id,
            queue = html_escape(ticket.queue()),
        ));
        create.attributes = [
            (TICKET_ID_ATTRIBUTE.to_string(), ticket.id.to_string()),
            (
                crate::mapping::status::STATUS_ATTRIBUTE.to_string(),
                desired.status.clone(),
            ),
        ]
        .into_iter()
        .chain(desired.attributes.iter().cloned())
        .map(|(n, v)| AttributeWrite::new(n, v, &source))
        .collect();
        let mut event = self.tq.create_event_unchecked(&create)?;
        // A new event has nothing related yet.
        event.tags = Some(Vec::new());
        event.comments = Some(Vec::new());
        event.indicators = Some(Vec::new());
        event.adversaries = Some(Vec::new());
        event.events = Some(Vec::new());
        log::info!(
            "ticket {}: created ThreatQ event {} ({:?}, {} attributes)",
            ticket.id,
            event.id,
            desired.title,
            create.attributes.len()
        );
        Ok(event)
    }

    /// Writes ThreatQ Link, Attributes and Indicators into the ticket when they change.
    fn write_back(&self, snap: &Snapshot, event: &Event, out: &mut Outcome) -> Result<()> {
        let wb = WriteBack::of(event, &self.urls);
        let changed = wb.changed_fields(&snap.ticket);
        if changed.is_empty() {
            return Ok(());
        }
        self.rt
            .edit_ticket(snap.ticket.id, &wb.update_for(&snap.ticket))?;
        log::info!(
            "ticket {}: wrote back {}",
            snap.ticket.id,
            changed.join(", ")
        );
        out.written_back = changed;
        Ok(())
    }
}

/// The event's related indicators (with their type and sources): as the query embedded
/// them, else read now (one request; a server that does not embed them).
pub fn linked_indicators<'e>(
    s: &Syncer<'_>,
    event: &'e mut Event,
) -> Result<&'e mut Vec<Linked<Indicator>>> {
    if event.indicators.is_none() {
        let l = s.tq.linked::<Indicator>(
            &ObjRef::event(event.id),
            &Collection::Indicators,
            "type,sources",
        )?;
        event.indicators = Some(l);
    }
    Ok(event.indicators.get_or_insert_with(Vec::new))
}

/// The event's comments: as the query embedded them, else read now (one request).
pub fn event_comments<'e>(s: &Syncer<'_>, event: &'e mut Event) -> Result<&'e mut Vec<Comment>> {
    if event.comments.is_none() {
        event.comments = Some(s.tq.comments(&ObjRef::event(event.id))?);
    }
    Ok(event.comments.get_or_insert_with(Vec::new))
}

/// A related object, as unlinking names it.
pub trait Related {
    /// Its id.
    fn id(&self) -> i64;
    /// How the log names it.
    fn label(&self) -> String;
}

impl Related for Indicator {
    fn id(&self) -> i64 {
        self.id
    }
    fn label(&self) -> String {
        self.value.clone()
    }
}

impl Related for tq_common::threatq::Adversary {
    fn id(&self) -> i64 {
        self.id
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

impl Related for Event {
    fn id(&self) -> i64 {
        self.id
    }
    fn label(&self) -> String {
        format!("{:?}", self.title)
    }
}

/// Unlinks from `obj` the objects of `list` (one collection) that `stale` picks, in one
/// request, and notes it in `out`.
pub fn unlink_stale<T: Related + Clone>(
    s: &Syncer<'_>,
    obj: &ObjRef,
    collection: &Collection,
    list: &mut Vec<Linked<T>>,
    stale: impl Fn(&T) -> bool,
    out: &mut Outcome,
) -> Result<()> {
    let gone: Vec<Linked<T>> = list.iter().filter(|l| stale(&l.object)).cloned().collect();
    if gone.is_empty() {
        return Ok(());
    }
    let p = pivots(s, obj, collection, &gone, |t| t.id())?;
    s.tq.unlink(obj, collection, &p)?;
    list.retain(|l| !gone.iter().any(|g| g.object.id() == l.object.id()));
    out.changes.push(format!(
        "{} unlinked: {}",
        collection.path(),
        gone.iter()
            .map(|l| l.object.label())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}

/// The pivot ids of the links to `stale`: from the rows as read, or, when the answer left
/// them out, from the related list (one request).
pub fn pivots<T>(
    s: &Syncer<'_>,
    obj: &ObjRef,
    collection: &Collection,
    stale: &[Linked<T>],
    id: impl Fn(&T) -> i64,
) -> Result<Vec<i64>> {
    if let Some(all) = stale
        .iter()
        .map(|l| l.pivot_id)
        .collect::<Option<Vec<i64>>>()
    {
        return Ok(all);
    }
    let rows = s.tq.related(obj, collection)?;
    let mut out = Vec::new();
    for l in stale {
        let oid = id(&l.object);
        let p = l.pivot_id.or_else(|| {
            rows.iter()
                .find(|r| serde_json::from_value::<IdOnly>((*r).clone()).is_ok_and(|x| x.id == oid))
                .and_then(pivot_id_of)
        });
        match p {
            Some(p) => out.push(p),
            None => log::warn!(
                "{} {oid} is no longer linked to event {}; nothing to unlink",
                collection.path(),
                obj.id
            ),
        }
    }
    Ok(out)
}

/// Text for HTML (the event description).
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_times() {
        assert_eq!(
            rt_time("Sun Dec 06 01:59:33 2026").as_deref(),
            Some("2026-12-06 01:59:33")
        );
        assert_eq!(rt_time("Not set"), None);
        assert_eq!(now_utc().len(), 19);
    }
}
