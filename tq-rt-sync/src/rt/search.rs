//! Ticket searches in REST 1.0 (`search/ticket?query=<TicketSQL>&format=i`): one
//! `ticket/<id>` line per ticket.

/// The ticket ids of a `format=i` answer body, in RT's order. Lines that are not
/// `ticket/<id>` (RT writes nothing at all when no ticket matches) are skipped.
pub fn parse_ids(body: &str) -> Vec<u64> {
    body.lines()
        .filter_map(|l| l.trim().strip_prefix("ticket/")?.parse().ok())
        .collect()
}

/// A TicketSQL string literal: `'...'` with `\` and `'` escaped.
pub fn sql_quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_quoting() {
        assert_eq!(parse_ids("ticket/3\nticket/12\n"), [3, 12]);
        assert_eq!(parse_ids(""), Vec::<u64>::new());
        assert_eq!(parse_ids("No matching results.\n"), Vec::<u64>::new());
        assert_eq!(sql_quote("O'Brien \\ x"), r"'O\'Brien \\ x'");
    }
}
