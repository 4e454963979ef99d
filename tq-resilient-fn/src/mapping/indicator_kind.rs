//! The ThreatQ indicator type of a bare value, for the Add Indicator function when no type
//! is given (the guide: "If none provided, it will attempted to be parsed"). The types are
//! ThreatQ's default names (threatq-api.md §6); a value of no recognisable shape is refused
//! with an error asking for the type.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The indicator type of `value`, or `None` when its shape says nothing.
pub fn detect(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.parse::<Ipv4Addr>().is_ok() {
        return Some("IP Address");
    }
    if let Some((ip, bits)) = v.split_once('/') {
        if ip.parse::<Ipv4Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 32) {
            return Some("CIDR Block");
        }
    }
    if v.contains(':') && v.parse::<Ipv6Addr>().is_ok() {
        return Some("IPv6 Address");
    }
    if let Some((scheme, rest)) = v.split_once("://") {
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
        {
            return Some("URL");
        }
    }
    if let Some((local, domain)) = v.split_once('@') {
        if !local.is_empty() && !local.contains(char::is_whitespace) && is_domain(domain) {
            return Some("Email Address");
        }
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        match v.len() {
            32 => return Some("MD5"),
            40 => return Some("SHA-1"),
            64 => return Some("SHA-256"),
            96 => return Some("SHA-384"),
            128 => return Some("SHA-512"),
            _ => {}
        }
    }
    let upper = v.to_ascii_uppercase();
    if let Some(rest) = upper.strip_prefix("CVE-") {
        if let Some((year, n)) = rest.split_once('-') {
            if year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && n.len() >= 4
                && n.bytes().all(|b| b.is_ascii_digit())
            {
                return Some("CVE");
            }
        }
    }
    if is_domain(v) {
        return Some("FQDN");
    }
    None
}

/// A host name with at least two labels and an alphabetic top-level label.
fn is_domain(s: &str) -> bool {
    let s = s.trim_end_matches('.');
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && s.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::detect;

    #[test]
    fn shapes() {
        let cases = [
            ("10.0.0.1", Some("IP Address")),
            ("10.0.0.0/8", Some("CIDR Block")),
            ("2001:db8::1", Some("IPv6 Address")),
            ("https://evil.example.com/a?b=1", Some("URL")),
            ("hxxp://x", Some("URL")),
            ("bad.guy@evil.example.com", Some("Email Address")),
            ("44d88612fea8a8f36de82e1278abb02f", Some("MD5")),
            ("3395856ce81f2b7382dee72602f798b642f14140", Some("SHA-1")),
            (
                "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
                Some("SHA-256"),
            ),
            ("CVE-2021-44228", Some("CVE")),
            ("evil.example.com", Some("FQDN")),
            ("evil.example.com.", Some("FQDN")),
            ("not a value", None),
            ("12345", None),
            ("localhost", None),
            ("", None),
        ];
        for (v, want) in cases {
            assert_eq!(detect(v), want, "{v}");
        }
    }
}
