//! The fake's in-memory data: objects per collection with their attributes, sources,
//! comments, tags and watchlist entries; links between objects; the registries of source,
//! attribute and tag names; pending uploads; the user.
//!
//! Timestamps: `updated_at` moves with the object's own row (value, status, description,
//! title, ...); `touched_at` moves with every change, including related rows (attributes,
//! sources, comments, tags, links, watchlist, score). See threatq-api.md §17.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::lookups::Lookups;

/// What the fake knows about one object collection.
#[derive(Clone, Copy, Debug)]
pub struct CollectionDef {
    /// The collection name used in paths (`indicators`, `campaign`).
    pub name: &'static str,
    /// The singular used in foreign keys (`indicator` → `indicator_id`) and in quick
    /// search's `object` field.
    pub singular: &'static str,
    /// The naming field (`value`, `name`, `title`).
    pub naming: &'static str,
}

/// Every object collection the fake serves (threatq-api.md §1).
pub const COLLECTIONS: &[CollectionDef] = &[
    def("indicators", "indicator", "value"),
    def("adversaries", "adversary", "name"),
    def("events", "event", "title"),
    def("attachments", "attachment", "title"),
    def("signatures", "signature", "name"),
    def("tasks", "task", "name"),
    def("campaign", "campaign", "value"),
    def("course_of_action", "course_of_action", "value"),
    def("exploit_target", "exploit_target", "value"),
    def("incident", "incident", "value"),
    def("ttp", "ttp", "value"),
    def("attack_pattern", "attack_pattern", "value"),
    def("identity", "identity", "value"),
    def("intrusion_set", "intrusion_set", "value"),
    def("malware", "malware", "value"),
    def("report", "report", "value"),
    def("tool", "tool", "value"),
    def("vulnerability", "vulnerability", "value"),
    def("stix_pattern", "stix_pattern", "value"),
];

const fn def(name: &'static str, singular: &'static str, naming: &'static str) -> CollectionDef {
    CollectionDef {
        name,
        singular,
        naming,
    }
}

/// The collection named `name`, if the fake knows it.
pub fn collection(name: &str) -> Option<&'static CollectionDef> {
    COLLECTIONS.iter().find(|c| c.name == name)
}

/// An immutable string shared between rows: source names and types, attribute names and
/// the timestamps of related rows. A bulk write stores thousands of rows carrying the same
/// few strings; sharing them keeps the store from allocating each one again per row.
pub type Shared = Arc<str>;

/// A source attached to an object or an attribute (the pivot row).
#[derive(Clone, Debug)]
pub struct SourceRef {
    /// Pivot id (what `DELETE .../sources/{id}` takes).
    pub pivot_id: u64,
    /// The source's id in the source registry.
    pub source_id: u64,
    /// The source's name (shared with the registry entry).
    pub name: Shared,
    /// `users`, `connectors` or `other_sources`.
    pub source_type: Shared,
    /// TLP id (1 red, 2 amber, 3 green, 4 white) or none.
    pub tlp_id: Option<u64>,
    /// When the source published it.
    pub published_at: Option<String>,
    /// Row creation time.
    pub created_at: Shared,
    /// Row update time.
    pub updated_at: Shared,
}

/// One attribute row of an object.
#[derive(Clone, Debug)]
pub struct AttrRow {
    /// The row id (what `PUT/DELETE .../attributes/{id}` take).
    pub id: u64,
    /// The attribute name's id in the registry.
    pub attribute_id: u64,
    /// The name (shared with the attribute-name registry).
    pub name: Shared,
    /// The value (always a string).
    pub value: String,
    /// The sources of this attribute row.
    pub sources: Vec<SourceRef>,
    /// Published time, if given.
    pub published_at: Option<String>,
    /// Row creation time.
    pub created_at: Shared,
    /// Row update time.
    pub updated_at: Shared,
    /// Row touch time.
    pub touched_at: Shared,
}

/// A comment on an object.
#[derive(Clone, Debug)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Text.
    pub value: String,
    /// The author's source id.
    pub creator_source_id: u64,
    /// The author's source name.
    pub source_name: String,
    /// Creation time.
    pub created_at: String,
    /// Update time.
    pub updated_at: String,
}

/// A watchlist entry of the (only) user on an object.
#[derive(Clone, Debug)]
pub struct Watch {
    /// Entry id.
    pub id: u64,
    /// The user's id.
    pub user_id: u64,
    /// Creation time.
    pub created_at: String,
}

