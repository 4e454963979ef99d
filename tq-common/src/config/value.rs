//! Validation of one raw value against its declaration ([`parse_value`]) and the validated
//! [`Value`] a [`super::Config`] holds.

use std::path::PathBuf;

use super::option::{Kind, Opt};
use crate::secret::Secret;

/// A validated option value.
#[derive(Debug, Clone)]
pub enum Value {
    /// No value (an optional option left empty).
    Empty,
    /// Text (Str, Enum, Host).
    Str(String),
    /// A secret.
    Secret(Secret),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A list (canonical spellings for restricted lists).
    List(Vec<String>),
    /// A date.
    Date(time::Date),
    /// A path (File, Dir).
    Path(PathBuf),
}

const DATE_FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Parses a `YYYY-MM-DD` date, with a message that says what is expected.
pub fn parse_date(s: &str) -> std::result::Result<time::Date, String> {
    time::Date::parse(s.trim(), DATE_FORMAT)
        .map_err(|e| format!("\"{s}\" is not a valid date YYYY-MM-DD ({e})"))
}

/// Validates one raw value against its declaration. An empty value is an error for a
/// required option, the default for an option that has one, and empty otherwise (a list
/// left empty is the empty list: "none", not the default).
pub fn parse_value(opt: &Opt, raw: &str) -> std::result::Result<Value, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        if opt.required {
            return Err(format!("a value is required ({})", opt.kind.describe()));
        }
        return match (opt.kind, opt.default) {
            (Kind::List { .. }, _) => Ok(Value::List(Vec::new())),
            (_, Some(d)) if !d.trim().is_empty() => parse_value(opt, d),
            _ => Ok(Value::Empty),
        };
    }
    let quoted = || format!("\"{raw}\" is not {}", opt.kind.describe());
    match opt.kind {
        Kind::Str => Ok(Value::Str(raw.to_string())),
        Kind::Secret => Ok(Value::Secret(Secret::new(raw))),
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(Value::Bool(false)),
            _ => Err(quoted()),
        },
        Kind::Int { min, max } => match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Value::Int(n)),
            _ => Err(quoted()),
        },
        Kind::Enum(choices) => choices
            .iter()
            .find(|c| c.eq_ignore_ascii_case(raw))
            .map(|c| Value::Str(c.to_string()))
            .ok_or_else(quoted),
        Kind::List { choices, aliases } => {
            let mut out = Vec::new();
            for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let Some(c) = choices else {
                    out.push(item.to_string());
                    continue;
                };
                let canonical = aliases
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(item))
                    .map(|(_, choice)| *choice)
                    .unwrap_or(item);
                match c.iter().find(|c| c.eq_ignore_ascii_case(canonical)) {
                    Some(c) => out.push(c.to_string()),
                    None => return Err(format!("\"{item}\" is not one of: {}", c.join(", "))),
                }
            }
            Ok(Value::List(out))
        }
        Kind::Date => parse_date(raw).map(Value::Date),
        Kind::File => {
            let p = PathBuf::from(raw);
            std::fs::File::open(&p)
                .map(|_| Value::Path(p))
                .map_err(|e| format!("cannot read file \"{raw}\": {e}"))
        }
        Kind::Dir => {
            let p = PathBuf::from(raw);
            if p.is_dir() {
                Ok(Value::Path(p))
            } else {
                Err(format!("\"{raw}\" is not an existing directory"))
            }
        }
        Kind::Host => parse_host(raw).map(Value::Str),
        Kind::WebUrl => parse_web_url(raw).map(Value::Str),
    }
}

/// Normalises a web application's URL (a host, `host:port`, `host/path`, or an `http://` or
/// `https://` URL) to its base URL `scheme://host[:port][/path]`: https unless the value
/// says http, no trailing `/`. Request Tracker's web URL, with its web path.
pub fn parse_web_url(raw: &str) -> std::result::Result<String, String> {
    let u = raw.trim();
    if u.is_empty() {
        return Err("a URL is required".into());
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("\"{u}\" holds whitespace; expected a host or URL"));
    }
    let (scheme, rest) = match u.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("https".to_string(), u),
    };
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "\"{u}\" must start with http:// or https:// (or be just a host name)"
        ));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("\"{u}\" names no host"));
    }
    if rest.contains(['?', '#', '@']) {
        return Err(format!(
            "\"{u}\" must not hold a query, fragment or user name"
        ));
    }
    Ok(format!("{scheme}://{}", rest.trim_end_matches('/')))
}

/// Normalises the ThreatQ host to a base URL `https://host[:port]` (no trailing `/api`).
fn parse_host(raw: &str) -> std::result::Result<String, String> {
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("http://") {
        return Err(format!(
            "\"{raw}\": ThreatQ is only reached over https (use https:// or just the host name)"
        ));
    }
    let rest = if lower.starts_with("https://") {
        &raw[8..]
    } else {
        raw
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix("/api").unwrap_or(rest);
    if rest.is_empty()
        || rest
            .chars()
            .any(|c| c.is_whitespace() || c == '?' || c == '#' || c == '@')
    {
        return Err(format!(
            "\"{raw}\" is not a host name, host:port, or https:// URL"
        ));
    }
    Ok(format!("https://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{IntOpt, ListOpt};

    #[test]
    fn host_forms() {
        assert_eq!(parse_host("10.0.0.1").unwrap(), "https://10.0.0.1");
        assert_eq!(parse_host("tq:8443").unwrap(), "https://tq:8443");
        assert_eq!(
            parse_host("https://tq.example.com/api/").unwrap(),
            "https://tq.example.com"
        );
        assert!(parse_host("http://tq").is_err());
        assert!(parse_host("tq host").is_err());
    }

    #[test]
    fn web_url_forms() {
        let u = |s: &str| parse_web_url(s).unwrap();
        assert_eq!(u("rt.example.com"), "https://rt.example.com");
        assert_eq!(
            u("rt.example.com:8443/rt/"),
            "https://rt.example.com:8443/rt"
        );
        assert_eq!(u("HTTP://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(u("https://rt.example.com/rt"), "https://rt.example.com/rt");
        for bad in [
            "",
            "ftp://x",
            "https://",
            "http:///x",
            "rt example",
            "https://x/?a=1",
            "https://u@x",
        ] {
            assert!(parse_web_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn empty_means_the_default_but_an_empty_list_stays_empty() {
        let n = IntOpt::new("c", "n", "N", "n.").range(1, 9).default("5");
        assert!(matches!(parse_value(&n.opt(), "  "), Ok(Value::Int(5))));
        let l = ListOpt::new("c", "l", "L", "l.").default("a, b");
        assert!(matches!(parse_value(&l.opt(), ""), Ok(Value::List(v)) if v.is_empty()));
    }

    #[test]
    fn list_aliases_map_to_their_choice() {
        const L: ListOpt = ListOpt::new("c", "l", "L", "l.")
            .of(&["Not Set", "Unknown"], &[("Note Set", "Not Set")]);
        match parse_value(&L.opt(), "note set, UNKNOWN") {
            Ok(Value::List(v)) => assert_eq!(v, ["Not Set", "Unknown"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_value(&L.opt(), "Nope").unwrap_err(),
            "\"Nope\" is not one of: Not Set, Unknown"
        );
    }
}
