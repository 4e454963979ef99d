//! What the sync writes back into the ticket: ThreatQ Link (the event's page), ThreatQ
//! Attributes (the event's attributes the ticket does not map itself, one `Name: Value`
//! each) and ThreatQ Indicators (every related indicator with its type and page), each only
//! when its value changes. Both modes write them the same way.

use tq_common::threatq::{Collection, Event};

use crate::mapping::fields::{managed_attribute, ATTRIBUTES_CF};
use crate::rt::{CfValue, Ticket, TicketUpdate};
use crate::urls::Urls;

/// The custom field that holds the event's page.
pub const LINK_CF: &str = "ThreatQ Link";

/// The custom field that lists the event's indicators.
pub const INDICATORS_CF: &str = "ThreatQ Indicators";

/// The three fields' values for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBack {
    /// ThreatQ Link.
    pub link: String,
    /// ThreatQ Attributes, sorted.
    pub attributes: Vec<String>,
    /// ThreatQ Indicators, sorted; `None` when the event was read without its indicators
    /// (the field is then left as it is).
    pub indicators: Option<Vec<String>>,
}

/// A value on one line: a multi-value custom field cannot hold a line break.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sorted_unique(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

impl WriteBack {
    /// The values for `event` (read with its attributes and its indicators with their type).
    pub fn of(event: &Event, urls: &Urls) -> WriteBack {
        let attributes = event
            .attributes
            .iter()
            .filter(|a| !managed_attribute(&a.name))
            .map(|a| format!("{}: {}", one_line(&a.name), one_line(&a.value)))
            .filter(|l| !l.ends_with(": "))
            .collect();
        let indicators = event.indicators.as_ref().map(|list| {
            sorted_unique(
                list.iter()
                    .map(|l| {
                        let i = &l.object;
                        format!(
                            "{}: {} {}",
                            i.type_name.as_deref().unwrap_or("Indicator"),
                            one_line(&i.value),
                            urls.details(&Collection::Indicators, i.id)
                        )
                    })
                    .collect(),
            )
        });
        WriteBack {
            link: urls.event(event.id),
            attributes: sorted_unique(attributes),
            indicators,
        }
    }

    /// A fingerprint of the three values (the cron mode tells an event changed again
    /// within one second by it).
    pub fn fingerprint(&self) -> u64 {
        let mut f = tq_common::dedup::Fingerprint::new().str(&self.link);
        let none = Vec::new();
        for group in [&self.attributes, self.indicators.as_ref().unwrap_or(&none)] {
            f = f.u64(group.len() as u64);
            for v in group {
                f = f.str(v);
            }
        }
        f.finish()
    }

    /// The edit that brings `ticket` to these values: only the fields that differ, and only
    /// those its queue has (empty when nothing changes).
    pub fn update_for(&self, ticket: &Ticket) -> TicketUpdate {
        let mut u = TicketUpdate::new();
        if let Some(current) = ticket.cf(LINK_CF) {
            if current.trim() != self.link {
                u = u.set_cf(LINK_CF, CfValue::Single(self.link.clone()));
            }
        }
        for (cf, want) in self.lists() {
            if Self::differs(ticket, cf, want) {
                u = u.set_cf(cf, CfValue::Multi(want.clone()));
            }
        }
        u
    }

