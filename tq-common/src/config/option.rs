//! Option declarations: [`Opt`] (what the prompt, validation, template and docs read) and
//! the typed handles a connector declares its options with and reads them through.
//!
//! ```
//! use tq_common::config::{IntOpt, Maybe, StrOpt};
//! pub const BATCH_SIZE: IntOpt = IntOpt::new("connector", "batch_size", "Batch Size",
//!     "Observables sent per call.").range(1, 100).default("20");
//! pub const API_URL: Maybe<StrOpt> = StrOpt::new("connector", "api_url", "API URL",
//!     "Overrides the region's URL.").optional();
//! ```
//!
//! `config.get(BATCH_SIZE)` is an `i64`, `config.get(API_URL)` an `Option<String>`: a
//! mistyped name does not compile, and neither does reading an integer as text. A handle is
//! required unless it has a default ([`Handle::default`]) or is [`Handle::optional`], so
//! only an optional one reads as an `Option`.

use std::marker::PhantomData;
use std::path::PathBuf;

use super::value::Value;
use crate::secret::Secret;

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
        /// Other spellings accepted for a choice: `(alias, choice)`.
        aliases: &'static [(&'static str, &'static str)],
    },
    /// A date `YYYY-MM-DD`.
    Date,
    /// The path of an existing, readable file.
    File,
    /// The path of a directory (it must exist when the option is set).
    Dir,
    /// The ThreatQ host: a host name, `host:port`, or an `https://` URL.
    Host,
    /// A web application's base URL (Request Tracker with its web path): a host name,
    /// `host:port`, `host/path`, or an `http://` or `https://` URL; https unless it says http.
    WebUrl,
}

impl Kind {
    /// How the type is described in errors and docs.
    pub fn describe(&self) -> String {
        match self {
            Kind::Str => "text".into(),
            Kind::Secret => "secret text".into(),
            Kind::Bool => "true or false".into(),
            Kind::Int {
                min: i64::MIN,
                max: i64::MAX,
            } => "an integer".into(),
            Kind::Int { min, max } => format!("an integer from {min} to {max}"),
            Kind::Enum(c) => format!("one of: {}", c.join(", ")),
            Kind::List { choices: None, .. } => "a comma-separated list".into(),
            Kind::List {
                choices: Some(c), ..
            } => {
                format!("a comma-separated list of: {}", c.join(", "))
            }
            Kind::Date => "a date YYYY-MM-DD".into(),
            Kind::File => "the path of a readable file".into(),
            Kind::Dir => "the path of a directory".into(),
            Kind::Host => "a host name, host:port, or https:// URL".into(),
            Kind::WebUrl => "a host name, host:port, host/path, or http(s):// URL".into(),
        }
    }

    /// The short type name of the docs table.
    pub fn type_name(&self) -> &'static str {
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
            Kind::WebUrl => "url",
        }
    }
}

/// One declared option.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// INI section (`threatq`, `connector`, or a connector's own such as `fn_threatq`).
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

    /// `[section] name`, as messages name the option.
    pub fn key(&self) -> String {
        format!("[{}] {}", self.section, self.name)
    }
}

/// A typed handle on one declared option; `T` is the type it reads as (see [`Read`]).
/// Build it with the constructor of its type alias ([`StrOpt::new`], [`IntOpt::new`], ...).
pub struct Handle<T> {
    opt: Opt,
    _reads_as: PhantomData<fn() -> T>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Handle<T> {}

impl<T> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.opt.key())
    }
}

impl<T> Handle<T> {
    const fn with_kind(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
        kind: Kind,
    ) -> Self {
        Handle {
            opt: Opt {
                section,
                name,
                label,
                kind,
                default: None,
                required: true,
                help: help.trim_ascii(),
            },
            _reads_as: PhantomData,
        }
    }

    /// The declaration (for the option list that validation, prompt and docs read).
    pub const fn opt(&self) -> Opt {
        self.opt
    }

    /// Not required: an empty or missing value means `default` (written in the template).
    pub const fn default(mut self, default: &'static str) -> Self {
        self.opt.default = Some(default);
        self.opt.required = false;
        self
    }

    /// Not required and no default: it reads as an `Option`.
    pub const fn optional(mut self) -> Maybe<Self> {
        self.opt.required = false;
        Maybe(self)
    }
}

