//! What hangs off any object: attributes, sources, comments, tags, links, watchlist
//! (threatq-api.md §7, §8, §9, §14, §15, §16).

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::{
    from_data, rows, typed_rows, Attribute, AttributeWrite, Collection, Comment, Linked, Named,
    ObjRef, ThreatQ, WatchEntry, SYSTEM,
};
use crate::http::Method;
use crate::{Error, Result};

fn base(obj: &ObjRef) -> String {
    format!("{}/{}", obj.collection.path(), obj.id)
}

impl ThreatQ {
    /// Every attribute row of an object (all pages), with its sources.
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

    /// Adds a comment.
    pub fn add_comment(&self, obj: &ObjRef, text: &str) -> Result<Comment> {
        let v = self.call(
            Method::Post,
            &format!("{}/comments", base(obj)),
            &[("with", "sources".into())],
            Some(json!({ "value": text })),
        )?;
        from_data(v, "comments")
    }

    /// Every comment of an object, newest first.
    pub fn comments(&self, obj: &ObjRef) -> Result<Vec<Comment>> {
        let rows = self.list_all(
            &format!("{}/comments", base(obj)),
            &[("sort", "-created_at".into()), ("with", "sources".into())],
        )?;
        typed_rows(rows, "comments")
    }

    /// Adds tags by name (one call); returns the object's tags that were named.
    pub fn add_tags(&self, obj: &ObjRef, names: &[&str]) -> Result<Vec<Named>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let body: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
        let v = self.call(
            Method::Post,
            &format!("{}/tags", base(obj)),
            &[],
            Some(Value::Array(body)),
        )?;
        typed_rows(rows(&v), "tags")
    }

    /// The tags of an object.
    pub fn tags(&self, obj: &ObjRef) -> Result<Vec<Named>> {
        let rows = self.list_all(&format!("{}/tags", base(obj)), &[])?;
        typed_rows(rows, "tags")
    }

    /// Removes a tag (by its id) from an object.
    pub fn remove_tag(&self, obj: &ObjRef, tag_id: i64) -> Result<()> {
        self.call(
            Method::Delete,
            &format!("{}/tags/{tag_id}", base(obj)),
            &[],
            None,
        )?;
        Ok(())
    }

    /// Links an object to others of one collection (one call, array body): an event to
    /// its indicators, adversaries, events, tasks or attachments, and any other pair.
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

    /// The objects of one collection linked to `obj` (all pages), raw, each with its
    /// `pivot.id`.
    pub fn related(&self, obj: &ObjRef, related: &Collection) -> Result<Vec<Value>> {
        self.list_all(&format!("{}/{}", base(obj), related.path()), &[])
    }

    /// The objects of one collection linked to `obj` (all pages), typed (`Indicator`,
    /// `Event`, `Adversary`, ...) with the link's id; `with` embeds relations of the linked
    /// objects (`"type,status"`).
    pub fn linked<T: DeserializeOwned>(
        &self,
        obj: &ObjRef,
        related: &Collection,
        with: &str,
    ) -> Result<Vec<Linked<T>>> {
        let query: Vec<(&str, String)> = if with.is_empty() {
            Vec::new()
        } else {
            vec![("with", with.to_string())]
        };
        let rows = self.list_all(&format!("{}/{}", base(obj), related.path()), &query)?;
        rows.into_iter()
            .map(|r| {
                let pivot_id = super::pivot_id_of(&r);
                let object = serde_json::from_value(r).map_err(|e| {
                    Error::remote(
                        SYSTEM,
                        format!("unexpected row in {}/{}: {e}", base(obj), related.path()),
                    )
                })?;
                Ok(Linked { pivot_id, object })
            })
            .collect()
    }

    /// Removes links by their pivot ids (`DELETE /api/{objs}/{id}/{related}` with the ids
    /// as the body).
    pub fn unlink(&self, obj: &ObjRef, related: &Collection, pivot_ids: &[i64]) -> Result<()> {
        if pivot_ids.is_empty() {
            return Ok(());
        }
        self.call(
            Method::Delete,
            &format!("{}/{}", base(obj), related.path()),
            &[],
            Some(json!(pivot_ids)),
        )?;
        Ok(())
    }

    /// Puts an object on the current user's watchlist; returns the entry.
    pub fn watch(&self, obj: &ObjRef) -> Result<WatchEntry> {
        let v = self.call(Method::Post, &format!("{}/watchlist", base(obj)), &[], None)?;
        from_data(v, "watchlist")
    }

    /// Takes an object off the watchlist by the entry's id.
    pub fn unwatch(&self, obj: &ObjRef, entry_id: i64) -> Result<()> {
        self.call(
            Method::Delete,
            &format!("{}/watchlist/{entry_id}", base(obj)),
            &[],
            None,
        )?;
        Ok(())
    }

    /// The object named exactly `name` in `collection`, created with `source` when there is
    /// none; returns its id. Adversaries are found by `name`
    /// ([`ThreatQ::find_or_create_adversary`]); the custom object collections (`malware`,
    /// `campaign`, `attack_pattern`, ...) by their naming field `value` (threatq-api.md §1).
    /// Other collections (events, tasks, files, indicators) need more than a name and are
    /// refused with an error naming the collection.
    pub fn find_or_create_object(
        &self,
        collection: &Collection,
        name: &str,
        source: &str,
    ) -> Result<i64> {
        let path = match collection {
            Collection::Adversaries => {
                return self.find_or_create_adversary(name, source).map(|a| a.id)
            }
            Collection::Custom(path) => path.as_str(),
            other => {
                return Err(Error::remote(
                    SYSTEM,
                    format!(
                        "objects of \"{}\" cannot be created from a name alone (use adversaries \
                         or a custom object collection such as malware)",
                        other.path()
                    ),
                ))
            }
        };
        // `%` is a LIKE wildcard in list filters (§3): match exactly here.
        let rows = self.list_all(path, &[("value", name.to_string())])?;
        if let Some(id) = rows
            .iter()
            .filter(|r| r.get("value").and_then(Value::as_str) == Some(name))
            .find_map(|r| serde_json::from_value::<super::IdOnly>(r.clone()).ok())
        {
            return Ok(id.id);
        }
        let v = self.call(
            Method::Post,
            path,
            &[],
            Some(json!({ "value": name, "sources": [{ "name": source }] })),
        )?;
        Ok(from_data::<super::IdOnly>(v, path)?.id)
    }
}
