//! Users (threatq-api.md §13): the list with each user's own source (a task's assignee,
//! a watchlist's owner).

use super::{typed_rows, ThreatQ, UserInfo, SYSTEM};
use crate::{Error, Result};

impl ThreatQ {
    /// Every user (`GET /api/users?with=source`, all pages).
    pub fn users(&self) -> Result<Vec<UserInfo>> {
        let rows = self.list_all("users", &[("with", "source".into())])?;
        typed_rows(rows, "users")
    }

    /// The user whose e-mail or display name is `who` (case ignored, e-mail first); an
    /// unknown one is an error listing the users there are.
    pub fn find_user(&self, who: &str) -> Result<UserInfo> {
        let users = self.users()?;
        let who = who.trim();
        let found = users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(who))
            .or_else(|| {
                users
                    .iter()
                    .find(|u| u.display_name.eq_ignore_ascii_case(who))
            });
        match found {
            Some(u) => Ok(u.clone()),
            None => Err(Error::remote(
                SYSTEM,
                format!(
                    "there is no user with the e-mail or name \"{who}\"; ThreatQ has: {}",
                    users
                        .iter()
                        .map(|u| format!("{} <{}>", u.display_name, u.email))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
}
