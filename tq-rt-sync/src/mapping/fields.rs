//! The field mapping: which ticket custom field becomes what on the ThreatQ event (the
//! guide's "Supported Custom Fields"), and [`Desired`], what a ticket asks the event to be.
//!
//! | custom field | ThreatQ |
//! |---|---|
//! | IP | related indicator, IP Address (IPv6 Address for an IPv6 address) |
//! | FileNames | related indicator, Filename |
//! | HASH | related indicator, MD5 / SHA-1 / SHA-256 (SHA-384, SHA-512) by length |
//! | Domains | related indicator, FQDN |
//! | Sender | related indicator, Email Address |
//! | URL | related indicator, URL |
//! | Threat Actors | related adversary |
//! | Threat Campaign | related event of type Campaign |
//! | Tags | tags |
//! | External Ticket Number, Systems Re-Imaged, Threat TTP, Description, Resolution, Classification | attribute of that name |
//! | ThreatQ Attributes | one attribute per `Name: Value` line |
//!
//! Fields the guide lists with several values give one object per value (and per line of a
//! value); the others are taken whole.

use super::indicator_types::{hash_type, ip_type};
use super::status::{status_value, STATUS_ATTRIBUTE};
use crate::rt::form::split_values;
use crate::rt::Ticket;

/// The attribute that keys an event to its ticket.
pub const TICKET_ID_ATTRIBUTE: &str = "RT Ticket ID";

/// The custom field people add attributes with, one `Name: Value` per line.
pub const ATTRIBUTES_CF: &str = "ThreatQ Attributes";

/// What a custom field maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A related indicator of this type.
    Indicator(IndicatorType),
    /// A related adversary.
    Adversary,
    /// A related event of type Campaign.
    Campaign,
    /// A tag.
    Tag,
    /// An attribute named like the field.
    Attribute,
}

/// How the indicator type of a value is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorType {
    /// Always this type.
    Fixed(&'static str),
    /// IP Address or IPv6 Address ([`ip_type`]).
    Address,
    /// MD5, SHA-1, SHA-256, ... by length ([`hash_type`]).
    Hash,
}

/// One row of the mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// The custom field's name.
    pub cf: &'static str,
    /// Whether the guide gives it several values.
    pub multi: bool,
    /// What it maps to.
    pub target: Target,
}

const fn rule(cf: &'static str, multi: bool, target: Target) -> FieldRule {
    FieldRule { cf, multi, target }
}

/// The mapping, in the guide's order.
pub const FIELDS: &[FieldRule] = &[
    rule("IP", true, Target::Indicator(IndicatorType::Address)),
    rule(
        "FileNames",
        true,
        Target::Indicator(IndicatorType::Fixed("Filename")),
    ),
    rule("HASH", true, Target::Indicator(IndicatorType::Hash)),
    rule(
        "Domains",
        true,
        Target::Indicator(IndicatorType::Fixed("FQDN")),
    ),
    rule(
        "Sender",
        true,
        Target::Indicator(IndicatorType::Fixed("Email Address")),
    ),
    rule("URL", true, Target::Indicator(IndicatorType::Fixed("URL"))),
    rule("Threat Actors", true, Target::Adversary),
    rule("Threat Campaign", false, Target::Campaign),
    rule("Tags", true, Target::Tag),
    rule("External Ticket Number", false, Target::Attribute),
    rule("Systems Re-Imaged", true, Target::Attribute),
    rule("Threat TTP", true, Target::Attribute),
    rule("Description", false, Target::Attribute),
    rule("Resolution", false, Target::Attribute),
    rule("Classification", false, Target::Attribute),
];

/// Every indicator type the mapping writes (the sync unlinks only indicators of these types).
pub const INDICATOR_TYPES: &[&str] = &[
    "IP Address",
    "IPv6 Address",
    "Filename",
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "FQDN",
    "Email Address",
    "URL",
];

/// Attribute names the sync manages itself: never read from ThreatQ Attributes lines,
/// never written back into that field.
pub fn managed_attribute(name: &str) -> bool {
    name == TICKET_ID_ATTRIBUTE
        || name == STATUS_ATTRIBUTE
        || FIELDS
            .iter()
            .any(|r| r.target == Target::Attribute && r.cf == name)
}

