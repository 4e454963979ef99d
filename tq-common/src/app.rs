//! The common life of a connector run (design.md §3), in public steps that a binary with
//! its own command line can call one by one, and [`run`], which calls them in order:
//!
//! 1. [`start_logging`]: `-ll` / `-v`;
//! 2. [`load_or_first_run`]: the settings from the invocation's [`ConfigSource`], validated
//!    against its [`Layout`] (errors name source, section and key), or the first run when the
//!    source has one and does not exist yet;
//! 3. [`prepare`]: warnings (readable secrets file, TLS verification off), the HTTP and
//!    ThreatQ clients from the layout's [`ThreatQKeys`], the [`Context`];
//! 4. `enabled`, then the connector's `validate`;
//! 5. `--check`: [`check_report`];
//! 6. [`hold_lock`]: one run at a time, "previous run still active" → exit 0;
//! 7. the state check ([`StateFile::verify`]), then the job;
//! 8. [`fail`]: the error once on stderr (and in the log file), and its exit code.
//!
//! [`main`] is the whole of a standard connector: `<DIR>/<instance>.ini`, `[threatq]`,
//! `[connector]` and the common flags. What a run reads is an [`Invocation`]; a connector's
//! flags may build another one ([`crate::cli::ConnectorFlags::invocation`]), and a binary
//! with its own command line builds it and calls [`run`].

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cli::{validate_instance_name, Cli, CommonArgs, ConnectorFlags};
use crate::config::{
    all_options, options_markdown, BoolOpt, Config, ConfigSource, IniFile, Opt, ThreatQKeys,
    ENABLED, THREATQ,
};
use crate::http::Http;
use crate::lock::InstanceLock;
use crate::logging::{self, LogLocation};
use crate::prompt::{self, Terminal};
use crate::state::StateFile;
use crate::threatq::ThreatQ;
use crate::{Error, Result};

/// What a connector tells the common runner about itself.
#[derive(Debug, Clone, Copy)]
pub struct ConnectorSpec {
    /// The binary name (`tq-ctr-enrich`); the default instance name.
    pub binary: &'static str,
    /// The original executable it replaces (`tq-conn-ctr-enrichment`); scripts/install
    /// links it to the binary (`--print-spec`).
    pub replaces: &'static str,
    /// One paragraph for `--help`.
    pub about: &'static str,
    /// The connector's own `[connector]` options (besides `enabled`).
    pub options: &'static [Opt],
    /// Its legacy single-dash long flags, e.g. `("-hist", "--historical")`.
    pub legacy_flags: &'static [(&'static str, &'static str)],
    /// The format version of its state file.
    pub state_version: u32,
}

/// The spec of the connector crate this is written in: its binary is the package name, its
/// `--help` paragraph the package description (Cargo.toml), and it replaces the given
/// original executable. Options, legacy flags and the state version are added with the
/// [`ConnectorSpec`] builders.
///
/// ```
/// const SPEC: tq_common::app::ConnectorSpec = tq_common::spec!("tqRequestTracker");
/// assert_eq!(SPEC.binary, "tq-common"); // the package it is written in
/// ```
#[macro_export]
macro_rules! spec {
    ($replaces:literal) => {
        $crate::app::ConnectorSpec::new(
            env!("CARGO_PKG_NAME"),
            $replaces,
            env!("CARGO_PKG_DESCRIPTION"),
        )
    };
}

impl ConnectorSpec {
    /// A connector with no options, no legacy flags and state version 1 (see [`spec!`]).
    pub const fn new(
        binary: &'static str,
        replaces: &'static str,
        about: &'static str,
    ) -> ConnectorSpec {
        ConnectorSpec {
            binary,
            replaces,
            about,
            options: &[],
            legacy_flags: &[],
            state_version: 1,
        }
    }

    /// With its `[connector]` options.
    pub const fn options(mut self, options: &'static [Opt]) -> ConnectorSpec {
        self.options = options;
        self
    }

    /// With its legacy single-dash flags.
    pub const fn legacy_flags(
        mut self,
        flags: &'static [(&'static str, &'static str)],
    ) -> ConnectorSpec {
        self.legacy_flags = flags;
        self
    }

    /// With another state file format version.
    pub const fn state_version(mut self, version: u32) -> ConnectorSpec {
        self.state_version = version;
        self
    }

