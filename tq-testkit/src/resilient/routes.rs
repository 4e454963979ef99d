//! The route table: method + path to the handler of each concern. Everything but
//! `POST /rest/session` needs a session or an API key; calls under `/rest/orgs/{id}` must be
//! for the caller's org; anything unknown is 404.

use super::auth::Principal;
use super::inferred::{forbidden, not_found};
use super::{artifacts, attachments, customize, incidents, notes, tasks, State};
use crate::server::{Request, Response};

/// A handler's answer: both sides are complete responses, so `?` works.
pub type Reply = Result<Response, Response>;

fn id(s: &str) -> Result<u64, Response> {
    s.parse::<u64>().map_err(|_| not_found("object"))
}

/// Answers one request.
pub fn dispatch(st: &mut State, req: &Request) -> Response {
    let path = req.path.trim_end_matches('/');
    let Some(rest) = path.strip_prefix("/rest/") else {
        return not_found("path");
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let m = req.method.to_ascii_uppercase();
    if segs == ["session"] && m == "POST" {
        let orgs = serde_json::json!([st.org.session_entry()]);
        return st.auth.login(req, orgs);
    }
    let who = match st.auth.check(req) {
        Ok(w) => w,
        Err(r) => return r,
    };
    match route(st, req, who, &m, &segs) {
        Ok(r) | Err(r) => r,
    }
}

fn route(st: &mut State, req: &Request, who: Principal, m: &str, segs: &[&str]) -> Reply {
    match (m, segs) {
        ("GET", ["session"]) => {
            let orgs = serde_json::json!([st.org.session_entry()]);
            Ok(st.auth.session_info(req, who, orgs))
        }
        ("DELETE", ["session"]) => Ok(st.auth.logout(req)),
        ("GET", ["const"]) => Ok(customize::constants()),
        ("GET", ["orgs", org]) => {
            check_org(st, org)?;
            Ok(customize::org(st))
        }
        (_, ["orgs", org, rest @ ..]) => {
            check_org(st, org)?;
            org_route(st, req, who, m, rest)
        }
        _ => Err(not_found("path")),
    }
}

fn check_org(st: &State, org: &str) -> Result<(), Response> {
    if org.parse::<u64>().ok() == Some(st.org.id) {
        Ok(())
    } else {
        Err(forbidden(&format!(
            "org {org} is not one of the caller's orgs"
        )))
    }
}

/// Routes under `/rest/orgs/{org_id}`.
fn org_route(st: &mut State, req: &Request, who: Principal, m: &str, segs: &[&str]) -> Reply {
    match (m, segs) {
        // customizations
        ("GET", ["actions"]) => customize::actions(st),
        ("GET", ["functions"]) => customize::functions(st),
        ("GET", ["functions", name]) => customize::function(st, name),
        ("GET", ["message_destinations"]) => customize::destinations(st),
        ("POST", ["message_destinations"]) => customize::create_destination(st, req),
        ("GET", ["message_destinations", d]) => customize::destination(st, id(d)?),
        ("PUT", ["message_destinations", d]) => customize::put_destination(st, req, id(d)?),
        ("GET", ["types", t]) => customize::type_def(st, t),
        ("GET", ["types", t, "fields"]) => customize::fields(st, t),
        ("POST", ["types", t, "fields"]) => customize::create_field(st, req, t),
        ("POST", ["configurations", "imports"]) => customize::create_import(st, req),
        ("GET", ["configurations", "imports", i]) => customize::get_import(st, id(i)?),
        ("PUT", ["configurations", "imports", i]) => customize::put_import(st, req, id(i)?),
        // incidents
        ("POST", ["incidents"]) => incidents::create(st, req, who),
        ("POST", ["incidents", "query_paged"]) => incidents::query_paged(st, req),
        ("POST", ["incidents", "query"]) => incidents::query(st, req),
        ("GET", ["incidents", i]) => incidents::get(st, req, id(i)?),
        ("PUT", ["incidents", i]) => incidents::put(st, req, id(i)?),
        ("PATCH", ["incidents", i]) => incidents::patch(st, req, id(i)?),
        // artifacts
        ("GET", ["incidents", i, "artifacts"]) => artifacts::list(st, id(i)?),
        ("POST", ["incidents", i, "artifacts"]) => artifacts::create(st, req, who, id(i)?),
        ("POST", ["incidents", i, "artifacts", "query_paged"]) => {
            artifacts::query_paged(st, req, id(i)?)
        }
        ("GET", ["incidents", i, "artifacts", a]) => artifacts::get(st, id(i)?, id(a)?),
        ("DELETE", ["incidents", i, "artifacts", a]) => artifacts::delete(st, id(i)?, id(a)?),
        // notes
        ("GET", ["incidents", i, "comments"]) => notes::list_incident(st, id(i)?),
        ("POST", ["incidents", i, "comments"]) => notes::create_incident(st, req, who, id(i)?),
        ("GET", ["incidents", i, "comments", c]) => notes::get(st, id(i)?, id(c)?),
        ("GET", ["tasks", t, "comments"]) => notes::list_task(st, id(t)?),
        ("POST", ["tasks", t, "comments"]) => notes::create_task(st, req, who, id(t)?),
        // tasks
        ("GET", ["incidents", i, "tasks"]) => tasks::list(st, req, id(i)?),
        ("GET", ["tasks", t]) => tasks::get(st, req, id(t)?),
        ("PUT", ["tasks", t]) => tasks::put(st, req, id(t)?),
        // attachments
        ("GET", ["incidents", i, "attachments"]) => attachments::list_incident(st, id(i)?),
        ("GET", ["incidents", i, "attachments", a]) => {
            attachments::get_incident(st, id(i)?, id(a)?)
        }
        ("GET", ["incidents", i, "attachments", a, "contents"]) => {
            attachments::contents_incident(st, id(i)?, id(a)?)
        }
        ("GET", ["tasks", t, "attachments"]) => attachments::list_task(st, id(t)?),
        ("GET", ["tasks", t, "attachments", a]) => attachments::get_task(st, id(t)?, id(a)?),
        ("GET", ["tasks", t, "attachments", a, "contents"]) => {
            attachments::contents_task(st, id(t)?, id(a)?)
        }
        _ => Err(not_found("path")),
    }
}
