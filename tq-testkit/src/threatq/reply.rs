//! Envelopes and error bodies of threatq-api.md §3 and §19.
//!
//! Handlers return [`Reply`]: `Ok` for the answer, `Err` for an error answer, so `?` works.

use serde::Serialize;
use serde_json::{json, Value};

use crate::server::Response;

/// The result of a route handler: both sides are complete HTTP responses.
pub type Reply = Result<Response, Response>;

/// `200 {"data": data}`.
pub fn data(data: Value) -> Response {
    Response::json(200, &json!({ "data": data }))
}

/// `201 {"data": data}`.
pub fn created(data: Value) -> Response {
    Response::json(201, &json!({ "data": data }))
}

/// A list envelope `{"total","data"}` with status 200.
pub fn list(total: usize, data: Vec<Value>) -> Response {
    Response::json(200, &json!({ "total": total, "data": data }))
}

/// A list envelope echoing `limit` and `offset` (query endpoints, §3).
pub fn page(total: usize, data: Vec<Value>, limit: usize, offset: usize) -> Response {
    Response::json(
        200,
        &json!({ "total": total, "data": data, "limit": limit, "offset": offset }),
    )
}

/// A list-shaped `data` (creations that return a list, §3) with `status`.
pub fn list_with_status(status: u16, data: Vec<Value>) -> Response {
    Response::json(status, &json!({ "total": data.len(), "data": data }))
}

/// Like [`list_with_status`], for rows that serialize themselves (no JSON tree built):
/// the same bytes, `{"data":[...],"total":n}`.
pub fn list_of<T: Serialize>(status: u16, data: &[T]) -> Response {
    #[derive(Serialize)]
    struct Envelope<'a, T> {
        data: &'a [T],
        total: usize,
    }
    let body = Envelope {
        data,
        total: data.len(),
    };
    // Rows of the fake run to a few hundred bytes: start large enough to write most
    // answers without growing the buffer.
    let mut bytes = Vec::with_capacity(64 + 512 * data.len());
    match serde_json::to_writer(&mut bytes, &body) {
        Ok(()) => Response::bytes(status, "application/json", bytes),
        Err(e) => Response::json(500, &json!({ "errors": [e.to_string()] })),
    }
}

/// `204` with no body (deletes).
pub fn no_content() -> Response {
    Response::empty(204)
}

/// `422` form 1: `{"data":{"errors":{"<field>":["msg"]}}}`.
pub fn invalid(field: &str, msg: &str) -> Response {
    Response::json(422, &json!({ "data": { "errors": { field: [msg] } } }))
}

/// `400` form 2: `{"errors":["msg"]}`.
pub fn bad_request(msg: &str) -> Response {
    Response::json(400, &json!({ "errors": [msg] }))
}

/// `404 {"errors":["Not Found"]}`.
pub fn not_found() -> Response {
    Response::json(404, &json!({ "errors": ["Not Found"] }))
}

/// `401 {"error":"Unauthorized"}`.
pub fn unauthorized() -> Response {
    Response::json(401, &json!({ "error": "Unauthorized" }))
}

/// The JSON body of a request, or 400 form 2 when it is not JSON.
pub fn json_body(req: &crate::server::Request) -> Result<Value, Response> {
    if req.body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad_request("The request body is empty; JSON expected."));
    }
    req.json()
        .map_err(|e| bad_request(&format!("Malformed JSON body: {e}")))
}

/// The JSON body, or `None` when the body is empty.
pub fn optional_json_body(req: &crate::server::Request) -> Result<Option<Value>, Response> {
    if req.body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(None);
    }
    json_body(req).map(Some)
}