    /// The names of the fields `update_for` would change, for the log.
    pub fn changed_fields(&self, ticket: &Ticket) -> Vec<&'static str> {
        let mut out = Vec::new();
        if ticket.cf(LINK_CF).is_some_and(|c| c.trim() != self.link) {
            out.push(LINK_CF);
        }
        for (cf, want) in self.lists() {
            if Self::differs(ticket, cf, want) {
                out.push(cf);
            }
        }
        out
    }

    /// The multi-value fields and their values (ThreatQ Indicators only when known).
    fn lists(&self) -> Vec<(&'static str, &Vec<String>)> {
        let mut v = vec![(ATTRIBUTES_CF, &self.attributes)];
        if let Some(i) = &self.indicators {
            v.push((INDICATORS_CF, i));
        }
        v
    }

    /// Whether the ticket has field `cf` (its queue applies it) with other values.
    fn differs(ticket: &Ticket, cf: &str, want: &[String]) -> bool {
        ticket.cf(cf).is_some()
            && sorted_unique(ticket.cf_values(cf).iter().map(|v| one_line(v)).collect()) != want
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::form::{parse_forms, Keys};
    use serde_json::json;

    fn event() -> Event {
        serde_json::from_value(json!({
            "id": 12, "title": "RT #7: x",
            "attributes": [
                {"id": 1, "name": "RT Ticket ID", "value": "7"},
                {"id": 2, "name": "Status", "value": "Incidents"},
                {"id": 3, "name": "Severity", "value": "High"},
                {"id": 4, "name": "Threat TTP", "value": "T1566"},
                {"id": 5, "name": "Note", "value": "two\nlines"}
            ],
            "indicators": [
                {"id": 30, "value": "10.0.0.1", "type": {"id": 1, "name": "IP Address"}, "pivot": {"id": 9}},
                {"id": 31, "value": "evil.example", "type": {"id": 2, "name": "FQDN"}}
            ]
        }))
        .unwrap()
    }

    fn ticket(cfs: &str) -> Ticket {
        Ticket::from_form(
            parse_forms(&format!("id: ticket/7\nQueue: Incidents\n{cfs}"), Keys::Any).remove(0),
        )
        .unwrap()
    }

    #[test]
    fn values_of_an_event() {
        let w = WriteBack::of(&event(), &Urls::new("https://tq", "https://rt"));
        assert_eq!(w.link, "https://tq/events/12/details");
        assert_eq!(w.attributes, ["Note: two lines", "Severity: High"]);
        assert_eq!(
            w.indicators.as_deref().unwrap(),
            [
                "FQDN: evil.example https://tq/indicators/31/details",
                "IP Address: 10.0.0.1 https://tq/indicators/30/details"
            ]
        );
        let mut without = event();
        without.indicators = None;
        let w2 = WriteBack::of(&without, &Urls::new("https://tq", "https://rt"));
        assert_eq!(w2.indicators, None);
        let t = ticket("CF.{ThreatQ Link}: https://tq/events/12/details\nCF.{ThreatQ Attributes}: Severity: High,Note: two lines\nCF.{ThreatQ Indicators}: kept\n");
        assert!(
            w2.update_for(&t).is_empty(),
            "indicators not read: the field is left alone"
        );
    }

    #[test]
    fn only_changed_fields_of_the_queue_are_written() {
        let w = WriteBack::of(&event(), &Urls::new("https://tq", "https://rt"));
        let same = ticket(
            "CF.{ThreatQ Link}: https://tq/events/12/details\n\
             CF.{ThreatQ Attributes}: Severity: High,Note: two lines\n\
             CF.{ThreatQ Indicators}: IP Address: 10.0.0.1 https://tq/indicators/30/details,FQDN: evil.example https://tq/indicators/31/details\n",
        );
        assert!(w.update_for(&same).is_empty());
        assert!(w.changed_fields(&same).is_empty());
        let empty = ticket("CF.{ThreatQ Link}: \nCF.{ThreatQ Attributes}: \n");
        assert_eq!(w.changed_fields(&empty), [LINK_CF, ATTRIBUTES_CF]);
        assert!(!w.update_for(&empty).is_empty());
        let mut other = w.clone();
        other.attributes.push("Confidence: High".into());
        assert_ne!(other.fingerprint(), w.fingerprint());
        assert_eq!(w.clone().fingerprint(), w.fingerprint());
        let none = ticket("CF.{IP}: 1.2.3.4\n");
        assert!(
            w.update_for(&none).is_empty(),
            "fields the queue lacks are left alone"
        );
    }
}
