//! Config options: declared once, read from a source, validated, read through typed handles.
//!
//! Every option is declared once as a typed handle ([`option`]: section, name, label, type,
//! default, help, required). That one declaration drives the first-run prompt and
//! environment variables ([`crate::prompt`]), validation ([`Config::validate`]), the
//! commented template ([`render_template`]), the docs table ([`options_markdown`],
//! `<binary> --print-options-md`), and reading: `config.get(BATCH_SIZE)` is typed, so a
//! mistyped key or a wrong type does not compile.
//!
//! Where the values come from is a [`ConfigSource`] ([`source`]): the connector's own
//! `<dir>/<instance>.ini`, a file it shares with other programs (resilient-circuits'
//! `app.config`), or values handed over on stdin or in the environment. Validation is the
//! same for all: errors name the source, the section, the key and what is expected.

pub mod option;
pub mod render;
pub mod source;
pub mod threatq;
pub mod value;

use std::collections::HashMap;

pub use option::{
    BoolOpt, DateOpt, Get, Handle, IntOpt, Kind, ListOpt, Maybe, Opt, PathOpt, SecretOpt, StrOpt,
};
pub use render::{options_markdown, render_options, render_template};
pub use source::{ConfigSource, Entry, EnvValues, IniFile, IniText, Raw, Sections};
pub use threatq::{ThreatQKeys, ThreatQNames, ENABLED, THREATQ};
pub use value::{parse_date, parse_value, parse_web_url, Value};

use crate::{Error, Result};

/// The full option list of a standard connector: `[threatq]`, `[connector] enabled`, then
/// its own `[connector]` options.
pub fn all_options(connector: &[Opt]) -> Vec<Opt> {
    [
        &THREATQ.options(),
        threatq::COMMON_CONNECTOR_OPTIONS,
        connector,
    ]
    .concat()
}

/// Validated settings, read through typed handles ([`Config::get`]).
#[derive(Debug, Clone)]
pub struct Config {
    origin: String,
    values: HashMap<(&'static str, &'static str), Value>,
}

