//! What a run reads from ThreatQ, through the typed client (`tq_common::threatq`), mapped
//! onto the plain structs the change detection works on. Bulk reads only, never one request
//! per object:
//!
//! - the listed users: one listing of `GET /api/users` ([`ThreatQ::find_users`]);
//! - their watchlists: one scan per watchable type (indicators, events, adversaries) with
//!   the relations the change line needs, whatever the number of users
//!   ([`ThreatQ::watched_by`], the [I] assumption of research/threatq-api.md §16);
//! - the data collection: its hash by name ([`ThreatQ::saved_search_hash`], [I]), then
//!   `GET /api/<type>/query/hash/<hash>` with cursor paging for each selected type.

use log::{info, warn};
use tq_common::threatq::collections::SearchHints;
use tq_common::threatq::{Collection, ThreatQ, UserInfo, Watched, PAGE_SIZE, SYSTEM};
use tq_common::{Error, Result};

use crate::model::{CollectionItem, Timestamp, WatchedObject};
use crate::objects::{ObjectKind, ObjectRef};

/// A listed user found in ThreatQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchUser {
    /// As configured in `watchlist_users`.
    pub configured: String,
    /// The ThreatQ user id (what watchlist entries carry).
    pub id: u64,
    /// The user's e-mail address.
    pub email: String,
}

/// Finds the `watchlist_users` (names or e-mail addresses) in one listing of the users.
/// A name that matches nobody is an error naming the option and the users there are.
pub fn watch_users(tq: &ThreatQ, names: &[String]) -> Result<Vec<WatchUser>> {
    let found = tq
        .find_users(names)
        .map_err(|e| context(e, "watchlist_users"))?;
    names
        .iter()
        .zip(found)
        .map(|(configured, u)| watch_user(configured, u))
        .collect()
}

fn watch_user(configured: &str, u: UserInfo) -> Result<WatchUser> {
    let id = u.id.and_then(|id| u64::try_from(id).ok()).ok_or_else(|| {
        Error::remote(
            SYSTEM,
            format!(
                "watchlist_users: user \"{configured}\" ({}) is listed without an id",
                u.email
            ),
        )
    })?;
    Ok(WatchUser {
        configured: configured.trim().to_string(),
        id,
        email: u.email,
    })
}

/// The objects on the watchlists of `users` (ThreatQ ids), each with its watchers among
/// them: one scan per watchable type.
pub fn watched_objects(tq: &ThreatQ, users: &[u64]) -> Result<Vec<WatchedObject>> {
    let ids: Vec<i64> = users
        .iter()
        .filter_map(|u| i64::try_from(*u).ok())
        .collect();
    let mut out = Vec::new();
    for kind in ObjectKind::WATCHABLE {
        let watched = tq.watched_by(&ids, &collection_of(kind))?;
        for w in watched {
            out.push(watched_object(kind, w)?);
        }
    }
    Ok(out)
}

/// One watched object as the change detection sees it.
pub fn watched_object(kind: ObjectKind, w: Watched) -> Result<WatchedObject> {
    let object = object_ref(kind, w.id)?;
    let touched_at = changed_at(object, &w)?;
    let watchers = w
        .watchlist
        .iter()
        .filter_map(|e| e.user_id.and_then(|u| u64::try_from(u).ok()))
        .collect();
    Ok(WatchedObject {
        status: w.status_name.clone(),
        score: w.score,
        comments: count(w.comments.len()),
        attributes: count(w.attributes.len()),
        sources: w.sources.iter().map(|s| s.name.clone()).collect(),
        watchers,
        ..WatchedObject::new(object, w.label(), touched_at)
    })
}

/// What a data collection returned for the selected types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectionRead {
    /// Every item of the types read, in the collection's order.
    pub items: Vec<CollectionItem>,
    /// The selected types the server ran the collection for (others answered 404 and are
    /// left out, so they are baselined when the server first answers).
    pub kinds: Vec<ObjectKind>,
}

/// The hash of the data collection `name` (`data_collection_name`): exactly one saved
/// search must have that name.
pub fn collection_hash(tq: &ThreatQ, name: &str) -> Result<String> {
    tq.saved_search_hash(
        name,
        &SearchHints {
            option: "data_collection_name",
            not_found: "check the data collection's name (case counts)",
            several: "rename all but one of these data collections in ThreatQ",
        },
    )
}

/// Runs the data collection `hash` for each of `kinds`, every page.
pub fn collection_items(tq: &ThreatQ, hash: &str, kinds: &[ObjectKind]) -> Result<CollectionRead> {
    let mut read = CollectionRead::default();
    for &kind in kinds {
        let mut pager = tq.collection(collection_of(kind), hash, PAGE_SIZE);
        let mut pages = 0usize;
        let before = read.items.len();
        let answered = loop {
            let page = match pager.next_typed::<Watched>() {
                Ok(Some(page)) => page,
                Ok(None) => break true,
                Err(e) if pages == 0 && e.status() == Some(404) && !kind_is_documented(kind) => {
                    warn!(
                        "ThreatQ does not run data collections over {kind} (404): {kind} left out of this run"
                    );
                    break false;
                }
                Err(e) => return Err(e),
            };
            pages += 1;
            for w in page {
                let object = object_ref(kind, w.id)?;
                read.items.push(CollectionItem {
                    object,
                    name: w.label().to_string(),
                    touched_at: changed_at(object, &w)?,
                });
            }
        };
        if answered {
            read.kinds.push(kind);
            info!("data collection: {} {kind}", read.items.len() - before);
        }
    }
    Ok(read)
}

/// The types issue 10 names for data collections (indicators, events, adversaries): a 404
/// for them is an error; for the others it means the server does not run collections over
/// them.
fn kind_is_documented(kind: ObjectKind) -> bool {
    ObjectKind::WATCHABLE.contains(&kind)
}

/// The API collection of a kind.
pub fn collection_of(kind: ObjectKind) -> Collection {
    Collection::from_path(kind.collection())
}

fn object_ref(kind: ObjectKind, id: i64) -> Result<ObjectRef> {
    let id = u64::try_from(id)
        .map_err(|_| Error::remote(SYSTEM, format!("{kind}: object id {id} is not a valid id")))?;
    Ok(ObjectRef { kind, id })
}

/// When the object or anything related last changed: `touched_at`, else `updated_at`.
fn changed_at(object: ObjectRef, w: &Watched) -> Result<Timestamp> {
    [&w.touched_at, &w.updated_at]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .find_map(|s| Timestamp::parse(s).ok())
        .ok_or_else(|| {
            Error::remote(
                SYSTEM,
                format!(
                    "{object}: neither touched_at (\"{}\") nor updated_at (\"{}\") is a timestamp",
                    w.touched_at, w.updated_at
                ),
            )
        })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `e` with `what` (an option name) in front of its message; same kind and exit code.
fn context(e: Error, what: &str) -> Error {
    match e {
        Error::Remote {
            system,
            message,
            retry_after,
            status,
        } => Error::Remote {
            system,
            message: format!("{what}: {message}"),
            retry_after,
            status,
        },
        other => other,
    }
}
