//! Name → id lookups, cached for the life of the client: indicator statuses and types,
//! event types, attachment types, sources. Ids differ per ThreatQ instance, so they are
//! always looked up by name (threatq-api.md §1), never assumed.

use std::collections::HashMap;

use super::{typed_rows, Named, ThreatQ, SYSTEM};
use crate::{Error, Result};

/// The lookup tables this client knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// `indicator/statuses`
    IndicatorStatus,
    /// `indicator/types`
    IndicatorType,
    /// `event/types`
    EventType,
    /// `attachments/types`
    AttachmentType,
}

impl Lookup {
    fn path(self) -> &'static str {
        match self {
            Lookup::IndicatorStatus => "indicator/statuses",
            Lookup::IndicatorType => "indicator/types",
            Lookup::EventType => "event/types",
            Lookup::AttachmentType => "attachments/types",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Lookup::IndicatorStatus => "indicator status",
            Lookup::IndicatorType => "indicator type",
            Lookup::EventType => "event type",
            Lookup::AttachmentType => "attachment type",
        }
    }
}

impl ThreatQ {
    /// Every row of a lookup table (all pages), cached.
    pub fn lookup_all(&self, table: Lookup) -> Result<Vec<Named>> {
        let key = table.path().to_string();
        if let Some(m) = self.cache_get(&key) {
            let mut v: Vec<Named> = m.into_iter().map(|(name, id)| Named { id, name }).collect();
            v.sort_by_key(|n| n.id);
            return Ok(v);
        }
        let rows = self.list_all(table.path(), &[])?;
        let named: Vec<Named> = typed_rows(rows, table.path())?;
        let map: HashMap<String, i64> = named.iter().map(|n| (n.name.clone(), n.id)).collect();
        self.cache_put(&key, map);
        Ok(named)
    }

    /// The id of a lookup row by name: exact match first, then ignoring case. An unknown
    /// name is an error listing the names that exist.
    pub fn lookup_id(&self, table: Lookup, name: &str) -> Result<i64> {
        let all = self.lookup_all(table)?;
        if let Some(n) = all.iter().find(|n| n.name == name) {
            return Ok(n.id);
        }
        if let Some(n) = all.iter().find(|n| n.name.eq_ignore_ascii_case(name)) {
            return Ok(n.id);
        }
        let names: Vec<&str> = all.iter().map(|n| n.name.as_str()).collect();
        Err(Error::Remote {
            system: SYSTEM.into(),
            message: format!(
                "there is no {} named \"{name}\"; ThreatQ has: {}",
                table.what(),
                names.join(", ")
            ),
            retry_after: None,
            status: None,
        })
    }

    /// The id of an indicator status by name.
    pub fn status_id(&self, name: &str) -> Result<i64> {
        self.lookup_id(Lookup::IndicatorStatus, name)
    }

    /// The id of an indicator type by name.
    pub fn indicator_type_id(&self, name: &str) -> Result<i64> {
        self.lookup_id(Lookup::IndicatorType, name)
    }

    /// The id of an event type by name.
    pub fn event_type_id(&self, name: &str) -> Result<i64> {
        self.lookup_id(Lookup::EventType, name)
    }

    /// The id of a source by name (`GET /api/sources?name=`), `None` when it does not exist
    /// yet (ThreatQ creates a source the first time a write names it).
    pub fn source_id(&self, name: &str) -> Result<Option<i64>> {
        let key = "sources";
        if let Some(id) = self.cache_get(key).and_then(|m| m.get(name).copied()) {
            return Ok(Some(id));
        }
        let rows = self.list_all("sources", &[("name", name.to_string())])?;
        let named: Vec<Named> = typed_rows(rows, "sources")?;
        let found = named.into_iter().find(|n| n.name == name);
        if let Some(n) = &found {
            let mut m = self.cache_get(key).unwrap_or_default();
            m.insert(n.name.clone(), n.id);
            self.cache_put(key, m);
        }
        Ok(found.map(|n| n.id))
    }

    /// Drops a cached lookup table, so the next lookup reads it again (after creating a row).
    pub(crate) fn forget_lookup(&self, table: Lookup) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(table.path());
    }

    fn cache_get(&self, key: &str) -> Option<HashMap<String, i64>> {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    fn cache_put(&self, key: &str, map: HashMap<String, i64>) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), map);
    }
}

impl ThreatQ {
    /// The name of a lookup row by id (for responses that carry only `type_id`/`status_id`).
    pub fn lookup_name(&self, table: Lookup, id: i64) -> Result<String> {
        self.lookup_all(table)?
            .into_iter()
            .find(|n| n.id == id)
            .map(|n| n.name)
            .ok_or_else(|| {
                Error::remote(SYSTEM, format!("there is no {} with id {id}", table.what()))
            })
    }
}
