//! Which ThreatQ indicator type a value of the IP and HASH custom fields is: IP Address or
//! IPv6 Address (ranges and CIDR blocks are not indicators of these fields, as the guide
//! says), MD5, SHA-1, SHA-256 (and SHA-384, SHA-512) by the length of the hex digest.

use std::net::IpAddr;

/// The type of a value of the IP field; `None` for what is not one address.
pub fn ip_type(value: &str) -> Option<&'static str> {
    match value.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(_) => Some("IP Address"),
        IpAddr::V6(_) => Some("IPv6 Address"),
    }
}

/// The type of a value of the HASH field, by the length of its hex digest; `None` for what
/// is not a hex digest of a known length.
pub fn hash_type(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match v.len() {
        32 => Some("MD5"),
        40 => Some("SHA-1"),
        64 => Some("SHA-256"),
        96 => Some("SHA-384"),
        128 => Some("SHA-512"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(ip_type("10.0.0.1"), Some("IP Address"));
        assert_eq!(ip_type(" 2001:db8::1 "), Some("IPv6 Address"));
        assert_eq!(ip_type("10.0.0.0/24"), None);
        assert_eq!(ip_type("10.0.0.1-10.0.0.9"), None);
        assert_eq!(ip_type("example.com"), None);
    }

    #[test]
    fn hashes_by_length() {
        assert_eq!(hash_type(&"a".repeat(32)), Some("MD5"));
        assert_eq!(hash_type(&"B".repeat(40)), Some("SHA-1"));
        assert_eq!(hash_type(&"0".repeat(64)), Some("SHA-256"));
        assert_eq!(hash_type(&"0".repeat(96)), Some("SHA-384"));
        assert_eq!(hash_type(&"0".repeat(128)), Some("SHA-512"));
        assert_eq!(hash_type(&"0".repeat(33)), None);
        assert_eq!(hash_type(&"g".repeat(32)), None);
        assert_eq!(hash_type(""), None);
    }
}
