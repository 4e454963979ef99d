//! A bounded on-disk queue of records (a journal): what a service has accepted and not yet
//! delivered, so that a killed process loses nothing.
//!
//! Every record is appended as one JSON line to the current segment file with one `write`
//! call before anything else happens to it. A consumer reads batches from the acknowledged
//! position ([`Journal::read_batch`]) and acknowledges a batch only after its work is done
//! ([`Journal::ack`]); the position is kept in the file `cursor`, written atomically with
//! fsync ([`crate::files::write_atomic`]), and segments wholly before it are deleted. On
//! start, records after the cursor are waiting: they are read first and flagged
//! [`Batch::recovered`] (the process may have died between the work and the
//! acknowledgement, so the consumer must make repeating them harmless).
//!
//! The queue is bounded by bytes: when full, new records are refused and counted
//! ([`Journal::take_dropped`]), so a long outage downstream cannot fill the disk.
//!
//! On disk, in the queue directory: segments `<n:016>.jsonl` (a new one past 8 MiB) and
//! `cursor`, `{"format":"tq-journal","version":1,"segment":N,"offset":BYTES}`. The cursor of
//! release d0a9227 and earlier (tq-tie-listener's queue: `N BYTES`, same segments) is read
//! and rewritten in the current format at open; a cursor of a newer format is refused with
//! an error naming it, and nothing is deleted.
//!
//! ```
//! use tq_common::journal::Journal;
//! let dir = tempfile::tempdir().unwrap();
//! let q: Journal<String> = Journal::open(dir.path(), 1 << 20).unwrap();
//! assert!(q.append(&"alert 1".to_string()).unwrap());
//! let batch = q.read_batch(100).unwrap();
//! // ... deliver batch.items, then:
//! q.ack(batch.end, batch.len()).unwrap();
//! assert_eq!(q.waiting(), 0);
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::files::{open_append, with_path};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The cursor format written by this release.
pub const FORMAT_VERSION: u32 = 1;

/// A segment is closed and a new one started past this size.
pub const SEGMENT_BYTES: u64 = 8 * 1024 * 1024;

const FORMAT_NAME: &str = "tq-journal";
const CURSOR: &str = "cursor";

/// A position in the queue: segment number and byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// The segment (file `<segment:016>.jsonl`).
    pub segment: u64,
    /// The byte offset in it.
    pub offset: u64,
}

/// Records read from the queue, not yet acknowledged.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<T> {
    /// The records, oldest first.
    pub items: Vec<T>,
    /// Where the batch ends (acknowledge this).
    pub end: Pos,
    /// True when some records were waiting when the process started: their work may have
    /// been done already.
    pub recovered: bool,
    /// Lines that could not be read back as a `T` (skipped; the caller logs them).
    pub unreadable: usize,
}

impl<T> Batch<T> {
    /// Lines the batch covers (records and unreadable lines): what [`Journal::ack`] takes.
    pub fn len(&self) -> u64 {
        (self.items.len() + self.unreadable) as u64
    }

    /// Nothing read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug)]
struct Inner {
    file: File,
    head: Pos,
    acked: Pos,
    /// Records between `acked` and `head`.
    waiting: u64,
    waiting_bytes: u64,
    /// Records refused because the queue was full, since the last report.
    dropped: u64,
    /// The head position when the process started (records before it are "recovered").
    recovered_until: Pos,
    /// The count a consumer in [`Journal::wait_for`] waits for.
    wake_at: u64,
}

/// The queue of `T` records; shared by a producer (appends) and a consumer (reads,
/// acknowledges), e.g. through an `Arc`.
#[derive(Debug)]
pub struct Journal<T> {
    dir: PathBuf,
    max_bytes: u64,
    inner: Mutex<Inner>,
    cond: Condvar,
    _records: PhantomData<fn(T) -> T>,
}

#[derive(Serialize, Deserialize)]
struct CursorFile {
    format: String,
    version: u32,
    segment: u64,
    offset: u64,
}

fn seg_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:016}.jsonl"))
}

fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir).map_err(|e| with_path(dir, e))? {
        let name = e.map_err(|e| with_path(dir, e))?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name
            .strip_suffix(".jsonl")
            .and_then(|n| n.parse::<u64>().ok())
        {
            v.push(n);
        }
    }
    v.sort_unstable();
    Ok(v)
}

