//! Which indicators of the saved search a run sends, and the state that remembers what is
//! done (docs/ctr-enrich.md "Incremental runs").
//!
//! The data collection has no date filter, so every run reads the whole collection and
//! picks the changed indicators itself. An indicator's *change time* is the latest of its
//! `created_at`, `updated_at` and `touched_at` (one-second resolution, UTC); its
//! *fingerprint* hashes the whole row as the collection returns it (timestamps, value,
//! type, status, description, attributes, sources...) except the fields ThreatQ
//! recalculates by itself (score, expiration). The state is:
//!
//! - `cursor`: every indicator whose change time is before it is done;
//! - `settled`: id → fingerprint of every done indicator whose change time is at or after
//!   the cursor: the ones seen in the cursor's own second, and the versions our own writes
//!   produced (read back after writing).
//!
//! An indicator is *changed* unless its fingerprint equals its `settled` entry or its change
//! time is before the cursor. So an indicator created or updated in the same second as the
//! cursor is still sent (not settled, or its fingerprint moved), and our own attribute and
//! status writes, which move `updated_at`/`touched_at`, do not make it changed: the
//! read-back recorded that exact version. A later change by anyone else moves the
//! fingerprint and it is sent again.
//!
//! After a run (or a batch), [`next_state`] rebuilds the state from a view of the
//! collection and the set of indicators still *pending* (not done, or changed during the
//! run): the cursor goes to the earliest pending change time (or the newest change time
//! when nothing is pending), and every other indicator at or after it is settled.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The persisted state (`<instance>.state.json`, format version 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The data collection the state belongs to.
    #[serde(default)]
    pub saved_search_hash: Option<String>,
    /// `YYYY-MM-DD HH:MM:SS` (UTC): indicators changed before it are done.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Indicator id → fingerprint of its done version (change time ≥ cursor).
    #[serde(default)]
    pub settled: BTreeMap<i64, String>,
    /// When the state was written (UTC, informational).
    #[serde(default)]
    pub saved_at: Option<String>,
}

/// What the selection needs of one indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Change time: the latest of created/updated/touched, normalised.
    pub key: String,
    /// Fingerprint of the version (16 hex digits).
    pub fp: String,
}

/// Which indicators a run selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// Those changed since the last run (all of them on the first run).
    LastRun,
    /// `--historical`: those whose change time is at or after this `YYYY-MM-DD HH:MM:SS`.
    Date(String),
}

/// A ThreatQ timestamp in the comparable form `YYYY-MM-DD HH:MM:SS` (ISO `T`, fractions
/// and a `Z` are dropped; ThreatQ times are UTC). Anything else is kept trimmed.
pub fn normalize_time(s: &str) -> String {
    let s = s.trim();
    match time_parts(s) {
        Some((date, time)) => format!("{date} {time}"),
        None => s.to_string(),
    }
}

/// `(YYYY-MM-DD, HH:MM:SS)` of a string that starts like a timestamp.
fn time_parts(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let shaped = b.len() >= 19
        && b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ' || *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    // The first 19 bytes are ASCII, so these are character boundaries.
    shaped.then(|| (&s[..10], &s[11..19]))
}

/// Top-level fields left out of the fingerprint: recalculated by ThreatQ on its own
/// (score, expiration), so a change there is not an update of the indicator.
pub const VOLATILE_FIELDS: &[&str] = &[
    "score",
    "expires_at",
    "expired_at",
    "expires_calculated_at",
    "expires_needs_calc",
    "last_detected_at",
];

fn field_time(row: &Value, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .map(normalize_time)
        .unwrap_or_default()
}

/// The change time of a collection row.
pub fn change_key(row: &Value) -> String {
    ["created_at", "updated_at", "touched_at"]
        .into_iter()
        .map(|k| field_time(row, k))
        .max()
        .unwrap_or_default()
}

/// FNV-1a, 64 bit: a hash that stays the same across builds and Rust versions.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(mut self, b: &[u8]) -> Fnv {
        for x in b {
            self.0 ^= u64::from(*x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self
    }
    fn u64(self, x: u64) -> Fnv {
        self.bytes(&x.to_le_bytes())
    }
}

