//! A ticket's transactions in REST 1.0: the short history (`ticket/<id>/history`: one
//! `<id>: <description>` line each) and full transactions (`?format=l`, or one with
//! `history/id/<txn>`).

use super::form::Form;

/// One line of the short history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The transaction id.
    pub id: u64,
    /// RT's description (`Comments added by root`).
    pub description: String,
}

/// The entries of a short-history form (fields whose name is a number).
pub fn parse_history(form: &Form) -> Vec<HistoryEntry> {
    form.fields
        .iter()
        .filter_map(|(k, v)| {
            Some(HistoryEntry {
                id: k.trim().parse().ok()?,
                description: v.clone(),
            })
        })
        .collect()
}

/// One transaction in full.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    /// The transaction id.
    pub id: u64,
    /// The ticket id.
    pub ticket: u64,
    /// `Create`, `Comment`, `Correspond`, `Status`, `CustomField`, `AddLink`, `Set`, ...
    pub kind: String,
    /// What changed (`Status`; a custom field's id for `CustomField`).
    pub field: String,
    /// The value before.
    pub old_value: String,
    /// The value after.
    pub new_value: String,
    /// Extra data (a link's URI for `AddLink`).
    pub data: String,
    /// RT's description.
    pub description: String,
    /// The message of a `Create`, `Comment` or `Correspond` (RT writes "This transaction
    /// appears to have no content" when there is none).
    pub content: String,
    /// The user name of who made it.
    pub creator: String,
    /// When (`2026-11-23 14:48:32`, UTC).
    pub created: String,
}

impl Transaction {
    /// Reads a transaction form; `None` when it has no numeric `id`.
    pub fn from_form(form: &Form) -> Option<Transaction> {
        let get = |k: &str| form.get(k).unwrap_or("").to_string();
        Some(Transaction {
            id: form.get("id")?.trim().parse().ok()?,
            ticket: form
                .get("Ticket")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0),
            kind: get("Type"),
            field: get("Field"),
            old_value: get("OldValue"),
            new_value: get("NewValue"),
            data: get("Data"),
            description: get("Description"),
            content: get("Content"),
            creator: get("Creator"),
            created: get("Created"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::form::{parse_forms, Keys};
    use super::*;

    #[test]
    fn short_history() {
        let f = &parse_forms(
            "# 3/3 (/total)\n\n33: Ticket created by root\n36: IP 10.0.0.1 added by root\n41: Correspondence added by root\n",
            Keys::Any,
        )[0];
        let h = parse_history(f);
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].id, 36);
        assert_eq!(h[1].description, "IP 10.0.0.1 added by root");
    }

    #[test]
    fn long_transactions_with_multiline_content() {
        let text = "# 2/2 (id/40/total)\n\nid: 40\nTicket: 1\nTimeTaken: 0\nType: Comment\nField: \nOldValue: \nNewValue: \nData: No Subject\nDescription: Comments added by root\n\nContent: first line\n         Status: resolved\n         --\n\nCreator: root\nCreated: 2026-11-23 14:48:32\n\nAttachments: \n             5: untitled (30b)\n\n\n--\n\n# 2/2 (id/41/total)\n\nid: 41\nTicket: 1\nType: Status\nField: Status\nOldValue: new\nNewValue: open\nCreator: threatq\n";
        let forms = parse_forms(text, Keys::Any);
        let t: Vec<Transaction> = forms.iter().filter_map(Transaction::from_form).collect();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].kind, "Comment");
        assert_eq!(t[0].content, "first line\nStatus: resolved\n--");
        assert_eq!(t[0].created, "2026-11-23 14:48:32");
        assert_eq!(
            (
                t[1].ticket,
                t[1].field.as_str(),
                t[1].new_value.as_str(),
                t[1].creator.as_str()
            ),
            (1, "Status", "open", "threatq")
        );
    }
}
