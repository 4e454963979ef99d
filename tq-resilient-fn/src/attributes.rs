//! Attributes kept in step with Resilient: for each attribute name the connector owns, the
//! object ends up with exactly the wanted values (rows with another value are changed in
//! place or removed, missing values added), and names it does not own are left alone. Run
//! twice, it writes nothing the second time: no duplicate attribute rows.

use std::collections::BTreeMap;

use tq_common::threatq::{Attribute, AttributeWrite, ObjRef, ThreatQ};
use tq_common::Result;

/// Attribute name → the values it must have.
pub type Wanted = BTreeMap<String, Vec<String>>;

/// What [`plan`] decided for one object.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Rows whose value changes (row id, new value).
    pub update: Vec<(i64, String)>,
    /// Rows to remove.
    pub delete: Vec<i64>,
    /// Attributes to add (name, value).
    pub add: Vec<(String, String)>,
}

impl Plan {
    /// Whether nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.update.is_empty() && self.delete.is_empty() && self.add.is_empty()
    }
}

/// The writes that turn `existing` into `wanted` for the names in `wanted`.
pub fn plan(existing: &[Attribute], wanted: &Wanted) -> Plan {
    let mut p = Plan::default();
    for (name, values) in wanted {
        let mut want: Vec<&str> = Vec::new();
        for v in values {
            if !want.contains(&v.as_str()) {
                want.push(v);
            }
        }
        let rows: Vec<&Attribute> = existing.iter().filter(|a| &a.name == name).collect();
        let mut kept: Vec<&str> = Vec::new();
        let mut stale: Vec<i64> = Vec::new();
        for r in &rows {
            if want.contains(&r.value.as_str()) && !kept.contains(&r.value.as_str()) {
                kept.push(&r.value);
            } else {
                stale.push(r.id);
            }
        }
        let mut missing = want.into_iter().filter(|v| !kept.contains(v));
        for row in stale {
            match missing.next() {
                Some(v) => p.update.push((row, v.to_string())),
                None => p.delete.push(row),
            }
        }
        p.add.extend(missing.map(|v| (name.clone(), v.to_string())));
    }
    p
}

/// Applies `wanted` to `obj` whose current rows are `existing` (read with the object, or
/// `None` to read them now); returns how many rows were written.
pub fn sync(
    tq: &ThreatQ,
    obj: &ObjRef,
    existing: Option<&[Attribute]>,
    wanted: &Wanted,
    source: &str,
) -> Result<usize> {
    if wanted.is_empty() {
        return Ok(0);
    }
    let read;
    let existing = match existing {
        Some(e) => e,
        None => {
            read = tq.attributes(obj)?;
            &read
        }
    };
    let p = plan(existing, wanted);
    let n = p.update.len() + p.delete.len() + p.add.len();
    for (row, value) in &p.update {
        tq.update_attribute(obj, *row, value)?;
    }
    for row in &p.delete {
        tq.delete_attribute(obj, *row)?;
    }
    let adds: Vec<AttributeWrite> = p
        .add
        .iter()
        .map(|(k, v)| AttributeWrite::new(k.clone(), v.clone(), source))
        .collect();
    tq.add_attributes(obj, &adds)?;
    Ok(n)
}

/// `wanted` as a list of writes (for an object created with its attributes in one call).
pub fn writes(wanted: &Wanted, source: &str) -> Vec<AttributeWrite> {
    let mut out = Vec::new();
    for (name, values) in wanted {
        let mut seen: Vec<&str> = Vec::new();
        for v in values {
            if !seen.contains(&v.as_str()) {
                seen.push(v);
                out.push(AttributeWrite::new(name.clone(), v.clone(), source));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, value: &str) -> Attribute {
        Attribute {
            id,
            name: name.into(),
            value: value.into(),
            sources: Vec::new(),
        }
    }

    fn want(pairs: &[(&str, &[&str])]) -> Wanted {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn plans_the_fewest_writes() {
        let existing = [
            row(1, "Severity", "Low"),
            row(2, "Incident Type", "Malware"),
            row(3, "Incident Type", "Phishing"),
            row(4, "Other", "kept"),
            row(5, "Phase", "Respond"),
            row(6, "Phase", "Respond"),
        ];
        let p = plan(
            &existing,
            &want(&[
                ("Severity", &["High"]),
                ("Incident Type", &["Phishing", "Spam", "Lost device"]),
                ("Phase", &["Respond"]),
                ("Resilient Incident ID", &["2095"]),
            ]),
        );
        assert_eq!(p.update, vec![(2, "Spam".into()), (1, "High".into())]);
        assert_eq!(p.delete, vec![6], "a duplicate row goes");
        assert_eq!(
            p.add,
            vec![
                ("Incident Type".into(), "Lost device".into()),
                ("Resilient Incident ID".into(), "2095".into())
            ]
        );
        let again = [
            row(1, "Severity", "High"),
            row(2, "Incident Type", "Spam"),
            row(3, "Incident Type", "Phishing"),
            row(7, "Incident Type", "Lost device"),
            row(5, "Phase", "Respond"),
            row(8, "Resilient Incident ID", "2095"),
        ];
        assert!(plan(
            &again,
            &want(&[
                ("Severity", &["High"]),
                ("Incident Type", &["Phishing", "Spam", "Lost device"]),
                ("Phase", &["Respond"]),
                ("Resilient Incident ID", &["2095"]),
            ])
        )
        .is_empty());
        let p = plan(&again, &want(&[("Incident Type", &[])]));
        assert_eq!(p.delete, vec![2, 3, 7]);
    }
}
