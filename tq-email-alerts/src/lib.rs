//! tq-email-alerts: E-mail ThreatQ watchlist changes and data collection updates over SMTP (replaces `tq-conn-email-alerts`).
//!
//! The job comes with its own issue; until then the binary is `tq_common::app::pending_main`
//! (common flags, first run, `--check`; a run exits 2).

#![forbid(unsafe_code)]

/// What the common runner knows of this connector (name and `--help` from Cargo.toml).
pub const SPEC: tq_common::app::ConnectorSpec = tq_common::spec!("tq-conn-email-alerts");