/// The hash of a JSON value, independent of object key order and of array order (the
/// server may list attributes or sources in any order); timestamps are normalised.
fn hash_value(v: &Value) -> u64 {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort_unstable();
            keys.into_iter()
                .fold(Fnv::new().bytes(b"{"), |h, k| {
                    h.bytes(k.as_bytes()).u64(hash_value(&o[k.as_str()]))
                })
                .0
        }
        Value::Array(a) => {
            let mut items: Vec<u64> = a.iter().map(hash_value).collect();
            items.sort_unstable();
            items.into_iter().fold(Fnv::new().bytes(b"["), Fnv::u64).0
        }
        Value::String(s) => {
            let t = s.trim();
            let h = Fnv::new().bytes(b"\"");
            match time_parts(t) {
                Some((date, time)) => {
                    h.bytes(date.as_bytes())
                        .bytes(b" ")
                        .bytes(time.as_bytes())
                        .0
                }
                None => h.bytes(t.as_bytes()).0,
            }
        }
        Value::Number(n) => Fnv::new().bytes(n.to_string().as_bytes()).0,
        Value::Bool(b) => Fnv::new().bytes(if *b { b"t" } else { b"f" }).0,
        Value::Null => Fnv::new().bytes(b"n").0,
    }
}

/// The fingerprint of a collection row: every field (timestamps, value, type, status,
/// description, attributes, sources, tags, ...) except [`VOLATILE_FIELDS`], so a change in
/// the same second as the cursor is still seen.
pub fn fingerprint(row: &Value) -> String {
    let h = match row {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o
                .keys()
                .filter(|k| !VOLATILE_FIELDS.contains(&k.as_str()))
                .collect();
            keys.sort_unstable();
            keys.into_iter()
                .fold(Fnv::new(), |h, k| {
                    h.bytes(k.as_bytes()).u64(hash_value(&o[k.as_str()]))
                })
                .0
        }
        other => hash_value(other),
    };
    format!("{h:016x}")
}

/// Change time and fingerprint of a collection row.
pub fn snapshot(row: &Value) -> Snapshot {
    Snapshot {
        key: change_key(row),
        fp: fingerprint(row),
    }
}

impl State {
    /// Whether this version of indicator `id` still has to be sent.
    pub fn is_changed(&self, id: i64, snap: &Snapshot) -> bool {
        if self.settled.get(&id) == Some(&snap.fp) {
            return false;
        }
        match &self.cursor {
            None => true,
            Some(c) => snap.key.as_str() >= c.as_str(),
        }
    }

    /// Whether a run selects indicator `id`.
    pub fn selects(&self, since: &Since, id: i64, snap: &Snapshot) -> bool {
        match since {
            Since::LastRun => self.is_changed(id, snap),
            Since::Date(d) => snap.key.as_str() >= d.as_str(),
        }
    }
}

