//! tq-rt-sync: Synchronise Request Tracker tickets and ThreatQ events (replaces `tqRequestTracker`).

#![forbid(unsafe_code)]

use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::NoFlags;

/// The connector.
pub struct RtSync;

impl Connector for RtSync {
    type Flags = NoFlags;

    const SPEC: ConnectorSpec = ConnectorSpec::new(
        "tq-rt-sync",
        "tqRequestTracker",
        "Synchronise Request Tracker tickets and ThreatQ events (replaces tqRequestTracker).",
    );

    fn run(_ctx: &Context, _flags: &NoFlags) -> tq_common::Result<()> {
        Err(app::not_implemented(Self::SPEC.binary))
    }
}
