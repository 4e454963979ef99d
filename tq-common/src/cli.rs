//! The common command line (design.md §3) and the argv normaliser for the guides'
//! single-dash long flags (`-ll`, `-hist`), which clap cannot declare.
//!
//! A standard connector declares only its own flags (a `clap::Args` struct implementing
//! [`ConnectorFlags`], or [`NoFlags`]); [`Cli`] puts them beside [`CommonArgs`]. A binary
//! with another command line (tq-resilient-fn) flattens [`BaseArgs`] into its own parser.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser};

use crate::app::{ConnectorSpec, Invocation};
use crate::logging::LogLocation;
use crate::Result;

/// The `--help` epilogue every connector shows: files, first run, exit codes.
pub const AFTER_HELP: &str = "\
Files (in the config directory, named after the instance): <instance>.ini (options; written by
the first run), <instance>.state.json (last-run state), <instance>.lock (one run at a time).
First run: asks on a terminal for the ThreatQ Host, Client ID, E-Mail Address, Password and
Status, or takes TQ_HOST, TQ_CLIENT_ID, TQ_USERNAME, TQ_PASSWORD, TQ_STATUS from the environment.
Exit status: 0 success (also: disabled, previous run still active), 1 a remote system failed
after retries, 2 usage or configuration error.";

/// Legacy single-dash long flags every connector accepts.
pub const COMMON_LEGACY_FLAGS: &[(&str, &str)] = &[("-ll", "--loglocation")];

/// The flags every binary has, whatever its config source: logging, `--check` and the
/// printing flags (global: a binary with subcommands takes them before or after one).
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct BaseArgs {
    /// Log directory (the file is <instance>.log), or `stdout` for the console. Also
    /// spelled -ll as in the vendor guides
    #[arg(
        long = "loglocation",
        value_name = "DIR|stdout",
        default_value = "stdout",
        global = true
    )]
    pub loglocation: String,

    /// Log verbosity: 1 = warnings, 2 = info (counts and progress), 3 = debug (every request)
    #[arg(
        short = 'v',
        long = "verbosity",
        value_name = "1|2|3",
        default_value_t = 1,
        value_parser = clap::value_parser!(u8).range(1..=3),
        global = true
    )]
    pub verbosity: u8,

    /// Validate the config, reach every remote system once, print a report and exit
    /// (0 = all good, 1 = a system failed, 2 = config error)
    #[arg(long = "check", global = true)]
    pub check: bool,

    /// Print the config options as a markdown table (for the docs) and exit
    #[arg(long = "print-options-md", global = true)]
    pub print_options_md: bool,

    /// Print "<binary> <original executable it replaces>" and exit (for scripts/install)
    #[arg(long = "print-spec", hide = true)]
    pub print_spec: bool,
}

impl BaseArgs {
    /// Where the log goes.
    pub fn log_location(&self) -> LogLocation {
        LogLocation::parse(&self.loglocation)
    }
}

/// The flags of every connector configured from `<DIR>/<instance>.ini`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct CommonArgs {
    /// Configuration directory: holds <instance>.ini (mode 0600), <instance>.state.json and
    /// <instance>.lock
    #[arg(short = 'c', long = "config", value_name = "DIR", default_value = ".")]
    pub config: PathBuf,

    /// Instance name, for several instances side by side: names the config, state, lock and
    /// log files instead of the binary's name
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,

    /// Logging, --check and the printing flags.
    #[command(flatten)]
    pub base: BaseArgs,
}

/// A connector's own flags (besides [`CommonArgs`]); [`NoFlags`] when it has none. The
/// hooks let a connector name its instance differently or take its settings from another
/// source for some runs (e.g. an RT action configured from RT_SiteConfig values).
pub trait ConnectorFlags: Args + FromArgMatches + std::fmt::Debug {
    /// The instance name: `-n NAME`, else the binary name. TIE overrides it for `--suffix`.
    fn instance_name(&self, common: &CommonArgs, binary: &str) -> String {
        common.name.clone().unwrap_or_else(|| binary.to_string())
    }

    /// What the run reads and where its files are: by default
    /// [`Invocation::standard`] (`<DIR>/<instance>.ini` with `[threatq]` and `[connector]`).
    fn invocation(&self, spec: &ConnectorSpec, common: &CommonArgs) -> Result<Invocation> {
        Invocation::standard(spec, common, self.instance_name(common, spec.binary))
    }
}

/// No connector flags.
#[derive(Args, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoFlags {}

impl ConnectorFlags for NoFlags {}

