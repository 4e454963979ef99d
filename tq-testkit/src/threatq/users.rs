//! Users (§13): `GET /api/users/current` and `GET /api/users[?with=source]`; the fake has
//! one user, the one whose credentials it accepts.

use serde_json::{json, Value};

use super::reply::{self, Reply};
use super::State;

fn user_json(st: &State) -> Value {
    let u = &st.store.user;
    json!({
        "id": u.id,
        "email": u.email,
        "display_name": u.display_name,
        "source": { "id": u.source_id, "name": u.email },
    })
}

/// `GET /api/users/current` → `{"data":{id,email,display_name,source{id}}}`.
pub fn current(st: &State) -> Reply {
    Ok(reply::data(user_json(st)))
}

/// `GET /api/users` → list of the one user.
pub fn list(st: &State) -> Reply {
    Ok(reply::list(1, vec![user_json(st)]))
}
