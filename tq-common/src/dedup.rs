//! A bounded, persisted index of processed ids or fingerprints: "has this message been
//! handled?", "was this file written with exactly these values?", "was this alert sent?".
//!
//! Keys are hashed with [`Fingerprint`] (FNV-1a 64 over a fixed, length-prefixed encoding),
//! never with std's `DefaultHasher`, whose algorithm may change between Rust releases: a
//! file written by one build must mean the same to the next.
//!
//! [`Index`] keeps two generations of at most `keep` keys each, so the `keep` most recently
//! recorded keys are always remembered and at most 2 × `keep` are held: memory is bounded
//! (16 bytes a key on disk, a few tens in memory) and an old key is forgotten eventually.
//!
//! On disk (`path`): a 24-byte header (magic `TQDEDUP\0`, format version, u32 reserved,
//! u64 count of legacy records), then 16-byte records (key, value; little endian), appended
//! per [`Index::record`] call in one write and compacted atomically
//! ([`crate::files::write_atomic`]) when the file holds twice as many records as keys.
//!
//! Format 0 is the header-less file tq-tie-listener wrote as `<instance>.written` before this
//! module existed (release d0a9227 and earlier): the same records, but keys hashed with the
//! Rust 1.x `DefaultHasher`. Such a file is read, never discarded: its records become the
//! *legacy* generation, which the caller looks up with its own former hash
//! ([`Index::get_legacy`]), and the file is rewritten in the current format at once. Legacy
//! records age out like an old generation: they are dropped once the index has turned over
//! twice. A file of a newer format is refused with an error naming it.
//!
//! ```
//! use tq_common::dedup::Index;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("tq-resilient-fn.processed");
//! let mut seen = Index::open(&path, 10_000).unwrap();
//! assert!(seen.insert("ID:broker-1:1:1:1").unwrap(), "new");
//! assert!(!seen.insert("ID:broker-1:1:1:1").unwrap(), "seen before");
//! drop(seen);
//! assert!(Index::open(&path, 10_000).unwrap().contains("ID:broker-1:1:1:1"));
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::files::{open_append, with_path};

/// The on-disk format written by this release.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"TQDEDUP\0";
const HEADER: usize = 24;
const RECORD: usize = 16;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `bytes`: stable across builds and platforms.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    Fingerprint::raw().bytes(bytes).finish()
}

/// A stable 64-bit fingerprint of a sequence of fields: FNV-1a 64 over each field's length
/// (u64, little endian) followed by its bytes, so `("ab", "c")` and `("a", "bc")` differ.
///
/// ```
/// use tq_common::dedup::Fingerprint;
/// let a = Fingerprint::new().str("MD5").str("44d88612fea8a8f36de82e1278abb02f").finish();
/// let b = Fingerprint::new().str("MD5").str("44d88612fea8a8f36de82e1278abb02f").finish();
/// assert_eq!(a, b);
/// assert_ne!(a, Fingerprint::new().str("MD544d8").str("8612fea8a8f36de82e1278abb02f").finish());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Fingerprint {
        Fingerprint::new()
    }
}

impl Fingerprint {
    /// An empty fingerprint.
    pub fn new() -> Fingerprint {
        Fingerprint(FNV_OFFSET)
    }

    fn raw() -> Fingerprint {
        Fingerprint(FNV_OFFSET)
    }

    fn bytes(mut self, bytes: &[u8]) -> Fingerprint {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
        self
    }

    /// Adds a byte-string field.
    pub fn field(self, bytes: &[u8]) -> Fingerprint {
        self.bytes(&(bytes.len() as u64).to_le_bytes()).bytes(bytes)
    }

    /// Adds a text field.
    pub fn str(self, s: &str) -> Fingerprint {
        self.field(s.as_bytes())
    }

    /// Adds a number field (8 bytes, little endian).
    pub fn u64(self, n: u64) -> Fingerprint {
        self.bytes(&n.to_le_bytes())
    }

    /// The 64-bit value.
    pub fn finish(self) -> u64 {
        self.0
    }

    /// The key an [`Index`] files `key` under.
    pub fn key(key: &str) -> u64 {
        Fingerprint::new().str(key).finish()
    }
}

