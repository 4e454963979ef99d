//! The common command line (design.md §3) and the argv normaliser for the guides'
//! single-dash long flags (`-ll`, `-hist`), which clap cannot declare.
//!
//! A standard connector declares only its own flags (a `clap::Args` struct implementing
//! [`ConnectorFlags`], or [`NoFlags`]); [`Cli`] puts them beside [`CommonArgs`]. A binary
//! with another command line (tq-resilient-fn) flattens [`BaseArgs`] into its own parser.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, FromArgMatches, Parser};
/// The shells `--print-completions` writes a script for (those the packages install a
/// script of).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// bash (bash-completion)
    Bash,
    /// zsh
    Zsh,
    /// fish
    Fish,
}

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

    /// Write the man pages (roff, section 1: the binary's, and one per subcommand) into DIR,
    /// print their paths and exit (for scripts/package)
    #[arg(long = "write-man", value_name = "DIR", hide = true)]
    pub write_man: Option<PathBuf>,

    /// Print the completion script for SHELL (bash, zsh, fish) and exit (for scripts/package)
    #[arg(long = "print-completions", value_name = "SHELL", hide = true)]
    pub print_completions: Option<Shell>,
}

impl BaseArgs {
    /// Where the log goes.
    pub fn log_location(&self) -> LogLocation {
        LogLocation::parse(&self.loglocation)
    }

    /// Answers `--write-man DIR` and `--print-completions SHELL` from the binary's clap
    /// command (`command` is built only when one of them was given), so the man pages and the
    /// completions read the same definition as the parser. Returns the exit code, or `None`
    /// when neither flag was given.
    pub fn print_generated(
        &self,
        spec: &ConnectorSpec,
        command: impl FnOnce() -> clap::Command,
    ) -> Option<i32> {
        let written = match (&self.write_man, self.print_completions) {
            (Some(dir), _) => write_man_pages(spec, command(), dir),
            (None, Some(shell)) => std::io::Write::write_all(
                &mut std::io::stdout().lock(),
                &completions(spec, command(), shell),
            )
            .map_err(|e| format!("cannot write to stdout: {e}")),
            (None, None) => return None,
        };
        match written {
            Ok(()) => Some(0),
            Err(e) => {
                eprintln!("{}: error: {e}", spec.binary);
                Some(1)
            }
        }
    }
}