/// The command line of a standard connector: the common flags and its own.
#[derive(Parser, Debug)]
#[command(version, after_help = AFTER_HELP)]
pub struct Cli<F: Args> {
    /// The common flags.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The connector's flags.
    #[command(flatten)]
    pub flags: F,
}

impl<F: ConnectorFlags> Cli<F> {
    /// The clap command, named and described by `spec` (for `--help`, man pages and tests).
    pub fn command_for(spec: &ConnectorSpec) -> clap::Command {
        <Self as CommandFactory>::command()
            .name(spec.binary)
            .bin_name(spec.binary)
            .about(spec.about)
    }

    /// Parses argv (legacy single-dash spellings normalised first).
    pub fn parse_for<I>(spec: &ConnectorSpec, argv: I) -> std::result::Result<Self, clap::Error>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        let argv = normalize_args(argv, spec.legacy_flags);
        let mut cmd = Self::command_for(spec);
        let matches = cmd.try_get_matches_from_mut(argv)?;
        Self::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
    }
}

/// Rewrites legacy single-dash long flags (`-ll X`, `-ll=X`, `-hist D`) into their
/// `--long` forms before clap sees argv. Stops at `--`. `extra` adds a connector's own.
pub fn normalize_args<I>(args: I, extra: &[(&str, &str)]) -> Vec<OsString>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut out = Vec::new();
    let mut done = false;
    for (i, arg) in args.into_iter().enumerate() {
        let arg: OsString = arg.into();
        if i == 0 || done {
            out.push(arg);
            continue;
        }
        if arg == "--" {
            done = true;
            out.push(arg);
            continue;
        }
        let mut replaced = None;
        if let Some(s) = arg.to_str() {
            for (legacy, long) in COMMON_LEGACY_FLAGS.iter().chain(extra) {
                if s == *legacy {
                    replaced = Some(OsString::from(*long));
                } else if let Some(v) = s
                    .strip_prefix(legacy)
                    .and_then(|rest| rest.strip_prefix('='))
                {
                    replaced = Some(OsString::from(format!("{long}={v}")));
                }
            }
        }
        out.push(replaced.unwrap_or(arg));
    }
    out
}

/// Checks that an instance name is usable as a file name part.
pub fn validate_instance_name(name: &str) -> crate::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(crate::Error::usage(format!(
            "instance name \"{name}\" must be 1-100 letters, digits, '-', '_' or '.', not starting with '.'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Args, Debug)]
    struct Hist {
        #[arg(long = "historical")]
        historical: Option<String>,
    }
    impl ConnectorFlags for Hist {}

    const SPEC: ConnectorSpec = ConnectorSpec::new("tq-x", "tq-old-x", "Test connector.")
        .legacy_flags(&[("-hist", "--historical")]);

    fn parse(args: &[&str]) -> std::result::Result<Cli<Hist>, clap::Error> {
        Cli::parse_for(&SPEC, std::iter::once("tq-x").chain(args.iter().copied()))
    }

    #[test]
    fn legacy_and_long_spellings_parse_identically() {
        let a = parse(&["-ll", "/x", "-c", "/y", "-v3"]).unwrap();
        let b = parse(&["--loglocation", "/x", "--config", "/y", "--verbosity", "3"]).unwrap();
        let c = parse(&["-ll=/x", "-c/y", "-v", "3"]).unwrap();
        assert_eq!(a.common, b.common);
        assert_eq!(a.common, c.common);
        assert_eq!(a.common.base.loglocation, "/x");
        assert_eq!(a.common.config, PathBuf::from("/y"));
        assert_eq!(a.common.base.verbosity, 3);
    }

    #[test]
    fn hist_is_not_read_as_help() {
        let a = parse(&["-hist", "2020-01-01"]).unwrap();
        assert_eq!(a.flags.historical.as_deref(), Some("2020-01-01"));
    }

    #[test]
    fn verbosity_out_of_range_is_a_usage_error() {
        let e = parse(&["-v", "4"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("4 is not in 1..=3"), "{e}");
    }

    #[test]
    fn after_double_dash_nothing_is_rewritten() {
        let v = normalize_args(["x", "--", "-ll"], &[]);
        assert_eq!(v, vec![OsString::from("x"), "--".into(), "-ll".into()]);
    }

    #[test]
    fn instance_names() {
        assert!(validate_instance_name("siteA_2").is_ok());
        assert!(validate_instance_name("../etc").is_err());
        assert!(validate_instance_name(".hidden").is_err());
        assert!(validate_instance_name("").is_err());
    }
}