/// The bounded processed-id / fingerprint index; see the module docs.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    file: File,
    current: HashMap<u64, u64>,
    previous: HashMap<u64, u64>,
    /// Records of a format-0 file, keyed by the caller's former hash.
    legacy: HashMap<u64, u64>,
    /// Turn-overs since the legacy records were loaded (they go at the second).
    legacy_age: u8,
    keep: usize,
    /// Records in the file after the header (compaction when it doubles).
    records: usize,
}

fn bad_data(path: &Path, msg: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {msg}", path.display()),
    )
}

fn records(bytes: &[u8]) -> impl Iterator<Item = (u64, u64)> + '_ {
    bytes.chunks_exact(RECORD).map(|r| {
        let mut k = [0u8; 8];
        let mut v = [0u8; 8];
        k.copy_from_slice(&r[..8]);
        v.copy_from_slice(&r[8..]);
        (u64::from_le_bytes(k), u64::from_le_bytes(v))
    })
}

impl Index {
    /// Opens (or creates, mode 0600) the index at `path`, remembering at least the `keep`
    /// most recently recorded keys. A format-0 file is migrated (module docs); a torn last
    /// record (a crash in the middle of a write) is cut off; a file of a newer format, or
    /// one that is not an index, is an error naming it.
    pub fn open(path: &Path, keep: usize) -> io::Result<Index> {
        let mut bytes = Vec::new();
        match File::open(path) {
            Ok(mut f) => {
                f.read_to_end(&mut bytes).map_err(|e| with_path(path, e))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(with_path(path, e)),
        }
        let mut idx = Index {
            path: path.to_path_buf(),
            file: open_append(path, 0o600)?,
            current: HashMap::new(),
            previous: HashMap::new(),
            legacy: HashMap::new(),
            legacy_age: 0,
            keep: keep.max(1),
            records: 0,
        };
        if bytes.is_empty() {
            idx.rewrite()?;
            return Ok(idx);
        }
        if !bytes.starts_with(MAGIC) {
            // Format 0: records only, keys in the caller's former hash.
            idx.legacy = records(&bytes).collect();
            log::info!(
                "{}: index of an earlier release ({} record(s)) migrated to format {FORMAT_VERSION}",
                path.display(),
                bytes.len() / RECORD
            );
            idx.rewrite()?;
            return Ok(idx);
        }
        if bytes.len() < HEADER {
            return Err(bad_data(path, "index header cut short"));
        }
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let version = word(8);
        if version != FORMAT_VERSION {
            return Err(bad_data(
                path,
                format!(
                    "index format {version} was written by a newer release; this release reads \
                     format {FORMAT_VERSION} (and 0); keep the file and run the newer release"
                ),
            ));
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&bytes[16..24]);
        let legacy_n = usize::try_from(u64::from_le_bytes(n)).unwrap_or(usize::MAX);
        let body = &bytes[HEADER..];
        let whole = body.len() / RECORD * RECORD;
        if legacy_n > whole / RECORD {
            return Err(bad_data(
                path,
                "index header counts more records than it holds",
            ));
        }
        if whole < body.len() {
            // A torn append: cut it so that the next records stay aligned.
            idx.file
                .set_len((HEADER + whole) as u64)
                .map_err(|e| with_path(path, e))?;
        }
        let (old, new) = body[..whole].split_at(legacy_n * RECORD);
        idx.legacy = records(old).collect();
        for (k, v) in records(new) {
            idx.put(k, v);
        }
        idx.records = whole / RECORD;
        idx.compact_if_needed()?;
        Ok(idx)
    }

    fn put(&mut self, k: u64, v: u64) {
        if self.current.len() >= self.keep && !self.current.contains_key(&k) {
            self.previous = std::mem::take(&mut self.current);
            if !self.legacy.is_empty() {
                self.legacy_age += 1;
                if self.legacy_age >= 2 {
                    self.legacy = HashMap::new();
                }
            }
        }
        self.current.insert(k, v);
    }

    /// The value last recorded for `key`, if it is still remembered.
    pub fn get(&self, key: &str) -> Option<u64> {
        let k = Fingerprint::key(key);
        self.current
            .get(&k)
            .or_else(|| self.previous.get(&k))
            .copied()
    }

    /// Whether `key` is remembered.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Whether records migrated from a format-0 file are still held.
    pub fn has_legacy(&self) -> bool {
        !self.legacy.is_empty()
    }

    /// The value of a migrated format-0 record, looked up by the key as the earlier release
    /// hashed it. Check [`Index::get`] first: a key recorded since wins.
    pub fn get_legacy(&self, legacy_key: u64) -> Option<u64> {
        self.legacy.get(&legacy_key).copied()
    }

    /// Keys remembered (a key recorded in both generations counts twice; legacy records
    /// are not counted).
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// Nothing remembered (legacy records aside).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `(key, value)` pairs, appended to the file in one write. Not synced: after a
    /// power loss the last records may be missing, so work is repeated, never skipped.
    pub fn record<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> io::Result<()> {
        let mut buf = Vec::new();
        for (key, v) in entries {
            let k = Fingerprint::key(key);
            self.put(k, v);
            buf.extend_from_slice(&k.to_le_bytes());
            buf.extend_from_slice(&v.to_le_bytes());
            self.records += 1;
        }
        if buf.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(&buf)
            .map_err(|e| with_path(&self.path, e))?;
        self.compact_if_needed()
    }

    /// Records `key` as seen (value 0); `true` when it was not remembered before.
    pub fn insert(&mut self, key: &str) -> io::Result<bool> {
        let new = !self.contains(key);
        if new {
            self.record([(key, 0)])?;
        }
        Ok(new)
    }

    /// Flushes the appended records to the disk (fsync).
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data().map_err(|e| with_path(&self.path, e))
    }

