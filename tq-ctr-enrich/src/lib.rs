//! tq-ctr-enrich: enriches the indicators of a ThreatQ saved search with Cisco Threat
//! Response context (replaces `tq-conn-ctr-enrichment`).

pub mod options;

use clap::Parser;
use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::{CommonArgs, ConnectorArgs};

/// The spec of this connector.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    binary: "tq-ctr-enrich",
    replaces: "tq-conn-ctr-enrichment",
    options: options::OPTIONS,
    legacy_flags: &[("-hist", "--historical")],
    state_version: 1,
};

/// Command line.
#[derive(Parser, Debug)]
#[command(
    after_help = tq_common::cli::AFTER_HELP,
    name = "tq-ctr-enrich",
    version,
    about = "Enrich the indicators of a ThreatQ saved search with Cisco Threat Response context \
             (replaces tq-conn-ctr-enrichment). The first run sends every indicator of the \
             saved search, later runs only those created or updated since."
)]
pub struct Args {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Enrich everything created or updated since this date (this run only). Also spelled
    /// -hist as in the vendor guide
    #[arg(long = "historical", value_name = "YYYY-MM-DD")]
    pub historical: Option<String>,
}

impl ConnectorArgs for Args {
    fn common(&self) -> &CommonArgs {
        &self.common
    }
}

/// The connector.
pub struct CtrEnrich;

impl Connector for CtrEnrich {
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
    app::main::<CtrEnrich, I>(argv)
}
