//! Every behaviour of the fake that research/resilient.md marks **[I]** (inferred) or leaves
//! open, in one place, so it can be corrected when the real answer is known. Each item says
//! what the fake does and why.
//!
//! - **Error bodies** ([`error`]): SOAR's REST errors are JSON
//!   `{"success": false, "title": null, "message": "...", "hints": [], "error_code": "generic"}`.
//!   The research only confirms the statuses (401 on any bad credentials, 409 on a stale
//!   `version`, 204 on DELETE); the body shape is from memory of the SOAR REST API.
//! - **Unknown fields** in a request body: 400 with `Unrecognized field "<name>"` (the message
//!   Jackson gives, which SOAR passes through). A wrong type: 400 naming the field.
//! - **Artifact create** (`POST /incidents/{id}/artifacts`): answers an **array** of created
//!   artifacts ([`ArtifactCreateForm::Array`], research §5.3 "the fake should return an
//!   array"); the knob [`ArtifactCreateForm::Object`] answers the bare object, so a client can be
//!   tested against both.
//! - **Duplicate artifacts** (same type and value in one incident): stored again, as a second
//!   artifact (the fake does not dedupe; clients must, and tests count).
//! - **Artifact delete path** `DELETE /incidents/{id}/artifacts/{aid}` and **note get**
//!   `GET /incidents/{id}/comments/{cid}`: standard sub-resources, not seen in code.
//! - **Task PUT**: the whole TaskDTO; a `vers` in the body that is not the task's current one
//!   is 409 (the samples' tasks carry no `vers`; `get_put` retries on 409). `id` and `inc_id`
//!   cannot change (400). Setting `status` to `C` sets `closed_date`; `O` clears it.
//! - **Incident PATCH** field names: a built-in field by name, a custom field by its name or
//!   as `properties.<name>` ([`patch_field`]); values in `{"object": ...}` (research §5.3)
//!   or the typed forms `{"text"|"textarea"|"id"|"ids"|"boolean"|"date": ...}`. A stale
//!   `version` is 409. `old_value` is not compared.
//! - **Query paging**: `length` above the server's cap ([`DEFAULT_MAX_PAGE`], knob) is cut
//!   to the cap; `recordsTotal` counts everything, `recordsFiltered` what matches the filters.
//!   Condition methods: `equals`, `not_equals`, `gt`, `gte`, `lt`, `lte`, `in`, `not_in`,
//!   `contains`, `has_a_value`, `not_has_a_value`; an unknown method is 400.
//! - **Customize import**: `POST /configurations/imports` answers `status: "PENDING"` with no
//!   messages; `PUT .../{id}` with `status: "ACCEPTED"` applies it: message destinations,
//!   rules, functions and fields that do not exist yet (matched by programmatic name, name
//!   and type) are created, existing ones left alone. The export's destination `users` (e-mail
//!   addresses) are **not** applied: membership is added by the documented get-modify-put of
//!   `/message_destinations/{id}` (research §7 step 3), which the connector must do.
//! - **Phases and severities** for `handle_format=names`: severity 50 Low (sample), 51 Medium,
//!   52 High; phase 1005 Respond (sample), 1004 Engage, 1006 Detect/Analyze, 1007 Complete.
//! - **Org scope**: a call under `/rest/orgs/{id}` of an org the caller does not belong to is
//!   403.

use serde_json::{json, Value};

use crate::server::Response;

/// The largest page `query_paged` returns by default.
pub const DEFAULT_MAX_PAGE: usize = 1000;

/// How `POST /incidents/{id}/artifacts` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArtifactCreateForm {
    /// An array of the created artifacts (default).
    #[default]
    Array,
    /// The created artifact as an object.
    Object,
}

/// An error answer in SOAR's shape.
pub fn error(status: u16, message: &str) -> Response {
    Response::json(
        status,
        &json!({
            "success": false,
            "title": null,
            "message": message,
            "hints": [],
            "error_code": "generic"
        }),
    )
}

/// 401 for missing, wrong or expired credentials (research §5.1: any 401 makes
/// resilient-circuits exit 21).
pub fn unauthorized() -> Response {
    error(
        401,
        "Unauthorized: the session is not valid or the credentials are wrong",
    )
}

/// 403 for another org.
pub fn forbidden(what: &str) -> Response {
    error(403, &format!("Access denied: {what}"))
}

/// 404.
pub fn not_found(what: &str) -> Response {
    error(404, &format!("{what} not found"))
}

/// 400 for a field the object does not have.
pub fn unknown_field(name: &str, type_name: &str) -> Response {
    error(
        400,
        &format!("Unrecognized field \"{name}\" (class {type_name}), not marked as ignorable"),
    )
}

/// 400 for anything else wrong with a body.
pub fn bad_request(message: &str) -> Response {
    error(400, message)
}

/// 409 for a stale version.
pub fn conflict(what: &str) -> Response {
    error(
        409,
        &format!("{what} was changed by someone else (version mismatch); get it again and retry"),
    )
}

/// The custom or built-in field a PATCH change names: `("properties", name)` for a custom
/// field (given as `name` or `properties.name`), `("", name)` for a built-in one.
pub fn patch_field<'a>(name: &'a str, is_custom: &dyn Fn(&str) -> bool) -> (&'static str, &'a str) {
    if let Some(n) = name.strip_prefix("properties.") {
        return ("properties", n);
    }
    if is_custom(name) {
        ("properties", name)
    } else {
        ("", name)
    }
}

/// The value inside a PATCH `new_value`: `{"object": v}` or a typed form.
pub fn patch_value(wrapper: &Value) -> Option<Value> {
    let o = wrapper.as_object()?;
    [
        "object", "text", "textarea", "id", "ids", "boolean", "date", "number",
    ]
    .iter()
    .find_map(|k| o.get(*k).cloned())
}

/// Severity names by id (`handle_format=names`).
pub const SEVERITIES: &[(u64, &str)] = &[(50, "Low"), (51, "Medium"), (52, "High")];

/// Phase names by id (`handle_format=names`).
pub const PHASES: &[(u64, &str)] = &[
    (1004, "Engage"),
    (1005, "Respond"),
    (1006, "Detect/Analyze"),
    (1007, "Complete"),
];