/// One object of any collection.
#[derive(Clone, Debug)]
pub struct Obj {
    /// Its collection.
    pub collection: &'static str,
    /// Its id (per collection).
    pub id: u64,
    /// The row's own fields (value/name/title, type_id, status_id, description, ...),
    /// without id and timestamps.
    pub fields: Map<String, Value>,
    /// Creation time.
    pub created_at: String,
    /// Last change of the row itself.
    pub updated_at: String,
    /// Last change of the row or anything related.
    pub touched_at: String,
    /// Sources.
    pub sources: Vec<SourceRef>,
    /// Attribute rows.
    pub attributes: Vec<AttrRow>,
    /// Comments.
    pub comments: Vec<Comment>,
    /// Tag ids.
    pub tags: Vec<u64>,
    /// Watchlist entries.
    pub watchlist: Vec<Watch>,
    /// Manual score (decimal string), if set.
    pub manual_score: Option<String>,
    /// File content (attachments only).
    pub content: Option<Vec<u8>>,
}

impl Obj {
    /// A field of the row as a string, if it is one.
    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// A field of the row as an unsigned integer.
    pub fn u64_field(&self, name: &str) -> Option<u64> {
        self.fields.get(name).and_then(Value::as_u64)
    }
}

/// A link between two objects (symmetric).
#[derive(Clone, Debug)]
pub struct Link {
    /// Pivot id (what unlink takes).
    pub pivot_id: u64,
    /// One end.
    pub a: (&'static str, u64),
    /// The other end.
    pub b: (&'static str, u64),
    /// Creation time.
    pub created_at: String,
}

impl Link {
    /// The other end, seen from `(coll, id)`, if this link touches it.
    pub fn other(&self, coll: &str, id: u64) -> Option<(&'static str, u64)> {
        if self.a.0 == coll && self.a.1 == id {
            Some(self.b)
        } else if self.b.0 == coll && self.b.1 == id {
            Some(self.a)
        } else {
            None
        }
    }
}

/// Overwrites a stored timestamp in place (its buffer is reused: no allocation per touch).
fn set(field: &mut String, now: &str) {
    field.clear();
    field.push_str(now);
}

/// A registered source name.
#[derive(Clone, Debug)]
pub struct SourceDef {
    /// Source id.
    pub id: u64,
    /// Name.
    pub name: Shared,
    /// `users` for the user's own source, else `other_sources`.
    pub source_type: Shared,
}

/// A user of the fake: the one whose credentials it accepts, or another one listed by
/// `GET /api/users` (whose watchlist entries the objects show, issue 10 [I]).
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: u64,
    /// Login e-mail.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// The user's own source id.
    pub source_id: u64,
}

/// A file parse/import session (§12: `POST /api/imports`, `PUT`, `commit`).
#[derive(Clone, Debug)]
pub struct Import {
    /// The parser (a parsable attachment type id).
    pub parser_id: u64,
    /// The source of the imported indicators (`import_source.name`), once configured.
    pub source: Option<String>,
    /// Their status id (`indicator_global_status`), once configured.
    pub status_id: Option<u64>,
    /// The indicators found: (value, type name), and their ids once committed.
    pub found: Vec<(String, &'static str, Option<u64>)>,
    /// Whether the session was committed.
    pub committed: bool,
}

/// All state but auth and config.
#[derive(Debug)]
pub struct Store {
    /// Lookup tables.
    pub lookups: Lookups,
    /// Objects per collection, by id.
    pub objects: BTreeMap<&'static str, BTreeMap<u64, Obj>>,
    next_obj_id: HashMap<&'static str, u64>,
    next_row: u64,
    /// Links between objects.
    pub links: Vec<Link>,
    /// Source registry.
    pub sources: Vec<SourceDef>,
    /// Attribute name registry: (id, name).
    pub attribute_names: Vec<(u64, Shared)>,
    /// Tag registry: (id, name).
    pub tags: Vec<(u64, String)>,
    /// Files uploaded by step 1 of the two-step upload, by file name.
    pub uploads: HashMap<String, Vec<u8>>,
    /// The user.
    pub user: User,
    /// The other users (they never log in; they own watchlist entries).
    pub other_users: Vec<User>,
    /// Import sessions (§12), by id.
    pub imports: BTreeMap<u64, Import>,
    /// Indicators by (value, type id), so an upsert does not scan the store; kept in step
    /// by [`Store::insert`], [`Store::remove`] and [`Store::reindex_indicator`].
    /// By type id, then value (so a lookup by `&str` needs no owned key).
    indicator_keys: HashMap<u64, HashMap<Shared, u64>>,
    /// The key each indicator is indexed under (value shared with `indicator_keys`).
    indicator_key_of: HashMap<u64, (Shared, u64)>,
    /// The last timestamp handed out by [`Store::shared_stamp`].
    stamp: Shared,
}

impl Store {
    /// An empty store with the given lookups and user e-mail.
    pub fn new(lookups: Lookups, email: &str) -> Store {
        let mut s = Store {
            lookups,
            objects: BTreeMap::new(),
            next_obj_id: HashMap::new(),
            next_row: 1,
            links: Vec::new(),
            sources: Vec::new(),
            attribute_names: Vec::new(),
            tags: Vec::new(),
            uploads: HashMap::new(),
            indicator_keys: HashMap::new(),
            indicator_key_of: HashMap::new(),
            stamp: Arc::from(""),
            other_users: Vec::new(),
            imports: BTreeMap::new(),
            user: User {
                id: 3,
                email: email.to_string(),
                display_name: "Analyst".to_string(),
                source_id: 0,
            },
        };
        for c in COLLECTIONS {
            s.objects.insert(c.name, BTreeMap::new());
        }
        s.sources.push(SourceDef {
            id: 8,
            name: Arc::from(email),
            source_type: Arc::from("users"),
        });
        s.user.source_id = 8;
        s
    }

