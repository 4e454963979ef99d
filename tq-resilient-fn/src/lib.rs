//! tq-resilient-fn: IBM Resilient actions and functions over STOMP → ThreatQ (replaces
//! `resilient-circuits` with `fn_threatq`).
//!
//! Configured from the operator's resilient-circuits `app.config` ([`config`]) through the
//! common runner (`tq_common::app`): the same validation messages, `--check`, lock, state
//! check, logging and exit codes as every connector. The STOMP service (`run`),
//! `customize` and `clear-destination` come with issue 11; until then they exit 2.

#![forbid(unsafe_code)]

pub mod config;
pub mod message;
pub mod stomp;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::{normalize_args, BaseArgs};
use tq_common::config::options_markdown;
use tq_common::Result;

/// The `--help` epilogue: where the configuration is, exit codes.
const AFTER_HELP: &str = "\
Configuration: the resilient-circuits app.config: --app-config FILE, else $APP_CONFIG_FILE, else
./app.config, else ~/.resilient/app.config. [resilient] as resilient-circuits reads it;
[fn_threatq] holds the ThreatQ settings (`tq-resilient-fn config` prints it, commented).
Lock: $APP_LOCK_FILE, else <app.config>.lock; the state is kept beside the lock file.
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
    /// Acknowledge every message waiting on the fn_threatq destination
    ClearDestination,
}

/// The connector, configured from app.config.
pub struct ResilientFn;

impl Connector for ResilientFn {
    type Flags = Args;

    const SPEC: ConnectorSpec = tq_common::spec!("resilient-circuits");

    fn validate(ctx: &Context, _args: &Args) -> Result<()> {
        config::validate(&ctx.config)
    }

    fn run(_ctx: &Context, _args: &Args) -> Result<()> {
        Err(app::not_implemented(config::BINARY))
    }
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
    let log = args.base.log_location();
    match args.command.unwrap_or(Command::Run) {
        Command::Config => {
            print!("{}", config::template());
            0
        }
        Command::Run => {
            let env = tq_common::prompt::process_env();
            match config::invocation(args.app_config.as_deref(), &args.base, &env) {
                Ok(inv) => app::run::<ResilientFn>(inv, &args),
                Err(e) => app::fail(config::BINARY, &log, &e),
            }
        }
        Command::Customize { .. } | Command::ClearDestination => app::fail(
            config::BINARY,
            &log,
            &tq_common::Error::usage(
                "customize and clear-destination are not implemented yet (--check and config \
                 work)",
            ),
        ),
    }
}