fn section_list(sections: &[&str]) -> String {
    sections
        .iter()
        .map(|s| format!("[{s}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Config {
    /// Checks `raw` against `options`: undeclared sections or keys (as `sections` rules),
    /// keys given twice, bad values and missing required options are errors naming
    /// `origin`, the section and the key.
    pub fn validate(
        origin: &str,
        raw: &Raw,
        options: &[Opt],
        sections: Sections,
    ) -> Result<Config> {
        let err = |section: &str, key: &str, message: String| Error::Config {
            origin: origin.to_string(),
            section: section.to_string(),
            key: key.to_string(),
            message,
        };
        let mut known: Vec<&str> = Vec::new();
        for o in options {
            if !known.contains(&o.section) {
                known.push(o.section);
            }
        }
        let mut given: HashMap<(&str, &str), &str> = HashMap::new();
        for e in &raw.0 {
            let (section, key) = (e.section.as_str(), e.key.as_str());
            if section.is_empty() {
                return Err(err(
                    "",
                    key,
                    format!(
                        "is outside any section; put it under one of: {}",
                        section_list(&known)
                    ),
                ));
            }
            if !known.contains(&section) {
                match sections {
                    Sections::Shared { .. } => continue,
                    Sections::Owned => {
                        return Err(Error::ConfigFile {
                            origin: origin.to_string(),
                            message: format!(
                                "unknown section [{section}]; expected: {}",
                                section_list(&known)
                            ),
                        })
                    }
                }
            }
            if !options
                .iter()
                .any(|o| o.section == section && o.name == key)
            {
                if let Sections::Shared { open } = sections {
                    if open.contains(&section) {
                        log::debug!("{origin}: [{section}] {key} is not ours; ignored");
                        continue;
                    }
                }
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
            if given.insert((section, key), e.value.as_str()).is_some() {
                return Err(err(section, key, "is set more than once".into()));
            }
        }
        for section in &known {
            let required: Vec<&str> = options
                .iter()
                .filter(|o| o.section == *section && o.required)
                .map(|o| o.name)
                .collect();
            if !required.is_empty() && !raw.0.iter().any(|e| e.section == *section) {
                return Err(Error::ConfigFile {
                    origin: origin.to_string(),
                    message: format!(
                        "[{section}] is missing (none of its options is set); it must set {}",
                        required.join(", ")
                    ),
                });
            }
        }
        let mut values = HashMap::new();
        for opt in options {
            let value = match given.get(&(opt.section, opt.name)) {
                Some(v) => *v,
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
            values.insert((opt.section, opt.name), parsed);
        }
        Ok(Config {
            origin: origin.to_string(),
            values,
        })
    }

    /// Parses and validates the text of a connector's own INI file (tests, tools).
    pub fn from_ini(origin: &str, text: &str, options: &[Opt]) -> Result<Config> {
        let raw = source::parse_ini(origin, text, source::Dialect::default())?;
        Config::validate(origin, &raw, options, Sections::Owned)
    }

    /// Where the values came from (a file path, or what the source is).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The value of a declared option, typed by its handle: an optional one
    /// ([`Handle::optional`]) reads as an `Option`, every other one as its value (required
    /// options are present and others have their default).
    pub fn get<G: Get>(&self, handle: G) -> G::Out {
        let decl = handle.decl();
        match self.values.get(&(decl.section, decl.name)) {
            Some(v) => G::pick(Some(v)),
            None => {
                debug_assert!(
                    false,
                    "option {} is read but not in the validated option list",
                    decl.key()
                );
                let default = parse_value(&decl, decl.default.unwrap_or("")).ok();
                G::pick(default.as_ref())
            }
        }
    }

    /// An error about one option's value (exit 2), naming the source, section and key.
    pub fn error<G: Get>(&self, handle: G, message: impl Into<String>) -> Error {
        let decl = handle.decl();
        Error::Config {
            origin: self.origin.clone(),
            section: decl.section.to_string(),
            key: decl.name.to_string(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGION: StrOpt = StrOpt::new("connector", "region", "Region", "Region.")
        .one_of(&["us", "eu", "apjc"])
        .default("us");
    const BATCH: IntOpt = IntOpt::new("connector", "batch_size", "Batch", "Batch.")
        .range(1, 100)
        .default("20");
    const LEVELS: ListOpt = ListOpt::new("connector", "levels", "Levels", "Levels.")
        .of(&["Known Malicious", "Unknown"], &[])
        .default("Known Malicious");
    const NOTE: Maybe<StrOpt> = StrOpt::new("connector", "note", "Note", "Note.").optional();
    const OPTS: &[Opt] = &[REGION.opt(), BATCH.opt(), LEVELS.opt(), NOTE.opt()];

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
        let c = Config::from_ini("x.ini", &full("region = EU\nbatch_size =\n"), &opts()).unwrap();
        assert_eq!(c.get(THREATQ.host), "https://tq.example.com");
        assert_eq!(c.get(THREATQ.password).expose(), "p#ss;w\\rd");
        assert_eq!(c.get(REGION), "eu");
        assert_eq!(c.get(BATCH), 20, "an empty value is the default");
        assert!(c.get(ENABLED));
        assert!(c.get(THREATQ.verify_tls));
        assert_eq!(c.get(LEVELS), ["Known Malicious"]);
        assert_eq!(c.get(NOTE), None);
        assert_eq!(c.get(THREATQ.ca_file), None);
        let c = Config::from_ini("x.ini", &full("note = hello\n"), &opts()).unwrap();
        assert_eq!(c.get(NOTE).as_deref(), Some("hello"));
    }

    fn load_err(extra: &str) -> String {
        Config::from_ini("/etc/x.ini", &full(extra), &opts())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_file_section_key_and_expectation() {
        assert_eq!(
            load_err("colour = red\n"),
            "/etc/x.ini: [connector] colour: unknown option; valid options: enabled, region, batch_size, levels, note"
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
        assert_eq!(
            load_err("[other]\nx = 1\n"),
            "/etc/x.ini: unknown section [other]; expected: [threatq], [connector]"
        );
        assert_eq!(
            Config::from_ini("/etc/x.ini", "[connector]\n", &opts())
                .unwrap_err()
                .to_string(),
            "/etc/x.ini: [threatq] is missing (none of its options is set); it must set host, \
             client_id, username, password, status"
        );
        let missing = Config::from_ini("/etc/x.ini", "[threatq]\nhost = x\n", &opts())
            .unwrap_err()
            .to_string();
        assert_eq!(
            missing,
            "/etc/x.ini: [threatq] client_id: is missing; set it to secret text"
        );
        let empty_required = Config::from_ini(
            "/etc/x.ini",
            &full("").replace("status = Active", "status ="),
            &opts(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            empty_required.contains("[threatq] status: a value is required"),
            "{empty_required}"
        );
        let c = Config::from_ini("/etc/x.ini", &full(""), &opts()).unwrap();
        assert_eq!(
            c.error(BATCH, "too big for this").to_string(),
            "/etc/x.ini: [connector] batch_size: too big for this"
        );
    }

    #[test]
    fn a_shared_file_ignores_other_programs_sections_and_open_sections_keys() {
        const OWN: StrOpt = StrOpt::new("mine", "host", "Host", "Host.");
        const THEIRS: StrOpt = StrOpt::new("shared", "host", "Host", "Host.");
        let options = [OWN.opt(), THEIRS.opt()];
        let shared = Sections::Shared { open: &["shared"] };
        let text = "[shared]\nhost = a\nlogdir = /x\n[mine]\nhost = b\n[other_app]\nk = v\n";
        let raw = source::parse_ini("app.config", text, source::Dialect::default()).unwrap();
        let c = Config::validate("app.config", &raw, &options, shared).unwrap();
        assert_eq!((c.get(OWN), c.get(THEIRS)), ("b".into(), "a".into()));
        let raw = source::parse_ini(
            "app.config",
            &format!("{text}[mine]\ncolour = red\n"),
            source::Dialect::default(),
        )
        .unwrap();
        assert_eq!(
            Config::validate("app.config", &raw, &options, shared)
                .unwrap_err()
                .to_string(),
            "app.config: [mine] colour: unknown option; valid options: host"
        );
        assert!(
            Config::validate("app.config", &raw, &options, Sections::Owned).is_err(),
            "an owned file refuses other sections"
        );
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
        let c = Config::from_ini("x.ini", &t, &opts()).unwrap();
        assert_eq!(c.get(THREATQ.status), "Review");
        assert_eq!(c.get(BATCH), 20);
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