    /// All options of the standard layout: `[threatq]`, `enabled`, then the connector's.
    pub fn all_options(&self) -> Vec<Opt> {
        all_options(self.options)
    }

    /// The `--print-spec` line: `<binary> <replaces>`.
    pub fn spec_line(&self) -> String {
        format!("{} {}", self.binary, self.replaces)
    }
}

/// What a run's settings hold: the options validated, where the ThreatQ settings are, and
/// the on/off switch if the layout has one.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Every declared option of the source (undeclared ones are errors or, in a shared
    /// file, other programs' keys).
    pub options: Vec<Opt>,
    /// The section and key names of the ThreatQ connection settings.
    pub threatq: ThreatQKeys,
    /// `enabled = false` makes a run log "disabled" and exit 0.
    pub enabled: Option<BoolOpt>,
}

impl Layout {
    /// `[threatq]`, `[connector] enabled` and the connector's `[connector]` options.
    pub fn standard(connector: &[Opt]) -> Layout {
        Layout {
            options: all_options(connector),
            threatq: THREATQ,
            enabled: Some(ENABLED),
        }
    }
}

/// Where an instance keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFiles {
    /// The directory of the instance's own files ([`Context::config_dir`]).
    pub dir: PathBuf,
    /// The state file.
    pub state: PathBuf,
    /// The lock file.
    pub lock: PathBuf,
    /// `None`: a run finding the lock held exits at once ("previous run still active").
    /// `Some(d)`: it waits up to `d` for the lock, then fails (runs that must each happen,
    /// one after the other: the syncs of one RT ticket).
    pub lock_wait: Option<Duration>,
}

impl InstanceFiles {
    /// `<dir>/<instance>.state.json` and `<dir>/<instance>.lock`.
    pub fn in_dir(dir: &Path, instance: &str) -> InstanceFiles {
        InstanceFiles {
            dir: dir.to_path_buf(),
            state: dir.join(format!("{instance}.state.json")),
            lock: dir.join(format!("{instance}.lock")),
            lock_wait: None,
        }
    }

    /// Runs wait up to `d` for the lock instead of exiting when it is held.
    pub fn waiting_for_lock(mut self, d: Duration) -> InstanceFiles {
        self.lock_wait = Some(d);
        self
    }

    /// Around a given lock file: the state beside it, named after it
    /// (`functions.lock` → `functions.state.json`).
    pub fn beside_lock(lock: &Path) -> InstanceFiles {
        let dir = match lock.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = lock
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name.strip_suffix(".lock").unwrap_or(&name);
        InstanceFiles {
            state: dir.join(format!("{stem}.state.json")),
            lock: lock.to_path_buf(),
            lock_wait: None,
            dir,
        }
    }
}

/// Everything the runner needs to know about one run.
pub struct Invocation {
    /// The instance name (log file, and the files of the standard layout).
    pub instance: String,
    /// `-ll`.
    pub log: LogLocation,
    /// `-v` (1, 2, 3).
    pub verbosity: u8,
    /// `--check`.
    pub check: bool,
    /// Where the settings come from.
    pub source: Box<dyn ConfigSource>,
    /// What they hold.
    pub layout: Layout,
    /// State and lock.
    pub files: InstanceFiles,
}

impl std::fmt::Debug for Invocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invocation")
            .field("instance", &self.instance)
            .field("source", &self.source.origin())
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl Invocation {
    /// The standard run of `instance`: `<DIR>/<instance>.ini` (first run when missing),
    /// [`Layout::standard`], state and lock in DIR.
    pub fn standard(spec: &ConnectorSpec, common: &CommonArgs, instance: String) -> Result<Self> {
        validate_instance_name(&instance)?;
        let source = IniFile::new(common.config.join(format!("{instance}.ini")))?;
        Ok(Invocation {
            log: common.base.log_location(),
            verbosity: common.base.verbosity,
            check: common.base.check,
            layout: Layout::standard(spec.options),
            files: InstanceFiles::in_dir(&common.config, &instance),
            source: Box::new(source),
            instance,
        })
    }
}

