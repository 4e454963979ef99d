//! Where a run's settings come from: the config-source hook of the runner.
//!
//! A [`ConfigSource`] reads raw `section / key / value` entries and says how strict
//! validation is; [`super::Config::validate`] checks them against the declared options the
//! same way for every source, so errors always name the source, the section and the key.
//!
//! - [`IniFile::new`]: the connector's own `<dir>/<instance>.ini` (design.md §3). Every
//!   section and key must be declared; a missing file means a first run.
//! - [`IniFile::shared`]: an INI file other programs read too, such as resilient-circuits'
//!   `app.config`: only the declared sections are checked, undeclared keys of the sections
//!   other programs also read are ignored, and a missing file is an error (no first run).
//! - [`IniText`]: INI text handed over on stdin (e.g. RT_SiteConfig values from the RT
//!   extension, never on the command line).
//! - [`EnvValues`]: one section's values from environment variables named like the options.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ini::{Ini, ParseOption};

use super::option::Opt;
use crate::{Error, Result};

/// One `key = value` as read, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The section (`""` for a key before any section header).
    pub section: String,
    /// The key.
    pub key: String,
    /// The value, as written.
    pub value: String,
}

/// Every entry a source holds, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Raw(pub Vec<Entry>);

/// How strictly undeclared sections and keys are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sections {
    /// The connector owns the source: an undeclared section or key is an error.
    Owned,
    /// The source is shared with other programs: undeclared sections are theirs and ignored;
    /// in the declared sections listed in `open` (read by other programs too) undeclared
    /// keys are ignored; in the other declared sections they are errors.
    Shared {
        /// Declared sections whose undeclared keys belong to another program.
        open: &'static [&'static str],
    },
}

/// INI reading rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dialect {
    /// Keys are matched without regard to case (Python's configparser lower-cases them).
    pub lowercase_keys: bool,
    /// Indented lines continue the value above (configparser's multi-line values).
    pub multiline: bool,
}

impl Dialect {
    /// As Python's configparser reads a file (resilient-circuits' app.config).
    pub const CONFIGPARSER: Dialect = Dialect {
        lowercase_keys: true,
        multiline: true,
    };
}

/// One INI section as read: its name (`""` for keys before any header) and its
/// `key = value` pairs in order. A header with no keys under it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section name.
    pub name: String,
    /// The keys and values, as written (keys lower-cased per the dialect).
    pub entries: Vec<(String, String)>,
}

/// Parses INI text literally: no quoting or escaping (`C:\path`, `p#ss;w` are kept), `#`
/// and `;` start a comment only at the beginning of a line, `=` or `:` separate key and value.
/// Every section is returned, the empty ones too (for files whose format requires a
/// section to be present even when empty); an error names `origin` and the line.
pub fn parse_ini_sections(origin: &str, text: &str, dialect: Dialect) -> Result<Vec<Section>> {
    let opts = ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: dialect.multiline,
        ..ParseOption::default()
    };
    let ini = Ini::load_from_str_opt(text, opts).map_err(|e| Error::ConfigFile {
        origin: origin.to_string(),
        message: format!("not a valid INI file: line {}: {}", e.line, e.msg),
    })?;
    if let Some(bad) = ini
        .iter()
        .flat_map(|(_, props)| props.iter())
        .find_map(|(key, _)| key.split_once('\n').map(|(first, _)| first.trim()))
    {
        // A line without `=` or `:` that the INI crate joined to the key below it.
        let line = text
            .lines()
            .position(|l| l.trim() == bad)
            .map_or(0, |i| i + 1);
        return Err(Error::ConfigFile {
            origin: origin.to_string(),
            message: format!("not a valid INI file: line {line}: {bad:?} is not key = value"),
        });
    }
    let mut out = Vec::new();
    for (section, props) in &ini {
        let entries = props
            .iter()
            .map(|(key, value)| {
                let key = if dialect.lowercase_keys {
                    key.to_ascii_lowercase()
                } else {
                    key.to_string()
                };
                (key, value.to_string())
            })
            .collect();
        out.push(Section {
            name: section.unwrap_or("").to_string(),
            entries,
        });
    }
    Ok(out)
}

/// [`parse_ini_sections`] as a flat list of entries (what validation reads).
pub fn parse_ini(origin: &str, text: &str, dialect: Dialect) -> Result<Raw> {
    let mut out = Vec::new();
    for section in parse_ini_sections(origin, text, dialect)? {
        for (key, value) in section.entries {
            out.push(Entry {
                section: section.name.clone(),
                key,
                value,
            });
        }
    }
    Ok(Raw(out))
}

/// Where a run's settings come from (the runner's config-source hook).
pub trait ConfigSource {
    /// How messages name the source: a file path, or what it is (`RT_SiteConfig values on
    /// stdin`).
    fn origin(&self) -> String;

    /// The entries; `Ok(None)` when the source does not exist (yet).
    fn read(&self) -> Result<Option<Raw>>;

    /// How undeclared sections and keys are treated.
    fn sections(&self) -> Sections {
        Sections::Owned
    }

    /// The file a first run writes when the source does not exist; `None`: no first run
    /// (a missing source is then [`ConfigSource::missing`]).
    fn first_run_file(&self) -> Option<&Path> {
        None
    }

    /// The error for a missing source that has no first run: what to do about it.
    fn missing(&self) -> Error {
        Error::ConfigFile {
            origin: self.origin(),
            message: "not found".into(),
        }
    }

    /// A file that holds secrets: the runner warns when other users can read it.
    fn secret_file(&self) -> Option<&Path> {
        None
    }
}

