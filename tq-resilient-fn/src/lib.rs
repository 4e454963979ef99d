//! tq-resilient-fn: IBM Resilient actions and functions over STOMP → ThreatQ (replaces
//! `resilient-circuits` with `fn_threatq`).
//!
//! Configured from the operator's resilient-circuits `app.config` ([`config`], read into
//! [`settings`]) through the common runner (`tq_common::app`): the same validation
//! messages, `--check`, lock, logging and exit codes as every connector. The commands:
//!
//! - `run` (default): the service ([`service`]) on the STOMP client ([`stomp`]), the rules
//!   ([`rules`]) and functions ([`functions`]) on the ThreatQ client and the Resilient REST
//!   client ([`resilient`]);
//! - `config`: the commented `[fn_threatq]` section to append to app.config;
//! - `customize`: installs the destination, rules, functions and fields ([`customize`]);
//! - `clear-destination`: acknowledges every waiting message ([`clear`]).

#![forbid(unsafe_code)]

pub mod attributes;
pub mod batch;
pub mod clear;
pub mod config;
pub mod context;
pub mod customize;
pub mod error;
pub mod event;
pub mod fields;
pub mod functions;
pub mod indicator;
pub mod mapping;
pub mod message;
pub mod resilient;
pub mod rules;
pub mod service;
pub mod settings;
pub mod stomp;
pub mod task;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};
use tq_common::app::{self, Connector, ConnectorSpec, Context, Loaded};
use tq_common::cli::{normalize_args, BaseArgs};
use tq_common::config::options_markdown;
use tq_common::service::Stop;
use tq_common::Result;

pub use error::Error;

/// The `--help` epilogue: where the configuration is, exit codes.
const AFTER_HELP: &str = "\
Configuration: the resilient-circuits app.config: --app-config FILE, else $APP_CONFIG_FILE, else
./app.config, else ~/.resilient/app.config. [resilient] as resilient-circuits reads it;
[fn_threatq] holds the ThreatQ settings (`tq-resilient-fn config` prints it, commented).
Lock: $APP_LOCK_FILE, else <app.config>.lock; the processed message ids are kept beside it.
Exit status: 0 success (also: previous run still active), 1 a remote system failed after
retries, 2 usage or configuration error.";

/// Command line (resilient-circuits' commands; flags may come before or after the command).
#[derive(Parser, Debug)]
#[command(name = "tq-resilient-fn", version, about, after_help = AFTER_HELP)]
pub struct Args {
    /// What to do (default: run)
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The resilient-circuits app.config (default: $APP_CONFIG_FILE, else ./app.config,
    /// else ~/.resilient/app.config)
    #[arg(long = "app-config", value_name = "FILE", global = true)]
    pub app_config: Option<PathBuf>,

    /// Logging, --check and the printing flags.
    #[command(flatten)]
    pub base: BaseArgs,
}

/// The commands of resilient-circuits this binary keeps.
#[derive(Subcommand, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Run the service: handle the actions and functions of the fn_threatq destination
    Run,
    /// Print the commented [fn_threatq] section to append to app.config
    Config,
    /// Install the rules, functions, fields and the fn_threatq destination into Resilient
    Customize {
        /// Do not ask before installing
        #[arg(short = 'y')]
        yes: bool,
    },
    /// Acknowledge every message waiting on the fn_threatq destination (the service must be
    /// stopped)
    ClearDestination {
        /// Do not ask before acknowledging
        #[arg(short = 'y')]
        yes: bool,
    },
}

/// The connector, configured from app.config.
pub struct ResilientFn;

impl Connector for ResilientFn {
    type Flags = Args;

    const SPEC: ConnectorSpec = tq_common::spec!("resilient-circuits");

    fn validate(ctx: &Context, _args: &Args) -> Result<()> {
        config::validate(&ctx.config)
    }

    fn check(ctx: &Context, _args: &Args) -> Vec<(String, Result<String>)> {
        let mut lines = Vec::new();
        let settings = match settings::Settings::from_config(&ctx.config) {
            Ok(s) => s,
            Err(e) => return vec![("settings".into(), Err(e))],
        };
        let soar = resilient::Resilient::connect(&settings.resilient);
        let org_id = match &soar {
            Ok(s) => {
                let who = settings.resilient.login.who();
                lines.push((
                    "Resilient".to_string(),
                    Ok(format!(
                        "logged in to {} as {who}, org \"{}\" (id {})",
                        s.base_url(),
                        s.org().name,
                        s.org().id
                    )),
                ));
                Some(s.org().id)
            }
            Err(e) => {
                lines.push((
                    "Resilient".to_string(),
                    Err(tq_common::Error::remote(
                        resilient::SYSTEM,
                        e.safe_message(),
                    )),
                ));
                None
            }
        };
        if let Some(org) = org_id {
            let sub = settings.subscription(org);
            let what = format!("message destination {}", sub.destination);
            let outcome = stomp::connection::tls_connector(&settings.stomp)
                .and_then(|c| stomp::Connection::open(&settings.stomp, c.as_ref()))
                .and_then(|mut c| {
                    c.subscribe(&sub)?;
                    let server = c.server().to_string();
                    let broker = c.broker().to_string();
                    c.disconnect()?;
                    Ok(format!("subscribed on {broker} ({server})"))
                })
                .map_err(|e| tq_common::Error::remote("Resilient message broker", e.to_string()));
            lines.push((what, outcome));
        }
        lines
    }