/// What a ticket asks its ThreatQ event to be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// The ticket id.
    pub ticket: u64,
    /// "RT #<id>: <subject>".
    pub title: String,
    /// The value of the "Status" attribute.
    pub status: String,
    /// Related indicators: (value, type), each once.
    pub indicators: Vec<(String, &'static str)>,
    /// Related adversaries by name, each once.
    pub adversaries: Vec<String>,
    /// The related Campaign event's title.
    pub campaign: Option<String>,
    /// Tags, each once.
    pub tags: Vec<String>,
    /// Attributes from the mapped fields and the ThreatQ Attributes lines (not "RT Ticket
    /// ID" and "Status", which the sync keeps itself), each (name, value) once.
    pub attributes: Vec<(String, String)>,
    /// Values left out, and why (logged as warnings).
    pub skipped: Vec<String>,
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, item: T) {
    if !v.contains(&item) {
        v.push(item);
    }
}

/// The values of a field: a multi-value field's values (RT's comma list) and each line of
/// them; a single-value field whole. Trimmed, empty ones dropped.
pub fn values_of(ticket: &Ticket, rule: &FieldRule) -> Vec<String> {
    let Some(raw) = ticket.cf(rule.cf) else {
        return Vec::new();
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Vec::new();
    }
    if !rule.multi {
        return vec![raw.to_string()];
    }
    let mut values: Vec<String> = Vec::new();
    for line in raw.lines() {
        let parts = split_values(line);
        // A URL may hold a comma: split a line at commas only when every part is a URL.
        let keep_whole = rule.target == Target::Indicator(IndicatorType::Fixed("URL"))
            && parts.len() > 1
            && !parts.iter().all(|p| looks_like_url(p));
        if keep_whole {
            values.push(line.trim().to_string());
        } else {
            values.extend(parts);
        }
    }
    values
        .into_iter()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

fn looks_like_url(s: &str) -> bool {
    let s = s.trim();
    s.contains("://") || s.starts_with("www.")
}

/// One `Name: Value` line of ThreatQ Attributes; `None` when it is not one.
pub fn attribute_line(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once(':')?;
    let (name, value) = (name.trim(), value.trim());
    (!name.is_empty() && !value.is_empty()).then(|| (name.to_string(), value.to_string()))
}

impl Desired {
    /// What `ticket` asks of its event.
    pub fn of(ticket: &Ticket) -> Desired {
        let mut d = Desired {
            ticket: ticket.id,
            title: format!("RT #{}: {}", ticket.id, ticket.subject()),
            status: status_value(ticket.status(), ticket.queue()),
            ..Desired::default()
        };
        for rule in FIELDS {
            for v in values_of(ticket, rule) {
                match rule.target {
                    Target::Indicator(kind) => {
                        let t = match kind {
                            IndicatorType::Fixed(t) => Some(t),
                            IndicatorType::Address => ip_type(&v),
                            IndicatorType::Hash => hash_type(&v),
                        };
                        match t {
                            Some(t) => push_unique(&mut d.indicators, (v, t)),
                            None => d.skipped.push(format!(
                                "{} value {v:?} is not {}",
                                rule.cf,
                                match kind {
                                    IndicatorType::Hash =>
                                        "an MD5, SHA-1 or SHA-256 (or SHA-384, SHA-512) hex digest",
                                    _ => "one IPv4 or IPv6 address (ranges and CIDR blocks are not synced)",
                                }
                            )),
                        }
                    }
                    Target::Adversary => push_unique(&mut d.adversaries, v),
                    Target::Campaign => d.campaign = Some(v),
                    Target::Tag => push_unique(&mut d.tags, v),
                    Target::Attribute => push_unique(&mut d.attributes, (rule.cf.to_string(), v)),
                }
            }
        }
        for line in ticket
            .cf_values(ATTRIBUTES_CF)
            .iter()
            .flat_map(|v| v.lines().map(str::to_string).collect::<Vec<_>>())
        {
            if line.trim().is_empty() {
                continue;
            }
            match attribute_line(&line) {
                Some((name, _)) if managed_attribute(&name) => d.skipped.push(format!(
                    "{ATTRIBUTES_CF} line {line:?}: {name} is kept by the sync itself"
                )),
                Some(pair) => push_unique(&mut d.attributes, pair),
                None => d.skipped.push(format!(
                    "{ATTRIBUTES_CF} line {line:?} is not \"Name: Value\""
                )),
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::form::{parse_forms, Keys};

    fn ticket(cfs: &str) -> Ticket {
        let text = format!("id: ticket/7\nQueue: Incidents\nSubject: Phish\nStatus: open\n{cfs}");
        Ticket::from_form(parse_forms(&text, Keys::Any).remove(0)).unwrap()
    }

    #[test]
    fn every_field_maps() {
        let md5 = "44d88612fea8a8f36de82e1278abb02f";
        let sha1 = "3395856ce81f2b7382dee72602f798b642f14140";
        let t = ticket(&format!(
            "CF.{{IP}}: 10.0.0.1,2001:db8::1,10.0.0.0/24\nCF.{{FileNames}}: 'a,b.exe',c.doc\n\
             CF.{{HASH}}: {md5},{sha1},xyz\nCF.{{Domains}}: evil.example\nCF.{{Sender}}: bad@evil.example\n\
             CF.{{URL}}: http://evil.example/a,b\nCF.{{Threat Actors}}: APT1,'Fancy, Bear'\n\
             CF.{{Threat Campaign}}: Operation X\nCF.{{Tags}}: phish,urgent\n\
             CF.{{External Ticket Number}}: EXT-1\nCF.{{Systems Re-Imaged}}: host1,host2\n\
             CF.{{Threat TTP}}: T1566\nCF.{{Description}}: line one\n  line two, with comma\n\
             CF.{{Resolution}}: \nCF.{{Classification}}: Phishing\n\
             CF.{{ThreatQ Attributes}}: Severity: High,'Kill Chain: a, b',junk,Status: x\n"
        ));
        let d = Desired::of(&t);
        assert_eq!(d.title, "RT #7: Phish");
        assert_eq!(d.status, "Incidents");
        assert_eq!(
            d.indicators,
            [
                ("10.0.0.1".to_string(), "IP Address"),
                ("2001:db8::1".into(), "IPv6 Address"),
                ("a,b.exe".into(), "Filename"),
                ("c.doc".into(), "Filename"),
                (md5.into(), "MD5"),
                (sha1.into(), "SHA-1"),
                ("evil.example".into(), "FQDN"),
                ("bad@evil.example".into(), "Email Address"),
                ("http://evil.example/a,b".into(), "URL"),
            ]
        );
        assert_eq!(d.adversaries, ["APT1", "Fancy, Bear"]);
        assert_eq!(d.campaign.as_deref(), Some("Operation X"));
        assert_eq!(d.tags, ["phish", "urgent"]);
        let attr = |n: &str, v: &str| (n.to_string(), v.to_string());
        assert_eq!(
            d.attributes,
            [
                attr("External Ticket Number", "EXT-1"),
                attr("Systems Re-Imaged", "host1"),
                attr("Systems Re-Imaged", "host2"),
                attr("Threat TTP", "T1566"),
                attr("Description", "line one\nline two, with comma"),
                attr("Classification", "Phishing"),
                attr("Severity", "High"),
                attr("Kill Chain", "a, b"),
            ]
        );
        assert_eq!(d.skipped.len(), 4, "{:?}", d.skipped);
    }

    #[test]
    fn rejected_and_resolved_tickets() {
        let t = |s: &str| {
            Ticket::from_form(
                parse_forms(
                    &format!("id: ticket/1\nQueue: Q\nSubject: s\nStatus: {s}\n"),
                    Keys::Any,
                )
                .remove(0),
            )
            .unwrap()
        };
        assert_eq!(Desired::of(&t("rejected")).status, "Rejected");
        assert_eq!(Desired::of(&t("resolved")).status, "Resolved");
    }

    #[test]
    fn managed_names() {
        assert!(managed_attribute("RT Ticket ID"));
        assert!(managed_attribute("Status"));
        assert!(managed_attribute("Threat TTP"));
        assert!(!managed_attribute("Severity"));
        assert!(!managed_attribute("IP"));
    }
}
