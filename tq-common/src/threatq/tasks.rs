//! Tasks and attachments (threatq-api.md §12, §13).

use serde_json::{json, Value};

use super::events::Record;
use super::{from_data, typed_rows, IdOnly, ThreatQ};
use crate::http::{multipart, Method, Request};
use crate::Result;

impl ThreatQ {
    /// Creates a task (`POST /api/tasks`): name, priority (Low/Medium/High), status_id
    /// (see [`ThreatQ::task_status_id`]), description, sources.
    pub fn create_task(&self, task: Value) -> Result<i64> {
        let v = self.call(Method::Post, "tasks", &[], Some(task))?;
        Ok(from_data::<IdOnly>(v, "tasks")?.id)
    }

    /// Edits a task (`PUT /api/tasks/{id}`) [I: the update route is inferred].
    pub fn update_task(&self, id: i64, fields: Value) -> Result<()> {
        self.call(Method::Put, &format!("tasks/{id}"), &[], Some(fields))?;
        Ok(())
    }

    /// Task status ids are fixed by ThreatQ (To Do 1, In Progress 2, Review 3, Done 4:
    /// threatq-api.md §13, confirmed by several clients); there is no lookup endpoint.
    pub fn task_status_id(name: &str) -> Option<i64> {
        match name.to_ascii_lowercase().as_str() {
            "to do" => Some(1),
            "in progress" => Some(2),
            "review" => Some(3),
            "done" => Some(4),
            _ => None,
        }
    }

    /// Uploads a file in the two documented steps (resumable upload, then the attachment
    /// record) and returns the attachment.
    pub fn upload_attachment(
        &self,
        file_name: &str,
        title: &str,
        type_name: &str,
        bytes: &[u8],
        source: &str,
    ) -> Result<Record> {
        let ident = format!(
            "{}-{}",
            bytes.len(),
            file_name.chars().filter(|c| *c != '.').collect::<String>()
        );
        let (ct, body) = multipart(
            &[
                ("resumableIdentifier", &ident),
                ("resumableRelativePath", file_name),
                ("resumableTotalChunks", "1"),
                ("resumableFilename", file_name),
            ],
            &[("file", "blob", "application/octet-stream", bytes)],
        );
        self.call_req(Request::new(Method::Post, self.url("attachments/upload")).bytes(ct, body))?;
        let v = self.call(
            Method::Post,
            "attachments",
            &[],
            Some(json!({
                "name": file_name,
                "title": title,
                "type": type_name,
                "malware_locked": 0,
                "sources": [{ "name": source }],
            })),
        )?;
        let id = from_data::<IdOnly>(v.clone(), "attachments")?.id;
        let json = v.get("data").cloned().unwrap_or(Value::Null);
        Ok(Record { id, json })
    }

    /// Attachments whose MD5 is `md5`.
    pub fn attachments_by_hash(&self, md5: &str) -> Result<Vec<Record>> {
        let rows = self.list_all("attachments", &[("hash", md5.to_string())])?;
        let ids: Vec<IdOnly> = typed_rows(rows.clone(), "attachments")?;
        Ok(ids
            .into_iter()
            .zip(rows)
            .map(|(i, r)| Record { id: i.id, json: r })
            .collect())
    }

    /// Quick search (`GET /api/search?query=`): `(object kind, id, value)` rows.
    pub fn quick_search(&self, query: &str, limit: usize) -> Result<Vec<(String, i64, String)>> {
        let v = self.call(
            Method::Get,
            "search",
            &[("query", query.to_string()), ("limit", limit.to_string())],
            None,
        )?;
        Ok(super::rows(&v)
            .iter()
            .filter_map(|r| {
                Some((
                    r.get("object")?.as_str()?.to_string(),
                    r.get("id")?.as_i64()?,
                    r.get("value")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                ))
            })
            .collect())
    }
}
