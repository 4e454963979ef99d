//! Watchlists (threatq-api.md §16): what a user watches, read with what changed in it.
//!
//! Listing a user's watchlist is not public ([I]). [`ThreatQ::watched_by`] alone does it,
//! the way issue 10 decided: page through `GET /api/{objs}?with=watchlist,...` and keep
//! the objects whose watchlist entries carry the user's id. FakeThreatQ renders watchlist
//! entries the same way. Correct that one function if a real server differs.

use super::{typed_rows, Collection, ThreatQ, Watched};
use crate::Result;

/// The relations read with a watched object: enough to tell what changed (comments,
/// attributes, sources, status, score) and to name it (type).
pub const WATCHED_WITH: &str = "watchlist,comments,attributes,sources,status,score,type";

impl ThreatQ {
    /// [I] The objects of `objects` (indicators, events, adversaries) on the watchlist of
    /// the user `user_id`, with their comments, attributes, sources, status, score and
    /// type, in id order.
    pub fn watched_by(&self, user_id: i64, objects: &Collection) -> Result<Vec<Watched>> {
        let mut out = Vec::new();
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
                out.extend(
                    page.into_iter()
                        .filter(|w| w.watchlist.iter().any(|e| e.user_id == Some(user_id))),
                );
                Ok(())
            },
        )?;
        Ok(out)
    }
}
