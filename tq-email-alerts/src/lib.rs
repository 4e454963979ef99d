//! tq-email-alerts: e-mails ThreatQ watchlist changes and data collection updates over SMTP
//! (replaces `tq-conn-email-alerts`).

#![forbid(unsafe_code)]

pub mod collection;
pub mod error;
pub mod fetch;
pub mod mail;
pub mod model;
pub mod objects;
pub mod options;
pub mod run;
pub mod settings;
pub mod smtp;
pub mod smtp_tls;
pub mod snapshot;
pub mod state;
pub mod template;
pub mod watchlist;

use tq_common::app::{Connector, ConnectorSpec, Context};
use tq_common::cli::ConnectorFlags;
use tq_common::Result;

use crate::settings::Settings;
use crate::smtp::Mailer;

/// The flags of tq-email-alerts (besides the common ones).
#[derive(clap::Args, Debug)]
pub struct Flags {
    /// Mail what is there now: every object on the listed watchlists as Added and every
    /// current item of the data collection as new (a backfill; allowed on any run)
    #[arg(long = "send-existing")]
    pub send_existing: bool,
}

impl ConnectorFlags for Flags {}

/// The connector.
pub struct EmailAlerts;

impl Connector for EmailAlerts {
    type Flags = Flags;
    const SPEC: ConnectorSpec = tq_common::spec!("tq-conn-email-alerts").options(options::OPTIONS);

    fn validate(ctx: &Context, _flags: &Flags) -> Result<()> {
        Settings::from_config(&ctx.config).map(|_| ())
    }

    fn check(ctx: &Context, _flags: &Flags) -> Vec<(String, Result<String>)> {
        let settings = match Settings::from_config(&ctx.config) {
            Ok(s) => s,
            Err(e) => return vec![("settings".into(), Err(e))],
        };
        let tq = ctx.threatq();
        let mut lines = vec![(
            format!("SMTP server {}", settings.smtp.server()),
            Mailer::check(&settings.smtp).map_err(Into::into),
        )];
        if let Some(w) = &settings.watchlist {
            let users = fetch::watch_users(&tq, &w.users).map(|users| {
                users
                    .iter()
                    .map(|u| format!("{} (id {})", u.email, u.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            lines.push(("watchlist users".into(), users));
        }
        if let Some(c) = &settings.collection {
            let found = fetch::collection_hash(&tq, &c.name)
                .map(|hash| format!("\"{}\" is collection {hash}", c.name));
            lines.push(("data collection".into(), found));
        }
        lines
    }

    fn run(ctx: &Context, flags: &Flags) -> Result<()> {
        run::run(
            ctx,
            &Settings::from_config(&ctx.config)?,
            flags.send_existing,
        )
    }
}
