//! tq-resilient-fn: IBM Resilient actions and functions over STOMP → ThreatQ (replaces
//! `resilient-circuits` with `fn_threatq`).
//!
//! It will read the operator's resilient-circuits `app.config` (its own issue brings
//! that); until then it has the common flags and `--version`, and every run exits 2.

#![forbid(unsafe_code)]

pub mod message;
pub mod stomp;

use clap::Parser;
use tq_common::cli::{normalize_args, CommonArgs};

/// The binary name.
pub const BINARY: &str = "tq-resilient-fn";

/// Command line.
#[derive(Parser, Debug)]
#[command(
    name = "tq-resilient-fn",
    version,
    about = "Run IBM Resilient actions and functions against ThreatQ over STOMP \
             (replaces resilient-circuits with fn_threatq)."
)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Runs the binary; returns the exit code.
pub fn main<I>(argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    match Args::try_parse_from(normalize_args(argv, &[])) {
        Err(e) => {
            let _ = e.print();
            e.exit_code()
        }
        Ok(_) => {
            eprintln!(
                "{BINARY}: error: running {BINARY} is not implemented yet: it will read the \
                 resilient-circuits app.config (only --help and --version work)"
            );
            2
        }
    }
}
