//! tq-rt-sync: Synchronise Request Tracker tickets and ThreatQ events (replaces `tqRequestTracker`).

#![forbid(unsafe_code)]

pub mod rt;

use clap::Parser;
use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::{CommonArgs, ConnectorArgs};

/// The spec of this connector.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    binary: "tq-rt-sync",
    replaces: "tqRequestTracker",
    options: &[],
    legacy_flags: &[],
    state_version: 1,
};

/// Command line.
#[derive(Parser, Debug)]
#[command(
    after_help = tq_common::cli::AFTER_HELP,
    name = "tq-rt-sync",
    version,
    about = "Synchronise Request Tracker tickets and ThreatQ events (replaces tqRequestTracker)."
)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,
}

impl ConnectorArgs for Args {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}

/// The connector.
pub struct RtSync;

impl Connector for RtSync {
    type Args = Args;

    fn spec() -> &'static ConnectorSpec {
        &SPEC
    }

    fn run(_ctx: &Context, _args: &Args) -> tq_common::Result<()> {
        Err(app::not_implemented(SPEC.binary))
    }
}

/// Runs the binary; returns the exit code.
pub fn main<I>(argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    app::main::<RtSync, I>(argv)
}
