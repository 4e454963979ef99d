//! A string that never prints its value: passwords, client ids, tokens.
//!
//! `Debug`, `Display` and serde serialisation all write `***`. The only way to
//! read the value is [`Secret::expose`], which makes every use easy to audit.

use std::fmt;

/// A secret value. Printing it in any form writes `***`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value and registers it with the logger's redaction list, so a
    /// value that slips into a message by another path is still masked.
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        crate::logging::redact_value(&value);
        Secret(value)
    }

    /// The secret value itself. Call only to put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"***\"");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
