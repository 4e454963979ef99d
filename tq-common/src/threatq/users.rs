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
        let mut found = self.find_users(&[who])?;
        Ok(found.remove(0))
    }

    /// The users named in `who` (each an e-mail or display name, matched as by
    /// [`ThreatQ::find_user`]), in that order, from one listing of the users. A name that
    /// matches nobody is an error naming it and listing the users there are.
    pub fn find_users<S: AsRef<str>>(&self, who: &[S]) -> Result<Vec<UserInfo>> {
        let users = self.users()?;
        let mut out = Vec::with_capacity(who.len());
        let mut unknown = Vec::new();
        for w in who {
            match match_user(&users, w.as_ref()) {
                Some(u) => out.push(u.clone()),
                None => unknown.push(format!("\"{}\"", w.as_ref().trim())),
            }
        }
        if unknown.is_empty() {
            return Ok(out);
        }
        Err(Error::remote(
            SYSTEM,
            format!(
                "there is no user with the e-mail or name {}; ThreatQ has: {}",
                unknown.join(", "),
                users
                    .iter()
                    .map(|u| format!("{} <{}>", u.display_name, u.email))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

/// The user whose e-mail, else display name, is `who` (case ignored).
fn match_user<'a>(users: &'a [UserInfo], who: &str) -> Option<&'a UserInfo> {
    let who = who.trim();
    users
        .iter()
        .find(|u| u.email.eq_ignore_ascii_case(who))
        .or_else(|| {
            users
                .iter()
                .find(|u| u.display_name.eq_ignore_ascii_case(who))
        })
}
