//! The common life of a connector run, so each `main.rs` is a few lines:
//! argv normalisation and parsing, `--print-options-md`, the instance name, logging,
//! first-run configuration, config validation, `enabled`, `--check`, the instance lock,
//! the job itself, and the exit code (design.md §3).

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Instant;

use crate::cli::{normalize_args, validate_instance_name, ConnectorArgs};
use crate::config::{all_options, options_markdown, Config, Opt};
use crate::http::Http;
use crate::logging::{self, LogLocation};
use crate::prompt::{self, Terminal};
use crate::state::StateFile;
use crate::threatq::{self, ThreatQ, ThreatQSettings};
use crate::{Error, Result};

/// What a connector tells the common runner about itself.
#[derive(Debug)]
pub struct ConnectorSpec {
    /// The binary name (`tq-ctr-enrich`); the default instance name.
    pub binary: &'static str,
    /// The original executable it replaces (`tq-conn-ctr-enrichment`).
    pub replaces: &'static str,
    /// The connector's own `[connector]` options (besides `enabled`).
    pub options: &'static [Opt],
    /// Its legacy single-dash long flags, e.g. `("-hist", "--historical")`.
    pub legacy_flags: &'static [(&'static str, &'static str)],
    /// The format version of its state file.
    pub state_version: u32,
}

impl ConnectorSpec {
    /// All options: `[threatq]`, `enabled`, then the connector's.
    pub fn all_options(&self) -> Vec<Opt> {
        all_options(self.options)
    }
}

/// Everything a job needs, prepared by the runner.
#[derive(Debug)]
pub struct Context {
    /// The instance name (config, state, lock and log files are named after it).
    pub instance: String,
    /// The config directory.
    pub config_dir: PathBuf,
    /// The validated config.
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

    /// The configured default indicator status (`[threatq] status`).
    pub fn status(&self) -> &str {
        self.config.str("threatq", "status")
    }
}

/// A connector: its spec, its arguments, its checks and its job.
pub trait Connector {
    /// The connector's argument struct.
    type Args: ConnectorArgs;

    /// The connector's spec.
    fn spec() -> &'static ConnectorSpec;

    /// Checks of connector arguments that need the config (e.g. `--historical` dates).
    /// Runs before `--check` and before the lock.
    fn validate(_ctx: &Context, _args: &Self::Args) -> Result<()> {
        Ok(())
    }

    /// `--check` for the connector's other remote systems: `(system, outcome)` lines.
    fn check(_ctx: &Context, _args: &Self::Args) -> Vec<(String, Result<String>)> {
        Vec::new()
    }

    /// The job.
    fn run(ctx: &Context, args: &Self::Args) -> Result<()>;
}

/// Runs a connector from argv and returns the process exit code.
pub fn main<C: Connector, I>(argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let spec = C::spec();
    let argv = normalize_args(argv, spec.legacy_flags);
    let args = match <C::Args as clap::Parser>::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match run_parsed::<C>(spec, &args) {
        Ok(code) => code,
        Err(e) => {
            let msg = e.safe_message();
            // The console gets the error once: on stderr. A log file gets it too.
            if LogLocation::parse(&args.common().loglocation) != LogLocation::Stdout {
                log::error!("{msg}");
            }
            eprintln!("{}: error: {msg}", spec.binary);
            e.exit_code()
        }
    }
}

fn run_parsed<C: Connector>(spec: &ConnectorSpec, args: &C::Args) -> Result<i32> {
    let common = args.common();
    let options = spec.all_options();
    if common.print_options_md {
        print!("{}", options_markdown(&options));
        return Ok(0);
    }
    let instance = args.instance_name(spec.binary);
    validate_instance_name(&instance)?;
    let location = LogLocation::parse(&common.loglocation);
    logging::init(&location, &instance, common.verbosity)?;
    let config_dir = common.config.clone();
    let file = std::path::absolute(config_dir.join(format!("{instance}.ini"))).map_err(|e| {
        Error::usage(format!(
            "bad config directory {}: {e}",
            config_dir.display()
        ))
    })?;
    if !file.exists() {
        let env = prompt::process_env();
        let mut term = Terminal;
        let terminal: Option<&mut dyn prompt::Source> = if prompt::stdin_is_terminal() {
            Some(&mut term)
        } else {
            None
        };
        let msg = prompt::first_run(spec.binary, &file, &options, &env, terminal)?;
        log::info!("{msg}");
        println!("{msg}");
        return Ok(0);
    }
    let config = Config::load(&file, &options)?;
    if let Ok(meta) = std::fs::metadata(&file) {
        if meta.permissions().mode() & 0o077 != 0 {
            log::warn!(
                "{} is readable by other users and holds secrets: chmod 600 it",
                file.display()
            );
        }
    }
    if !config.bool("threatq", "verify_tls") {
        log::warn!("TLS verification of ThreatQ is off ([threatq] verify_tls = false): the connection is not secure");
    }
    if let Some(ca) = config.path("threatq", "ca_file") {
        // Still single-threaded here: safe to set the process environment.
        crate::http::use_ca_file_as_default(ca);
    }
    let http = Http::new(threatq::http_settings(&config))?;
    let ctx = Context {
        threatq: ThreatQ::new(ThreatQSettings::from_config(&config), http.clone()),
        state: StateFile::new(
            config_dir.join(format!("{instance}.state.json")),
            spec.state_version,
        ),
        instance,
        config_dir,
        config,
        http,
        verbosity: common.verbosity,
    };
    if !ctx.config.bool("connector", "enabled") {
        log::warn!(
            "{} is disabled ([connector] enabled = false in {}); nothing to do",
            ctx.instance,
            file.display()
        );
        return Ok(0);
    }
    C::validate(&ctx, args)?;
    if common.check {
        return Ok(check::<C>(spec, &ctx, args));
    }
    let lock_path = ctx.config_dir.join(format!("{}.lock", ctx.instance));
    let Some(_lock) = crate::lock::try_lock(&lock_path)? else {
        log::warn!(
            "previous run still active (lock {} is held); exiting",
            lock_path.display()
        );
        return Ok(0);
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
    C::run(&ctx, args)?;
    log::info!("run finished in {:.2} s", started.elapsed().as_secs_f64());
    Ok(0)
}

fn check<C: Connector>(spec: &ConnectorSpec, ctx: &Context, args: &C::Args) -> i32 {
    let mut lines: Vec<(String, Result<String>)> = vec![(
        "config".into(),
        Ok(format!("{} is valid", ctx.config.file().display())),
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
    lines.extend(C::check(ctx, args));
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!("{} --check (instance {})", spec.binary, ctx.instance);
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

/// The standard job of a connector whose main job a later issue builds.
pub fn not_implemented(binary: &str) -> Error {
    Error::usage(format!(
        "running {binary} is not implemented yet (the common flags, first-run configuration \
         and --check work)"
    ))
}
