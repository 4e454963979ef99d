//! Users (§13): `GET /api/users/current` and `GET /api/users[?with=source]` (paged); the
//! user whose credentials the fake accepts, then the others a test added.

use serde_json::{json, Value};

use super::query::list_params;
use super::reply::{self, Reply};
use super::store::User;
use super::State;
use crate::server::Request;

fn user_json(u: &User) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "display_name": u.display_name,
        "source": { "id": u.source_id, "name": u.email },
    })
}

/// `GET /api/users/current` → `{"data":{id,email,display_name,source{id}}}`.
pub fn current(st: &State) -> Reply {
    Ok(reply::data(user_json(&st.store.user)))
}

/// `GET /api/users[?with=source&limit&offset]` → the users, paged.
pub fn list(st: &State, req: &Request) -> Reply {
    let p = list_params(req, st.cfg.default_limit, st.cfg.max_limit)?;
    let all: Vec<&User> = std::iter::once(&st.store.user)
        .chain(&st.store.other_users)
        .collect();
    let data = all
        .iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|u| user_json(u))
        .collect();
    Ok(reply::page(all.len(), data, p.limit, p.offset))
}
