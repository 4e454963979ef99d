//! tq-rt-sync: Synchronise Request Tracker tickets and ThreatQ events (replaces `tqRequestTracker`).
//!
//! The job comes with its own issue; until then the binary is `tq_common::app::pending_main`
//! (common flags, first run, `--check`; a run exits 2).

#![forbid(unsafe_code)]

/// What the common runner knows of this connector (name and `--help` from Cargo.toml).
pub const SPEC: tq_common::app::ConnectorSpec = tq_common::spec!("tqRequestTracker");
