//! Watchlists (threatq-api.md §16): what a user watches, read with what changed in it.
//!
//! Listing a user's watchlist is not public ([I]). [`ThreatQ::watched_by`] alone does it,
//! the way issue 10 decided: page through `GET /api/{objs}?with=watchlist,...` and keep
//! the objects whose watchlist entries carry the user's id. FakeThreatQ renders watchlist
//! entries the same way. Correct that one function if a real server differs.

use super::{typed_rows, Collection, ThreatQ, WatchEntry, Watched};
use crate::Result;

/// The relations read with a watched object: enough to tell what changed (comments,
/// attributes, sources, status, score) and to name it (type).
pub const WATCHED_WITH: &str = "watchlist,comments,attributes,sources,status,score,type";

impl ThreatQ {
    /// [I] The objects of `objects` (indicators, events, adversaries) on the watchlist of
    /// the user `user_id`, with their comments, attributes, sources, status, score and
    /// type, in id order. An entry without a `user_id` (the documented form is only
    /// `{id, ...}`, the current user's) counts as the logged-in user's.
    pub fn watched_by(&self, user_id: i64, objects: &Collection) -> Result<Vec<Watched>> {
        let mut out = Vec::new();
        let mut me: Option<Option<i64>> = None;
        let what = format!("{}?with=watchlist", objects.path());
        self.visit_pages(
            |offset| {
                crate::http::Request::new(crate::http::Method::Get, self.url(objects.path()))
                    .query("with", WATCHED_WITH)
                    .query("sort", "id")
                    .query("limit", super::PAGE_SIZE.to_string())
                    .query("offset", offset.to_string())
            },
            |rows| {
                let page: Vec<Watched> = typed_rows(rows, &what)?;
                for w in page {
                    let anonymous = w.watchlist.iter().any(|e| e.user_id.is_none());
                    if anonymous && me.is_none() {
                        me = Some(self.current_user()?.id);
                    }
                    if watches(&w.watchlist, user_id, me.flatten()) {
                        out.push(w);
                    }
                }
                Ok(())
            },
        )?;
        Ok(out)
    }
}

/// Whether `entries` hold one of `user_id`; an entry without a user is `current`'s.
fn watches(entries: &[WatchEntry], user_id: i64, current: Option<i64>) -> bool {
    entries
        .iter()
        .any(|e| e.user_id.or(current) == Some(user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_without_a_user_are_the_current_users() {
        let e = |user_id| WatchEntry {
            id: 1,
            user_id,
            created_at: String::new(),
        };
        assert!(watches(&[e(Some(7))], 7, None));
        assert!(!watches(&[e(Some(8))], 7, Some(7)));
        assert!(watches(&[e(None)], 7, Some(7)));
        assert!(!watches(&[e(None)], 8, Some(7)));
        assert!(!watches(&[], 7, Some(7)));
    }
}