    /// `now` as a shared string: the same allocation for every row stamped at this instant.
    pub fn shared_stamp(&mut self, now: &str) -> Shared {
        if *self.stamp != *now {
            self.stamp = Arc::from(now);
        }
        self.stamp.clone()
    }

    /// A fresh id for a related row (attribute, pivot, comment, link, watch entry, tag).
    pub fn next_row_id(&mut self) -> u64 {
        let id = self.next_row;
        self.next_row += 1;
        id
    }

    /// A fresh id in `coll`.
    pub fn next_object_id(&mut self, coll: &'static str) -> u64 {
        let n = self.next_obj_id.entry(coll).or_insert(1);
        let id = *n;
        *n += 1;
        id
    }

    /// Every object of `coll`, by id (none for an unknown collection).
    pub fn all(&self, coll: &str) -> impl Iterator<Item = &Obj> {
        self.objects.get(coll).into_iter().flat_map(|m| m.values())
    }

    /// The object, if it exists.
    pub fn get(&self, coll: &str, id: u64) -> Option<&Obj> {
        self.objects.get(coll).and_then(|m| m.get(&id))
    }

    /// The object, mutable.
    pub fn get_mut(&mut self, coll: &str, id: u64) -> Option<&mut Obj> {
        self.objects.get_mut(coll).and_then(|m| m.get_mut(&id))
    }

    /// Inserts a new object with `fields`, all timestamps `now`; returns its id.
    pub fn insert(&mut self, coll: &'static str, fields: Map<String, Value>, now: &str) -> u64 {
        let id = self.next_object_id(coll);
        let obj = Obj {
            collection: coll,
            id,
            fields,
            created_at: now.to_string(),
            updated_at: now.to_string(),
            touched_at: now.to_string(),
            sources: Vec::new(),
            attributes: Vec::new(),
            comments: Vec::new(),
            tags: Vec::new(),
            watchlist: Vec::new(),
            manual_score: None,
            content: None,
        };
        self.objects.entry(coll).or_default().insert(id, obj);
        if coll == "indicators" {
            self.reindex_indicator(id);
        }
        id
    }

    /// Brings the (value, type) index up to date for one indicator after its fields changed.
    pub fn reindex_indicator(&mut self, id: u64) {
        if let Some((value, type_id)) = self.indicator_key_of.remove(&id) {
            if let Some(by_value) = self.indicator_keys.get_mut(&type_id) {
                if by_value.get(&*value) == Some(&id) {
                    by_value.remove(&*value);
                }
            }
        }
        let key = self
            .get("indicators", id)
            .and_then(|o| Some((Shared::from(o.str_field("value")?), o.u64_field("type_id")?)));
        if let Some((value, type_id)) = key {
            self.indicator_keys
                .entry(type_id)
                .or_default()
                .insert(value.clone(), id);
            self.indicator_key_of.insert(id, (value, type_id));
        }
    }

