//! The route table: maps method + path to the handler of each concern. Every route but
//! `POST /api/token` needs a valid bearer token; anything unknown is a 404.

use super::reply::{not_found, Reply};
use super::store::collection;
use super::{
    attachments, attributes, collab, collections, imports, indicators, links, lookups, objects,
    search, users, State,
};
use crate::server::{Request, Response};

/// Answers one request.
pub fn dispatch(st: &mut State, req: &Request) -> Response {
    let path = req.path.trim_end_matches('/');
    let Some(rest) = path.strip_prefix("/api/") else {
        return not_found();
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let m = req.method.to_ascii_uppercase();
    if segs == ["token"] {
        if m != "POST" {
            return not_found();
        }
        let State { auth, clock, .. } = st;
        return auth.token(req, clock);
    }
    if let Err(r) = st.auth.check(req, &st.clock) {
        return r;
    }
    match route(st, req, &m, &segs) {
        Ok(r) | Err(r) => r,
    }
}

fn id(s: &str) -> Result<u64, Response> {
    s.parse::<u64>().map_err(|_| not_found())
}

fn route(st: &mut State, req: &Request, m: &str, segs: &[&str]) -> Reply {
    let stamp = st.clock.stamp();
    let lk = &mut st.store.lookups;
    match (m, segs) {
        ("GET", ["users", "current"]) => users::current(st),
        ("GET", ["users"]) => users::list(st, req),
        ("POST", ["imports"]) => imports::create(st, req),
        ("PUT", ["imports", i]) => imports::configure(st, req, id(i)?),
        ("GET", ["imports", i, "commit"]) => imports::commit(st, id(i)?),
        ("GET", ["imports", i, "indicators"]) => imports::indicators(st, req, id(i)?),
        ("DELETE", ["imports", i]) => imports::delete(st, id(i)?),
        ("GET", ["indicator", "statuses"]) => lookups::routes::list(&lk.statuses, req),
        ("GET", ["indicator", "statuses", i]) => lookups::routes::get(&lk.statuses, id(i)?),
        ("GET", ["indicator", "types"]) => lookups::routes::list(&lk.indicator_types, req),
        ("GET", ["indicator", "types", i]) => lookups::routes::get(&lk.indicator_types, id(i)?),
        ("GET", ["event", "types"]) => lookups::routes::list(&lk.event_types, req),
        ("POST", ["event", "types"]) => lookups::routes::create(&mut lk.event_types, req, &stamp),
        ("GET", ["event", "types", i]) => lookups::routes::get(&lk.event_types, id(i)?),
        ("GET", ["attachments", "types"]) => lookups::routes::list(&lk.attachment_types, req),
        ("GET", ["attachments", "types", i]) => lookups::routes::get(&lk.attachment_types, id(i)?),
        ("PUT", ["indicator", i, "scores"]) => indicators::put_score(st, req, id(i)?),
        ("GET", ["search"]) => search::quick(st, req),
        ("GET", ["search", "query"]) => collections::list(st, req),
        ("GET", ["search", "query", hash]) => collections::get(st, req, hash),
        ("GET", ["tags"]) => collab::search_tags(st, req),
        ("GET", ["sources"]) => attributes::search_sources(st, req),
        ("POST", ["attachments", "upload"]) => attachments::upload(st, req),
        ("GET", ["attachments", i, "download"]) => attachments::download(st, id(i)?),
        ("POST", ["attachments"]) => attachments::create(st, req),
        ("POST", ["indicators", "consume"]) | ("POST", ["indicators", "consume", "new"]) => {
            indicators::consume(st, req)
        }
        ("POST", ["indicators"]) => indicators::create(st, req),
        ("PUT", ["indicators", i]) => indicators::update(st, req, id(i)?),
        _ => object_route(st, req, m, segs),
    }
}

/// Routes under `/api/{objs}` for any collection.
fn object_route(st: &mut State, req: &Request, m: &str, segs: &[&str]) -> Reply {
    let Some(first) = segs.first() else {
        return Err(not_found());
    };
    let coll = collection(first).ok_or_else(not_found)?.name;
    match (m, &segs[1..]) {
        ("GET", []) => objects::list(st, req, coll),
        ("POST", []) => objects::create(st, req, coll),
        ("POST", ["query"]) => objects::query(st, req, coll),
        ("GET", ["query", "hash", hash]) => collections::execute(st, req, coll, hash),
        ("PUT", ["comments", c]) => collab::put_comment(st, req, coll, id(c)?),
        ("GET", [i]) => objects::get(st, req, coll, id(i)?),
        ("PUT", [i]) => objects::update(st, req, coll, id(i)?),
        ("DELETE", [i]) => objects::delete(st, coll, id(i)?),
        (_, [i, sub]) => {
            let oid = id(i)?;
            match (m, *sub) {
                ("POST", "attributes") => attributes::post_attributes(st, req, coll, oid),
                ("GET", "attributes") => attributes::list_attributes(st, req, coll, oid),
                ("POST", "sources") => attributes::post_sources(st, req, coll, oid),
                ("GET", "sources") => attributes::list_sources(st, coll, oid),
                ("POST", "comments") => collab::post_comment(st, req, coll, oid),
                ("GET", "comments") => collab::list_comments(st, req, coll, oid),
                ("POST", "tags") => collab::post_tags(st, req, coll, oid),
                ("GET", "tags") => collab::list_tags(st, coll, oid),
                ("POST", "watchlist") => collab::post_watch(st, req, coll, oid),
                ("POST", rel) if collection(rel).is_some() => {
                    links::post_link(st, req, coll, oid, rel)
                }
                ("GET", rel) if collection(rel).is_some() => {
                    links::list_related(st, req, coll, oid, rel)
                }
                ("DELETE", rel) if collection(rel).is_some() => {
                    links::delete_links(st, req, coll, oid, rel)
                }
                _ => Err(not_found()),
            }
        }
        ("PUT", [i, "attributes", row]) => {
            attributes::put_attribute(st, req, coll, id(i)?, id(row)?)
        }
        ("DELETE", [i, "attributes", row]) => {
            attributes::delete_attribute(st, coll, id(i)?, id(row)?)
        }
        ("DELETE", [i, "sources", p]) => attributes::delete_source(st, coll, id(i)?, id(p)?),
        ("DELETE", [i, "comments", c]) => collab::delete_comment(st, coll, id(i)?, id(c)?),
        ("DELETE", [i, "tags", t]) => collab::delete_tag(st, coll, id(i)?, id(t)?),
        ("DELETE", [i, "watchlist", w]) => collab::delete_watch(st, coll, id(i)?, id(w)?),
        _ => Err(not_found()),
    }
}
