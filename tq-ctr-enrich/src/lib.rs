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

use tq_common::app::{Connector, ConnectorSpec, Context};
use tq_common::cli::ConnectorFlags;
use tq_common::threatq::Collection;
use tq_common::{Error, Result};

use crate::ctr::CtrSettings;
use crate::options::{
    API_URL, BATCH_SIZE, CLIENT_ID, CLIENT_PASSWORD, REGION, SAVED_SEARCH, SAVED_SEARCH_HASH,
};
use crate::run::{Run, SavedSearch, Settings};
use crate::selection::Since;

/// The flags of tq-ctr-enrich (besides the common ones).
#[derive(clap::Args, Debug)]
pub struct Flags {
    /// Enrich everything created or updated since this date (this run only). Also spelled
    /// -hist as in the vendor guide
    #[arg(long = "historical", value_name = "YYYY-MM-DD")]
    pub historical: Option<String>,
}

impl ConnectorFlags for Flags {}

/// The connector.
pub struct CtrEnrich;

impl Connector for CtrEnrich {
    type Flags = Flags;
    const SPEC: ConnectorSpec = tq_common::spec!("tq-conn-ctr-enrichment")
        .options(options::OPTIONS)
        .legacy_flags(&[("-hist", "--historical")]);

    fn validate(ctx: &Context, args: &Flags) -> Result<()> {
        settings(ctx, args).map(|_| ())
    }

    fn check(ctx: &Context, args: &Flags) -> Vec<(String, Result<String>)> {
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

    fn run(ctx: &Context, args: &Flags) -> Result<()> {
        Run::new(ctx, settings(ctx, args)?)?.execute()
    }
}

fn run_search(ctx: &Context) -> Option<String> {
    ctx.config
        .get(SAVED_SEARCH)
        .filter(|_| ctx.config.get(SAVED_SEARCH_HASH).is_none())
}

/// The run settings from the validated config and the flags; a config or flag problem is
/// a usage error (exit 2) naming the file, key or flag.
pub fn settings(ctx: &Context, args: &Flags) -> Result<Settings> {
    let c = &ctx.config;
    let search = match (c.get(SAVED_SEARCH_HASH), c.get(SAVED_SEARCH)) {
        (Some(h), _) => SavedSearch::Hash(h.trim().to_string()),
        (None, Some(n)) => SavedSearch::Name(n),
        (None, None) => {
            return Err(c.error(
                SAVED_SEARCH,
                "is missing; set it to the name of a Threat Library saved search (or set \
                 saved_search_hash to its data collection hash)",
            ))
        }
    };
    let base_url = ctr::base_url(&c.get(REGION), c.get(API_URL).as_deref())
        .map_err(|m| c.error(API_URL, m))?;
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
        batch_size: c.get(BATCH_SIZE).clamp(1, 100) as usize,
        status: ctx.status().to_string(),
        ctr: CtrSettings {
            base_url,
            client_id: c.get(CLIENT_ID),
            client_password: c.get(CLIENT_PASSWORD),
        },
        since,
    })
}
