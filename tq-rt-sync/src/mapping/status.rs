//! The event's "Status" attribute from the ticket (the guide's transaction table: "Syncs
//! the status (Rejected, Resolved, or Queue Name if not the previous two)").

/// The name of the attribute.
pub const STATUS_ATTRIBUTE: &str = "Status";

/// "Rejected" or "Resolved" for those ticket statuses, else the ticket's queue name.
pub fn status_value(ticket_status: &str, queue: &str) -> String {
    match ticket_status.trim().to_ascii_lowercase().as_str() {
        "rejected" => "Rejected".to_string(),
        "resolved" => "Resolved".to_string(),
        _ => queue.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_resolved_else_the_queue() {
        assert_eq!(status_value("rejected", "Incidents"), "Rejected");
        assert_eq!(status_value("Resolved", "Incidents"), "Resolved");
        assert_eq!(status_value("open", "Incident Reports"), "Incident Reports");
        assert_eq!(status_value("new", "Incidents"), "Incidents");
    }
}