/// An option that may be left empty; reads as `Option<_>`. Made by [`Handle::optional`].
#[derive(Debug, Clone, Copy)]
pub struct Maybe<H>(H);

impl<T> Maybe<Handle<T>> {
    /// The declaration.
    pub const fn opt(&self) -> Opt {
        self.0.opt
    }
}

/// What a handle reads as: each marker type names one.
pub mod reads {
    /// Text (also a host URL or an enum choice): `String`.
    pub enum Text {}
    /// A secret: [`crate::Secret`].
    pub enum SecretText {}
    /// `bool`.
    pub enum Flag {}
    /// `i64`.
    pub enum Integer {}
    /// A list: `Vec<String>` (may be empty).
    pub enum Items {}
    /// A date: `time::Date`.
    pub enum Day {}
    /// A file or directory: `PathBuf`.
    pub enum FsPath {}
}

/// A text option (`Str`, `Host` or `Enum` kind).
pub type StrOpt = Handle<reads::Text>;
/// A secret option.
pub type SecretOpt = Handle<reads::SecretText>;
/// A boolean option.
pub type BoolOpt = Handle<reads::Flag>;
/// An integer option.
pub type IntOpt = Handle<reads::Integer>;
/// A comma-separated list option.
pub type ListOpt = Handle<reads::Items>;
/// A date option.
pub type DateOpt = Handle<reads::Day>;
/// A file or directory option.
pub type PathOpt = Handle<reads::FsPath>;

impl StrOpt {
    /// Free text; required until [`Handle::default`] or [`Handle::optional`].
    pub const fn new(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> StrOpt {
        Handle::with_kind(section, name, label, help, Kind::Str)
    }

    /// A ThreatQ host instead of free text: host, host:port or https:// URL, read as the
    /// base URL `https://host[:port]`.
    pub const fn host(mut self) -> StrOpt {
        self.opt.kind = Kind::Host;
        self
    }

    /// A web application's URL instead of free text: host, host:port, host/path or
    /// http(s):// URL, read as the base URL `scheme://host[:port][/path]` (https unless the
    /// value says http; no trailing `/`).
    pub const fn web_url(mut self) -> StrOpt {
        self.opt.kind = Kind::WebUrl;
        self
    }

    /// One of `choices` instead of free text (read in the listed spelling).
    pub const fn one_of(mut self, choices: &'static [&'static str]) -> StrOpt {
        self.opt.kind = Kind::Enum(choices);
        self
    }
}