    fn run(ctx: &Context, _args: &Args) -> Result<()> {
        let settings = settings::Settings::from_config(&ctx.config)?;
        let mut session = stomp::StompSession::new(stomp::SessionConfig {
            connection: settings.stomp.clone(),
            subscriptions: Vec::new(),
        })
        .map_err(|e| tq_common::Error::usage(e.to_string()))?;
        // The broker connection opens while the REST login picks the org (which names the
        // destination).
        let opening = session.open_ahead();
        let soar = resilient::Resilient::connect(&settings.resilient)?;
        log::info!(
            "Resilient {}: logged in as {}, org \"{}\" (id {})",
            soar.base_url(),
            settings.resilient.login.who(),
            soar.org().name,
            soar.org().id
        );
        let tq = settings::threatq(&ctx.config)?;
        session.set_subscriptions(vec![settings.subscription(soar.org().id)]);
        session.adopt(opening.join());
        let index = service::index_path(ctx.state.path());
        let proc = service::Processor::new(tq, soar, settings.rules, &index, session.busy())?;
        let mut handler = service::FnThreatQ::new(proc, settings.workers);
        let stop = Stop::on_signals()?;
        service::serve(&mut session, &mut handler, &stop).map_err(|e| {
            let hint = if e.is_fatal() {
                " (check [resilient] email/password or api_key_id/api_key_secret, the org, and \
                 that the account is a member of the destination: `tq-resilient-fn customize`)"
            } else {
                ""
            };
            tq_common::Error::remote("Resilient message broker", format!("{e}{hint}"))
        })
    }
}

/// Loads and validates app.config for a command that is not the service (customize,
/// clear-destination): logging, the config, the checks.
fn load(args: &Args) -> Result<(tq_common::config::Config, app::Invocation)> {
    let env = tq_common::prompt::process_env();
    let inv = config::invocation(args.app_config.as_deref(), &args.base, &env)?;
    app::start_logging(&inv)?;
    let c = match app::load_or_first_run(config::BINARY, &inv)? {
        Loaded::Config(c) => c,
        Loaded::Configured(m) => return Err(tq_common::Error::usage(m)),
    };
    config::validate(&c)?;
    Ok((c, inv))
}

fn customize_command(args: &Args, yes: bool) -> Result<()> {
    let (c, _) = load(args)?;
    let s = settings::Settings::from_config(&c)?;
    let soar = resilient::Resilient::connect(&s.resilient)?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    customize::run(
        &soar,
        &s.destination,
        yes,
        &mut input,
        &mut std::io::stdout(),
    )?;
    Ok(())
}

fn clear_command(args: &Args, yes: bool) -> Result<()> {
    let (c, inv) = load(args)?;
    let Some(_lock) = tq_common::lock::try_lock(&inv.files.lock)? else {
        return Err(tq_common::Error::usage(format!(
            "the service is running (it holds the lock {}): stop it first (systemctl stop \
             tq-resilient-fn), then clear the destination",
            inv.files.lock.display()
        )));
    };
    let s = settings::Settings::from_config(&c)?;
    let soar = resilient::Resilient::connect(&s.resilient)?;
    let dest = s.subscription(soar.org().id).destination;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    clear::run(&s.stomp, &dest, yes, &mut input, &mut std::io::stdout())?;
    Ok(())
}

/// Runs the binary; returns the exit code.
pub fn main<I>(argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    let args = match Args::try_parse_from(normalize_args(argv, &[])) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    if args.base.print_options_md {
        print!("{}", options_markdown(&config::options()));
        return 0;
    }
    if args.base.print_spec {
        println!("{}", ResilientFn::SPEC.spec_line());
        return 0;
    }
    if let Some(code) = args.base.print_generated(&ResilientFn::SPEC, Args::command) {
        return code;
    }
    let log = args.base.log_location();
    let outcome = match args.command.unwrap_or(Command::Run) {
        Command::Config => {
            print!("{}", config::template());
            return 0;
        }
        Command::Run => {
            let env = tq_common::prompt::process_env();
            return match config::invocation(args.app_config.as_deref(), &args.base, &env) {
                Ok(inv) => app::run::<ResilientFn>(inv, &args),
                Err(e) => app::fail(config::BINARY, &log, &e),
            };
        }
        Command::Customize { yes } => customize_command(&args, yes),
        Command::ClearDestination { yes } => clear_command(&args, yes),
    };
    match outcome {
        Ok(()) => 0,
        Err(e) => app::fail(config::BINARY, &log, &e),
    }
}
