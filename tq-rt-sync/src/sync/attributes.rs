//! Attributes: the mapped custom fields and the ThreatQ Attributes lines (added when the
//! event has no attribute of that name and value, from any source; rows of this RT's source
//! that the ticket no longer asks for are deleted), and the "Status" attribute, changed in
//! place. "RT Ticket ID" is never touched.

use tq_common::threatq::{Attribute, AttributeWrite, Event, ObjRef};
use tq_common::Result;

use super::{is_ours, Outcome, Syncer};
use crate::mapping::status::STATUS_ATTRIBUTE;
use crate::mapping::{Desired, TICKET_ID_ATTRIBUTE};

/// A value compared as a one-line custom field shows it (runs of whitespace as one space).
pub fn same_value(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

fn wanted(desired: &Desired, a: &Attribute) -> bool {
    desired
        .attributes
        .iter()
        .any(|(n, v)| *n == a.name && same_value(v, &a.value))
}

/// Adds and deletes attribute rows so the event has the ticket's attributes.
pub fn sync(
    s: &Syncer<'_>,
    obj: &ObjRef,
    event: &mut Event,
    desired: &Desired,
    out: &mut Outcome,
) -> Result<()> {
    let source = s.source();
    let to_add: Vec<AttributeWrite> = desired
        .attributes
        .iter()
        .filter(|(n, v)| {
            !event
                .attributes
                .iter()
                .any(|a| a.name == *n && same_value(&a.value, v))
        })
        .map(|(n, v)| AttributeWrite::new(n, v, &source))
        .collect();
    let to_delete: Vec<Attribute> = event
        .attributes
        .iter()
        .filter(|a| {
            is_ours(&a.sources, &source)
                && a.name != TICKET_ID_ATTRIBUTE
                && a.name != STATUS_ATTRIBUTE
                && !wanted(desired, a)
        })
        .cloned()
        .collect();
    if !to_add.is_empty() {
        let rows = s.tq.add_attributes(obj, &to_add)?;
        out.changes.push(format!(
            "attributes added: {}",
            to_add
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if rows.len() == to_add.len() {
            event.attributes.extend(rows);
        } else {
            // The answer did not list the rows: keep what was asked (for the write-back).
            event.attributes.extend(to_add.iter().map(|w| Attribute {
                id: 0,
                name: w.name.clone(),
                value: w.value.clone(),
                sources: Vec::new(),
            }));
        }
    }
    for a in &to_delete {
        s.tq.delete_attribute(obj, a.id)?;
        event.attributes.retain(|x| x.id != a.id);
    }
    if !to_delete.is_empty() {
        out.changes.push(format!(
            "attributes removed: {}",
            to_delete
                .iter()
                .map(|a| format!("{}: {}", a.name, a.value))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(())
}

/// Sets the "Status" attribute of this RT's source: the row changed in place, or added.
pub fn sync_status(
    s: &Syncer<'_>,
    obj: &ObjRef,
    event: &mut Event,
    desired: &Desired,
    out: &mut Outcome,
) -> Result<()> {
    let source = s.source();
    let ours: Vec<Attribute> = event
        .attributes
        .iter()
        .filter(|a| a.name == STATUS_ATTRIBUTE && is_ours(&a.sources, &source))
        .cloned()
        .collect();
    match ours.first() {
        Some(row) if same_value(&row.value, &desired.status) => {}
        Some(row) => {
            s.tq.update_attribute(obj, row.id, &desired.status)?;
            out.changes
                .push(format!("Status {:?} -> {:?}", row.value, desired.status));
            for a in event.attributes.iter_mut().filter(|a| a.id == row.id) {
                a.value = desired.status.clone();
            }
        }
        None => {
            let rows = s.tq.add_attributes(
                obj,
                &[AttributeWrite::new(
                    STATUS_ATTRIBUTE,
                    &desired.status,
                    &source,
                )],
            )?;
            out.changes.push(format!("Status {:?}", desired.status));
            event.attributes.extend(rows);
        }
    }
    // Rows an earlier failure may have doubled.
    for extra in ours.iter().skip(1) {
        s.tq.delete_attribute(obj, extra.id)?;
        event.attributes.retain(|x| x.id != extra.id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_as_one_line() {
        assert!(same_value("a\n b", "a b"));
        assert!(same_value(" x ", "x"));
        assert!(!same_value("a b", "ab"));
    }
}