/// Everything a job needs, prepared by the runner.
#[derive(Debug)]
pub struct Context {
    /// The instance name.
    pub instance: String,
    /// The directory of the instance's own files (state, lock, queues).
    pub config_dir: PathBuf,
    /// The validated settings.
    pub config: Config,
    /// The process HTTP client (ThreatQ's TLS settings).
    pub http: Http,
    /// The instance's state file.
    pub state: StateFile,
    /// `-v` (1, 2, 3).
    pub verbosity: u8,
    /// The process's ThreatQ client (clones share its token).
    threatq: ThreatQ,
}

impl Context {
    /// The process's ThreatQ client (logs in on its first call; every clone shares the
    /// token, so a process logs in once).
    pub fn threatq(&self) -> ThreatQ {
        self.threatq.clone()
    }

    /// The configured default indicator status.
    pub fn status(&self) -> &str {
        &self.threatq.settings().status
    }
}

/// A connector: its spec, its checks and its job. `Flags` is whatever the job needs from
/// the command line: for a standard connector its [`ConnectorFlags`] (then [`main`] is
/// the whole binary).
pub trait Connector {
    /// The connector's own flags.
    type Flags;

    /// The connector's spec.
    const SPEC: ConnectorSpec;

    /// Checks of flags and options that need the whole config (e.g. `--historical` dates,
    /// one of two options set). Runs before `--check` and before the lock.
    fn validate(_ctx: &Context, _flags: &Self::Flags) -> Result<()> {
        Ok(())
    }

    /// `--check` for the connector's other remote systems: `(system, outcome)` lines.
    fn check(_ctx: &Context, _flags: &Self::Flags) -> Vec<(String, Result<String>)> {
        Vec::new()
    }

    /// The job.
    fn run(ctx: &Context, flags: &Self::Flags) -> Result<()>;
}

/// A standard connector binary: parses argv ([`Cli`]), answers `--print-options-md`,
/// `--print-spec`, `--write-man` and `--print-completions`, builds the [`Invocation`] and [`run`]s it. Returns the exit code.
pub fn main<C, I>(argv: I) -> i32
where
    C: Connector,
    C::Flags: ConnectorFlags,
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    main_with::<C, I>(&C::SPEC, argv)
}

/// The binary of a connector whose job a later issue builds: [`main`] with the common
/// flags, first run, validation and `--check`; a run exits 2 saying it is not built yet.
pub fn pending_main<I>(spec: &ConnectorSpec, argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    main_with::<Pending, I>(spec, argv)
}

/// The job of [`pending_main`].
struct Pending;

impl Connector for Pending {
    type Flags = crate::cli::NoFlags;

    const SPEC: ConnectorSpec = ConnectorSpec::new("pending", "", "");

    fn run(ctx: &Context, _flags: &Self::Flags) -> Result<()> {
        Err(not_implemented(&ctx.instance))
    }
}

fn main_with<C, I>(spec: &ConnectorSpec, argv: I) -> i32
where
    C: Connector,
    C::Flags: ConnectorFlags,
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let spec = *spec;
    let cli = match Cli::<C::Flags>::parse_for(&spec, argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let base = &cli.common.base;
    if base.print_options_md {
        print!("{}", options_markdown(&spec.all_options()));
        return 0;
    }
    if base.print_spec {
        println!("{}", spec.spec_line());
        return 0;
    }
    if let Some(code) = base.print_generated(&spec, || Cli::<C::Flags>::command_for(&spec)) {
        return code;
    }
    match cli.flags.invocation(&spec, &cli.common) {
        Ok(inv) => run_with::<C>(&spec, inv, &cli.flags),
        Err(e) => fail(spec.binary, &base.log_location(), &e),
    }
}

/// Runs one invocation of a connector through every step; returns the exit code.
pub fn run<C: Connector>(inv: Invocation, flags: &C::Flags) -> i32 {
    run_with::<C>(&C::SPEC, inv, flags)
}

fn run_with<C: Connector>(spec: &ConnectorSpec, inv: Invocation, flags: &C::Flags) -> i32 {
    match run_steps::<C>(spec, &inv, flags) {
        Ok(code) => code,
        Err(e) => fail(spec.binary, &inv.log, &e),
    }
}

