//! tq-email-alerts: E-mail ThreatQ watchlist changes and data collection updates over SMTP (replaces `tq-conn-email-alerts`).

#![forbid(unsafe_code)]

pub mod collection;
pub mod error;
pub mod mail;
pub mod model;
pub mod objects;
pub mod options;
pub mod settings;
pub mod smtp;
pub mod smtp_tls;
pub mod snapshot;
pub mod template;
pub mod watchlist;

use clap::Parser;
use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::{CommonArgs, ConnectorArgs};

/// The spec of this connector.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    binary: "tq-email-alerts",
    replaces: "tq-conn-email-alerts",
    options: options::OPTIONS,
    legacy_flags: &[],
    state_version: 1,
};

/// Command line.
#[derive(Parser, Debug)]
#[command(
    after_help = tq_common::cli::AFTER_HELP,
    name = "tq-email-alerts",
    version,
    about = "E-mail ThreatQ watchlist changes and data collection updates over SMTP (replaces tq-conn-email-alerts)."
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
pub struct EmailAlerts;

impl Connector for EmailAlerts {
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
    app::main::<EmailAlerts, I>(argv)
}
