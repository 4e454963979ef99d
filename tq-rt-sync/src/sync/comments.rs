//! Comments: each Comment and Correspond transaction of the ticket becomes one comment on
//! the event, once. The comment names its RT transaction (`(RT transaction 45)`), and a sync
//! adds only the transactions no comment of the event names yet, so a sync repeated after a
//! failure, or a full sync after a comment sync, adds nothing twice. The transactions are
//! told from the short history (RT's descriptions "Comments added by ..." and
//! "Correspondence added by ..."); the contents of those not in ThreatQ yet are read in one
//! request.

use tq_common::threatq::{Comment, Event, ObjRef};
use tq_common::Result;

use super::{event_comments, Outcome, Syncer};
use crate::rt::{Snapshot, Transaction};

/// How a comment names its RT transaction.
pub fn marker(txn: u64) -> String {
    format!("(RT transaction {txn})")
}

/// True for the short-history description of a comment or a correspondence.
pub fn is_message(description: &str) -> bool {
    description.starts_with("Comments added") || description.starts_with("Correspondence added")
}

/// The comment text of a transaction of ticket `ticket`.
pub fn comment_text(ticket: u64, t: &Transaction) -> String {
    let what = if t.kind == "Correspond" {
        "Correspondence"
    } else {
        "Comment"
    };
    format!(
        "{what} by {} in RT #{ticket}, {} UTC {}:\n{}",
        t.creator,
        t.created,
        marker(t.id),
        t.content.trim_end()
    )
}

/// Adds the ticket's comments the event lacks.
pub fn sync(
    s: &Syncer<'_>,
    obj: &ObjRef,
    event: &mut Event,
    snap: &Snapshot,
    out: &mut Outcome,
) -> Result<()> {
    let messages: Vec<u64> = snap
        .history
        .iter()
        .filter(|h| is_message(&h.description))
        .map(|h| h.id)
        .collect();
    if messages.is_empty() {
        return Ok(());
    }
    let existing = event_comments(s, event)?;
    let missing: Vec<u64> = messages
        .into_iter()
        .filter(|id| {
            let m = marker(*id);
            !existing.iter().any(|c| c.value.contains(&m))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut txns: Vec<Transaction> = snap
        .transaction
        .iter()
        .filter(|t| missing.contains(&t.id))
        .cloned()
        .collect();
    let rest: Vec<u64> = missing
        .iter()
        .copied()
        .filter(|id| !txns.iter().any(|t| t.id == *id))
        .collect();
    txns.extend(s.rt.transactions_by_id(snap.ticket.id, &rest)?);
    txns.sort_by_key(|t| t.id);
    let mut added = 0;
    for t in txns
        .iter()
        .filter(|t| t.kind == "Comment" || t.kind == "Correspond")
    {
        let text = comment_text(snap.ticket.id, t);
        let c: Comment = s.tq.add_comment(obj, &text)?;
        event_comments(s, event)?.push(c);
        added += 1;
    }
    if added > 0 {
        out.changes.push(format!("comments added: {added}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_names_the_transaction() {
        let t = Transaction {
            id: 45,
            ticket: 5,
            kind: "Correspond".into(),
            content: "hello\nworld\n".into(),
            creator: "root".into(),
            created: "2026-12-06 01:59:33".into(),
            ..Transaction::default()
        };
        let text = comment_text(5, &t);
        assert_eq!(
            text,
            "Correspondence by root in RT #5, 2026-12-06 01:59:33 UTC (RT transaction 45):\nhello\nworld"
        );
        assert!(text.contains(&marker(45)));
        assert!(!text.contains(&marker(4)));
        assert!(is_message("Comments added by root"));
        assert!(is_message("Correspondence added by alice"));
        assert!(!is_message("Ticket created by root"));
    }
}