fn run_steps<C: Connector>(
    spec: &ConnectorSpec,
    inv: &Invocation,
    flags: &C::Flags,
) -> Result<i32> {
    start_logging(inv)?;
    let config = match load_or_first_run(spec.binary, inv)? {
        Loaded::Config(c) => c,
        Loaded::Configured(_) => return Ok(0),
    };
    let ctx = prepare(spec, inv, config)?;
    if let Some(enabled) = inv.layout.enabled {
        if !ctx.config.get(enabled) {
            log::warn!(
                "{} is disabled ([{}] {} = false in {}); nothing to do",
                ctx.instance,
                enabled.opt().section,
                enabled.opt().name,
                ctx.config.origin()
            );
            return Ok(0);
        }
    }
    C::validate(&ctx, flags)?;
    if inv.check {
        return Ok(check_report(spec.binary, &ctx, || C::check(&ctx, flags)));
    }
    let _lock = match inv.files.lock_wait {
        None => match hold_lock(&inv.files.lock)? {
            Some(l) => l,
            None => return Ok(0),
        },
        Some(wait) => crate::lock::wait_lock(&inv.files.lock, wait)?.ok_or_else(|| {
            Error::runtime(format!(
                "{} is still held by another run after {} s; try again later",
                inv.files.lock.display(),
                wait.as_secs()
            ))
        })?,
    };
    // A corrupt state file stops every connector the same way, before any work.
    ctx.state.verify()?;
    let started = Instant::now();
    log::info!(
        "{} {} starting (instance {})",
        spec.binary,
        env!("CARGO_PKG_VERSION"),
        ctx.instance
    );
    C::run(&ctx, flags)?;
    log::info!("run finished in {:.2} s", started.elapsed().as_secs_f64());
    Ok(0)
}

/// Step 1: installs the process logger (`-ll`, `-v`) for the instance.
pub fn start_logging(inv: &Invocation) -> Result<()> {
    logging::init(&inv.log, &inv.instance, inv.verbosity).map(|_| ())
}

/// What [`load_or_first_run`] found.
#[derive(Debug)]
pub enum Loaded {
    /// The validated settings.
    Config(Config),
    /// The source did not exist and the first run wrote it; the message was printed.
    Configured(String),
}

/// Step 2: reads and validates the invocation's settings. A missing source with a first
/// run is configured (terminal prompt, else `TQ_*` variables, else an error saying both),
/// one without is [`ConfigSource::missing`].
pub fn load_or_first_run(binary: &str, inv: &Invocation) -> Result<Loaded> {
    let source = inv.source.as_ref();
    let Some(raw) = source.read()? else {
        let Some(file) = source.first_run_file() else {
            return Err(source.missing());
        };
        let env = prompt::process_env();
        let mut term = Terminal;
        let terminal: Option<&mut dyn prompt::Source> = if prompt::stdin_is_terminal() {
            Some(&mut term)
        } else {
            None
        };
        let asked = inv.layout.threatq.first_run();
        let msg = prompt::first_run(binary, file, &inv.layout.options, &asked, &env, terminal)?;
        log::info!("{msg}");
        println!("{msg}");
        return Ok(Loaded::Configured(msg));
    };
    let config = Config::validate(
        &source.origin(),
        &raw,
        &inv.layout.options,
        source.sections(),
    )?;
    Ok(Loaded::Config(config))
}

/// Step 3: the warnings every run gives, the process HTTP client and ThreatQ client, the
/// state file: the [`Context`].
pub fn prepare(spec: &ConnectorSpec, inv: &Invocation, config: Config) -> Result<Context> {
    if let Some(file) = inv.source.secret_file() {
        if let Ok(meta) = std::fs::metadata(file) {
            if meta.permissions().mode() & 0o077 != 0 {
                log::warn!(
                    "{} is readable by other users and holds secrets: chmod 600 it",
                    file.display()
                );
            }
        }
    }
    let keys = &inv.layout.threatq;
    if !config.get(keys.verify_tls) {
        log::warn!(
            "TLS verification of ThreatQ is off ([{}] {} = false): the connection is not secure",
            keys.verify_tls.opt().section,
            keys.verify_tls.opt().name
        );
    }
    if let Some(ca) = config.get(keys.ca_file) {
        // Still single-threaded here: safe to set the process environment.
        crate::http::use_ca_file_as_default(&ca);
    }
    let http = Http::new(keys.http_settings(&config))?;
    Ok(Context {
        threatq: ThreatQ::new(keys.settings(&config), http.clone()),
        state: StateFile::new(&inv.files.state, spec.state_version),
        instance: inv.instance.clone(),
        config_dir: inv.files.dir.clone(),
        config,
        http,
        verbosity: inv.verbosity,
    })
}

