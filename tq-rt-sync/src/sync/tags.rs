//! Tags: the ticket's Tags values the event lacks are added (one request). Tags are never
//! removed: ThreatQ keeps no source on a tag, so a tag someone added in ThreatQ could not be
//! told from one the ticket added.

use tq_common::threatq::{Event, Named, ObjRef};
use tq_common::Result;

use super::{Outcome, Syncer};
use crate::mapping::Desired;

/// Adds the tags the event lacks.
pub fn sync(
    s: &Syncer<'_>,
    obj: &ObjRef,
    event: &mut Event,
    desired: &Desired,
    out: &mut Outcome,
) -> Result<()> {
    let missing: Vec<&str> = desired
        .tags
        .iter()
        .filter(|t| !event.tags.iter().flatten().any(|e| e.name == **t))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    s.tq.add_tags(obj, &missing)?;
    out.changes
        .push(format!("tags added: {}", missing.join(", ")));
    event
        .tags
        .get_or_insert_with(Vec::new)
        .extend(missing.iter().map(|t| Named {
            id: 0,
            name: t.to_string(),
        }));
    Ok(())
}
