//! Related events: the Threat Campaign (an event of type Campaign with that title, created
//! when ThreatQ has none; the event type Campaign too) and the events of the tickets this
//! ticket is linked with (RefersTo, DependsOn, MemberOf, either direction). Both are linked
//! in one request; links this RT made that the ticket no longer has are removed (a campaign
//! only by the custom-field part, a ticket's event only by the links part).

use tq_common::threatq::{Collection, Event, EventCreate, Linked, ObjRef, SourceName};
use tq_common::{Error, Result};

use super::{is_ours, now_utc, ticket_event, unlink_stale, Outcome, Syncer, CAMPAIGN};
use crate::mapping::{Desired, Plan, TICKET_ID_ATTRIBUTE};

fn is_campaign(e: &Event) -> bool {
    e.type_name.as_deref() == Some(CAMPAIGN)
}

fn is_ticket_event(e: &Event) -> bool {
    e.attributes.iter().any(|a| a.name == TICKET_ID_ATTRIBUTE)
}

/// Links the campaign and the linked tickets' events; unlinks the stale ones.
#[allow(clippy::too_many_arguments)]
pub fn sync(
    s: &Syncer<'_>,
    obj: &ObjRef,
    event: &mut Event,
    desired: &Desired,
    found: &[Event],
    linked_tickets: &[u64],
    plan: Plan,
    out: &mut Outcome,
) -> Result<()> {
    let source = s.source();
    let mut targets: Vec<Event> = Vec::new();
    if plan.fields {
        if let Some(title) = &desired.campaign {
            targets.push(campaign(s, found, title, &source)?);
        }
    }
    if plan.links {
        for t in linked_tickets {
            match ticket_event(found, *t, &source) {
                Some(e) if e.id != event.id => targets.push(e.clone()),
                Some(_) => {}
                None => log::info!(
                    "ticket {}: linked ticket {t} has no ThreatQ event (not synced yet, or \
                     not in a synced queue); not linked",
                    out.ticket
                ),
            }
        }
    }
    let to_link: Vec<&Event> = targets
        .iter()
        .filter(|t| !event.events.iter().flatten().any(|l| l.object.id == t.id))
        .collect();
    if !to_link.is_empty() {
        let ids: Vec<i64> = to_link.iter().map(|e| e.id).collect();
        s.tq.link(obj, &Collection::Events, &ids)?;
        out.changes.push(format!(
            "events linked: {}",
            to_link
                .iter()
                .map(|e| format!("{:?}", e.title))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        event
            .events
            .get_or_insert_with(Vec::new)
            .extend(to_link.iter().map(|e| Linked {
                pivot_id: None,
                object: (*e).clone(),
            }));
    }
    unlink_stale(
        s,
        obj,
        &Collection::Events,
        event.events.get_or_insert_with(Vec::new),
        |e| {
            let managed = (plan.fields && is_campaign(e)) || (plan.links && is_ticket_event(e));
            managed && is_ours(&e.sources, &source) && !targets.iter().any(|t| t.id == e.id)
        },
        out,
    )?;
    Ok(())
}

/// The Campaign event titled `title`: this RT's if there is one, else the oldest (then
/// attributed to this RT too), else a new one (and the event type, when ThreatQ lacks it).
fn campaign(s: &Syncer<'_>, found: &[Event], title: &str, source: &str) -> Result<Event> {
    let named: Vec<&Event> = found
        .iter()
        .filter(|e| is_campaign(e) && e.title == title)
        .collect();
    if let Some(e) = named
        .iter()
        .filter(|e| is_ours(&e.sources, source))
        .min_by_key(|e| e.id)
    {
        return Ok((*e).clone());
    }
    if let Some(e) = named.iter().min_by_key(|e| e.id) {
        s.tq.add_source(&ObjRef::event(e.id), source)?;
        let mut e = (*e).clone();
        e.sources.push(SourceName {
            name: source.to_string(),
        });
        return Ok(e);
    }
    let create = EventCreate::new(title, CAMPAIGN, now_utc(), source);
    let made = match s.tq.create_event_unchecked(&create) {
        Ok(e) => e,
        // The type is not there yet (a ThreatQ that never had a campaign from RT).
        Err(Error::Remote {
            status: Some(400 | 422),
            ..
        }) => {
            s.tq.ensure_event_type(CAMPAIGN)?;
            s.tq.create_event_unchecked(&create)?
        }
        Err(e) => return Err(e),
    };
    log::info!("created ThreatQ Campaign event {} ({title:?})", made.id);
    let mut made = made;
    if made.type_name.is_none() {
        made.type_name = Some(CAMPAIGN.to_string());
    }
    Ok(made)
}
