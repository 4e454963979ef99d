//! The written index (`<config dir>/<instance>.written`): per file (key: its first hash), a
//! fingerprint of the values last written to ThreatQ, so that a change already written is
//! skipped and a changed value is updated in place rather than added beside the old one.
//!
//! On `tq_common::dedup::Index`: stable FNV-1a fingerprints, a versioned file, memory bounded
//! (at least the last `keep` files, at most twice as many; a file forgotten and changed again
//! is read back from ThreatQ once). The header-less file of release d0a9227 and earlier is
//! migrated: its records are looked up with the hash that release used ([`crate::written_v0`]),
//! so an upgrade neither repeats writes nor loses the knowledge that a file was written.

use std::io;
use std::path::Path;

use tq_common::dedup::{Fingerprint, Index};

use crate::change::{Change, Names};
use crate::written_v0;

/// What the index knows of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Written with exactly these values.
    Same,
    /// Written, with other values.
    Changed,
    /// Not remembered.
    Unknown,
}

/// The written index; see the module docs.
#[derive(Debug)]
pub struct WrittenIndex {
    index: Index,
}

/// The fingerprint of what `c` writes: source, status, attributes and indicators.
pub fn values(names: &Names, status: &str, c: &Change) -> u64 {
    let mut f = Fingerprint::new().str(&names.source).str(status);
    f = f.u64(c.attributes(names).count() as u64);
    for (n, v) in c.attributes(names) {
        f = f.str(n).str(v);
    }
    f = f.u64(c.indicators().count() as u64);
    for (t, v) in c.indicators() {
        f = f.str(t).str(v);
    }
    f.finish()
}

impl WrittenIndex {
    /// Opens (or creates) the index at `path`, remembering at least the last `keep` files.
    pub fn open(path: &Path, keep: usize) -> io::Result<WrittenIndex> {
        Ok(WrittenIndex {
            index: Index::open(path, keep)?,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        self.index.path()
    }

    /// Files remembered (about).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Nothing remembered.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// What is known of `c` (its file key) written with `names` and `status`, whose values
    /// have the fingerprint `fingerprint` ([`values`]).
    pub fn lookup(&self, names: &Names, status: &str, c: &Change, fingerprint: u64) -> Known {
        let known = |old: u64, now: u64| {
            if old == now {
                Known::Same
            } else {
                Known::Changed
            }
        };
        let file = c.file_key();
        if let Some(old) = self.index.get(file) {
            return known(old, fingerprint);
        }
        if self.index.has_legacy() {
            if let Some(old) = self.index.get_legacy(written_v0::key(file)) {
                return known(old, written_v0::values(names, status, c));
            }
        }
        Known::Unknown
    }

    /// Records the fingerprints of files written (one append).
    pub fn record<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> io::Result<()> {
        self.index.record(entries)
    }
}
