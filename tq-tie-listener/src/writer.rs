//! Writes accepted changes to ThreatQ: MD5, SHA-1 and SHA-256 indicators with the default
//! status, the source, and the five attributes, through bulk consume.
//!
//! The five attributes are single-valued per indicator: a value that changed is updated in
//! place, never added beside the old one, and a change written twice (after a crash) adds
//! nothing. To keep that without reading every indicator back, [`WrittenIndex`] remembers,
//! per file, a fingerprint of the values last written (in `<instance>.written`). Per batch:
//!
//! - a file whose values equal the remembered ones is skipped;
//! - a file never seen is consumed with its attributes (one request per 500 indicators);
//! - a file whose values differ, and every file of a batch recovered after a crash, is read
//!   back first (one query for all of them): stale rows of our attributes are updated to the
//!   new value (or deleted when duplicated), and only missing attributes go into consume.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use tq_common::threatq::{AttributeWrite, IndicatorUpsert, NameRef, ObjRef, SourceWrite, ThreatQ};

use crate::change::{Change, Names};

fn fp<T: Hash + ?Sized>(v: &T) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Per file (key: its first hash), a fingerprint of the values last written to ThreatQ.
///
/// Kept in two generations of at most `cap / 2` files each, so memory stays bounded: a file
/// not seen for a long time is forgotten and, if it changes again, read back from ThreatQ
/// once. Persisted as 16-byte records appended to a file, compacted when it doubles.
#[derive(Debug)]
pub struct WrittenIndex {
    path: PathBuf,
    file: File,
    current: HashMap<u64, u64>,
    previous: HashMap<u64, u64>,
    cap: usize,
    records: usize,
}

impl WrittenIndex {
    pub fn open(path: &Path, cap: usize) -> io::Result<WrittenIndex> {
        let mut bytes = Vec::new();
        if let Ok(mut f) = File::open(path) {
            f.read_to_end(&mut bytes)?;
        }
        let mut idx = WrittenIndex {
            path: path.to_path_buf(),
            file: OpenOptions::new().create(true).append(true).open(path)?,
            current: HashMap::new(),
            previous: HashMap::new(),
            cap: cap.max(2),
            records: 0,
        };
        for rec in bytes.chunks_exact(16) {
            let mut k = [0u8; 8];
            let mut v = [0u8; 8];
            k.copy_from_slice(&rec[..8]);
            v.copy_from_slice(&rec[8..]);
            idx.put(u64::from_le_bytes(k), u64::from_le_bytes(v));
        }
        idx.records = bytes.len() / 16;
        idx.compact_if_needed()?;
        Ok(idx)
    }

    fn put(&mut self, k: u64, v: u64) {
        if self.current.len() >= self.cap / 2 && !self.current.contains_key(&k) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(k, v);
    }

    pub fn get(&self, file_key: &str) -> Option<u64> {
        let k = fp(file_key);
        self.current
            .get(&k)
            .or_else(|| self.previous.get(&k))
            .copied()
    }

    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records written values (appended to the file in one write).
    pub fn record<'a>(&mut self, entries: impl Iterator<Item = (&'a str, u64)>) -> io::Result<()> {
        let mut buf = Vec::new();
        for (key, v) in entries {
            let k = fp(key);
            self.put(k, v);
            buf.extend_from_slice(&k.to_le_bytes());
            buf.extend_from_slice(&v.to_le_bytes());
            self.records += 1;
        }
        self.file.write_all(&buf)?;
        self.compact_if_needed()
    }

    fn compact_if_needed(&mut self) -> io::Result<()> {
        if self.records <= 2 * self.len().max(1024) {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(self.len() * 16);
        for (k, v) in self.previous.iter().chain(self.current.iter()) {
            buf.extend_from_slice(&k.to_le_bytes());
            buf.extend_from_slice(&v.to_le_bytes());
        }
        tq_common::files::write_atomic(&self.path, &buf, 0o600)?;
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.records = self.len();
        Ok(())
    }
}

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
    fn values_fp(&self, c: &Change) -> u64 {
        let attrs: Vec<(&str, &str)> = c.attributes(&self.names).collect();
        fp(&(
            &self.names.source,
            &self.status,
            attrs,
            c.indicators().collect::<Vec<_>>(),
        ))
    }

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
            let v = self.values_fp(c);
            match self.index.get(k) {
                Some(old) if old == v => out.unchanged += 1,
                Some(_) => {
                    check.push(c);
                    to_write.push((c, v));
                }
                None => {
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
                    self.index.path.display()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_persists_and_stays_bounded() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("x.written");
        {
            let mut i = WrittenIndex::open(&p, 1000).expect("open");
            let keys: Vec<String> = (0..10).map(|n| format!("k{n}")).collect();
            i.record(keys.iter().map(|k| (k.as_str(), 7)))
                .expect("record");
            i.record(std::iter::once(("k3", 9))).expect("record");
            assert_eq!(i.get("k3"), Some(9));
        }
        let i = WrittenIndex::open(&p, 1000).expect("reopen");
        assert_eq!(i.get("k0"), Some(7));
        assert_eq!(i.get("k3"), Some(9), "last record wins");
        assert_eq!(i.get("nope"), None);
        let mut i = WrittenIndex::open(&d.path().join("y"), 100).expect("open");
        let keys: Vec<String> = (0..1000).map(|n| format!("f{n}")).collect();
        for k in &keys {
            i.record(std::iter::once((k.as_str(), 1))).expect("record");
        }
        assert!(i.len() <= 100, "{}", i.len());
        assert_eq!(i.get("f999"), Some(1), "recent files are kept");
        assert_eq!(i.get("f0"), None, "old files are forgotten");
    }
}
