//! tq-ctr-enrich: enriches the indicators of a ThreatQ saved search with Cisco Threat
//! Response context (replaces `tq-conn-ctr-enrichment`).

#![forbid(unsafe_code)]

pub mod attributes;
pub mod ctim;
pub mod ctr;
pub mod observable_types;
pub mod options;
pub mod run;
pub mod selection;

use clap::Parser;
use tq_common::app::{self, Connector, ConnectorSpec, Context};
use tq_common::cli::{CommonArgs, ConnectorArgs};
use tq_common::threatq::Collection;
use tq_common::{Error, Result};

use crate::ctr::CtrSettings;
use crate::run::{Run, SavedSearch, Settings};
use crate::selection::Since;

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

    fn validate(ctx: &Context, args: &Args) -> Result<()> {
        settings(ctx, args).map(|_| ())
    }

    fn check(ctx: &Context, args: &Args) -> Vec<(String, Result<String>)> {
        let run = match settings(ctx, args).and_then(|s| Run::new(ctx, s)) {
            Ok(r) => r,
            Err(e) => return vec![("tq-ctr-enrich".into(), Err(e))],
        };
        let ctr = run.ctr();
        let token = ctr.check_token().map(|t| {
            format!(
                "token for client id {} from {} (valid {} s, scope: {})",
                ctr.settings().client_id,
                ctr.settings().base_url,
                t.expires_in,
                if t.scope.is_empty() { "-" } else { &t.scope }
            )
        });
        let search = run.resolve_hash().and_then(|hash| {
            let mut pager = run.threatq().collection(Collection::Indicators, &hash, 1);
            pager.next_page().map(|_| {
                format!(
                    "{} is collection {hash}{}",
                    match &run_search(ctx) {
                        Some(n) => format!("\"{n}\""),
                        None => "saved_search_hash".to_string(),
                    },
                    pager
                        .total()
                        .map(|t| format!(" ({t} indicators)"))
                        .unwrap_or_default()
                )
            })
        });
        vec![
            (ctr::SYSTEM.to_string(), token),
            ("saved search".to_string(), search),
        ]
    }

    fn run(ctx: &Context, args: &Args) -> Result<()> {
        Run::new(ctx, settings(ctx, args)?)?.execute()
    }
}

fn run_search(ctx: &Context) -> Option<String> {
    ctx.config
        .opt_str("connector", "saved_search")
        .filter(|_| {
            ctx.config
                .opt_str("connector", "saved_search_hash")
                .is_none()
        })
        .map(str::to_string)
}

/// The run settings from the validated config and the flags; a config or flag problem is
/// a usage error (exit 2) naming the file, key or flag.
pub fn settings(ctx: &Context, args: &Args) -> Result<Settings> {
    let c = &ctx.config;
    let config_err = |key: &str, message: String| Error::Config {
        file: c.file().to_path_buf(),
        section: "connector".into(),
        key: key.into(),
        message,
    };
    let search = match (
        c.opt_str("connector", "saved_search_hash"),
        c.opt_str("connector", "saved_search"),
    ) {
        (Some(h), _) => SavedSearch::Hash(h.trim().to_string()),
        (None, Some(n)) => SavedSearch::Name(n.to_string()),
        (None, None) => {
            return Err(config_err(
                "saved_search",
                "is missing; set it to the name of a Threat Library saved search (or set \
                 saved_search_hash to its data collection hash)"
                    .into(),
            ))
        }
    };
    let base_url = ctr::base_url(
        c.str("connector", "region"),
        c.opt_str("connector", "api_url"),
    )
    .map_err(|m| config_err("api_url", m))?;
    let since = match &args.historical {
        None => Since::LastRun,
        Some(d) => {
            let date = tq_common::config::parse_date(d)
                .map_err(|m| Error::usage(format!("--historical: {m}")))?;
            Since::Date(format!("{date} 00:00:00"))
        }
    };
    Ok(Settings {
        search,
        batch_size: c.int("connector", "batch_size").clamp(1, 100) as usize,
        status: ctx.status().to_string(),
        ctr: CtrSettings {
            base_url,
            client_id: c.str("connector", "client_id").to_string(),
            client_password: c.secret("connector", "client_password"),
        },
        since,
    })
}

/// Runs the binary; returns the exit code.
pub fn main<I>(argv: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<std::ffi::OsString>,
{
    app::main::<CtrEnrich, I>(argv)
}
