//! Lookup tables (threatq-api.md §6, §10, §12; samples/threatq-lookups.json): indicator
//! statuses and types, event types, attachment types. Ids are per instance: with
//! `shuffled` they are non-contiguous and in a different order, so hard-coded ids fail.

use serde_json::{json, Value};

/// One row of a lookup table.
#[derive(Clone, Debug)]
pub struct LookupRow {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// The rest of its fields (description, class, is_parsable, ...).
    pub extra: serde_json::Map<String, Value>,
}

/// A lookup table.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// The rows, in id order.
    pub rows: Vec<LookupRow>,
}

impl Table {
    /// The row with this name (exact).
    pub fn by_name(&self, name: &str) -> Option<&LookupRow> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// The row with this id.
    pub fn by_id(&self, id: u64) -> Option<&LookupRow> {
        self.rows.iter().find(|r| r.id == id)
    }

    /// Adds a row with the next id after the largest one; returns it.
    pub fn add(&mut self, name: &str, extra: Value, stamp: &str) -> u64 {
        let id = self.rows.iter().map(|r| r.id).max().unwrap_or(0) + 1;
        let mut m = extra.as_object().cloned().unwrap_or_default();
        m.insert("created_at".into(), json!(stamp));
        m.insert("updated_at".into(), json!(stamp));
        self.rows.push(LookupRow {
            id,
            name: name.to_string(),
            extra: m,
        });
        id
    }
}

impl LookupRow {
    /// The row as JSON.
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// The short embedded form `{id, name, <keys>}` used inside objects.
    pub fn embed(&self, keys: &[&str]) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("name".into(), json!(self.name));
        for k in keys {
            if let Some(v) = self.extra.get(*k) {
                m.insert((*k).into(), v.clone());
            }
        }
        Value::Object(m)
    }
}

/// All lookup tables of one fake instance.
#[derive(Clone, Debug, Default)]
pub struct Lookups {
    /// Indicator statuses (Active, Expired, Indirect, Review, Whitelisted).
    pub statuses: Table,
    /// Indicator types (IP Address, FQDN, ...).
    pub indicator_types: Table,
    /// Event types (Spearphish, ..., Incident, Sighting).
    pub event_types: Table,
    /// Attachment (file) types (Cuckoo, Generic Text, Malware Sample, ...).
    pub attachment_types: Table,
}

const LOOKUP_STAMP: &str = "2017-04-17 04:35:21";

const STATUSES: &[(&str, &str)] = &[
    (
        "Active",
        "Poses a threat and is being exported to detection tools.",
    ),
    ("Expired", "No longer poses a serious threat."),
    (
        "Indirect",
        "Associated to an active indicator or event (i.e. pDNS).",
    ),
    ("Review", "Requires further analysis."),
    ("Whitelisted", "Poses NO risk and should never be deployed."),
];

/// Default indicator types with their class (§6).
const INDICATOR_TYPES: &[(&str, &str)] = &[
    ("ASN", "network"),
    ("Binary String", "host"),
    ("CIDR Block", "network"),
    ("CVE", "host"),
    ("Email Address", "network"),
    ("Email Attachment", "host"),
    ("Email Subject", "network"),
    ("File Mapping", "host"),
    ("File Path", "host"),
    ("Filename", "host"),
    ("FQDN", "network"),
    ("Fuzzy Hash", "host"),
    ("GOST Hash", "host"),
    ("Hash ION", "host"),
    ("IP Address", "network"),
    ("IPv6 Address", "network"),
    ("MAC Address", "network"),
    ("MD5", "host"),
    ("Mutex", "host"),
    ("Password", "host"),
    ("Registry Key", "host"),
    ("Service Name", "host"),
    ("SHA-1", "host"),
    ("SHA-256", "host"),
    ("SHA-384", "host"),
    ("SHA-512", "host"),
    ("String", "host"),
    ("x509 Serial", "network"),
    ("x509 Subject", "network"),
    ("URL", "network"),
    ("URL Path", "network"),
    ("User-agent", "network"),
    ("Username", "host"),
    ("X-Mailer", "network"),
];

const EVENT_TYPES: &[&str] = &[
    "Spearphish",
    "Watering Hole",
    "SQL Injection Attack",
    "DoS Attack",
    "Malware",
    "Watchlist",
    "Command and Control",
    "Anonymization",
    "Exfiltration",
    "Host Characteristics",
    "Compromised PKI Certificate",
    "Login Compromise",
    "Incident",
    "Sighting",
];

/// Default attachment types and whether they are parsable.
const ATTACHMENT_TYPES: &[(&str, bool)] = &[
    ("Cuckoo", true),
    ("CrowdStrike Intelligence", true),
    ("FireEye Analysis", true),
    ("Early Warning", true),
    ("Intelligence Deliverable", false),
    ("Generic Text", true),
    ("Incident Response Report", false),
    ("Malware Analysis Report", false),
    ("Malware Sample", false),
    ("PCAP", false),
    ("PDF", false),
    ("Spearphish Attachment", false),
    ("STIX", true),
    ("ThreatQ CSV File", true),
];