impl SecretOpt {
    /// A secret (never printed, masked in every log line and message).
    pub const fn new(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> SecretOpt {
        Handle::with_kind(section, name, label, help, Kind::Secret)
    }
}

impl BoolOpt {
    /// true/false (yes/no, on/off, 1/0).
    pub const fn new(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> BoolOpt {
        Handle::with_kind(section, name, label, help, Kind::Bool)
    }
}

impl IntOpt {
    /// An integer (any `i64` until [`IntOpt::range`]).
    pub const fn new(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> IntOpt {
        Handle::with_kind(
            section,
            name,
            label,
            help,
            Kind::Int {
                min: i64::MIN,
                max: i64::MAX,
            },
        )
    }

    /// Accepts only `min..=max`.
    pub const fn range(mut self, min: i64, max: i64) -> IntOpt {
        self.opt.kind = Kind::Int { min, max };
        self
    }
}

impl ListOpt {
    /// A comma-separated list of free items. Not required and empty by default (an empty
    /// list is a value: "none").
    pub const fn new(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> ListOpt {
        let mut h = Handle::with_kind(
            section,
            name,
            label,
            help,
            Kind::List {
                choices: None,
                aliases: &[],
            },
        );
        h.opt.required = false;
        h
    }

    /// Each item must be one of `choices` (or an alias of one), matched without regard to case.
    pub const fn of(
        mut self,
        choices: &'static [&'static str],
        aliases: &'static [(&'static str, &'static str)],
    ) -> ListOpt {
        self.opt.kind = Kind::List {
            choices: Some(choices),
            aliases,
        };
        self
    }
}

impl DateOpt {
    /// A date `YYYY-MM-DD`.
    pub const fn new(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> DateOpt {
        Handle::with_kind(section, name, label, help, Kind::Date)
    }
}

impl PathOpt {
    /// The path of an existing, readable file.
    pub const fn file(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> PathOpt {
        Handle::with_kind(section, name, label, help, Kind::File)
    }

    /// The path of an existing directory.
    pub const fn dir(
        section: &'static str,
        name: &'static str,
        label: &'static str,
        help: &'static str,
    ) -> PathOpt {
        Handle::with_kind(section, name, label, help, Kind::Dir)
    }
}

/// How a handle's marker type turns a validated [`Value`] into what the connector reads.
pub trait Read {
    /// What the option reads as.
    type Out;
    /// The value; `None` when it is empty (or, for a programming error, of another kind).
    fn read(v: &Value) -> Option<Self::Out>;
    /// What a non-optional handle reads when the value is missing; unreachable for a
    /// declared option, which is required or has a default.
    fn fallback() -> Self::Out;
}

/// `impl Read` for each marker: the [`Value`] variant it reads, how, and its fallback.
macro_rules! reads {
    ($($marker:ident: $out:ty = $variant:ident($v:ident) => $read:expr, else $fallback:expr;)+) => {
        $(
            impl Read for reads::$marker {
                type Out = $out;
                fn read(v: &Value) -> Option<$out> {
                    match v {
                        Value::$variant($v) => Some($read),
                        _ => None,
                    }
                }
                fn fallback() -> $out {
                    $fallback
                }
            }
        )+
    };
}

reads! {
    Text: String = Str(s) => s.clone(), else String::new();
    SecretText: Secret = Secret(s) => s.clone(), else Secret::default();
    Flag: bool = Bool(b) => *b, else false;
    Integer: i64 = Int(n) => *n, else 0;
    Items: Vec<String> = List(items) => items.clone(), else Vec::new();
    Day: time::Date = Date(d) => *d, else time::Date::MIN;
    FsPath: PathBuf = Path(p) => p.clone(), else PathBuf::new();
}

/// Anything [`super::Config::get`] accepts: a [`Handle`] or a [`Maybe`] of one.
pub trait Get: Copy {
    /// What it reads as.
    type Out;
    /// The declaration.
    fn decl(&self) -> Opt;
    /// The result from the validated value (`None` = empty or undeclared).
    fn pick(v: Option<&Value>) -> Self::Out;
}

impl<T: Read> Get for Handle<T> {
    type Out = T::Out;
    fn decl(&self) -> Opt {
        self.opt
    }
    fn pick(v: Option<&Value>) -> T::Out {
        v.and_then(T::read).unwrap_or_else(T::fallback)
    }
}

impl<T: Read> Get for Maybe<Handle<T>> {
    type Out = Option<T::Out>;
    fn decl(&self) -> Opt {
        self.0.opt
    }
    fn pick(v: Option<&Value>) -> Option<T::Out> {
        v.and_then(T::read)
    }
}

/// Declares the options of one section, each once: its doc comment is its help text (the
/// template comment, `--help` and the docs table), its handle is a `const`, and `list`
/// names the `&[Opt]` of them all, in order (what validation, first run and docs read),
/// so a declared option cannot be left out of it.
///
/// ```
/// use tq_common::config::{IntOpt, Maybe, StrOpt};
/// tq_common::options! {
///     section "connector";
///     /// The `[connector]` options, in file order.
///     pub list OPTIONS;
///     /// Observables sent per call.
///     pub BATCH_SIZE: IntOpt = IntOpt::new("batch_size", "Batch Size").range(1, 100).default("20");
///     /// Overrides the region's URL.
///     pub API_URL: Maybe<StrOpt> = StrOpt::new("api_url", "API URL").optional();
/// }
/// assert_eq!(OPTIONS.len(), 2);
/// assert_eq!(OPTIONS[0].help, "Observables sent per call.");
/// assert_eq!(API_URL.opt().section, "connector");
/// ```
#[macro_export]
macro_rules! options {
    (
        section $section:literal;
        $(#[$list_meta:meta])*
        $list_vis:vis list $list:ident;
        $(
            $(#[doc = $help:literal])+
            $vis:vis $name:ident: $ty:ty = $($ctor:ident)::+ ($key:literal, $label:literal)
                $(.$method:ident($($arg:expr),*))*;
        )+
    ) => {
        $(
            $(#[doc = $help])+
            $vis const $name: $ty = $($ctor)::+($section, $key, $label, concat!($($help),+))
                $(.$method($($arg),*))*;
        )+
        $(#[$list_meta])*
        $list_vis const $list: &[$crate::config::Opt] = &[$($name.opt()),+];
    };
}