/// Where a cursor came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    /// This release's format.
    Current,
    /// No cursor yet (a new queue, or one never acknowledged).
    Missing,
    /// Written by release d0a9227 or earlier.
    Earlier,
}

/// Reads the cursor and says where it came from.
fn read_cursor(dir: &Path) -> io::Result<(Pos, Cursor)> {
    let path = dir.join(CURSOR);
    let text = match fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok((Pos::default(), Cursor::Missing))
        }
        Err(e) => return Err(with_path(&path, e)),
    };
    let bad = |why: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {why}", path.display()),
        )
    };
    if text.trim_start().starts_with('{') {
        let c: CursorFile =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a queue cursor ({e})")))?;
        if c.format != FORMAT_NAME {
            return Err(bad(format!("not a queue cursor (format {:?})", c.format)));
        }
        if c.version != FORMAT_VERSION {
            return Err(bad(format!(
                "queue format {} was written by a newer release; this release reads format \
                 {FORMAT_VERSION}; nothing was changed: run the newer release",
                c.version
            )));
        }
        return Ok((
            Pos {
                segment: c.segment,
                offset: c.offset,
            },
            Cursor::Current,
        ));
    }
    // Release d0a9227 and earlier: "<segment> <offset>".
    let mut it = text.split_whitespace().map(str::parse::<u64>);
    match (it.next(), it.next(), it.next()) {
        (Some(Ok(segment)), Some(Ok(offset)), None) => {
            Ok((Pos { segment, offset }, Cursor::Earlier))
        }
        _ => Err(bad(format!("not a queue cursor: {:?}", text.trim()))),
    }
}

fn write_cursor(dir: &Path, pos: Pos) -> io::Result<()> {
    let c = CursorFile {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        segment: pos.segment,
        offset: pos.offset,
    };
    let mut bytes = serde_json::to_vec(&c).map_err(io::Error::other)?;
    bytes.push(b'\n');
    let path = dir.join(CURSOR);
    crate::files::write_atomic(&path, &bytes, 0o600).map_err(|e| with_path(&path, e))
}