/// Step 6: takes the instance lock; `None` (logged as "previous run still active") when
/// another process holds it: the caller exits 0.
pub fn hold_lock(path: &Path) -> Result<Option<InstanceLock>> {
    let lock = crate::lock::try_lock(path)?;
    if lock.is_none() {
        log::warn!(
            "previous run still active (lock {} is held); exiting",
            path.display()
        );
    }
    Ok(lock)
}

/// Step 5, `--check`: the config line, the ThreatQ login and the status, then the
/// connector's lines (`extra` runs after the login, so it shares the token); prints the
/// report and returns 0 (all passed) or 1.
pub fn check_report(
    binary: &str,
    ctx: &Context,
    extra: impl FnOnce() -> Vec<(String, Result<String>)>,
) -> i32 {
    let mut lines: Vec<(String, Result<String>)> = vec![(
        "config".into(),
        Ok(format!("{} is valid", ctx.config.origin())),
    )];
    let tq = ctx.threatq();
    let status = ctx.status().to_string();
    match tq.login().and_then(|_| tq.current_user()) {
        Ok(user) => {
            let who = if user.display_name.is_empty() || user.display_name == user.email {
                user.email.clone()
            } else {
                format!("{} ({})", user.email, user.display_name)
            };
            lines.push((
                "ThreatQ".into(),
                Ok(format!("logged in to {} as {who}", tq.settings().base_url)),
            ));
            lines.push((
                format!("status \"{status}\""),
                tq.status_id(&status).map(|id| format!("exists (id {id})")),
            ));
        }
        Err(e) => lines.push(("ThreatQ".into(), Err(e))),
    }
    lines.extend(extra());
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!("{binary} --check (instance {})", ctx.instance);
    let mut failed = 0;
    for (what, outcome) in &lines {
        match outcome {
            Ok(m) => {
                log::info!("check {what}: ok: {m}");
                println!("  {what:<width$}  ok: {m}");
            }
            Err(e) => {
                failed += 1;
                let m = e.safe_message();
                log::error!("check {what}: FAILED: {m}");
                println!("  {what:<width$}  FAILED: {m}");
            }
        }
    }
    if failed == 0 {
        println!("all checks passed");
        0
    } else {
        println!("{failed} check(s) failed");
        1
    }
}

/// Step 8: reports an error that ends the run (once on stderr; in the log file too when
/// the log is not the console) and returns its exit code.
pub fn fail(binary: &str, log: &LogLocation, e: &Error) -> i32 {
    let msg = e.safe_message();
    if *log != LogLocation::Stdout {
        log::error!("{msg}");
    }
    eprintln!("{binary}: error: {msg}");
    e.exit_code()
}

/// The standard job of a connector whose main job a later issue builds.
pub fn not_implemented(binary: &str) -> Error {
    Error::usage(format!(
        "running {binary} is not implemented yet (the common flags, configuration and \
         --check work)"
    ))
}

#[cfg(test)]
mod tests {
    //! The hook as tq-rt-sync's action mode will use it: a subcommand of the connector's
    //! flags takes the settings from RT_SiteConfig values in the environment, under the
    //! guide's names, while the cron mode keeps `<DIR>/<instance>.ini`.

    use std::collections::HashMap;

    use super::*;
    use crate::config::{EnvValues, ThreatQNames};

    const KEYS: ThreatQKeys = ThreatQKeys::named(
        "RT_SiteConfig",
        ThreatQNames {
            host: "ThreatQ_Host",
            client_id: "ThreatQ_CID",
            username: "ThreatQ_User",
            password: "ThreatQ_Password",
            status: "ThreatQ_Status",
            ca_file: "ThreatQ_CA_File",
            verify_tls: "ThreatQ_Use_SSL",
        },
    );

    #[derive(clap::Args, Debug)]
    struct RtFlags {
        #[command(subcommand)]
        mode: Option<Mode>,
    }

    #[derive(clap::Subcommand, Debug)]
    enum Mode {
        Action {
            #[arg(long)]
            ticket: u64,
        },
    }

