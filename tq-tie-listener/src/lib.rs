//! tq-tie-listener: listens on the DXL fabric for McAfee TIE file reputation changes and
//! writes them to ThreatQ (replaces `tq-conn-mcafee-tie-reputation-change`).
//!
//! Protocol layers with no ThreatQ knowledge: [`mqtt`] (MQTT 3.1.1 over TLS), [`dxl`] (the DXL
//! message codec), [`repchange`] (the TIE event payload and the filter), [`providers`] and
//! [`trust_levels`] (the mapping tables), [`dxlconfig`] (OpenDXL client directories).
//!
//! The connector: [`options`] (the `[connector]` declarations), [`provision`] (the DXL
//! certificate through ePO), [`listener`] (the run, on `tq_common::service`, with the on-disk
//! queue `tq_common::journal`), [`writer`] (bulk writes to ThreatQ), [`written`] (the index of
//! values written, and [`written_v0`] for the files of earlier releases), [`change`] (an
//! accepted change and the ThreatQ names).

#![forbid(unsafe_code)]

pub mod change;
pub mod dxl;
pub mod dxlconfig;
pub mod listener;
pub mod mqtt;
pub mod options;
pub mod providers;
pub mod provision;
pub mod repchange;
pub mod trust_levels;
pub mod writer;
pub mod written;
pub mod written_v0;

use clap::Parser;
use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::{CommonArgs, ConnectorArgs};
use tq_common::Result;

/// The spec of this connector.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    binary: "tq-tie-listener",
    replaces: "tq-conn-mcafee-tie-reputation-change",
    options: options::OPTIONS,
    legacy_flags: &[],
    state_version: 1,
};

/// Command line.
#[derive(Parser, Debug)]
#[command(
    after_help = tq_common::cli::AFTER_HELP,
    name = "tq-tie-listener",
    version,
    about = "Listen for McAfee TIE reputation changes on the DXL fabric and record them in ThreatQ (replaces tq-conn-mcafee-tie-reputation-change)."
)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    /// One instance per DXL fabric: the suffix names the instance's config, state, log and
    /// lock (tq-tie-listener-<suffix>) and is appended to the ThreatQ source and attribute names
    #[arg(short = 's', long = "suffix", value_name = "NAME")]
    pub suffix: Option<String>,
}

impl ConnectorArgs for Args {
    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn instance_name(&self, binary: &str) -> String {
        match (&self.common.name, &self.suffix) {
            (Some(name), _) => name.clone(),
            (None, Some(suffix)) => format!("{binary}-{suffix}"),
            (None, None) => binary.to_string(),
        }
    }
}

/// The connector.
pub struct TieListener;

impl Connector for TieListener {
    type Args = Args;

    fn spec() -> &'static ConnectorSpec {
        &SPEC
    }

    fn check(ctx: &Context, args: &Args) -> Vec<(String, Result<String>)> {
        listener::check(ctx, args.suffix.as_deref())
    }

    fn run(ctx: &Context, args: &Args) -> Result<()> {
        listener::run(ctx, args.suffix.as_deref())
    }
}

/// Runs the binary; returns the exit code.
pub fn main<I>(argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    app::main::<TieListener, I>(argv)
}
