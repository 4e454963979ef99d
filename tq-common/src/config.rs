//! The config file `<dir>/<instance>.ini` and the option declarations behind it.
//!
//! Every option is declared once ([`Opt`]: section, name, type, default, help, whether
//! it is required). That one declaration drives the first-run prompt and environment
//! variables ([`crate::prompt`]), validation on load ([`Config::load`]), the commented
//! template written on first run ([`render_template`]) and the markdown table of the
//! docs ([`options_markdown`], `<binary> --print-options-md`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ini::{Ini, ParseOption};

use crate::secret::Secret;
use crate::{Error, Result};

/// The type of an option, and how its value is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Str,
    /// Free text that is never printed (passwords, client ids, keys).
    Secret,
    /// true/false (also yes/no, on/off, 1/0).
    Bool,
    /// An integer in `min..=max`.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// One of the listed values (matched without regard to case, stored as listed).
    Enum(&'static [&'static str]),
    /// A comma-separated list; when `choices` is set, each item must be one of them.
    List {
        /// The accepted items, if restricted.
        choices: Option<&'static [&'static str]>,
    },
    /// A date `YYYY-MM-DD`.
    Date,
    /// The path of an existing, readable file.
    File,
    /// The path of a directory (it must exist when the option is set).
    Dir,
    /// The ThreatQ host: a host name, `host:port`, or an `https://` URL.
    Host,
}

impl Kind {
    /// How the type is described in errors and docs.
    pub fn describe(&self) -> String {
        match self {
            Kind::Str => "text".into(),
            Kind::Secret => "secret text".into(),
            Kind::Bool => "true or false".into(),
            Kind::Int { min, max } => format!("an integer from {min} to {max}"),
            Kind::Enum(c) => format!("one of: {}", c.join(", ")),
            Kind::List { choices: None } => "a comma-separated list".into(),
            Kind::List { choices: Some(c) } => {
                format!("a comma-separated list of: {}", c.join(", "))
            }
            Kind::Date => "a date YYYY-MM-DD".into(),
            Kind::File => "the path of a readable file".into(),
            Kind::Dir => "the path of a directory".into(),
            Kind::Host => "a host name, host:port, or https:// URL".into(),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Secret => "secret",
            Kind::Bool => "bool",
            Kind::Int { .. } => "int",
            Kind::Enum(_) => "enum",
            Kind::List { .. } => "list",
            Kind::Date => "date",
            Kind::File => "file",
            Kind::Dir => "directory",
            Kind::Host => "host",
        }
    }
}

/// One declared option.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// INI section: `threatq` or `connector`.
    pub section: &'static str,
    /// Key in the section.
    pub name: &'static str,
    /// The label the vendor guide uses (UI field or prompt).
    pub label: &'static str,
    /// Type and validation.
    pub kind: Kind,
    /// Default value as written in the file; `None` = empty.
    pub default: Option<&'static str>,
    /// A required option must have a non-empty value.
    pub required: bool,
    /// One or two sentences for the template comment, `--help` and the docs.
    pub help: &'static str,
}

impl Opt {
    /// True for secrets.
    pub fn is_secret(&self) -> bool {
        self.kind == Kind::Secret
    }
}

/// The `[threatq]` section, common to every connector (design.md §3).
pub const THREATQ_OPTIONS: &[Opt] = &[
    Opt {
        section: "threatq",
        name: "host",
        label: "ThreatQ Host",
        kind: Kind::Host,
        default: None,
        required: true,
        help: "The host name or IP of your ThreatQ instance (127.0.0.1 on the appliance); host:port or an https:// URL also work.",
    },
    Opt {
        section: "threatq",
        name: "client_id",
        label: "Client ID",
        kind: Kind::Secret,
        default: None,
        required: true,
        help: "The API Client ID of the ThreatQ user (My Account / OAuth Management page).",
    },
    Opt {
        section: "threatq",
        name: "username",
        label: "E-Mail Address",
        kind: Kind::Str,
        default: None,
        required: true,
        help: "The e-mail address the connector logs in to ThreatQ with (a dedicated maintenance user).",
    },
    Opt {
        section: "threatq",
        name: "password",
        label: "Password",
        kind: Kind::Secret,
        default: None,
        required: true,
        help: "The password of that user.",
    },
    Opt {
        section: "threatq",
        name: "status",
        label: "Status",
        kind: Kind::Str,
        default: None,
        required: true,
        help: "The default indicator status the connector applies (must exist in ThreatQ, e.g. Active or Review).",
    },
    Opt {
        section: "threatq",
        name: "ca_file",
        label: "CA file",
        kind: Kind::File,
        default: None,
        required: false,
        help: "A PEM file of CA certificates trusted for ThreatQ in addition to the system store (for a self-signed appliance certificate).",
    },
    Opt {
        section: "threatq",
        name: "verify_tls",
        label: "Verify TLS",
        kind: Kind::Bool,
        default: Some("true"),
        required: false,
        help: "Verify ThreatQ's TLS certificate. false is insecure and logs a warning on every run.",
    },
    Opt {
        section: "threatq",
        name: "proxy",
        label: "Proxy",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "HTTP(S) proxy URL for all outgoing requests, e.g. http://proxy:3128; empty = the HTTPS_PROXY/ALL_PROXY environment (NO_PROXY honoured).",
    },
    Opt {
        section: "threatq",
        name: "timeout",
        label: "Timeout",
        kind: Kind::Int { min: 1, max: 3600 },
        default: Some("60"),
        required: false,
        help: "Seconds allowed for one HTTP request (connect, send and receive) before it is retried.",
    },
];