    fn env() -> HashMap<String, String> {
        [
            ("ThreatQ_Host", "tq.example.com"),
            ("ThreatQ_User", "rt@example.com"),
            ("ThreatQ_Password", "rt-secret-pw"),
            ("ThreatQ_CID", "rt-cid-0001"),
            ("ThreatQ_Status", "Review"),
            ("ThreatQ_Use_SSL", "0"),
            ("UNRELATED", "x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    thread_local!(static ENV: std::cell::RefCell<HashMap<String, String>> = Default::default());

    impl ConnectorFlags for RtFlags {
        fn invocation(&self, spec: &ConnectorSpec, common: &CommonArgs) -> Result<Invocation> {
            let instance = self.instance_name(common, spec.binary);
            let Some(Mode::Action { ticket }) = self.mode else {
                return Invocation::standard(spec, common, instance);
            };
            let env = ENV.with(|e| e.borrow().clone());
            let options = KEYS.options();
            let source = EnvValues::new("RT_SiteConfig values", "RT_SiteConfig", &options, &env);
            Ok(Invocation {
                log: common.base.log_location(),
                verbosity: common.base.verbosity,
                check: common.base.check,
                source: Box::new(source),
                layout: Layout {
                    options,
                    threatq: KEYS,
                    enabled: None,
                },
                files: InstanceFiles::in_dir(&common.config, &format!("{instance}-{ticket}")),
                instance,
            })
        }
    }

    const SPEC: ConnectorSpec = ConnectorSpec::new("tq-rt-x", "tqRtX", "RT-like.");

    fn invocation(args: &[&str], env: HashMap<String, String>) -> Invocation {
        ENV.with(|e| *e.borrow_mut() = env);
        let argv = std::iter::once("tq-rt-x").chain(args.iter().copied());
        let cli = Cli::<RtFlags>::parse_for(&SPEC, argv).expect("parses");
        cli.flags
            .invocation(&SPEC, &cli.common)
            .expect("invocation")
    }

    fn load(inv: &Invocation) -> Result<Config> {
        match load_or_first_run(SPEC.binary, inv)? {
            Loaded::Config(c) => Ok(c),
            Loaded::Configured(m) => panic!("first run: {m}"),
        }
    }

    #[test]
    fn an_action_subcommand_reads_its_settings_from_the_environment() {
        let inv = invocation(&["-c", "/etc/tq", "action", "--ticket", "42"], env());
        assert_eq!(inv.files.lock, PathBuf::from("/etc/tq/tq-rt-x-42.lock"));
        let c = load(&inv).unwrap();
        let s = KEYS.settings(&c);
        assert_eq!(s.base_url, "https://tq.example.com");
        assert_eq!(s.password.expose(), "rt-secret-pw");
        assert!(!KEYS.http_settings(&c).verify_tls, "ThreatQ_Use_SSL = 0");
        assert_eq!(c.origin(), "RT_SiteConfig values");
    }

    #[test]
    fn its_errors_name_the_source_and_the_setting() {
        let mut bad = env();
        bad.insert("ThreatQ_Use_SSL".into(), "maybe".into());
        let e = load(&invocation(&["action", "--ticket", "1"], bad)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "RT_SiteConfig values: [RT_SiteConfig] ThreatQ_Use_SSL: \"maybe\" is not true or false"
        );
        assert_eq!(e.exit_code(), 2);
        let mut missing = env();
        missing.remove("ThreatQ_CID");
        let e = load(&invocation(&["action", "--ticket", "1"], missing)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "RT_SiteConfig values: [RT_SiteConfig] ThreatQ_CID: is missing; set it to secret text"
        );
    }

    #[test]
    fn without_the_subcommand_the_instance_ini_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let inv = invocation(&["-c", d, "-n", "rt2"], env());
        assert_eq!(inv.source.origin(), format!("{d}/rt2.ini"));
        assert_eq!(
            inv.source.first_run_file(),
            Some(dir.path().join("rt2.ini").as_path())
        );
        std::fs::write(dir.path().join("rt2.ini"), "[threatq]\nhost = x\n").unwrap();
        let e = load(&inv).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("{d}/rt2.ini: [threatq] client_id: is missing; set it to secret text")
        );
    }
}