impl<T: Serialize + DeserializeOwned> Journal<T> {
    /// Opens (or creates) the queue in `dir`, holding at most `max_bytes` of waiting
    /// records. A torn last line (a crash in the middle of a write) is cut off; a cursor of
    /// an earlier release is migrated (module docs). Errors name the file involved.
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<Journal<T>> {
        fs::create_dir_all(dir).map_err(|e| with_path(dir, e))?;
        let (cursor, found) = read_cursor(dir)?;
        let segs = segments(dir)?;
        let last = segs
            .last()
            .copied()
            .unwrap_or(cursor.segment)
            .max(cursor.segment);
        let acked = match segs.first() {
            // The cursor may point into a segment that was deleted: start at the first one.
            Some(&first) if first > cursor.segment => Pos {
                segment: first,
                offset: 0,
            },
            _ => cursor,
        };
        // Count what is waiting; cut a torn last line.
        let mut waiting = 0;
        let mut waiting_bytes = 0;
        let mut head = Pos {
            segment: last,
            offset: 0,
        };
        for &s in segs.iter().filter(|&&s| s >= acked.segment) {
            let path = seg_path(dir, s);
            let bytes = fs::read(&path).map_err(|e| with_path(&path, e))?;
            let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            if complete < bytes.len() {
                OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(complete as u64))
                    .map_err(|e| with_path(&path, e))?;
            }
            let from = if s == acked.segment {
                (acked.offset as usize).min(complete)
            } else {
                0
            };
            waiting += bytes[from..complete]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            waiting_bytes += (complete - from) as u64;
            if s == last {
                head.offset = complete as u64;
            }
        }
        if head.segment == acked.segment && head.offset < acked.offset {
            // The segment is shorter than the cursor says (cut by hand?): appending to it
            // would put new records before the cursor, so start the next one.
            head = Pos {
                segment: head.segment + 1,
                offset: 0,
            };
        }
        if found != Cursor::Current {
            write_cursor(dir, acked)?;
        }
        if found == Cursor::Earlier {
            log::info!(
                "{}: queue of an earlier release migrated to format {FORMAT_VERSION} \
                 ({waiting} record(s) waiting)",
                dir.display()
            );
        }
        let file = open_append(&seg_path(dir, head.segment), 0o600)?;
        Ok(Journal {
            dir: dir.to_path_buf(),
            max_bytes,
            cond: Condvar::new(),
            inner: Mutex::new(Inner {
                file,
                head,
                acked,
                waiting,
                waiting_bytes,
                dropped: 0,
                recovered_until: if waiting > 0 { head } else { acked },
                wake_at: 1,
            }),
            _records: PhantomData,
        })
    }

    /// The queue directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a record (one `write`). `Ok(false)` when the queue is full and the record was
    /// refused (counted for [`Journal::take_dropped`]).
    pub fn append(&self, record: &T) -> io::Result<bool> {
        let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut g = self.lock();
        if g.waiting_bytes + line.len() as u64 > self.max_bytes {
            g.dropped += 1;
            return Ok(false);
        }
        if g.head.offset >= SEGMENT_BYTES {
            let next = g.head.segment + 1;
            g.file = open_append(&seg_path(&self.dir, next), 0o600)?;
            g.head = Pos {
                segment: next,
                offset: 0,
            };
        }
        let seg = g.head.segment;
        g.file
            .write_all(&line)
            .map_err(|e| with_path(&seg_path(&self.dir, seg), e))?;
        g.head.offset += line.len() as u64;
        g.waiting += 1;
        g.waiting_bytes += line.len() as u64;
        // Wake the consumer only when a waiter's threshold may have been reached, not on
        // every append (a futex call and a context switch per record otherwise).
        let wake = g.waiting >= g.wake_at;
        drop(g);
        if wake {
            self.cond.notify_all();
        }
        Ok(true)
    }

    /// Records waiting.
    pub fn waiting(&self) -> u64 {
        self.lock().waiting
    }

    /// Records refused since the last call (queue full).
    pub fn take_dropped(&self) -> u64 {
        std::mem::take(&mut self.lock().dropped)
    }

    /// Waits until at least `n` records wait or `timeout` passed; returns the count waiting.
    pub fn wait_for(&self, n: u64, timeout: Duration) -> u64 {
        let mut g = self.lock();
        g.wake_at = n.max(1);
        let (g, _) = self
            .cond
            .wait_timeout_while(g, timeout, |i| i.waiting < n)
            .unwrap_or_else(|e| e.into_inner());
        g.waiting
    }

    /// Wakes a consumer blocked in [`Journal::wait_for`] (shutdown).
    pub fn wake(&self) {
        self.cond.notify_all();
    }

    /// Reads up to `max` lines from the acknowledged position.
    pub fn read_batch(&self, max: usize) -> io::Result<Batch<T>> {
        let (acked, head, recovered_until) = {
            let g = self.lock();
            (g.acked, g.head, g.recovered_until)
        };
        let mut items = Vec::new();
        let mut unreadable = 0;
        let mut pos = acked;
        let mut line = Vec::new();
        while items.len() + unreadable < max && pos < head {
            let path = seg_path(&self.dir, pos.segment);
            let mut f = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    pos = Pos {
                        segment: pos.segment + 1,
                        offset: 0,
                    };
                    continue;
                }
                Err(e) => return Err(with_path(&path, e)),
            };
            f.seek(SeekFrom::Start(pos.offset))
                .map_err(|e| with_path(&path, e))?;
            let limit = if pos.segment == head.segment {
                head.offset
            } else {
                u64::MAX
            };
            let mut rd = BufReader::with_capacity(64 * 1024, f);
            let mut at_end = true;
            while items.len() + unreadable < max && pos.offset < limit {
                line.clear();
                let n = rd
                    .read_until(b'\n', &mut line)
                    .map_err(|e| with_path(&path, e))?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break;
                }
                pos.offset += n as u64;
                match serde_json::from_slice::<T>(&line) {
                    Ok(c) => items.push(c),
                    Err(_) => unreadable += 1,
                }
                at_end = pos.offset >= limit;
            }
            if pos.segment < head.segment && (at_end || items.len() + unreadable < max) {
                // This segment is exhausted: go on with the next one.
                pos = Pos {
                    segment: pos.segment + 1,
                    offset: 0,
                };
            } else {
                break;
            }
        }
        Ok(Batch {
            recovered: acked < recovered_until,
            items,
            end: pos,
            unreadable,
        })
    }

    /// Acknowledges everything up to `end` (`lines` lines: [`Batch::len`]): persists the
    /// cursor (atomically, with fsync) and deletes the segments before it.
    pub fn ack(&self, end: Pos, lines: u64) -> io::Result<()> {
        let old = self.lock().acked;
        write_cursor(&self.dir, end)?;
        {
            let mut g = self.lock();
            let freed = bytes_between(&self.dir, old, end, g.head);
            g.acked = end;
            g.waiting = g.waiting.saturating_sub(lines);
            g.waiting_bytes = g.waiting_bytes.saturating_sub(freed);
            if g.waiting == 0 {
                g.waiting_bytes = 0;
            }
        }
        for s in old.segment..end.segment {
            let _ = fs::remove_file(seg_path(&self.dir, s));
        }
        Ok(())
    }
}