/// `[connector] enabled`, common to every connector.
pub const ENABLED_OPTION: Opt = Opt {
    section: "connector",
    name: "enabled",
    label: "Enabled",
    kind: Kind::Bool,
    default: Some("true"),
    required: false,
    help: "false makes every run log \"disabled\" and exit 0 (the toggle of the ThreatQ UI).",
};

/// The full option list of a connector: `[threatq]`, `enabled`, then its own `[connector]` options.
pub fn all_options(connector: &[Opt]) -> Vec<Opt> {
    let mut v = THREATQ_OPTIONS.to_vec();
    v.push(ENABLED_OPTION);
    v.extend_from_slice(connector);
    v
}

/// A validated option value.
#[derive(Debug, Clone)]
pub enum Value {
    /// No value (an optional option left empty).
    Empty,
    /// Text (Str, Host).
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

/// Validates one raw value against its declaration.
pub fn parse_value(opt: &Opt, raw: &str) -> std::result::Result<Value, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        if opt.required {
            return Err(format!("a value is required ({})", opt.kind.describe()));
        }
        // A restricted list may legitimately be empty ("nothing selected").
        return Ok(match opt.kind {
            Kind::List { .. } => Value::List(Vec::new()),
            _ => Value::Empty,
        });
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
        Kind::List { choices } => {
            let mut out = Vec::new();
            for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match choices {
                    None => out.push(item.to_string()),
                    Some(c) => match c.iter().find(|c| c.eq_ignore_ascii_case(item)) {
                        Some(c) => out.push(c.to_string()),
                        None => return Err(format!("\"{item}\" is not one of: {}", c.join(", "))),
                    },
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
    }
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

/// A loaded, validated config file.
#[derive(Debug, Clone)]
pub struct Config {
    file: PathBuf,
    values: HashMap<(String, String), Value>,
}

fn ini_parse_options() -> ParseOption {
    ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        ..ParseOption::default()
    }
}

impl Config {
    /// Reads and validates `file` against `options`: unknown sections or keys, keys given
    /// twice, bad values and missing required options are errors naming file, section and key.
    pub fn load(file: &Path, options: &[Opt]) -> Result<Config> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::ConfigFile {
            file: file.to_path_buf(),
            message: format!("cannot read: {e}"),
        })?;
        Config::from_str(file, &text, options)
    }

    /// Like [`Config::load`], from text (`file` only names it in errors).
    pub fn from_str(file: &Path, text: &str, options: &[Opt]) -> Result<Config> {
        let ini =
            Ini::load_from_str_opt(text, ini_parse_options()).map_err(|e| Error::ConfigFile {
                file: file.to_path_buf(),
                message: format!("not a valid INI file: line {}: {}", e.line, e.msg),
            })?;
        let err = |section: &str, key: &str, message: String| Error::Config {
            file: file.to_path_buf(),
            section: section.to_string(),
            key: key.to_string(),
            message,
        };
        let known_sections: Vec<&str> = {
            let mut s: Vec<&str> = options.iter().map(|o| o.section).collect();
            s.dedup();
            s
        };
        let mut raw: HashMap<(String, String), String> = HashMap::new();
        for (section, props) in &ini {
            let Some(section) = section else {
                if let Some((k, _)) = props.iter().next() {
                    return Err(err(
                        "",
                        k,
                        format!(
                            "is outside any section; put it under one of: {}",
                            known_sections
                                .iter()
                                .map(|s| format!("[{s}]"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                continue;
            };
            if !known_sections.contains(&section) {
                return Err(Error::ConfigFile {
                    file: file.to_path_buf(),
                    message: format!(
                        "unknown section [{section}]; expected: {}",
                        known_sections
                            .iter()
                            .map(|s| format!("[{s}]"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            for (key, value) in props.iter() {
                if !options
                    .iter()
                    .any(|o| o.section == section && o.name == key)
                {
                    let valid: Vec<&str> = options
                        .iter()
                        .filter(|o| o.section == section)
                        .map(|o| o.name)
                        .collect();
                    return Err(err(
                        section,
                        key,
                        format!("unknown option; valid options: {}", valid.join(", ")),
                    ));
                }
                let k = (section.to_string(), key.to_string());
                if raw.insert(k, value.to_string()).is_some() {
                    return Err(err(section, key, "is set more than once".into()));
                }
            }
        }
        let mut values = HashMap::new();
        for opt in options {
            let k = (opt.section.to_string(), opt.name.to_string());
            let value = match raw.get(&k) {
                Some(v) => v.as_str(),
                None if opt.required => {
                    return Err(err(
                        opt.section,
                        opt.name,
                        format!("is missing; set it to {}", opt.kind.describe()),
                    ))
                }
                None => opt.default.unwrap_or(""),
            };
            let parsed = parse_value(opt, value).map_err(|m| err(opt.section, opt.name, m))?;
            values.insert(k, parsed);
        }
        Ok(Config {
            file: file.to_path_buf(),
            values,
        })
    }

    /// The config file path.
    pub fn file(&self) -> &Path {
        &self.file
    }

    fn get(&self, section: &str, key: &str) -> &Value {
        static EMPTY: Value = Value::Empty;
        let v = self.values.get(&(section.to_string(), key.to_string()));
        debug_assert!(v.is_some(), "option [{section}] {key} is not declared");
        v.unwrap_or(&EMPTY)
    }

    /// A text option (Str, Enum, Host); empty string when unset.
    pub fn str(&self, section: &str, key: &str) -> &str {
        match self.get(section, key) {
            Value::Str(s) => s,
            _ => "",
        }
    }

    /// A text option, `None` when unset.
    pub fn opt_str(&self, section: &str, key: &str) -> Option<&str> {
        Some(self.str(section, key)).filter(|s| !s.is_empty())
    }

    /// A secret option (empty secret when unset).
    pub fn secret(&self, section: &str, key: &str) -> Secret {
        match self.get(section, key) {
            Value::Secret(s) => s.clone(),
            _ => Secret::default(),
        }
    }

    /// A boolean option.
    pub fn bool(&self, section: &str, key: &str) -> bool {
        matches!(self.get(section, key), Value::Bool(true))
    }

    /// An integer option (0 when unset).
    pub fn int(&self, section: &str, key: &str) -> i64 {
        match self.get(section, key) {
            Value::Int(n) => *n,
            _ => 0,
        }
    }

    /// A list option.
    pub fn list(&self, section: &str, key: &str) -> &[String] {
        match self.get(section, key) {
            Value::List(v) => v,
            _ => &[],
        }
    }

    /// A date option.
    pub fn date(&self, section: &str, key: &str) -> Option<time::Date> {
        match self.get(section, key) {
            Value::Date(d) => Some(*d),
            _ => None,
        }
    }

    /// A path option.
    pub fn path(&self, section: &str, key: &str) -> Option<&Path> {
        match self.get(section, key) {
            Value::Path(p) => Some(p),
            _ => None,
        }
    }
}

/// The commented config file written on first run: every option, with its help as a
/// comment, set to the given value or its default.
pub fn render_template(binary: &str, options: &[Opt], values: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {binary} configuration. Every option is listed; edit the values and run again."
    );
    let _ = writeln!(
        out,
        "# Options, types and defaults: `{binary} --print-options-md` or the project docs."
    );
    let mut section = "";
    for opt in options {
        if opt.section != section {
            section = opt.section;
            let _ = writeln!(out, "\n[{section}]");
        }
        let _ = writeln!(out, "\n# {}: {}", opt.label, opt.help);
        let req = if opt.required { "required" } else { "optional" };
        let default = opt
            .default
            .map(|d| format!(", default: {d}"))
            .unwrap_or_default();
        let _ = writeln!(out, "# ({req}; {}{default})", opt.kind.describe());
        let key = format!("{}.{}", opt.section, opt.name);
        let value = values
            .get(&key)
            .map(String::as_str)
            .or(opt.default)
            .unwrap_or("");
        let _ = writeln!(out, "{} = {}", opt.name, value);
    }
    out
}

/// The options as a markdown table (property, type, required, default, description).
pub fn options_markdown(options: &[Opt]) -> String {
    let mut out = String::from(
        "| Section | Option | Guide label | Type | Required | Default | Description |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for o in options {
        let kind = match o.kind {
            Kind::Enum(_) | Kind::List { choices: Some(_) } | Kind::Int { .. } => {
                format!("{}: {}", o.kind.type_name(), o.kind.describe())
            }
            _ => o.kind.type_name().to_string(),
        };
        let _ = writeln!(
            out,
            "| `[{}]` | `{}` | {} | {} | {} | {} | {} |",
            o.section,
            o.name,
            o.label,
            kind.replace('|', "\\|"),
            if o.required { "yes" } else { "no" },
            o.default.map(|d| format!("`{d}`")).unwrap_or_default(),
            o.help.replace('|', "\\|")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: &[Opt] = &[
        Opt {
            section: "connector",
            name: "region",
            label: "Region",
            kind: Kind::Enum(&["us", "eu", "apjc"]),
            default: Some("us"),
            required: false,
            help: "Region.",
        },
        Opt {
            section: "connector",
            name: "batch_size",
            label: "Batch",
            kind: Kind::Int { min: 1, max: 100 },
            default: Some("20"),
            required: false,
            help: "Batch.",
        },
        Opt {
            section: "connector",
            name: "levels",
            label: "Levels",
            kind: Kind::List {
                choices: Some(&["Known Malicious", "Unknown"]),
            },
            default: Some("Known Malicious"),
            required: false,
            help: "Levels.",
        },
    ];

    fn full(extra: &str) -> String {
        format!(
            "[threatq]\nhost = tq.example.com\nclient_id = abcd\nusername = a@b.c\n\
             password = p#ss;w\\rd\nstatus = Active\n[connector]\n{extra}"
        )
    }

    fn opts() -> Vec<Opt> {
        all_options(OPTS)
    }

    #[test]
    fn loads_with_defaults_and_keeps_special_characters() {
        let c = Config::from_str(Path::new("x.ini"), &full("region = EU\n"), &opts()).unwrap();
        assert_eq!(c.str("threatq", "host"), "https://tq.example.com");
        assert_eq!(c.secret("threatq", "password").expose(), "p#ss;w\\rd");
        assert_eq!(c.str("connector", "region"), "eu");
        assert_eq!(c.int("connector", "batch_size"), 20);
        assert!(c.bool("connector", "enabled"));
        assert!(c.bool("threatq", "verify_tls"));
        assert_eq!(c.list("connector", "levels"), ["Known Malicious"]);
    }

    fn load_err(extra: &str) -> String {
        Config::from_str(Path::new("/etc/x.ini"), &full(extra), &opts())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_file_section_key_and_expectation() {
        assert_eq!(
            load_err("colour = red\n"),
            "/etc/x.ini: [connector] colour: unknown option; valid options: enabled, region, batch_size, levels"
        );
        assert_eq!(
            load_err("batch_size = 500\n"),
            "/etc/x.ini: [connector] batch_size: \"500\" is not an integer from 1 to 100"
        );
        assert_eq!(
            load_err("levels = Known Malicious, Evil\n"),
            "/etc/x.ini: [connector] levels: \"Evil\" is not one of: Known Malicious, Unknown"
        );
        assert!(load_err("region = mars\n")
            .contains("[connector] region: \"mars\" is not one of: us, eu, apjc"));
        let missing = Config::from_str(Path::new("/etc/x.ini"), "[threatq]\nhost = x\n", &opts())
            .unwrap_err()
            .to_string();
        assert_eq!(
            missing,
            "/etc/x.ini: [threatq] client_id: is missing; set it to secret text"
        );
        let empty_required = Config::from_str(
            Path::new("/etc/x.ini"),
            &full("").replace("status = Active", "status ="),
            &opts(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            empty_required.contains("[threatq] status: a value is required"),
            "{empty_required}"
        );
    }

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
    fn template_round_trips_and_lists_every_option() {
        let mut values = HashMap::new();
        for (k, v) in [
            ("threatq.host", "tq"),
            ("threatq.client_id", "cid1"),
            ("threatq.username", "a@b.c"),
            ("threatq.password", "pw1234"),
            ("threatq.status", "Review"),
        ] {
            values.insert(k.to_string(), v.to_string());
        }
        let t = render_template("tq-x", &opts(), &values);
        for o in opts() {
            assert!(
                t.contains(&format!("\n{} = ", o.name)),
                "{} missing",
                o.name
            );
        }
        let c = Config::from_str(Path::new("x.ini"), &t, &opts()).unwrap();
        assert_eq!(c.str("threatq", "status"), "Review");
        assert_eq!(c.int("connector", "batch_size"), 20);
    }

    #[test]
    fn markdown_has_a_row_per_option() {
        let md = options_markdown(&opts());
        assert_eq!(md.lines().count(), 2 + opts().len());
        assert!(md.contains(
            "| `[connector]` | `region` | Region | enum: one of: us, eu, apjc | no | `us` |"
        ));
    }
}