/// The ids for `n` rows: `1..=n`, or with `shuffled` non-contiguous ids (gaps of 3..=9,
/// starting at 101) assigned in reverse name order, so no default id matches.
fn ids(n: usize, shuffled: bool) -> Vec<u64> {
    if !shuffled {
        return (1..=n as u64).collect();
    }
    let mut out = Vec::with_capacity(n);
    let mut id = 101u64;
    for i in 0..n {
        out.push(id);
        id += 3 + (i as u64 * 5) % 7;
    }
    out.reverse();
    out
}

fn table(names: Vec<(String, Value)>, shuffled: bool) -> Table {
    let ids = ids(names.len(), shuffled);
    let mut rows: Vec<LookupRow> = names
        .into_iter()
        .zip(ids)
        .map(|((name, extra), id)| {
            let mut m = extra.as_object().cloned().unwrap_or_default();
            m.insert("created_at".into(), json!(LOOKUP_STAMP));
            m.insert("updated_at".into(), json!(LOOKUP_STAMP));
            LookupRow { id, name, extra: m }
        })
        .collect();
    rows.sort_by_key(|r| r.id);
    Table { rows }
}

impl Lookups {
    /// The default tables of a fresh install; `shuffled` makes the ids non-contiguous.
    pub fn defaults(shuffled: bool) -> Lookups {
        let statuses = STATUSES
            .iter()
            .map(|(n, d)| {
                (
                    n.to_string(),
                    json!({"description": d, "user_editable": "N", "visible": "Y",
                           "include_in_export": if *n == "Active" { "Y" } else { "N" },
                           "protected": "Y"}),
                )
            })
            .collect();
        let types = INDICATOR_TYPES
            .iter()
            .map(|(n, c)| {
                (
                    n.to_string(),
                    json!({"class": c, "score": null, "wildcard_matching": "Y"}),
                )
            })
            .collect();
        let events = EVENT_TYPES
            .iter()
            .map(|n| (n.to_string(), json!({"user_editable": "N"})))
            .collect();
        let attachments = ATTACHMENT_TYPES
            .iter()
            .map(|(n, p)| {
                (
                    n.to_string(),
                    json!({"is_parsable": if *p { "Y" } else { "N" },
                           "parser_class": if *p { Value::String(n.replace(' ', "")) } else { Value::Null }}),
                )
            })
            .collect();
        Lookups {
            statuses: table(statuses, shuffled),
            indicator_types: table(types, shuffled),
            event_types: table(events, shuffled),
            attachment_types: table(attachments, shuffled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_shuffled_ids() {
        let d = Lookups::defaults(false);
        assert_eq!(d.statuses.by_name("Active").unwrap().id, 1);
        assert_eq!(d.statuses.by_name("Review").unwrap().id, 4);
        assert_eq!(d.event_types.by_name("Incident").unwrap().id, 13);
        let s = Lookups::defaults(true);
        for name in ["Active", "Expired", "Indirect", "Review", "Whitelisted"] {
            assert!(s.statuses.by_name(name).unwrap().id > 5, "{name}");
        }
        let ids: Vec<u64> = s.indicator_types.rows.iter().map(|r| r.id).collect();
        assert!(ids.windows(2).any(|w| w[1] - w[0] > 1));
    }
}

/// Lookup routes: `GET /api/indicator/statuses[?name=]`, `/{id}`, `/api/indicator/types`,
/// `/api/event/types` (and `POST {"name"}`), `/api/attachments/types[?is_parsable=Y]`.
pub mod routes {
    use serde_json::Value;

    use super::Table;
    use crate::server::Request;
    use crate::threatq::query::filter_matches;
    use crate::threatq::reply::{self, bad_request, invalid, json_body, not_found, Reply};
    use crate::threatq::validate::{check, req, Ty, F};

    /// The table's rows filtered by `?name=` (`%` wildcard) and, for attachment types,
    /// `?is_parsable=`; any other parameter is a 400.
    pub fn list(table: &Table, r: &Request) -> Reply {
        for (k, _) in &r.query {
            if !matches!(
                k.as_str(),
                "name" | "is_parsable" | "limit" | "offset" | "sort"
            ) {
                return Err(bad_request(&format!("Unknown filter {k}.")));
            }
        }
        let name = r.query_param("name");
        let parsable = r.query_param("is_parsable");
        let data: Vec<Value> = table
            .rows
            .iter()
            .filter(|row| name.is_none_or(|n| filter_matches(n, &Value::from(row.name.clone()))))
            .filter(|row| {
                parsable
                    .is_none_or(|p| row.extra.get("is_parsable").and_then(Value::as_str) == Some(p))
            })
            .map(|row| row.to_json())
            .collect();
        Ok(reply::list(data.len(), data))
    }

    /// One row by id.
    pub fn get(table: &Table, id: u64) -> Reply {
        table
            .by_id(id)
            .map(|r| reply::data(r.to_json()))
            .ok_or_else(not_found)
    }

    const NEW_TYPE: &[F] = &[req("name", Ty::Str)];

    /// `POST /api/event/types {"name"}`.
    pub fn create(table: &mut Table, r: &Request, stamp: &str) -> Reply {
        let body = json_body(r)?;
        check(&body, &Ty::Obj(NEW_TYPE), "")?;
        let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
        if table.by_name(name).is_some() {
            return Err(invalid("name", "The name has already been taken."));
        }
        let id = table.add(name, serde_json::json!({"user_editable": "Y"}), stamp);
        get(table, id).map(|mut resp| {
            resp.status = 201;
            resp
        })
    }
}
