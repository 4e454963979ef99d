//! Data collections (Threat Library saved searches), threatq-api.md §5.
//!
//! Running a collection by hash with cursorMark paging is confirmed ([C]: Elastic's
//! ti_threatq). Finding a collection's hash from its *name* is not public ([I]): it is
//! done by [`ThreatQ::saved_searches`] alone, listing `GET /api/search/query`
//! (a `?name=` filter is sent, and the list is paged through and matched exactly in case
//! the server ignores it). Correct that one function if a real server differs.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{into_rows, total, typed_rows, Collection, SavedSearchInfo, ThreatQ, SYSTEM};
use crate::http::{encode_path_segment, Method, Request};
use crate::rest::{CursorPage, CursorPager};
use crate::{Error, Result};

impl ThreatQ {
    /// [I] The saved searches listed for `name`: `GET /api/search/query?name=<name>`, every
    /// page. The server may ignore the filter, so the caller matches the names itself
    /// (exactly, as [`ThreatQ::saved_search_hash`] does).
    pub fn saved_searches(&self, name: &str) -> Result<Vec<SavedSearchInfo>> {
        let rows = self.list_all("search/query", &[("name", name.to_string())])?;
        typed_rows(rows, "search/query")
    }

    /// The saved searches named exactly `name` (case-sensitive, not a prefix), from
    /// [`ThreatQ::saved_searches`]: what the caller words its errors from.
    pub fn find_saved_search(&self, name: &str) -> Result<SearchMatch> {
        let rows = self.saved_searches(name)?;
        let mut hashes: Vec<String> = Vec::new();
        let mut others: Vec<String> = Vec::new();
        for r in rows {
            if r.name == name {
                if r.hash.is_empty() {
                    return Err(Error::remote(
                        SYSTEM,
                        format!("saved search \"{name}\" is listed without a hash"),
                    ));
                }
                if !hashes.contains(&r.hash) {
                    hashes.push(r.hash);
                }
            } else if others.len() < 20 {
                others.push(r.name);
            }
        }
        Ok(match hashes.len() {
            0 => SearchMatch::NotFound { others },
            1 => SearchMatch::One(hashes.remove(0)),
            _ => SearchMatch::Several(hashes),
        })
    }

    /// The hash of the saved search named exactly `name` ([`ThreatQ::find_saved_search`]);
    /// none or several are errors worded from `says`: the option the name came from and
    /// what the operator should do.
    pub fn saved_search_hash(&self, name: &str, says: &SearchHints) -> Result<String> {
        let option = says.option;
        match self.find_saved_search(name)? {
            SearchMatch::One(hash) => Ok(hash),
            SearchMatch::NotFound { others } => Err(Error::remote(
                SYSTEM,
                format!(
                    "{option}: no saved search is named exactly \"{name}\"{}; {}",
                    SearchMatch::others_text(&others),
                    says.not_found
                ),
            )),
            SearchMatch::Several(hashes) => Err(Error::remote(
                SYSTEM,
                format!(
                    "{option}: {} saved searches are named \"{name}\" (hashes {}); {}",
                    hashes.len(),
                    hashes.join(", "),
                    says.several
                ),
            )),
        }
    }

    /// The name of a saved search by hash (`GET /api/search/query/<hash>?fields=name`).
    pub fn saved_search_name(&self, hash: &str) -> Result<String> {
        let v = self.call(
            Method::Get,
            &format!("search/query/{}", encode_path_segment(hash)),
            &[("fields", "name".into())],
            None,
        )?;
        v.pointer("/data/name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::remote(
                    SYSTEM,
                    format!("saved search {hash} has no name in the answer"),
                )
            })
    }

    /// Runs a data collection: a pager over `GET /api/<objs>/query/hash/<hash>` sorted by
    /// `updated_at`, `limit` rows per page (the server may send fewer).
    pub fn collection<'a>(
        &'a self,
        objects: Collection,
        hash: &str,
        limit: usize,
    ) -> CollectionPager<'a> {
        let path = format!(
            "{}/query/hash/{}",
            objects.path(),
            encode_path_segment(hash)
        );
        let url = self.url(&path);
        let limit = limit.to_string();
        CollectionPager {
            pager: CursorPager::new(
                self.rest(),
                "*",
                move |cursor| {
                    Request::new(Method::Get, url.clone())
                        .query("sort", "updated_at")
                        .query("limit", limit.clone())
                        .query("cursorMark", cursor)
                },
                collection_page,
            ),
            path,
        }
    }
}

/// What [`ThreatQ::find_saved_search`] found for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchMatch {
    /// Exactly one: its hash.
    One(String),
    /// None; the names of (up to 20) other saved searches listed.
    NotFound {
        /// Other names, for the error message.
        others: Vec<String>,
    },
    /// Several with that name: their hashes.
    Several(Vec<String>),
}

/// What a caller of [`ThreatQ::saved_search_hash`] tells the operator when a name does
/// not give exactly one saved search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchHints<'a> {
    /// The option the name came from (`saved_search`): the message starts with it.
    pub option: &'a str,
    /// What to do when no saved search has the name.
    pub not_found: &'a str,
    /// What to do when several have it.
    pub several: &'a str,
}

impl SearchMatch {
    /// `" (other saved searches: "a", "b")"`, or nothing when there are none.
    pub fn others_text(others: &[String]) -> String {
        if others.is_empty() {
            return String::new();
        }
        let quoted: Vec<String> = others.iter().map(|n| format!("\"{n}\"")).collect();
        format!(" (other saved searches: {})", quoted.join(", "))
    }
}

/// A data collection page: `data` rows (`[]` or `{}` when empty), `nextCursorMark`, `total`.
fn collection_page(v: Value) -> CursorPage {
    CursorPage {
        total: total(&v),
        next: v
            .get("nextCursorMark")
            .and_then(Value::as_str)
            .map(str::to_string),
        rows: into_rows(v),
    }
}

/// Cursor paging over a data collection. Stops at an empty page (`[]` or `{}`), or when
/// `nextCursorMark` is missing or unchanged.
#[derive(Debug)]
pub struct CollectionPager<'a> {
    pager: CursorPager<'a>,
    path: String,
}

impl CollectionPager<'_> {
    /// The next page of raw rows, `None` when the collection is exhausted.
    pub fn next_page(&mut self) -> Result<Option<Vec<Value>>> {
        self.pager.next_page()
    }

    /// The next page, typed (e.g. `Indicator`).
    pub fn next_typed<T: DeserializeOwned>(&mut self) -> Result<Option<Vec<T>>> {
        match self.next_page()? {
            None => Ok(None),
            Some(rows) => typed_rows(rows, &self.path).map(Some),
        }
    }

    /// The `total` the server last reported.
    pub fn total(&self) -> Option<usize> {
        self.pager.total()
    }
}
