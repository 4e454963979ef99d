//! The guide's transaction table: what a sync started by a transaction of each type does.
//!
//! | transaction type | sync |
//! |---|---|
//! | Comment, Correspond | comments |
//! | Create | after `ThreatQ_Create_Wait` seconds: creates the event and syncs everything |
//! | AddLink | the related tickets' events are linked |
//! | CustomField | custom fields: indicators, adversaries, campaign, tags, attributes |
//! | Status | the "Status" attribute |
//! | any other (Manual = Sync Ticket, Set, DeleteLink, ...) | everything |
//!
//! Whatever the type, a ticket whose event does not exist yet gets a full sync (the event
//! is created), and ThreatQ Link, ThreatQ Attributes and ThreatQ Indicators are written back
//! when their value changes.

/// The parts of a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Wait `ThreatQ_Create_Wait` seconds first (a ticket just created).
    pub wait_for_create: bool,
    /// The title ("RT #<id>: <subject>").
    pub title: bool,
    /// Custom fields: indicators, adversaries, campaign, tags and attributes.
    pub fields: bool,
    /// Comments and correspondence.
    pub comments: bool,
    /// Links to the related tickets' events.
    pub links: bool,
    /// The "Status" attribute.
    pub status: bool,
}

impl Plan {
    /// Everything.
    pub const FULL: Plan = Plan {
        wait_for_create: false,
        title: true,
        fields: true,
        comments: true,
        links: true,
        status: true,
    };

    const NOTHING: Plan = Plan {
        wait_for_create: false,
        title: false,
        fields: false,
        comments: false,
        links: false,
        status: false,
    };

    /// The plan for a transaction type (`Manual` for the Sync Ticket menu).
    pub fn for_transaction(kind: &str) -> Plan {
        match kind {
            "Comment" | "Correspond" => Plan {
                comments: true,
                ..Plan::NOTHING
            },
            "Create" => Plan {
                wait_for_create: true,
                ..Plan::FULL
            },
            "AddLink" => Plan {
                links: true,
                ..Plan::NOTHING
            },
            "CustomField" => Plan {
                fields: true,
                ..Plan::NOTHING
            },
            "Status" => Plan {
                status: true,
                ..Plan::NOTHING
            },
            _ => Plan::FULL,
        }
    }

    /// True when it syncs everything.
    pub fn is_full(&self) -> bool {
        self.title && self.fields && self.comments && self.links && self.status
    }

    /// What it syncs, for the log.
    pub fn describe(&self) -> String {
        if self.is_full() {
            return "everything".into();
        }
        let parts: Vec<&str> = [
            (self.title, "title"),
            (self.fields, "custom fields"),
            (self.comments, "comments"),
            (self.links, "linked tickets"),
            (self.status, "status"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        assert_eq!(Plan::for_transaction("Comment").describe(), "comments");
        assert_eq!(Plan::for_transaction("Correspond").describe(), "comments");
        assert_eq!(
            Plan::for_transaction("AddLink").describe(),
            "linked tickets"
        );
        assert_eq!(
            Plan::for_transaction("CustomField").describe(),
            "custom fields"
        );
        assert_eq!(Plan::for_transaction("Status").describe(), "status");
        let create = Plan::for_transaction("Create");
        assert!(create.wait_for_create && create.is_full());
        for other in ["Manual", "Set", "DeleteLink", "AddWatcher", ""] {
            assert_eq!(Plan::for_transaction(other), Plan::FULL, "{other}");
        }
    }
}
