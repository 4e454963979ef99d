//! tq-email-alerts: E-mail ThreatQ watchlist changes and data collection updates over SMTP (replaces `tq-conn-email-alerts`).

#![forbid(unsafe_code)]

use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::NoFlags;

/// The connector.
pub struct EmailAlerts;

impl Connector for EmailAlerts {
    type Flags = NoFlags;

    const SPEC: ConnectorSpec = ConnectorSpec::new(
        "tq-email-alerts",
        "tq-conn-email-alerts",
        "E-mail ThreatQ watchlist changes and data collection updates over SMTP (replaces \
         tq-conn-email-alerts).",
    );

    fn run(_ctx: &Context, _flags: &NoFlags) -> tq_common::Result<()> {
        Err(app::not_implemented(Self::SPEC.binary))
    }
}
