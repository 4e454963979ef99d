//! ThreatQ indicator type → CTIM observable type (research/ctr.md §5.3; ThreatQ's default
//! type names from threatq-api.md §6; CTIM names from §5.2). Indicators of any other type
//! (CIDR Block, ASN, CVE, SHA-384/512, String, URL Path, Fuzzy Hash, ...) have no CTIM
//! observable type: they are skipped and counted as unsupported.

/// The table: `(ThreatQ type name, CTIM observable type)`.
pub const TYPE_MAP: &[(&str, &str)] = &[
    ("IP Address", "ip"),
    ("IPv6 Address", "ipv6"),
    ("FQDN", "domain"),
    ("URL", "url"),
    ("MD5", "md5"),
    ("SHA-1", "sha1"),
    ("SHA-256", "sha256"),
    ("Email Address", "email"),
    ("Filename", "file_name"),
    ("File Path", "file_path"),
    ("Mutex", "mutex"),
    ("MAC Address", "mac_address"),
    ("User-agent", "user_agent"),
    ("Registry Key", "registry_key"),
    ("Email Subject", "email_subject"),
    ("Username", "user"),
    ("x509 Serial", "certificate_serial"),
];

/// CTIM types whose values compare without regard to case (hex digests, host names,
/// mail addresses): they are sent lower-cased and matched case-insensitively.
const CASE_INSENSITIVE: &[&str] = &["md5", "sha1", "sha256", "domain", "email", "mac_address"];

/// The CTIM observable type of a ThreatQ indicator type (names matched exactly first,
/// then without regard to case), `None` when CTR has no such type.
pub fn observable_type(threatq_type: &str) -> Option<&'static str> {
    let t = threatq_type.trim();
    TYPE_MAP
        .iter()
        .find(|(tq, _)| *tq == t)
        .or_else(|| TYPE_MAP.iter().find(|(tq, _)| tq.eq_ignore_ascii_case(t)))
        .map(|(_, ctr)| *ctr)
}

/// The value as sent to CTR: trimmed; lower-cased for the case-insensitive types.
/// `None` for an empty value.
pub fn observable_value(ctr_type: &str, value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    Some(if is_case_insensitive(ctr_type) {
        v.to_lowercase()
    } else {
        v.to_string()
    })
}

/// Whether values of this CTIM type compare without regard to case.
pub fn is_case_insensitive(ctr_type: &str) -> bool {
    CASE_INSENSITIVE.contains(&ctr_type)
}

/// The key a CTR answer's observable is matched on: `(type, value)` with the value
/// normalised like [`observable_value`].
pub fn match_key(ctr_type: &str, value: &str) -> (String, String) {
    let t = ctr_type.trim().to_ascii_lowercase();
    let v = observable_value(&t, value).unwrap_or_default();
    (t, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    // One assertion per row of research/ctr.md §5.3.
    #[test]
    fn ip_address() {
        assert_eq!(observable_type("IP Address"), Some("ip"));
    }
    #[test]
    fn ipv6_address() {
        assert_eq!(observable_type("IPv6 Address"), Some("ipv6"));
    }
    #[test]
    fn fqdn() {
        assert_eq!(observable_type("FQDN"), Some("domain"));
    }
    #[test]
    fn url() {
        assert_eq!(observable_type("URL"), Some("url"));
    }
    #[test]
    fn hashes() {
        assert_eq!(observable_type("MD5"), Some("md5"));
        assert_eq!(observable_type("SHA-1"), Some("sha1"));
        assert_eq!(observable_type("SHA-256"), Some("sha256"));
    }
    #[test]
    fn email_address() {
        assert_eq!(observable_type("Email Address"), Some("email"));
    }
    #[test]
    fn filename_and_file_path() {
        assert_eq!(observable_type("Filename"), Some("file_name"));
        assert_eq!(observable_type("File Path"), Some("file_path"));
    }
    #[test]
    fn mutex() {
        assert_eq!(observable_type("Mutex"), Some("mutex"));
    }
    #[test]
    fn mac_address() {
        assert_eq!(observable_type("MAC Address"), Some("mac_address"));
    }
    #[test]
    fn user_agent() {
        assert_eq!(observable_type("User-agent"), Some("user_agent"));
    }
    #[test]
    fn registry_key() {
        assert_eq!(observable_type("Registry Key"), Some("registry_key"));
    }
    #[test]
    fn email_subject() {
        assert_eq!(observable_type("Email Subject"), Some("email_subject"));
    }
    #[test]
    fn username() {
        assert_eq!(observable_type("Username"), Some("user"));
    }
    #[test]
    fn x509_serial() {
        assert_eq!(observable_type("x509 Serial"), Some("certificate_serial"));
    }
    #[test]
    fn unsupported_types_have_none() {
        for t in [
            "CIDR Block",
            "ASN",
            "CVE",
            "SHA-384",
            "SHA-512",
            "String",
            "URL Path",
            "Fuzzy Hash",
            "x509 Subject",
            "Password",
            "",
        ] {
            assert_eq!(observable_type(t), None, "{t}");
        }
    }
    #[test]
    fn names_match_case_insensitively_as_a_fallback() {
        assert_eq!(observable_type("ip address"), Some("ip"));
        assert_eq!(observable_type(" FQDN "), Some("domain"));
    }
    #[test]
    fn every_target_is_a_ctim_type() {
        for (_, ctr) in TYPE_MAP {
            assert!(
                tq_testkit::ctr::OBSERVABLE_TYPES.contains(ctr),
                "{ctr} is not a CTIM observable type"
            );
        }
    }
    #[test]
    fn values_are_normalised() {
        assert_eq!(
            observable_value("sha256", " ABCD ").as_deref(),
            Some("abcd")
        );
        assert_eq!(
            observable_value("url", "http://X.example/A").as_deref(),
            Some("http://X.example/A")
        );
        assert_eq!(observable_value("ip", "  "), None);
        assert_eq!(
            match_key("Domain", "Login.Example.COM"),
            ("domain".into(), "login.example.com".into())
        );
    }
}
