//! Tasks (threatq-api.md §13). Linking a task to events or indicators is the generic
//! [`ThreatQ::link`] (`POST /api/tasks/{id}/events`, `POST /api/indicators/{id}/tasks`).

use serde_json::Value;

use super::{from_data, Task, TaskCreate, TaskStatus, TaskUpdate, ThreatQ};
use crate::http::Method;
use crate::Result;

impl ThreatQ {
    /// Creates a task (`POST /api/tasks`).
    pub fn create_task(&self, task: &TaskCreate) -> Result<Task> {
        let body = serde_json::to_value(task).unwrap_or(Value::Null);
        let v = self.call(Method::Post, "tasks", &[], Some(body))?;
        from_data(v, "tasks")
    }

    /// One task by id.
    pub fn task(&self, id: i64) -> Result<Task> {
        let v = self.call(Method::Get, &format!("tasks/{id}"), &[], None)?;
        from_data(v, "tasks/{id}")
    }

    /// [I] Changes a task's name, priority, status, description or assignee.
    ///
    /// Inferred: `PUT /api/tasks/{id}` with the fields to change, the update route every
    /// other object has (threatq-api.md §13 says "presumably"). Correct this one function
    /// (and [`ThreatQ::set_task_status`], which calls it) if a real server differs.
    pub fn update_task(&self, id: i64, fields: &TaskUpdate) -> Result<Task> {
        let body = serde_json::to_value(fields).unwrap_or(Value::Null);
        let v = self.call(Method::Put, &format!("tasks/{id}"), &[], Some(body))?;
        from_data(v, "tasks/{id}")
    }

    /// Sets a task's status by name ("To Do", "In Progress", "Review", "Done"); an unknown
    /// name is an error listing the four.
    pub fn set_task_status(&self, id: i64, status_name: &str) -> Result<Task> {
        let status = TaskStatus::from_name(status_name).ok_or_else(|| {
            crate::Error::remote(
                super::SYSTEM,
                format!(
                    "there is no task status named \"{status_name}\"; ThreatQ has: {}",
                    TaskStatus::ALL.map(TaskStatus::name).join(", ")
                ),
            )
        })?;
        self.update_task(
            id,
            &TaskUpdate {
                status: Some(status),
                ..TaskUpdate::default()
            },
        )
    }
}
