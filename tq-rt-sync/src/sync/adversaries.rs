//! Related adversaries (Threat Actors): the names the event lacks are looked up in one
//! query (an existing one is attributed to this RT's source too), created when ThreatQ has
//! none of that name, and linked in one request;
//! adversaries of this RT's source that the ticket no longer names are unlinked.

use tq_common::threatq::{Collection, Event, Linked, ObjRef};
use tq_common::Result;

use super::{is_ours, unlink_stale, Outcome, Syncer};
use crate::mapping::Desired;

/// Links the ticket's adversaries and unlinks the ones it dropped.
pub fn sync(
    s: &Syncer<'_>,
    obj: &ObjRef,
    event: &mut Event,
    desired: &Desired,
    out: &mut Outcome,
) -> Result<()> {
    let source = s.source();
    let missing: Vec<&str> = desired
        .adversaries
        .iter()
        .filter(|n| {
            !event
                .adversaries
                .iter()
                .flatten()
                .any(|a| a.object.name == **n)
        })
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let found = s.tq.adversaries_named(&missing)?;
        let mut ids = Vec::new();
        let mut created = Vec::new();
        for name in &missing {
            let adversary = match found
                .iter()
                .filter(|a| a.name == *name)
                .min_by_key(|a| a.id)
            {
                Some(a) if is_ours(&a.sources, &source) => a.clone(),
                Some(a) => {
                    // Attributed to this RT too, so that the ticket may unlink it later.
                    s.tq.add_source(&ObjRef::adversary(a.id), &source)?;
                    let mut a = a.clone();
                    a.sources.push(tq_common::threatq::SourceName {
                        name: source.clone(),
                    });
                    a
                }
                None => {
                    created.push(*name);
                    s.tq.create_adversary(name, &source)?
                }
            };
            ids.push(adversary.id);
            event.adversaries.get_or_insert_with(Vec::new).push(Linked {
                pivot_id: None,
                object: adversary,
            });
        }
        s.tq.link(obj, &Collection::Adversaries, &ids)?;
        out.changes
            .push(format!("adversaries linked: {}", missing.join(", ")));
        if !created.is_empty() {
            log::info!("created adversaries: {}", created.join(", "));
        }
    }
    unlink_stale(
        s,
        obj,
        &Collection::Adversaries,
        event.adversaries.get_or_insert_with(Vec::new),
        |a| is_ours(&a.sources, &source) && !desired.adversaries.contains(&a.name),
        out,
    )?;
    Ok(())
}
