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

use tq_common::app::{Connector, ConnectorSpec, Context};
use tq_common::cli::{CommonArgs, ConnectorFlags};
use tq_common::Result;

/// The flags of tq-tie-listener (besides the common ones).
#[derive(clap::Args, Debug)]
pub struct Flags {
    /// One instance per DXL fabric: the suffix names the instance's config, state, log and
    /// lock (tq-tie-listener-<suffix>) and is appended to the ThreatQ source and attribute names
    #[arg(short = 's', long = "suffix", value_name = "NAME")]
    pub suffix: Option<String>,
}

impl ConnectorFlags for Flags {
    fn instance_name(&self, common: &CommonArgs, binary: &str) -> String {
        match (&common.name, &self.suffix) {
            (Some(name), _) => name.clone(),
            (None, Some(suffix)) => format!("{binary}-{suffix}"),
            (None, None) => binary.to_string(),
        }
    }
}

/// The connector.
pub struct TieListener;

impl Connector for TieListener {
    type Flags = Flags;
    const SPEC: ConnectorSpec =
        tq_common::spec!("tq-conn-mcafee-tie-reputation-change").options(options::OPTIONS);

    /// The filters and where the DXL certificate comes from (exit 2 before `--check` or a
    /// run when neither `cert_dir` nor ePO is set).
    fn validate(ctx: &Context, flags: &Flags) -> Result<()> {
        listener::Settings::from_context(ctx, flags.suffix.as_deref()).map(|_| ())
    }

    fn check(ctx: &Context, flags: &Flags) -> Vec<(String, Result<String>)> {
        listener::check(ctx, flags.suffix.as_deref())
    }

    fn run(ctx: &Context, flags: &Flags) -> Result<()> {
        listener::run(ctx, flags.suffix.as_deref())
    }
}