/// The state after a run (or a batch) given `view`, the collection as now known (id →
/// snapshot), the ids still `pending`, and the ids we wrote whose new version is not
/// known (`unconfirmed`: left unsettled, so they are sent again rather than missed).
pub fn next_state(
    old: &State,
    view: &BTreeMap<i64, Snapshot>,
    pending: &BTreeSet<i64>,
    unconfirmed: &BTreeSet<i64>,
) -> State {
    let earliest_pending = view
        .iter()
        .filter(|(id, _)| pending.contains(id))
        .map(|(_, s)| &s.key)
        .min();
    let cursor = match earliest_pending {
        Some(k) => Some(k.clone()),
        None => view
            .values()
            .map(|s| s.key.clone())
            .chain(old.cursor.clone())
            .max(),
    };
    let settled = view
        .iter()
        .filter(|(id, s)| {
            !pending.contains(id)
                && !unconfirmed.contains(id)
                && cursor.as_ref().is_none_or(|c| s.key >= *c)
        })
        .map(|(id, s)| (*id, s.fp.clone()))
        .collect();
    State {
        saved_search_hash: old.saved_search_hash.clone(),
        cursor,
        settled,
        saved_at: old.saved_at.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ind(id: i64, updated: &str) -> Value {
        json!({
            "id": id,
            "value": format!("192.0.2.{id}"),
            "type": {"id": 15, "name": "IP Address"},
            "status": {"id": 4, "name": "Review"},
            "created_at": "2026-01-01 00:00:00",
            "updated_at": updated,
            "touched_at": updated,
            "attributes": [],
            "score": 0,
        })
    }

    fn id(v: &Value) -> i64 {
        v["id"].as_i64().unwrap()
    }

    fn set(v: &Value, k: &str, x: Value) -> Value {
        let mut v = v.clone();
        v[k] = x;
        v
    }

    fn view(inds: &[&Value]) -> BTreeMap<i64, Snapshot> {
        inds.iter().map(|i| (id(i), snapshot(i))).collect()
    }

    fn changed(st: &State, inds: &[&Value]) -> Vec<i64> {
        inds.iter()
            .filter(|i| st.is_changed(id(i), &snapshot(i)))
            .map(|i| id(i))
            .collect()
    }

    fn none() -> BTreeSet<i64> {
        BTreeSet::new()
    }

    #[test]
    fn times_normalise() {
        assert_eq!(
            normalize_time("2021-10-01T18:36:03Z"),
            "2021-10-01 18:36:03"
        );
        assert_eq!(
            normalize_time(" 2021-10-01 18:36:03.123456 "),
            "2021-10-01 18:36:03"
        );
        assert_eq!(normalize_time("garbage"), "garbage");
        let i = set(
            &ind(1, "2026-01-02 00:00:00"),
            "touched_at",
            json!("2026-01-03T00:00:00Z"),
        );
        assert_eq!(change_key(&i), "2026-01-03 00:00:00");
        assert_eq!(change_key(&json!({"id": 1})), "");
    }

    #[test]
    fn fingerprint_follows_content_not_order_or_score() {
        let a = set(
            &ind(1, "2026-01-02 00:00:00"),
            "attributes",
            json!([{"id": 1, "name": "x", "value": "1"}, {"id": 2, "name": "y", "value": "2"}]),
        );
        let mut b = a.clone();
        b["attributes"].as_array_mut().unwrap().reverse();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let c = set(
            &a,
            "score",
            json!({"generated_score": "7.00", "manual_score": null}),
        );
        assert_eq!(fingerprint(&a), fingerprint(&c));
        let d = set(&a, "description", json!("<p>changed</p>"));
        assert_ne!(fingerprint(&a), fingerprint(&d));
        let e = set(&a, "status", json!({"id": 1, "name": "Active"}));
        assert_ne!(fingerprint(&a), fingerprint(&e));
    }

    #[test]
    fn first_run_selects_all_then_nothing() {
        let a = ind(1, "2026-01-02 00:00:00");
        let b = ind(2, "2026-01-02 00:00:05");
        let st = State::default();
        assert_eq!(changed(&st, &[&a, &b]), vec![1, 2]);
        let st = next_state(&st, &view(&[&a, &b]), &none(), &none());
        assert_eq!(st.cursor.as_deref(), Some("2026-01-02 00:00:05"));
        assert_eq!(st.settled.len(), 1, "only the cursor's second is listed");
        assert!(changed(&st, &[&a, &b]).is_empty());
    }

    #[test]
    fn same_second_creation_and_update_are_not_lost() {
        let a = ind(1, "2026-01-02 00:00:05");
        let st = next_state(&State::default(), &view(&[&a]), &none(), &none());
        // Created in the cursor's second after the run read the collection.
        let b = ind(2, "2026-01-02 00:00:05");
        // Updated again in that same second (its description changed).
        let a2 = set(&a, "description", json!("edited"));
        assert_eq!(changed(&st, &[&a2, &b]), vec![1, 2]);
        assert!(changed(&st, &[&a]).is_empty());
    }

    #[test]
    fn own_writes_are_settled_others_changes_are_not() {
        let a = ind(1, "2026-01-02 00:00:00");
        let b = ind(2, "2026-01-02 00:00:00");
        // The run wrote to both; the read-back shows their new versions.
        let a_w = set(
            &set(&a, "updated_at", json!("2026-01-02 00:10:00")),
            "touched_at",
            json!("2026-01-02 00:10:01"),
        );
        let b_w = set(&b, "touched_at", json!("2026-01-02 00:10:00"));
        let st = next_state(&State::default(), &view(&[&a_w, &b_w]), &none(), &none());
        assert!(changed(&st, &[&a_w, &b_w]).is_empty());
        // Someone else updates b later: b is sent again, a is not.
        let b_x = set(&b_w, "updated_at", json!("2026-01-02 01:00:00"));
        assert_eq!(changed(&st, &[&a_w, &b_x]), vec![2]);
    }

    #[test]
    fn a_stop_leaves_the_rest_pending_and_the_done_settled() {
        let inds: Vec<Value> = (1..=6)
            .map(|i| ind(i, &format!("2026-01-02 00:00:0{i}")))
            .collect();
        let refs: Vec<&Value> = inds.iter().collect();
        // 1..=3 done (1 and 2 written, read back with new versions), 4..=6 not reached.
        let post: Vec<Value> = inds
            .iter()
            .map(|i| {
                if id(i) <= 2 {
                    set(i, "touched_at", json!("2026-01-02 00:05:00"))
                } else {
                    i.clone()
                }
            })
            .collect();
        let post_refs: Vec<&Value> = post.iter().collect();
        let pending: BTreeSet<i64> = [4, 5, 6].into();
        let st = next_state(&State::default(), &view(&post_refs), &pending, &none());
        assert_eq!(st.cursor.as_deref(), Some("2026-01-02 00:00:04"));
        assert_eq!(changed(&st, &post_refs), vec![4, 5, 6]);
        // Without a read-back (killed before it), written ones are sent again, the
        // reached-but-unwritten one is not.
        let unconfirmed: BTreeSet<i64> = [1, 2].into();
        let st = next_state(&State::default(), &view(&refs), &pending, &unconfirmed);
        assert_eq!(changed(&st, &post_refs), vec![1, 2, 4, 5, 6]);
    }

    #[test]
    fn changes_during_the_run_stay_pending() {
        let a = ind(1, "2026-01-02 00:00:01");
        let b = ind(2, "2026-01-02 00:00:02");
        // The run processed both without writing; b changed meanwhile (caller marks it).
        let b2 = set(&b, "updated_at", json!("2026-01-02 00:00:09"));
        let pending: BTreeSet<i64> = [2].into();
        let st = next_state(&State::default(), &view(&[&a, &b2]), &pending, &none());
        assert_eq!(changed(&st, &[&a, &b2]), vec![2]);
    }

    #[test]
    fn historical_selects_by_date() {
        let a = set(
            &ind(1, "2019-06-01 00:00:00"),
            "created_at",
            json!("2019-06-01 00:00:00"),
        );
        let b = set(
            &ind(2, "2020-01-01 00:00:00"),
            "created_at",
            json!("2019-01-01 00:00:00"),
        );
        let st = next_state(&State::default(), &view(&[&a, &b]), &none(), &none());
        let since = Since::Date("2020-01-01 00:00:00".into());
        assert!(!st.selects(&since, 1, &snapshot(&a)));
        assert!(st.selects(&since, 2, &snapshot(&b)));
        assert!(!st.selects(&Since::LastRun, 2, &snapshot(&b)));
    }

    #[test]
    fn state_round_trips_as_json() {
        let a = ind(1, "2026-01-02 00:00:00");
        let st = next_state(&State::default(), &view(&[&a]), &none(), &none());
        let text = serde_json::to_string(&st).unwrap();
        assert_eq!(serde_json::from_str::<State>(&text).unwrap(), st);
        assert_eq!(
            serde_json::from_str::<State>("{}").unwrap(),
            State::default()
        );
    }
}
