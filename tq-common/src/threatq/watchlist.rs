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
    /// any of the users `users`, with their comments, attributes, sources, status, score and
    /// type, in id order: one scan of the collection, whatever the number of users.
    ///
    /// Each returned object's `watchlist` holds only the entries of `users`, each with its
    /// `user_id` set: an entry without one (the documented form is only `{id, ...}`, the
    /// logged-in user's) is taken as the logged-in user's.
    pub fn watched_by(&self, users: &[i64], objects: &Collection) -> Result<Vec<Watched>> {
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
                for mut w in page {
                    let anonymous = w.watchlist.iter().any(|e| e.user_id.is_none());
                    if anonymous && me.is_none() {
                        me = Some(self.current_user()?.id);
                    }
                    w.watchlist = entries_of(std::mem::take(&mut w.watchlist), users, me.flatten());
                    if !w.watchlist.is_empty() {
                        out.push(w);
                    }
                }
                Ok(())
            },
        )?;
        Ok(out)
    }
}

/// The entries of `users` among `entries`, each with its user; an entry without a user is
/// `current`'s (dropped when the current user is unknown).
fn entries_of(entries: Vec<WatchEntry>, users: &[i64], current: Option<i64>) -> Vec<WatchEntry> {
    entries
        .into_iter()
        .filter_map(|mut e| {
            e.user_id = e.user_id.or(current);
            e.user_id.filter(|u| users.contains(u)).map(|_| e)
        })
        .collect()
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
        let users = |es: Vec<WatchEntry>, of: &[i64], current| -> Vec<Option<i64>> {
            entries_of(es, of, current)
                .into_iter()
                .map(|e| e.user_id)
                .collect()
        };
        assert_eq!(users(vec![e(Some(7))], &[7], None), vec![Some(7)]);
        assert!(users(vec![e(Some(8))], &[7], Some(7)).is_empty());
        assert_eq!(users(vec![e(None)], &[7], Some(7)), vec![Some(7)]);
        assert!(users(vec![e(None)], &[8], Some(7)).is_empty());
        assert!(users(vec![e(None)], &[8], None).is_empty());
        assert_eq!(
            users(vec![e(Some(8)), e(None), e(Some(9))], &[7, 9], Some(7)),
            vec![Some(7), Some(9)]
        );
        assert!(users(vec![], &[7], Some(7)).is_empty());
    }
}