    /// The ids of the indicators (any type) whose value is `value` (values compare as text,
    /// [`super::query::TEXT_FIELDS`]).
    pub fn indicators_valued(&self, value: &str) -> Vec<u64> {
        self.indicator_keys
            .values()
            .filter_map(|by_value| by_value.get(value).copied())
            .collect()
    }

    /// Removes an object and its links.
    pub fn remove(&mut self, coll: &str, id: u64) -> bool {
        let gone = self
            .objects
            .get_mut(coll)
            .and_then(|m| m.remove(&id))
            .is_some();
        if gone {
            self.links.retain(|l| l.other(coll, id).is_none());
            if coll == "indicators" {
                if let Some((value, type_id)) = self.indicator_key_of.remove(&id) {
                    if let Some(by_value) = self.indicator_keys.get_mut(&type_id) {
                        by_value.remove(&*value);
                    }
                }
            }
        }
        gone
    }

    /// Marks a related-row change: `touched_at = now`.
    pub fn touch(&mut self, coll: &str, id: u64, now: &str) {
        if let Some(o) = self.get_mut(coll, id) {
            set(&mut o.touched_at, now);
        }
    }

    /// Marks a change of the row itself: `updated_at = touched_at = now`.
    pub fn update_row(&mut self, coll: &str, id: u64, now: &str) {
        if let Some(o) = self.get_mut(coll, id) {
            set(&mut o.updated_at, now);
            set(&mut o.touched_at, now);
        }
    }

    /// The source registry entry for `name`, created when new.
    pub fn source_def(&mut self, name: &str) -> SourceDef {
        if let Some(s) = self.sources.iter().find(|s| *s.name == *name) {
            return s.clone();
        }
        let id = self.sources.iter().map(|s| s.id).max().unwrap_or(0) + 1;
        let s = SourceDef {
            id,
            name: Arc::from(name),
            source_type: Arc::from("other_sources"),
        };
        self.sources.push(s.clone());
        s
    }

    /// A new source pivot for `name`.
    pub fn source_ref(
        &mut self,
        name: &str,
        tlp_id: Option<u64>,
        published_at: Option<String>,
        now: &str,
    ) -> SourceRef {
        let def = self.source_def(name);
        let now = self.shared_stamp(now);
        SourceRef {
            pivot_id: self.next_row_id(),
            source_id: def.id,
            name: def.name,
            source_type: def.source_type,
            tlp_id,
            published_at,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// The user's own source as a new pivot (writes without `sources`).
    pub fn user_source_ref(&mut self, now: &str) -> SourceRef {
        let email = self.user.email.clone();
        self.source_ref(&email, None, None, now)
    }

    /// The attribute-name registry entry for `name` (id and shared name), created when new.
    pub fn attribute_name(&mut self, name: &str) -> (u64, Shared) {
        if let Some((id, n)) = self.attribute_names.iter().find(|(_, n)| **n == *name) {
            return (*id, n.clone());
        }
        let id = self.attribute_names.len() as u64 + 1;
        let n: Shared = Arc::from(name);
        self.attribute_names.push((id, n.clone()));
        (id, n)
    }

    /// The tag id for `name`, created when new.
    pub fn tag_id(&mut self, name: &str) -> u64 {
        if let Some((id, _)) = self.tags.iter().find(|(_, n)| n == name) {
            return *id;
        }
        let id = self.tags.len() as u64 + 1;
        self.tags.push((id, name.to_string()));
        id
    }

    /// The tag name for an id.
    pub fn tag_name(&self, id: u64) -> Option<&str> {
        self.tags
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    }

    /// The objects linked to `(coll, id)` in `related`, with their pivot ids, by pivot.
    pub fn related(&self, coll: &str, id: u64, related: &str) -> Vec<(u64, u64)> {
        self.links
            .iter()
            .filter_map(|l| {
                l.other(coll, id)
                    .filter(|(c, _)| *c == related)
                    .map(|(_, oid)| (l.pivot_id, oid))
            })
            .collect()
    }

    /// The indicator with this value and type id.
    pub fn find_indicator(&self, value: &str, type_id: u64) -> Option<u64> {
        let id = *self.indicator_keys.get(&type_id)?.get(value)?;
        // The index is kept in step with every field change; verify all the same.
        self.get("indicators", id)
            .filter(|o| {
                o.str_field("value") == Some(value) && o.u64_field("type_id") == Some(type_id)
            })
            .map(|o| o.id)
    }
}