    fn compact_if_needed(&mut self) -> io::Result<()> {
        if self.records <= 2 * (self.len() + self.legacy.len()).max(1024) {
            return Ok(());
        }
        self.rewrite()
    }

    /// Writes the whole index atomically in the current format and reopens it for appends.
    fn rewrite(&mut self) -> io::Result<()> {
        let n = self.len() + self.legacy.len();
        let mut buf = Vec::with_capacity(HEADER + n * RECORD);
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&(self.legacy.len() as u64).to_le_bytes());
        // Oldest first, so that replaying the file rebuilds the same generations.
        for (k, v) in self
            .legacy
            .iter()
            .chain(self.previous.iter())
            .chain(self.current.iter())
        {
            buf.extend_from_slice(&k.to_le_bytes());
            buf.extend_from_slice(&v.to_le_bytes());
        }
        crate::files::write_atomic(&self.path, &buf, 0o600)
            .map_err(|e| with_path(&self.path, e))?;
        self.file = open_append(&self.path, 0o600)?;
        self.records = self.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

    #[test]
    fn fnv1a64_reference_vectors() {
        // The published FNV-1a 64 test vectors (Fowler/Noll/Vo).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn fingerprints_are_fixed_and_prefix_free() {
        // Fixed values: a change here would make every index on disk meaningless.
        assert_eq!(Fingerprint::new().finish(), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fingerprint::key(""), fnv1a64(&[0; 8]));
        assert_eq!(
            Fingerprint::key("a"),
            fnv1a64(&[1, 0, 0, 0, 0, 0, 0, 0, b'a'])
        );
        assert_eq!(
            Fingerprint::key("44d88612fea8a8f36de82e1278abb02f"),
            0x7dd8_6fe1_d6b1_d205
        );
        assert_eq!(
            Fingerprint::new().u64(7).finish(),
            fnv1a64(&7u64.to_le_bytes())
        );
        let ab_c = Fingerprint::new().str("ab").str("c").finish();
        let a_bc = Fingerprint::new().str("a").str("bc").finish();
        assert_ne!(ab_c, a_bc);
        assert_ne!(
            Fingerprint::new().str("").str("x").finish(),
            Fingerprint::new().str("x").str("").finish()
        );
    }

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("tempdir")
    }

    #[test]
    fn persists_last_record_wins_and_stays_bounded() {
        let d = tmp();
        let p = d.path().join("x.idx");
        {
            let mut i = Index::open(&p, 500).expect("open");
            let keys: Vec<String> = (0..10).map(|n| format!("k{n}")).collect();
            i.record(keys.iter().map(|k| (k.as_str(), 7)))
                .expect("record");
            i.record([("k3", 9)]).expect("record");
            assert_eq!(i.get("k3"), Some(9));
        }
        let bytes = std::fs::read(&p).expect("read");
        assert_eq!(&bytes[..8], MAGIC);
        assert_eq!(bytes[8..12], FORMAT_VERSION.to_le_bytes());
        let i = Index::open(&p, 500).expect("reopen");
        assert_eq!(i.get("k0"), Some(7));
        assert_eq!(i.get("k3"), Some(9), "last record wins");
        assert_eq!(i.get("nope"), None);

        let mut i = Index::open(&d.path().join("y"), 50).expect("open");
        let keys: Vec<String> = (0..1000).map(|n| format!("f{n}")).collect();
        for k in &keys {
            i.record([(k.as_str(), 1)]).expect("record");
        }
        assert!(i.len() <= 100, "{}", i.len());
        assert_eq!(i.get("f0"), None, "old keys are forgotten");
        for k in &keys[950..] {
            assert!(i.contains(k), "{k}: the last `keep` keys are remembered");
        }
    }

    #[test]
    fn the_last_10000_message_ids_are_remembered_across_restarts() {
        let d = tmp();
        let p = d.path().join("processed");
        let id = |n: u32| format!("ID:host-35545-1634461020363-3:2:{n}:1:1");
        {
            let mut i = Index::open(&p, 10_000).expect("open");
            for n in 0..25_000 {
                assert!(i.insert(&id(n)).expect("insert"));
            }
            assert!(!i.insert(&id(24_999)).expect("again"));
        }
        let i = Index::open(&p, 10_000).expect("reopen");
        for n in 15_000..25_000 {
            assert!(i.contains(&id(n)), "{n}");
        }
        assert!(!i.contains(&id(0)));
        let size = std::fs::metadata(&p).expect("meta").len() as usize;
        assert!(size <= HEADER + 4 * 10_000 * RECORD, "compacted: {size}");
    }

    #[test]
    fn a_torn_last_record_is_cut_and_later_records_stay_aligned() {
        let d = tmp();
        let p = d.path().join("x");
        Index::open(&p, 100)
            .expect("open")
            .record([("a", 1)])
            .expect("record");
        let mut f = OpenOptions::new().append(true).open(&p).expect("open");
        f.write_all(&[0xab; 7]).expect("torn");
        drop(f);
        let mut i = Index::open(&p, 100).expect("reopen");
        assert_eq!(i.get("a"), Some(1));
        i.record([("b", 2)]).expect("record");
        let i = Index::open(&p, 100).expect("reopen");
        assert_eq!((i.get("a"), i.get("b")), (Some(1), Some(2)));
    }

    #[test]
    fn format_0_records_become_legacy_and_age_out() {
        let d = tmp();
        let p = d.path().join("old.written");
        let mut v0 = Vec::new();
        for (k, v) in [(11u64, 111u64), (22, 222)] {
            v0.extend_from_slice(&k.to_le_bytes());
            v0.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(&p, &v0).expect("write");
        let mut i = Index::open(&p, 2).expect("open");
        assert!(i.has_legacy());
        assert_eq!(i.get_legacy(22), Some(222));
        assert_eq!(i.get_legacy(33), None);
        // Migrated on disk at once, and still legacy after a restart.
        assert!(std::fs::read(&p).expect("read").starts_with(MAGIC));
        i.record([("x", 1)]).expect("record");
        let mut i = Index::open(&p, 2).expect("reopen");
        assert_eq!(i.get_legacy(11), Some(111));
        assert_eq!(i.get("x"), Some(1));
        // Two turn-overs later the legacy records are gone.
        for k in ["a", "b", "c", "d"] {
            i.record([(k, 0)]).expect("record");
        }
        assert!(!i.has_legacy());
        assert_eq!(i.get_legacy(11), None);
    }

    #[test]
    fn a_newer_format_or_a_foreign_header_is_refused_naming_the_file() {
        let d = tmp();
        let p = d.path().join("new.idx");
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&[0; 12]);
        std::fs::write(&p, &b).expect("write");
        let e = Index::open(&p, 10).expect_err("newer").to_string();
        assert!(e.contains("new.idx") && e.contains("format 2"), "{e}");
        assert_eq!(std::fs::read(&p).expect("kept"), b, "never discarded");
        std::fs::write(&p, &MAGIC[..]).expect("write");
        let e = Index::open(&p, 10).expect_err("short").to_string();
        assert!(e.contains("new.idx"), "{e}");
    }
}
