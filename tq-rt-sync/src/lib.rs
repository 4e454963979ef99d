//! tq-rt-sync: Request Tracker tickets ↔ ThreatQ events (replaces `tqRequestTracker` and the
//! Python action script of RT-Extension-ThreatQ).
//!
//! Two modes, one binary:
//!
//! - **action** (`tq-rt-sync action --ticket N --transaction ID --type TYPE`): run by RT's
//!   scrip (RT::Extension::ThreatQ, `rt-extension/`) for each transaction, and by the menu
//!   Ticket > ThreatQ > Sync Ticket; settings as JSON on stdin ([`handover`]); syncs the
//!   ticket into its ThreatQ event by the guide's transaction table ([`mapping`], [`sync`]);
//!   [`action`].
//! - **cron** (`tq-rt-sync -c DIR -ll DIR -v N`, installed also as `tqRequestTracker`):
//!   completes the syncs a failure left pending ([`pending`]) and writes the ThreatQ context
//!   of the events touched since the last run back into their tickets ([`writeback`]);
//!   [`cron`].

#![forbid(unsafe_code)]

pub mod action;
pub mod cron;
pub mod handover;
pub mod mapping;
pub mod options;
pub mod pending;
pub mod rt;
pub mod sync;
pub mod urls;
pub mod writeback;

use tq_common::app::{Connector, ConnectorSpec, Context, Invocation};
use tq_common::cli::{CommonArgs, ConnectorFlags};
use tq_common::Result;

/// The command line of tq-rt-sync besides the common flags.
#[derive(clap::Args, Debug)]
pub struct Flags {
    /// Without a mode: the cron run.
    #[command(subcommand)]
    pub mode: Option<Mode>,
}

/// The modes besides the cron run.
#[derive(clap::Subcommand, Debug)]
pub enum Mode {
    /// Sync one ticket, as RT's scrip and the menu Ticket > ThreatQ > Sync Ticket run it: the
    /// settings come as JSON on standard input from RT::Extension::ThreatQ
    Action(action::ActionArgs),
}

impl ConnectorFlags for Flags {
    fn invocation(&self, spec: &ConnectorSpec, common: &CommonArgs) -> Result<Invocation> {
        let instance = self.instance_name(common, spec.binary);
        match &self.mode {
            None => Invocation::standard(spec, common, instance),
            Some(Mode::Action(args)) => action::invocation(common, instance, args),
        }
    }
}

/// The connector.
pub struct RtSync;

impl Connector for RtSync {
    type Flags = Flags;
    const SPEC: ConnectorSpec = tq_common::spec!("tqRequestTracker").options(options::OPTIONS);

    fn validate(ctx: &Context, flags: &Flags) -> Result<()> {
        match &flags.mode {
            None => cron::Settings::from_config(ctx).map(|_| ()),
            Some(Mode::Action(_)) => action::Settings::from_config(ctx).map(|_| ()),
        }
    }

    fn check(ctx: &Context, flags: &Flags) -> Vec<(String, Result<String>)> {
        let login = match &flags.mode {
            None => cron::check_rt(ctx),
            Some(Mode::Action(_)) => action::check_rt(ctx),
        };
        vec![(rt::transport::SYSTEM.to_string(), login)]
    }

    fn run(ctx: &Context, flags: &Flags) -> Result<()> {
        match &flags.mode {
            None => cron::run(ctx),
            Some(Mode::Action(args)) => action::run(ctx, args),
        }
    }
}

/// What the common runner knows of this connector (name and `--help` from Cargo.toml).
pub const SPEC: ConnectorSpec = RtSync::SPEC;

/// Runs the binary; returns the exit code.
pub fn main<I>(argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    tq_common::app::main::<RtSync, I>(argv)
}
