//! What hangs off any object: attributes, sources, comments, tags, links, watchlist
//! (threatq-api.md §7, §8, §9, §14, §15, §16).

use serde_json::{json, Value};

use super::{rows, typed_rows, Attribute, AttributeWrite, Collection, ObjRef, ThreatQ};
use crate::http::Method;
use crate::Result;

fn base(obj: &ObjRef) -> String {
    format!("{}/{}", obj.collection.path(), obj.id)
}

impl ThreatQ {
    /// Every attribute row of an object (all pages).
    pub fn attributes(&self, obj: &ObjRef) -> Result<Vec<Attribute>> {
        let rows = self.list_all(
            &format!("{}/attributes", base(obj)),
            &[("with", "sources".into())],
        )?;
        typed_rows(rows, "attributes")
    }

    /// Adds attributes in one call (array body). Returns the rows ThreatQ created.
    pub fn add_attributes(&self, obj: &ObjRef, attrs: &[AttributeWrite]) -> Result<Vec<Attribute>> {
        if attrs.is_empty() {
            return Ok(Vec::new());
        }
        let body = serde_json::to_value(attrs).unwrap_or(Value::Null);
        let v = self.call(
            Method::Post,
            &format!("{}/attributes", base(obj)),
            &[],
            Some(body),
        )?;
        typed_rows(rows(&v), "attributes")
    }

    /// Changes the value of an attribute row.
    pub fn update_attribute(&self, obj: &ObjRef, row_id: i64, value: &str) -> Result<()> {
        self.call(
            Method::Put,
            &format!("{}/attributes/{row_id}", base(obj)),
            &[],
            Some(json!({ "value": value })),
        )?;
        Ok(())
    }

    /// Deletes an attribute row.
    pub fn delete_attribute(&self, obj: &ObjRef, row_id: i64) -> Result<()> {
        self.call(
            Method::Delete,
            &format!("{}/attributes/{row_id}", base(obj)),
            &[],
            None,
        )?;
        Ok(())
    }

    /// Attributes an object to a source by name.
    pub fn add_source(&self, obj: &ObjRef, name: &str) -> Result<()> {
        self.call(
            Method::Post,
            &format!("{}/sources", base(obj)),
            &[],
            Some(json!({ "name": name })),
        )?;
        Ok(())
    }

    /// Adds a comment; returns its id.
    pub fn add_comment(&self, obj: &ObjRef, text: &str) -> Result<i64> {
        let v = self.call(
            Method::Post,
            &format!("{}/comments", base(obj)),
            &[],
            Some(json!({ "value": text })),
        )?;
        let row: super::Named = super::from_data(v, "comments")?;
        Ok(row.id)
    }

    /// Every comment of an object, newest first: `(id, text)`.
    pub fn comments(&self, obj: &ObjRef) -> Result<Vec<(i64, String)>> {
        let rows = self.list_all(
            &format!("{}/comments", base(obj)),
            &[("sort", "-created_at".into()), ("with", "sources".into())],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let id = r.get("id").and_then(Value::as_i64)?;
                let text = r.get("value").and_then(Value::as_str).unwrap_or_default();
                Some((id, text.to_string()))
            })
            .collect())
    }

    /// Adds tags by name (one call).
    pub fn add_tags(&self, obj: &ObjRef, names: &[&str]) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let body: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
        self.call(
            Method::Post,
            &format!("{}/tags", base(obj)),
            &[],
            Some(Value::Array(body)),
        )?;
        Ok(())
    }

    /// Links an object to others of one collection (one call, array body).
    pub fn link(&self, obj: &ObjRef, related: &Collection, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let body: Vec<Value> = ids.iter().map(|id| json!({ "id": id })).collect();
        self.call(
            Method::Post,
            &format!("{}/{}", base(obj), related.path()),
            &[],
            Some(Value::Array(body)),
        )?;
        Ok(())
    }

    /// The objects of one collection linked to `obj` (all pages), each with its `pivot.id`.
    pub fn related(&self, obj: &ObjRef, related: &Collection) -> Result<Vec<Value>> {
        self.list_all(&format!("{}/{}", base(obj), related.path()), &[])
    }

    /// Removes links by their pivot ids.
    pub fn unlink(&self, obj: &ObjRef, related: &Collection, pivot_ids: &[i64]) -> Result<()> {
        self.call(
            Method::Delete,
            &format!("{}/{}", base(obj), related.path()),
            &[],
            Some(json!(pivot_ids)),
        )?;
        Ok(())
    }

    /// Puts an object on the current user's watchlist; returns the watchlist entry id.
    pub fn watch(&self, obj: &ObjRef) -> Result<i64> {
        let v = self.call(Method::Post, &format!("{}/watchlist", base(obj)), &[], None)?;
        let row: super::Named = super::from_data(v, "watchlist")?;
        Ok(row.id)
    }
}