/// Bytes from `a` to `b` (segments between them are read from disk).
fn bytes_between(dir: &Path, a: Pos, b: Pos, head: Pos) -> u64 {
    if a.segment == b.segment {
        return b.offset.saturating_sub(a.offset);
    }
    let size = |s: u64| {
        if s == head.segment {
            head.offset
        } else {
            fs::metadata(seg_path(dir, s)).map(|m| m.len()).unwrap_or(0)
        }
    };
    let mut total = size(a.segment).saturating_sub(a.offset);
    for s in a.segment + 1..b.segment {
        total += size(s);
    }
    total + b.offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Rec {
        n: u64,
        text: String,
    }

    fn rec(n: u64) -> Rec {
        Rec {
            n,
            text: format!("{n:032x}"),
        }
    }

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().expect("tempdir")
    }

    #[test]
    fn append_read_ack_and_restart() {
        let d = tmp();
        let j = Journal::open(d.path(), 1 << 30).expect("open");
        for n in 0..10 {
            assert!(j.append(&rec(n)).expect("append"));
        }
        assert_eq!(j.waiting(), 10);
        let b = j.read_batch(4).expect("read");
        assert_eq!(b.items, (0..4).map(rec).collect::<Vec<_>>());
        assert!(!b.recovered);
        // Not acknowledged: the same records come again.
        assert_eq!(j.read_batch(4).expect("read").items, b.items);
        j.ack(b.end, b.len()).expect("ack");
        assert_eq!(j.waiting(), 6);
        drop(j);
        // A restart finds the 6 unacknowledged records, flagged as recovered.
        let j: Journal<Rec> = Journal::open(d.path(), 1 << 30).expect("reopen");
        assert_eq!(j.waiting(), 6);
        let b = j.read_batch(100).expect("read");
        assert_eq!(b.items, (4..10).map(rec).collect::<Vec<_>>());
        assert!(b.recovered);
        j.ack(b.end, 6).expect("ack");
        assert!(j.append(&rec(10)).expect("append"));
        let b = j.read_batch(100).expect("read");
        assert_eq!(b.items, vec![rec(10)]);
        assert!(!b.recovered, "records after the recovered ones are new");
    }

    #[test]
    fn the_cursor_carries_the_format_and_is_written_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let d = tmp();
        let j = Journal::open(d.path(), 1 << 30).expect("open");
        let cursor = d.path().join(CURSOR);
        assert_eq!(
            fs::read_to_string(&cursor).expect("cursor at open"),
            "{\"format\":\"tq-journal\",\"version\":1,\"segment\":0,\"offset\":0}\n"
        );
        j.append(&rec(1)).expect("append");
        let b = j.read_batch(10).expect("read");
        j.ack(b.end, b.len()).expect("ack");
        let c: CursorFile =
            serde_json::from_slice(&fs::read(&cursor).expect("read")).expect("json");
        assert_eq!((c.version, c.segment, c.offset), (1, 0, b.end.offset));
        let mode = fs::metadata(&cursor).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<String> = fs::read_dir(d.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
    }

    #[test]
    fn an_earlier_cursor_is_migrated_and_a_newer_one_refused() {
        let d = tmp();
        {
            let j = Journal::open(d.path(), 1 << 30).expect("open");
            for n in 0..5 {
                j.append(&rec(n)).expect("append");
            }
        }
        let line = serde_json::to_vec(&rec(0)).expect("json").len() + 1;
        fs::write(d.path().join(CURSOR), format!("0 {}\n", 2 * line)).expect("old cursor");
        let j: Journal<Rec> = Journal::open(d.path(), 1 << 30).expect("migrate");
        assert_eq!(j.waiting(), 3);
        assert!(fs::read_to_string(d.path().join(CURSOR))
            .expect("cursor")
            .contains("\"version\":1"));
        assert_eq!(
            j.read_batch(10).expect("read").items,
            (2..5).map(rec).collect::<Vec<_>>()
        );
        drop(j);

        let newer = "{\"format\":\"tq-journal\",\"version\":2,\"segment\":0,\"offset\":0}\n";
        fs::write(d.path().join(CURSOR), newer).expect("newer");
        let e = Journal::<Rec>::open(d.path(), 1 << 30)
            .expect_err("newer")
            .to_string();
        assert!(e.contains("cursor") && e.contains("format 2"), "{e}");
        assert_eq!(
            fs::read_to_string(d.path().join(CURSOR)).expect("kept"),
            newer
        );
        assert_eq!(segments(d.path()).expect("ls"), vec![0], "nothing deleted");
        fs::write(d.path().join(CURSOR), "garbage").expect("garbage");
        let e = Journal::<Rec>::open(d.path(), 1 << 30)
            .expect_err("garbage")
            .to_string();
        assert!(e.contains("not a queue cursor"), "{e}");
    }

    #[test]
    fn torn_last_line_is_cut_and_segments_roll_over() {
        let d = tmp();
        let per = serde_json::to_vec(&rec(0)).expect("json").len() as u64 + 1;
        let n = SEGMENT_BYTES / per * 2 + 10;
        {
            let j = Journal::open(d.path(), 1 << 40).expect("open");
            for i in 0..n {
                j.append(&rec(i)).expect("append");
            }
            assert!(segments(d.path()).expect("list").len() >= 3);
        }
        {
            // A restart in the middle of the second segment reads across segments.
            let j: Journal<Rec> = Journal::open(d.path(), 1 << 40).expect("reopen");
            assert_eq!(j.waiting(), n);
            let mut total = 0;
            loop {
                let b = j.read_batch(5000).expect("read");
                if b.is_empty() {
                    break;
                }
                assert_eq!(b.items[0], rec(total));
                assert!(b.recovered);
                total += b.items.len() as u64;
                j.ack(b.end, b.len()).expect("ack");
            }
            assert_eq!(total, n);
            assert_eq!(j.waiting(), 0);
            assert_eq!(
                segments(d.path()).expect("list").len(),
                1,
                "acked segments deleted"
            );
            j.append(&rec(1)).expect("append");
        }
        // A torn write at the end of the segment.
        let seg = *segments(d.path()).expect("list").last().expect("segment");
        let mut f = OpenOptions::new()
            .append(true)
            .open(seg_path(d.path(), seg))
            .expect("open seg");
        f.write_all(b"{\"n\":12,\"te").expect("torn");
        let j = Journal::open(d.path(), 1 << 40).expect("reopen");
        assert_eq!(j.waiting(), 1);
        j.append(&rec(2)).expect("append");
        let b = j.read_batch(10).expect("read");
        assert_eq!(b.items, vec![rec(1), rec(2)]);
        assert_eq!(b.unreadable, 0);
    }

    #[test]
    fn bounded_by_bytes_and_unreadable_lines_are_counted() {
        let d = tmp();
        let per = serde_json::to_vec(&rec(0)).expect("json").len() as u64 + 1;
        let j = Journal::open(d.path(), per * 3).expect("open");
        for n in 0..5 {
            j.append(&rec(n)).expect("append");
        }
        assert_eq!(j.waiting(), 3);
        assert_eq!(j.take_dropped(), 2);
        assert_eq!(j.take_dropped(), 0);
        let b = j.read_batch(10).expect("read");
        j.ack(b.end, 3).expect("ack");
        assert!(
            j.append(&rec(9)).expect("append"),
            "room again after the ack"
        );
        drop(j);
        let mut f = OpenOptions::new()
            .append(true)
            .open(seg_path(d.path(), 0))
            .expect("open seg");
        f.write_all(b"not json\n").expect("write");
        let j: Journal<Rec> = Journal::open(d.path(), 1 << 20).expect("reopen");
        let b = j.read_batch(10).expect("read");
        assert_eq!((b.items.len(), b.unreadable, b.len()), (1, 1, 2));
    }
}
