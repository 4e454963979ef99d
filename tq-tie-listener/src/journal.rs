//! The bounded on-disk queue of accepted changes (`<config dir>/<instance>.queue/`).
//!
//! Every accepted change is appended as one JSON line to the current segment file with one
//! `write` call before anything else happens to it, so a killed process loses nothing that
//! it had accepted. The ThreatQ writer reads batches from the acknowledged position and
//! acknowledges a batch only after ThreatQ took it; the position is kept in `cursor`
//! (written atomically), and segments wholly before it are deleted. On start, entries after
//! the cursor are waiting: they are written first, and flagged as possibly written already
//! (the process may have died between ThreatQ's answer and the acknowledgement).
//!
//! The queue is bounded by bytes: when full, new changes are refused and counted (the log
//! says how many), so a long ThreatQ outage cannot fill the disk.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::change::Change;

/// A segment is closed and a new one started past this size.
const SEGMENT_BYTES: u64 = 8 * 1024 * 1024;

/// A position in the queue: segment number and byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub segment: u64,
    pub offset: u64,
}

/// Entries read from the queue, not yet acknowledged.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub changes: Vec<Change>,
    /// Where the batch ends (acknowledge this).
    pub end: Pos,
    /// True when some entries were waiting when the process started: they may have reached
    /// ThreatQ already.
    pub recovered: bool,
    /// Lines that could not be read back (skipped, logged by the caller).
    pub unreadable: usize,
}

#[derive(Debug)]
struct Inner {
    file: File,
    head: Pos,
    acked: Pos,
    /// Entries between `acked` and `head`.
    waiting: u64,
    waiting_bytes: u64,
    /// Entries refused because the queue was full, since the last report.
    dropped: u64,
    /// The head position when the process started (entries before it are "recovered").
    recovered_until: Pos,
    /// The count a writer in [`Journal::wait_for`] waits for.
    wake_at: u64,
}

/// The queue; shared by the listener (appends) and the writer (reads, acknowledges).
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    max_bytes: u64,
    inner: Mutex<Inner>,
    cond: Condvar,
}

fn seg_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:016}.jsonl"))
}

fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut v = Vec::new();
    for e in fs::read_dir(dir)? {
        let name = e?.file_name();
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

impl Journal {
    /// Opens (or creates) the queue in `dir`, holding at most `max_bytes` of waiting entries.
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<Journal> {
        fs::create_dir_all(dir)?;
        let cursor = read_cursor(dir)?;
        let segs = segments(dir)?;
        let last = segs.last().copied().unwrap_or(cursor.segment);
        let acked = match segs.first() {
            // The cursor may point into a segment that was deleted: start at the first one.
            Some(&first) if first > cursor.segment => Pos {
                segment: first,
                offset: 0,
            },
            _ => cursor,
        };
        // Count what is waiting; cut a torn last line (a crash in the middle of a write).
        let mut waiting = 0;
        let mut waiting_bytes = 0;
        let mut head = Pos {
            segment: last,
            offset: 0,
        };
        for &s in segs.iter().filter(|&&s| s >= acked.segment) {
            let path = seg_path(dir, s);
            let bytes = fs::read(&path)?;
            let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            if complete < bytes.len() {
                OpenOptions::new()
                    .write(true)
                    .open(&path)?
                    .set_len(complete as u64)?;
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
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(seg_path(dir, head.segment))?;
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
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a change (one `write`). `Ok(false)` when the queue is full and the change was
    /// refused.
    pub fn append(&self, change: &Change) -> io::Result<bool> {
        let mut line = serde_json::to_vec(change).map_err(io::Error::other)?;
        line.push(b'\n');
        let mut g = self.lock();
        if g.waiting_bytes + line.len() as u64 > self.max_bytes {
            g.dropped += 1;
            return Ok(false);
        }
        if g.head.offset >= SEGMENT_BYTES {
            let next = g.head.segment + 1;
            g.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(seg_path(&self.dir, next))?;
            g.head = Pos {
                segment: next,
                offset: 0,
            };
        }
        g.file.write_all(&line)?;
        g.head.offset += line.len() as u64;
        g.waiting += 1;
        g.waiting_bytes += line.len() as u64;
        // Wake the writer only when a waiter's threshold may have been reached, not on
        // every append (a futex call and a context switch per change otherwise).
        let wake = g.waiting >= g.wake_at;
        drop(g);
        if wake {
            self.cond.notify_all();
        }
        Ok(true)
    }

    /// Entries waiting for ThreatQ.
    pub fn waiting(&self) -> u64 {
        self.lock().waiting
    }

    /// Changes refused since the last call (queue full).
    pub fn take_dropped(&self) -> u64 {
        std::mem::take(&mut self.lock().dropped)
    }

    /// Waits until at least `n` entries wait or `timeout` passed; returns the count waiting.
    pub fn wait_for(&self, n: u64, timeout: Duration) -> u64 {
        let mut g = self.lock();
        g.wake_at = n.max(1);
        let (g, _) = self
            .cond
            .wait_timeout_while(g, timeout, |i| i.waiting < n)
            .unwrap_or_else(|e| e.into_inner());
        g.waiting
    }

    /// Wakes a writer blocked in [`Journal::wait_for`] (shutdown).
    pub fn wake(&self) {
        self.cond.notify_all();
    }

    /// Reads up to `max` entries from the acknowledged position.
    pub fn read_batch(&self, max: usize) -> io::Result<Batch> {
        let (acked, head, recovered_until) = {
            let g = self.lock();
            (g.acked, g.head, g.recovered_until)
        };
        let mut changes = Vec::new();
        let mut unreadable = 0;
        let mut pos = acked;
        let mut line = Vec::new();
        while changes.len() + unreadable < max && pos < head {
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
                Err(e) => return Err(e),
            };
            f.seek(SeekFrom::Start(pos.offset))?;
            let limit = if pos.segment == head.segment {
                head.offset
            } else {
                u64::MAX
            };
            let mut rd = BufReader::with_capacity(64 * 1024, f);
            let mut at_end = true;
            while changes.len() + unreadable < max && pos.offset < limit {
                line.clear();
                let n = rd.read_until(b'\n', &mut line)?;
                if n == 0 || line.last() != Some(&b'\n') {
                    break;
                }
                pos.offset += n as u64;
                match serde_json::from_slice::<Change>(&line) {
                    Ok(c) => changes.push(c),
                    Err(_) => unreadable += 1,
                }
                at_end = pos.offset >= limit;
            }
            if pos.segment < head.segment && (at_end || changes.len() + unreadable < max) {
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
            changes,
            end: pos,
            unreadable,
        })
    }

    /// Acknowledges everything up to `end` (ThreatQ has it): persists the cursor and deletes
    /// the segments before it.
    pub fn ack(&self, end: Pos, entries: u64) -> io::Result<()> {
        let old = {
            let g = self.lock();
            g.acked
        };
        let tmp = self.dir.join("cursor.tmp");
        fs::write(&tmp, format!("{} {}\n", end.segment, end.offset))?;
        fs::rename(&tmp, self.dir.join("cursor"))?;
        let freed = {
            let mut g = self.lock();
            let freed = bytes_between(&self.dir, old, end, g.head);
            g.acked = end;
            g.waiting = g.waiting.saturating_sub(entries);
            g.waiting_bytes = g.waiting_bytes.saturating_sub(freed);
            if g.waiting == 0 {
                g.waiting_bytes = 0;
            }
            freed
        };
        let _ = freed;
        for s in old.segment..end.segment {
            let _ = fs::remove_file(seg_path(&self.dir, s));
        }
        Ok(())
    }
}

/// Bytes from `a` to `b` (segments between them are full-sized or read from disk).
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

fn read_cursor(dir: &Path) -> io::Result<Pos> {
    match fs::read_to_string(dir.join("cursor")) {
        Ok(s) => {
            let mut it = s.split_whitespace().map(|v| v.parse::<u64>());
            match (it.next(), it.next()) {
                (Some(Ok(segment)), Some(Ok(offset))) => Ok(Pos { segment, offset }),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: not a queue cursor", dir.join("cursor").display()),
                )),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Pos::default()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: u64) -> Change {
        Change {
            md5: Some(format!("{n:032x}")),
            sha1: None,
            sha256: None,
            levels: [None, Some("Known Malicious".into()), None],
            first_contact: None,
            prevalence: Some(n.to_string()),
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
            assert!(j.append(&change(n)).expect("append"));
        }
        assert_eq!(j.waiting(), 10);
        let b = j.read_batch(4).expect("read");
        assert_eq!(b.changes, (0..4).map(change).collect::<Vec<_>>());
        assert!(!b.recovered);
        // Not acknowledged: the same entries come again.
        assert_eq!(j.read_batch(4).expect("read").changes, b.changes);
        j.ack(b.end, 4).expect("ack");
        assert_eq!(j.waiting(), 6);
        drop(j);
        // A restart finds the 6 unacknowledged entries, flagged as recovered.
        let j = Journal::open(d.path(), 1 << 30).expect("reopen");
        assert_eq!(j.waiting(), 6);
        let b = j.read_batch(100).expect("read");
        assert_eq!(b.changes, (4..10).map(change).collect::<Vec<_>>());
        assert!(b.recovered);
        j.ack(b.end, 6).expect("ack");
        assert!(j.append(&change(10)).expect("append"));
        let b = j.read_batch(100).expect("read");
        assert_eq!(b.changes, vec![change(10)]);
        assert!(!b.recovered, "entries after the recovered ones are new");
    }

    #[test]
    fn torn_last_line_is_cut_and_segments_roll_over() {
        let d = tmp();
        {
            let j = Journal::open(d.path(), 1 << 40).expect("open");
            // Enough entries to fill two segments.
            let per = serde_json::to_vec(&change(0)).expect("json").len() as u64 + 1;
            let n = SEGMENT_BYTES / per * 2 + 10;
            for i in 0..n {
                j.append(&change(i)).expect("append");
            }
            assert!(segments(d.path()).expect("list").len() >= 3);
            let mut total = 0;
            loop {
                let b = j.read_batch(5000).expect("read");
                if b.changes.is_empty() {
                    break;
                }
                assert_eq!(b.changes[0], change(total));
                total += b.changes.len() as u64;
                j.ack(b.end, b.changes.len() as u64).expect("ack");
            }
            assert_eq!(total, n);
            assert_eq!(j.waiting(), 0);
            assert_eq!(
                segments(d.path()).expect("list").len(),
                1,
                "acked segments deleted"
            );
            j.append(&change(1)).expect("append");
        }
        // A torn write at the end of the segment.
        let seg = *segments(d.path()).expect("list").last().expect("segment");
        let mut f = OpenOptions::new()
            .append(true)
            .open(seg_path(d.path(), seg))
            .expect("open seg");
        f.write_all(b"{\"md5\":\"0000").expect("torn");
        let j = Journal::open(d.path(), 1 << 40).expect("reopen");
        assert_eq!(j.waiting(), 1);
        j.append(&change(2)).expect("append");
        let b = j.read_batch(10).expect("read");
        assert_eq!(b.changes, vec![change(1), change(2)]);
        assert_eq!(b.unreadable, 0);
    }

    #[test]
    fn bounded_by_bytes() {
        let d = tmp();
        let per = serde_json::to_vec(&change(0)).expect("json").len() as u64 + 1;
        let j = Journal::open(d.path(), per * 3).expect("open");
        for n in 0..5 {
            j.append(&change(n)).expect("append");
        }
        assert_eq!(j.waiting(), 3);
        assert_eq!(j.take_dropped(), 2);
        assert_eq!(j.take_dropped(), 0);
        let b = j.read_batch(10).expect("read");
        j.ack(b.end, 3).expect("ack");
        assert!(
            j.append(&change(9)).expect("append"),
            "room again after the ack"
        );
    }
}
