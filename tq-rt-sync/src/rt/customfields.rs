//! The ticket custom fields of a queue in REST 1.0
//! (`queue/<name>/ticketcustomfields?format=l`): whether each holds one value or several,
//! which decides how a value is written ([`super::ticket::CfValue`]).

/// One custom field definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFieldDef {
    /// RT's label: `Name (Description)`.
    pub label: String,
    /// True for a field that holds several values.
    pub multiple: bool,
    /// RT's type and pattern after `SingleValue`/`MultiValue` (`Freeform`, `Text`, ...).
    pub kind: String,
}

impl CustomFieldDef {
    /// True when this is the field called `name`: RT writes the name, then the description
    /// in parentheses (names are compared without regard to case).
    pub fn is_named(&self, name: &str) -> bool {
        let l = self.label.to_ascii_lowercase();
        let n = name.to_ascii_lowercase();
        l.strip_prefix(&n)
            .is_some_and(|rest| rest.starts_with(" (") && rest.ends_with(')'))
    }
}

/// The definitions in a `format=l` answer body: lines
/// `<Name> (<Description>): SingleValue<Type>` or `MultiValue<Type>`.
pub fn parse_defs(body: &str) -> Vec<CustomFieldDef> {
    let mut out = Vec::new();
    for line in body.lines() {
        for (marker, multiple) in [(": SingleValue", false), (": MultiValue", true)] {
            if let Some(i) = line.rfind(marker) {
                out.push(CustomFieldDef {
                    label: line[..i].to_string(),
                    multiple,
                    kind: line[i + marker.len()..].trim().to_string(),
                });
                break;
            }
        }
    }
    out
}

/// Whether the field `name` holds several values, from the definitions of its queue.
pub fn is_multiple(defs: &[CustomFieldDef], name: &str) -> Option<bool> {
    defs.iter().find(|d| d.is_named(name)).map(|d| d.multiple)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defs_of_rt_5() {
        let body = "id: queue/4\nClassification (Classification (ThreatQ mapping)): SingleValueFreeform\nIP (IP (ThreatQ mapping)): MultiValueFreeform\nThreatQ Attributes (Attributes of the ThreatQ event, one \"Name: Value\" per line): MultiValueFreeform\nNotes (): SingleValueText Digits\n";
        let d = parse_defs(body);
        assert_eq!(d.len(), 4);
        assert_eq!(is_multiple(&d, "IP"), Some(true));
        assert_eq!(is_multiple(&d, "classification"), Some(false));
        assert_eq!(is_multiple(&d, "ThreatQ Attributes"), Some(true));
        assert_eq!(is_multiple(&d, "Notes"), Some(false));
        assert_eq!(d[3].kind, "Text Digits");
        assert_eq!(is_multiple(&d, "ThreatQ"), None);
        assert_eq!(is_multiple(&d, "Nope"), None);
    }
}