/// An INI file: the connector's own (`<dir>/<instance>.ini`, written by the first run), or
/// one other programs read too ([`IniFile::shared`]: resilient-circuits' `app.config`).
#[derive(Debug, Clone)]
pub struct IniFile {
    path: PathBuf,
    shared: Option<Shared>,
}

/// What makes a file shared: other programs' keys, and no first run.
#[derive(Debug, Clone)]
struct Shared {
    open: &'static [&'static str],
    when_missing: String,
}

impl IniFile {
    /// The connector's own file at `path` (made absolute, so messages name it fully):
    /// every section and key declared; the first run writes it.
    pub fn new(path: impl Into<PathBuf>) -> Result<IniFile> {
        let path = path.into();
        let path = std::path::absolute(&path)
            .map_err(|e| Error::usage(format!("bad config path {}: {e}", path.display())))?;
        Ok(IniFile { path, shared: None })
    }

    /// A file other programs read too, read as Python's configparser reads it (keys without
    /// regard to case, indented continuation lines): `open` lists the declared sections
    /// other programs also read (their undeclared keys are ignored), other sections are
    /// theirs; `when_missing` tells the operator what to do when the file does not exist
    /// (there is no first run).
    pub fn shared(
        path: impl Into<PathBuf>,
        open: &'static [&'static str],
        when_missing: impl Into<String>,
    ) -> IniFile {
        let path = path.into();
        IniFile {
            path: std::path::absolute(&path).unwrap_or(path),
            shared: Some(Shared {
                open,
                when_missing: when_missing.into(),
            }),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ConfigSource for IniFile {
    fn origin(&self) -> String {
        self.path.display().to_string()
    }

    fn read(&self) -> Result<Option<Raw>> {
        let dialect = match self.shared {
            Some(_) => Dialect::CONFIGPARSER,
            None => Dialect::default(),
        };
        let origin = self.origin();
        match std::fs::read_to_string(&self.path) {
            Ok(text) => parse_ini(&origin, &text, dialect).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::ConfigFile {
                origin,
                message: format!("cannot read: {e}"),
            }),
        }
    }

    fn sections(&self) -> Sections {
        match &self.shared {
            Some(s) => Sections::Shared { open: s.open },
            None => Sections::Owned,
        }
    }

    fn first_run_file(&self) -> Option<&Path> {
        self.shared.is_none().then_some(self.path.as_path())
    }

    fn missing(&self) -> Error {
        let hint = self.shared.as_ref().map_or("", |s| s.when_missing.as_str());
        Error::ConfigFile {
            origin: self.origin(),
            message: format!("not found. {hint}").trim_end().to_string(),
        }
    }

    fn secret_file(&self) -> Option<&Path> {
        Some(&self.path)
    }
}

/// INI text handed over by another program (on stdin), named by `origin` in messages.
#[derive(Debug, Clone)]
pub struct IniText {
    origin: String,
    text: String,
}

impl IniText {
    /// The text, and how messages name it.
    pub fn new(origin: impl Into<String>, text: impl Into<String>) -> IniText {
        IniText {
            origin: origin.into(),
            text: text.into(),
        }
    }

    /// Reads all of stdin.
    pub fn from_stdin(origin: impl Into<String>) -> Result<IniText> {
        let origin = origin.into();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).map_err(|e| {
            Error::ConfigFile {
                origin: origin.clone(),
                message: format!("cannot read stdin: {e}"),
            }
        })?;
        Ok(IniText { origin, text })
    }
}

impl ConfigSource for IniText {
    fn origin(&self) -> String {
        self.origin.clone()
    }

    fn read(&self) -> Result<Option<Raw>> {
        parse_ini(&self.origin, &self.text, Dialect::default()).map(Some)
    }
}

/// The options of one section from environment variables named exactly like them
/// (`ThreatQ_Host=...`); variables that are not declared options are not read.
#[derive(Debug, Clone)]
pub struct EnvValues {
    origin: String,
    section: &'static str,
    values: HashMap<String, String>,
}

impl EnvValues {
    /// `section`'s options from `env` (the process environment, or a test's), named by
    /// `origin` in messages; only the names of `options` in that section are taken.
    pub fn new(
        origin: impl Into<String>,
        section: &'static str,
        options: &[Opt],
        env: &HashMap<String, String>,
    ) -> EnvValues {
        let values = options
            .iter()
            .filter(|o| o.section == section)
            .filter_map(|o| env.get(o.name).map(|v| (o.name.to_string(), v.clone())))
            .collect();
        EnvValues {
            origin: origin.into(),
            section,
            values,
        }
    }
}

impl ConfigSource for EnvValues {
    fn origin(&self) -> String {
        self.origin.clone()
    }

    fn read(&self) -> Result<Option<Raw>> {
        let mut entries: Vec<Entry> = self
            .values
            .iter()
            .map(|(k, v)| Entry {
                section: self.section.to_string(),
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Some(Raw(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_kept_when_empty_and_a_line_without_a_value_is_an_error() {
        let s = parse_ini_sections("f.ini", "[a]\nk = v\n[b]\n", Dialect::default()).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["", "a", "b"]);
        assert_eq!(s[1].entries, [("k".to_string(), "v".to_string())]);
        assert!(s[2].entries.is_empty());
        // The INI crate would read "foo bar\nbaz" as one key: refused, naming the line.
        let e =
            parse_ini_sections("f.ini", "[a]\nfoo bar\nbaz = 1\n", Dialect::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.ini: not a valid INI file: line 2: \"foo bar\" is not key = value"
        );
        assert!(parse_ini("f.ini", "[a]\nfoo bar\nbaz = 1\n", Dialect::default()).is_err());
    }
}
