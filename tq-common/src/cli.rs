//! The common command line (design.md §3) and the argv normaliser for the guides'
//! single-dash long flags (`-ll`, `-hist`), which clap cannot declare.
//!
//! A connector declares its own `clap::Parser` with `#[command(flatten)] common: CommonArgs`
//! plus its own flags, implements [`ConnectorArgs`], and lists its legacy spellings.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;

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

/// The flags every connector has.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct CommonArgs {
    /// Configuration directory: holds <instance>.ini (mode 0600), <instance>.state.json and
    /// <instance>.lock
    #[arg(short = 'c', long = "config", value_name = "DIR", default_value = ".")]
    pub config: PathBuf,

    /// Log directory (the file is <instance>.log), or `stdout` for the console. Also
    /// spelled -ll as in the vendor guides
    #[arg(
        long = "loglocation",
        value_name = "DIR|stdout",
        default_value = "stdout"
    )]
    pub loglocation: String,

    /// Log verbosity: 1 = warnings, 2 = info (counts and progress), 3 = debug (every request)
    #[arg(
        short = 'v',
        long = "verbosity",
        value_name = "1|2|3",
        default_value_t = 1,
        value_parser = clap::value_parser!(u8).range(1..=3)
    )]
    pub verbosity: u8,

    /// Instance name, for several instances side by side: names the config, state, lock and
    /// log files instead of the binary's name
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub name: Option<String>,

    /// Validate the config, reach every remote system once, print a report and exit
    /// (0 = all good, 1 = a system failed, 2 = config error)
    #[arg(long = "check")]
    pub check: bool,

    /// Print the config options as a markdown table (for the docs) and exit
    #[arg(long = "print-options-md")]
    pub print_options_md: bool,
}

/// Implemented by each connector's argument struct.
pub trait ConnectorArgs: clap::Parser {
    /// The common flags.
    fn common(&self) -> &CommonArgs;

    /// The instance name: `-n NAME`, else the binary name. TIE overrides it for `--suffix`.
    fn instance_name(&self, binary: &str) -> String {
        self.common()
            .name
            .clone()
            .unwrap_or_else(|| binary.to_string())
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
    use clap::Parser;

    #[derive(Parser, Debug)]
    #[command(name = "tq-x", version)]
    struct Cli {
        #[command(flatten)]
        common: CommonArgs,
        #[arg(long = "historical")]
        historical: Option<String>,
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(normalize_args(
            std::iter::once("tq-x").chain(args.iter().copied()),
            &[("-hist", "--historical")],
        ))
    }

    #[test]
    fn legacy_and_long_spellings_parse_identically() {
        let a = parse(&["-ll", "/x", "-c", "/y", "-v3"]).unwrap();
        let b = parse(&["--loglocation", "/x", "--config", "/y", "--verbosity", "3"]).unwrap();
        let c = parse(&["-ll=/x", "-c/y", "-v", "3"]).unwrap();
        assert_eq!(a.common, b.common);
        assert_eq!(a.common, c.common);
        assert_eq!(a.common.loglocation, "/x");
        assert_eq!(a.common.config, PathBuf::from("/y"));
        assert_eq!(a.common.verbosity, 3);
    }

    #[test]
    fn hist_is_not_read_as_help() {
        let a = parse(&["-hist", "2020-01-01"]).unwrap();
        assert_eq!(a.historical.as_deref(), Some("2020-01-01"));
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
