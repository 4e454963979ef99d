//! A sync that fails after RT answered leaves a mark in the ticket's ThreatQ Link, so that
//! the next cron run (which may run on another host: it only shares RT and ThreatQ with the
//! action) finds the ticket and completes the sync, and a person sees it on the ticket:
//!
//! `https://tq.example/events/12/details (ThreatQ sync pending since 2026-11-23 14:48:32 UTC)`
//!
//! (or the note alone when the ticket has no event yet). A successful sync writes the plain
//! link back, which removes the mark.

use crate::writeback::LINK_CF;

/// The words that mark a pending sync (what the cron mode searches for).
pub const MARK: &str = "ThreatQ sync pending";

/// The ThreatQ Link value of a ticket whose sync failed at `now` (`YYYY-MM-DD HH:MM:SS`,
/// UTC); `link` is the event's page when the ticket has one.
pub fn marked(link: Option<&str>, now: &str) -> String {
    let note = format!("{MARK} since {now} UTC; the next cron run or Sync Ticket completes it");
    match link {
        Some(l) => format!("{l} ({note})"),
        None => note,
    }
}

/// True when a ThreatQ Link value carries the mark.
pub fn is_marked(link: &str) -> bool {
    link.contains(MARK)
}

/// The TicketSQL of the tickets with a pending sync.
pub fn query() -> String {
    format!("'CF.{{{LINK_CF}}}' LIKE '{MARK}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks() {
        let m = marked(Some("https://tq/events/3/details"), "2026-11-23 14:48:32");
        assert!(m.starts_with(
            "https://tq/events/3/details (ThreatQ sync pending since 2026-11-23 14:48:32 UTC"
        ));
        assert!(is_marked(&m));
        assert_eq!(crate::urls::event_id_in(&m), Some(3));
        assert!(is_marked(&marked(None, "x")));
        assert!(!is_marked("https://tq/events/3/details"));
        assert_eq!(query(), "'CF.{ThreatQ Link}' LIKE 'ThreatQ sync pending'");
    }
}
