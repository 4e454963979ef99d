//! Writes accepted changes to ThreatQ: MD5, SHA-1 and SHA-256 indicators with the source and
//! the five attributes, through bulk consume; the default status only on indicators that do
//! not exist yet.
//!
//! The guide's Status is "the default status for IoCs that are created by this
//! Integration": an analyst's Active or Whitelisted on an indicator that ThreatQ already has
//! is never overwritten. Which indicators exist is read before each consume (one query for
//! the whole batch, [`Existing`]); only the others get the status.
//!
//! The five attributes are single-valued per indicator: a value that changed is updated in
//! place, never added beside the old one, and a change written twice (after a crash) adds
//! nothing. [`WrittenIndex`] remembers, per file, a fingerprint of the values last written
//! (in `<instance>.written`, [`crate::written`]). Per batch:
//!
//! - a file whose values equal the remembered ones is skipped (no request at all);
//! - the indicators of every other file are read back (the same one query): stale rows of
//!   our attributes are updated to the new value (or deleted when duplicated), and only
//!   attributes not already present go into consume (one request per 500 files).

use std::collections::{HashMap, HashSet};

use serde_json::json;
use tq_common::threatq::{
    AttributeWrite, Indicator, IndicatorUpsert, NameRef, ObjRef, SourceWrite, ThreatQ,
};

use crate::change::{Change, Names};
use crate::written::{self, Known, WrittenIndex};

/// What one batch did in ThreatQ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Files written (consumed or updated).
    pub written: usize,
    /// Files skipped because ThreatQ already has exactly these values.
    pub unchanged: usize,
    /// Indicators sent to bulk consume.
    pub indicators: usize,
    /// Of those, indicators ThreatQ did not have: sent with the default status.
    pub new_indicators: usize,
    /// Attribute rows updated in place / deleted as duplicates.
    pub updated_rows: usize,
    pub deleted_rows: usize,
}

/// The ThreatQ side: names, status and the index.
pub struct Writer {
    pub names: Names,
    /// The default status, given to indicators this writer creates.
    pub status: String,
    pub index: WrittenIndex,
}

/// The indicators ThreatQ already has among the values of a batch, by value.
#[derive(Debug, Default)]
pub struct Existing {
    by_value: HashMap<String, Vec<Indicator>>,
}

impl Existing {
    /// Reads the indicators with any of `values` (one query, every page).
    pub fn read(tq: &ThreatQ, values: &[&str]) -> tq_common::Result<Existing> {
        let mut by_value: HashMap<String, Vec<Indicator>> = HashMap::new();
        if values.is_empty() {
            return Ok(Existing { by_value });
        }
        for ind in tq.query_indicators(json!({"value": {"+in": values}}), json!({}))? {
            by_value.entry(ind.value.clone()).or_default().push(ind);
        }
        Ok(Existing { by_value })
    }

    /// The indicators of `value` with the ThreatQ type `kind` (a row whose type was not
    /// embedded counts as that type: better to keep a status than to overwrite one).
    pub fn of<'a>(&'a self, value: &str, kind: &'a str) -> impl Iterator<Item = &'a Indicator> {
        self.by_value
            .get(value)
            .into_iter()
            .flatten()
            .filter(move |i| {
                i.type_name
                    .as_deref()
                    .is_none_or(|t| t.eq_ignore_ascii_case(kind))
            })
    }

    /// Whether ThreatQ has the indicator `value` of type `kind`.
    pub fn has(&self, value: &str, kind: &str) -> bool {
        self.of(value, kind).next().is_some()
    }
}

impl Writer {
    /// Writes one batch. On error nothing is recorded: the caller keeps the batch and
    /// retries (a batch recovered after a crash is safe too: every file not known to be
    /// written is read back first).
    pub fn write(&mut self, tq: &ThreatQ, changes: &[Change]) -> tq_common::Result<Outcome> {
        // The last change of a file in the batch wins.
        let mut latest: HashMap<&str, &Change> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for c in changes {
            let k = c.file_key();
            if k.is_empty() {
                continue;
            }
            if latest.insert(k, c).is_none() {
                order.push(k);
            }
        }
        let mut out = Outcome::default();
        let mut to_write: Vec<(&Change, u64)> = Vec::new();
        for k in &order {
            let c = latest[k];
            let v = written::values(&self.names, &self.status, c);
            match self.index.lookup(&self.names, &self.status, c, v) {
                Known::Same => out.unchanged += 1,
                Known::Changed | Known::Unknown => to_write.push((c, v)),
            }
        }
        if to_write.is_empty() {
            return Ok(out);
        }
        let values: Vec<&str> = to_write
            .iter()
            .flat_map(|(c, _)| c.indicators().map(|(_, v)| v))
            .collect();
        let existing = Existing::read(tq, &values)?;
        // Attributes already present with the right value, per indicator value: left out of
        // consume so that nothing is duplicated.
        let present = self.reconcile(tq, &to_write, &existing, &mut out)?;
        let source = vec![SourceWrite {
            name: self.names.source.clone(),
        }];
        let mut items = Vec::new();
        for (c, _) in &to_write {
            for (kind, value) in c.indicators() {
                let mut u = IndicatorUpsert::new(value, kind);
                if !existing.has(value, kind) {
                    u.status = Some(NameRef::new(&self.status));
                    out.new_indicators += 1;
                }
                u.sources = source.clone();
                u.attributes = c
                    .attributes(&self.names)
                    .filter(|(n, _)| !present.contains(&(value.to_string(), n.to_string())))
                    .map(|(n, v)| AttributeWrite::new(n, v, &self.names.source))
                    .collect();
                items.push(u);
            }
        }
        out.indicators = items.len();
        // One request for the whole batch of changes (three indicators each).
        tq.consume_indicators_in(&items, items.len())?;
        out.written = to_write.len();
        self.index
            .record(to_write.iter().map(|(c, v)| (c.file_key(), *v)))
            .map_err(|e| {
                tq_common::Error::runtime(format!(
                    "recording written changes in {}: {e}",
                    self.index.path().display()
                ))
            })?;
        Ok(out)
    }

    /// Brings our attributes on the indicators ThreatQ already has to the new values: the
    /// first stale row of a name is updated, further rows of that name are deleted. Returns
    /// the (indicator value, attribute name) pairs that need nothing more.
    fn reconcile(
        &self,
        tq: &ThreatQ,
        files: &[(&Change, u64)],
        existing: &Existing,
        out: &mut Outcome,
    ) -> tq_common::Result<HashSet<(String, String)>> {
        let mut present = HashSet::new();
        for (c, _) in files {
            let want: Vec<(&str, &str)> = c.attributes(&self.names).collect();
            for (kind, value) in c.indicators() {
                for ind in existing.of(value, kind) {
                    let obj = ObjRef::indicator(ind.id);
                    for (name, new) in &want {
                        let rows: Vec<_> =
                            ind.attributes.iter().filter(|a| a.name == *name).collect();
                        let keep = rows.iter().position(|r| r.value == *new);
                        let mut have = keep.is_some();
                        for (i, r) in rows.iter().enumerate() {
                            if Some(i) == keep {
                                continue;
                            }
                            if !have {
                                tq.update_attribute(&obj, r.id, new)?;
                                out.updated_rows += 1;
                                have = true;
                            } else {
                                tq.delete_attribute(&obj, r.id)?;
                                out.deleted_rows += 1;
                            }
                        }
                        if have {
                            present.insert((value.to_string(), name.to_string()));
                        }
                    }
                }
            }
        }
        Ok(present)
    }
}
