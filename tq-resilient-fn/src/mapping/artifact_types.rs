//! Artifact type (Resilient) ↔ indicator type (ThreatQ), both by name (ids differ per
//! server and are never assumed). An artifact of another type is refused with an error
//! naming it; duplicates are judged by type and value.

/// The pairs, artifact type → indicator type. Two artifact types map to Email Address; the
/// first of them is the one an Email Address indicator becomes (Find Related Indicators).
pub const TABLE: &[(&str, &str)] = &[
    ("IP Address", "IP Address"),
    ("DNS Name", "FQDN"),
    ("URL", "URL"),
    ("Email Sender", "Email Address"),
    ("Email Recipient", "Email Address"),
    ("Malware MD5 Hash", "MD5"),
    ("Malware SHA-1 Hash", "SHA-1"),
    ("Malware SHA-256 Hash", "SHA-256"),
    ("File Name", "Filename"),
    ("User Agent", "User-agent"),
    ("Registry Key", "Registry Key"),
    ("Mutex", "Mutex"),
];

fn find<'a>(
    name: &str,
    pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Option<&'a str> {
    let name = name.trim();
    pairs
        .clone()
        .find(|(from, _)| *from == name)
        .or_else(|| {
            pairs
                .clone()
                .find(|(from, _)| from.eq_ignore_ascii_case(name))
        })
        .map(|(_, to)| to)
}

/// The indicator type of an artifact type (exact name, else ignoring case).
pub fn indicator_type(artifact_type: &str) -> Option<&'static str> {
    find(artifact_type, TABLE.iter().copied())
}

/// The artifact type of an indicator type (the reverse; Email Address → Email Sender).
pub fn artifact_type(indicator_type: &str) -> Option<&'static str> {
    find(indicator_type, TABLE.iter().map(|(a, i)| (*i, *a)))
}

/// The artifact types that map, for error messages.
pub fn supported_artifact_types() -> String {
    TABLE.iter().map(|(a, _)| *a).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways() {
        assert_eq!(indicator_type("DNS Name"), Some("FQDN"));
        assert_eq!(indicator_type("dns name"), Some("FQDN"));
        assert_eq!(indicator_type("Email Recipient"), Some("Email Address"));
        assert_eq!(indicator_type("Port"), None);
        assert_eq!(artifact_type("FQDN"), Some("DNS Name"));
        assert_eq!(artifact_type("Email Address"), Some("Email Sender"));
        assert_eq!(artifact_type("SHA-256"), Some("Malware SHA-256 Hash"));
        assert_eq!(artifact_type("CVE"), None);
        for (a, i) in TABLE {
            assert_eq!(indicator_type(a), Some(*i));
            assert!(indicator_type(artifact_type(i).unwrap()) == Some(*i));
        }
    }
}
