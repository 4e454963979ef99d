//! Writes accepted changes to ThreatQ: MD5, SHA-1 and SHA-256 indicators with the default
//! status, the source, and the five attributes, through bulk consume.
//!
//! The five attributes are single-valued per indicator: a value that changed is updated in
//! place, never added beside the old one, and a change written twice (after a crash) adds
//! nothing. To keep that without reading every indicator back, [`WrittenIndex`] remembers,
//! per file, a fingerprint of the values last written (in `<instance>.written`,
//! [`crate::written`]). Per batch:
//!
//! - a file whose values equal the remembered ones is skipped;
//! - a file never seen is consumed with its attributes (one request per 500 indicators);
//! - a file whose values differ, and every file of a batch recovered after a crash, is read
//!   back first (one query for all of them): stale rows of our attributes are updated to the
//!   new value (or deleted when duplicated), and only missing attributes go into consume.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use tq_common::threatq::{AttributeWrite, IndicatorUpsert, NameRef, ObjRef, SourceWrite, ThreatQ};

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
    /// Attribute rows updated in place / deleted as duplicates.
    pub updated_rows: usize,
    pub deleted_rows: usize,
}

/// The ThreatQ side: names, status and the index.
pub struct Writer {
    pub names: Names,
    pub status: String,
    pub index: WrittenIndex,
}

impl Writer {
    /// Writes one batch. `verify` reads every file back first (a batch recovered after a
    /// crash). On error nothing is recorded: the caller keeps the batch and retries.
    pub fn write(
        &mut self,
        tq: &ThreatQ,
        changes: &[Change],
        verify: bool,
    ) -> tq_common::Result<Outcome> {
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
        let mut check: Vec<&Change> = Vec::new();
        for k in &order {
            let c = latest[k];
            let v = written::values(&self.names, &self.status, c);
            match self.index.lookup(&self.names, &self.status, c, v) {
                Known::Same => out.unchanged += 1,
                Known::Changed => {
                    check.push(c);
                    to_write.push((c, v));
                }
                Known::Unknown => {
                    if verify {
                        check.push(c);
                    }
                    to_write.push((c, v));
                }
            }
        }
        if to_write.is_empty() {
            return Ok(out);
        }
        // Attributes already present with the right value, per indicator value: left out of
        // consume so that nothing is duplicated.
        let mut present: HashSet<(String, String)> = HashSet::new();
        if !check.is_empty() {
            self.reconcile(tq, &check, &mut present, &mut out)?;
        }
        let source = vec![SourceWrite {
            name: self.names.source.clone(),
        }];
        let mut items = Vec::new();
        for (c, _) in &to_write {
            for (kind, value) in c.indicators() {
                let mut u = IndicatorUpsert::new(value, kind);
                u.status = Some(NameRef::new(&self.status));
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

    /// Reads the indicators of `files` back and brings our attributes to the new values:
    /// the first stale row of a name is updated, further rows of that name are deleted.
    fn reconcile(
        &self,
        tq: &ThreatQ,
        files: &[&Change],
        present: &mut HashSet<(String, String)>,
        out: &mut Outcome,
    ) -> tq_common::Result<()> {
        let mut wanted: HashMap<String, Vec<(&str, &str)>> = HashMap::new();
        for c in files {
            let attrs: Vec<(&str, &str)> = c.attributes(&self.names).collect();
            for (_, v) in c.indicators() {
                wanted.insert(v.to_string(), attrs.clone());
            }
        }
        let values: Vec<&String> = wanted.keys().collect();
        let existing = tq.query_indicators(json!({"value": {"+in": values}}), json!({}))?;
        let ours: HashSet<&str> = self.names.all_attributes().collect();
        for ind in existing {
            let Some(want) = wanted.get(&ind.value) else {
                continue;
            };
            let obj = ObjRef::indicator(ind.id);
            for name in &ours {
                let rows: Vec<_> = ind.attributes.iter().filter(|a| a.name == *name).collect();
                let new = want.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
                let Some(new) = new else {
                    continue;
                };
                let keep = rows.iter().position(|r| r.value == new);
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
                    present.insert((ind.value.clone(), name.to_string()));
                }
            }
        }
        Ok(())
    }
}