/// Writes [`man_pages`] into `dir` (created if missing) and prints each path.
fn write_man_pages(
    spec: &ConnectorSpec,
    command: clap::Command,
    dir: &Path,
) -> std::result::Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, page) in man_pages(spec, command) {
        let path = dir.join(name);
        std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

/// The man pages (roff, section 1) of a binary, as `(file name, page)`: the binary's page
/// (name, synopsis, description, options, subcommands, the `--help` epilogue with files,
/// first run and exit status, version, SEE ALSO naming the original executable and the
/// packaged docs), then one page per subcommand (`<binary>-<subcommand>.1`), which the
/// binary's page refers to.
pub fn man_pages(spec: &ConnectorSpec, command: clap::Command) -> Vec<(String, Vec<u8>)> {
    let version = command.get_version().unwrap_or_default().to_string();
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    let mut todo = vec![command];
    while let Some(cmd) = todo.pop() {
        todo.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let man = clap_mangen::Man::new(cmd)
            .section("1")
            .manual("tq-connectors")
            .source(format!("tq-connectors {version}"));
        let mut page = Vec::new();
        // Rendering into a Vec cannot fail.
        let _ = man.render(&mut page);
        if pages.is_empty() {
            page.extend_from_slice(see_also(spec).as_bytes());
        }
        pages.push((man.get_filename(), page));
    }
    pages
}

/// The SEE ALSO section of a binary's man page.
fn see_also(spec: &ConnectorSpec) -> String {
    let original = if spec.replaces.is_empty() {
        String::new()
    } else {
        format!(
            ".PP\n\\fB{}\\fR replaces \\fB{}\\fR(1), the vendor's executable; operations.md says \
             which original names the packages install as symlinks (drop-in).\n",
            roff_escape(spec.binary),
            roff_escape(spec.replaces),
        )
    };
    format!(
        ".SH \"SEE ALSO\"\n{original}.PP\n/usr/share/doc/{bin}/ (from the packages) holds the \
         connector's page (every option, default and mapping), configuration.md (the contract \
         every connector keeps) and operations.md (install, cron, systemd, logs, upgrade, \
         uninstall).\n",
        bin = roff_escape(spec.binary)
    )
}

/// The completion script of a binary for `shell`.
pub fn completions(spec: &ConnectorSpec, mut command: clap::Command, shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    match shell {
        Shell::Bash => clap_complete::generate(
            clap_complete::shells::Bash,
            &mut command,
            spec.binary,
            &mut out,
        ),
        Shell::Zsh => clap_complete::generate(
            clap_complete::shells::Zsh,
            &mut command,
            spec.binary,
            &mut out,
        ),
        Shell::Fish => clap_complete::generate(
            clap_complete::shells::Fish,
            &mut command,
            spec.binary,
            &mut out,
        ),
    }
    out
}

/// Escapes text for a roff line (backslashes and dashes, as clap_mangen does).
fn roff_escape(text: &str) -> String {
    text.replace('\\', "\\e").replace('-', "\\-")
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

    fn man(spec: &ConnectorSpec, command: clap::Command) -> Vec<(String, String)> {
        man_pages(spec, command)
            .into_iter()
            .map(|(n, p)| (n, String::from_utf8(p).unwrap()))
            .collect()
    }

    #[test]
    fn the_man_page_reads_the_parser_s_definition() {
        let pages = man(&SPEC, Cli::<Hist>::command_for(&SPEC));
        assert_eq!(pages.len(), 1, "no subcommands, one page");
        let (name, page) = &pages[0];
        assert_eq!(name, "tq-x.1");
        assert!(page.contains(".TH tq-x 1"), "{page}");
        assert!(page.contains("tq\\-x \\- Test connector."), "{page}");
        // every flag of the parser, the connector's own included; the hidden ones not
        for flag in [
            "\\-\\-loglocation",
            "\\-\\-config",
            "\\-\\-historical",
            "\\-\\-check",
        ] {
            assert!(page.contains(flag), "{flag} missing:\n{page}");
        }
        for hidden in ["write\\-man", "print\\-spec", "print\\-completions"] {
            assert!(!page.contains(hidden), "{hidden} shown:\n{page}");
        }
        assert!(
            page.contains("Exit status: 0 success"),
            "the --help epilogue"
        );
        assert!(
            page.contains("\\fBtq\\-x\\fR replaces \\fBtq\\-old\\-x\\fR(1)"),
            "{page}"
        );
    }

    #[test]
    fn a_page_for_each_subcommand_the_main_page_names() {
        #[derive(Parser, Debug)]
        #[command(name = "tq-x", version)]
        struct Sub {
            #[command(subcommand)]
            command: Option<Mode>,
        }
        #[derive(clap::Subcommand, Debug)]
        enum Mode {
            /// Run it
            Run,
            /// Install it
            Customize {
                /// Do not ask
                #[arg(short = 'y')]
                yes: bool,
            },
        }
        let pages = man(&SPEC, Sub::command());
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["tq-x.1", "tq-x-customize.1", "tq-x-run.1"]);
        let main = &pages[0].1;
        assert!(main.contains("tq\\-x\\-run(1)") && main.contains("tq\\-x\\-customize(1)"));
        assert!(
            !main.contains("tq\\-x\\-help"),
            "no page for the help subcommand: {main}"
        );
        assert!(pages[1].1.contains("Do not ask") && !pages[1].1.contains("SEE ALSO"));
    }

    #[test]
    fn write_man_writes_every_page() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("man1");
        let cli = parse(&["--write-man", out.to_str().unwrap()]).unwrap();
        let command = || Cli::<Hist>::command_for(&SPEC);
        assert_eq!(cli.common.base.print_generated(&SPEC, command), Some(0));
        let page = std::fs::read_to_string(out.join("tq-x.1")).unwrap();
        assert!(page.contains("\\-\\-historical"));
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, "").unwrap();
        let cli = parse(&["--write-man", blocked.join("x").to_str().unwrap()]).unwrap();
        assert_eq!(cli.common.base.print_generated(&SPEC, command), Some(1));
    }

    #[test]
    fn completions_name_the_binary_and_its_flags() {
        let bash = completions(&SPEC, Cli::<Hist>::command_for(&SPEC), Shell::Bash);
        let bash = String::from_utf8(bash).unwrap();
        assert!(
            bash.contains("complete -F _tq__x") && bash.contains(" tq-x"),
            "{bash}"
        );
        assert!(bash.contains("--historical") && bash.contains("--loglocation"));
        let fish = completions(&SPEC, Cli::<Hist>::command_for(&SPEC), Shell::Fish);
        assert!(String::from_utf8(fish)
            .unwrap()
            .contains("complete -c tq-x"));
    }

    #[test]
    fn printing_flags_parse_and_stay_out_of_help() {
        let cli = parse(&["--print-completions", "zsh"]).unwrap();
        assert_eq!(cli.common.base.print_completions, Some(Shell::Zsh));
        assert!(parse(&["--print-completions", "tcsh"]).is_err());
        let help = Cli::<Hist>::command_for(&SPEC)
            .render_long_help()
            .to_string();
        assert!(!help.contains("write-man") && !help.contains("print-completions"));
        let none = parse(&[]).unwrap().common.base;
        assert_eq!(none.print_generated(&SPEC, || unreachable!()), None);
    }

    #[test]
    fn instance_names() {
        assert!(validate_instance_name("siteA_2").is_ok());
        assert!(validate_instance_name("../etc").is_err());
        assert!(validate_instance_name(".hidden").is_err());
        assert!(validate_instance_name("").is_err());
    }
}
