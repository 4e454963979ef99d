//! What `customize` reads and writes (research/resilient.md §7): the org's message
//! destinations, rules, functions and field definitions, the configuration import API
//! (`POST /configurations/imports`, then `PUT .../{id}` with `ACCEPTED`), and the
//! get-modify-put of a destination's members.

use serde_json::Value;
use tq_common::http::Method;
use tq_common::{Error, Result};

use super::objects::segment;
use super::{Principal, Resilient, SYSTEM};

/// `entities` of a list answer, or the bare list.
fn entities(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("entities") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl Resilient {
    /// The message destinations of the org.
    pub fn destinations(&self) -> Result<Vec<Value>> {
        Ok(entities(self.call(
            &self.org_request(Method::Get, "message_destinations"),
        )?))
    }

    /// The rules of the org (`GET /actions`).
    pub fn rules(&self) -> Result<Vec<Value>> {
        Ok(entities(
            self.call(&self.org_request(Method::Get, "actions"))?,
        ))
    }

    /// The functions of the org.
    pub fn functions(&self) -> Result<Vec<Value>> {
        Ok(entities(
            self.call(&self.org_request(Method::Get, "functions"))?,
        ))
    }

    /// One function by API name (`handle_format=names`: `destination_handle` is the
    /// destination's programmatic name); `None` when it does not exist.
    pub fn function(&self, name: &str) -> Result<Option<Value>> {
        let req = self
            .org_request(Method::Get, &format!("functions/{}", segment(name)))
            .query("handle_format", "names");
        match self.call(&req) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The field definitions of a type (`incident`, `actioninvocation`, `__function`).
    pub fn field_defs(&self, type_name: &str) -> Result<Vec<Value>> {
        Ok(entities(self.call(&self.org_request(
            Method::Get,
            &format!("types/{}/fields", segment(type_name)),
        ))?))
    }

    /// Imports an export: `POST /configurations/imports`, then `PUT` it back `ACCEPTED`.
    /// Returns the import's messages (warnings SOAR reports), if any.
    pub fn import(&self, export: &Value) -> Result<Vec<String>> {
        let created = self.call(
            &self
                .org_request(Method::Post, "configurations/imports")
                .json(export.clone()),
        )?;
        let id = created.get("id").and_then(Value::as_u64).ok_or_else(|| {
            Error::remote(SYSTEM, "the import answer has no id (research §7 step 1)")
        })?;
        let mut accepted = created;
        accepted["status"] = Value::from("ACCEPTED");
        let done = self.call(
            &self
                .org_request(Method::Put, &format!("configurations/imports/{id}"))
                .json(accepted),
        )?;
        Ok(done
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| {
                m.get("text")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| m.as_str().map(str::to_string))
            })
            .collect())
    }

    /// Makes the logged-in user (or API key) a member of the destination `programmatic_name`
    /// (get-modify-put, research §7 step 3). Returns whether it was added (false: it was a
    /// member already).
    pub fn join_destination(&self, programmatic_name: &str) -> Result<bool> {
        let dest = self
            .destinations()?
            .into_iter()
            .find(|d| d.get("programmatic_name").and_then(Value::as_str) == Some(programmatic_name))
            .ok_or_else(|| {
                Error::remote(
                    SYSTEM,
                    format!("there is no message destination {programmatic_name}"),
                )
            })?;
        let id = dest
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| Error::remote(SYSTEM, "a message destination without an id"))?;
        let mut dest =
            self.call(&self.org_request(Method::Get, &format!("message_destinations/{id}")))?;
        let (key, member) = match self.principal() {
            Principal::User { id, .. } => ("users", *id),
            Principal::ApiKey { handle } => ("api_keys", *handle),
        };
        let list = dest
            .get_mut(key)
            .filter(|l| l.is_array())
            .and_then(Value::as_array_mut);
        let list = match list {
            Some(l) => l,
            None => {
                dest[key] = Value::Array(Vec::new());
                dest[key].as_array_mut().expect("just made an array")
            }
        };
        if list.iter().any(|m| m.as_u64() == Some(member)) {
            return Ok(false);
        }
        list.push(Value::from(member));
        self.call(
            &self
                .org_request(Method::Put, &format!("message_destinations/{id}"))
                .json(dest),
        )?;
        Ok(true)
    }
}
