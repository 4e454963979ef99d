//! The settings of a run, read once from the validated app.config ([`crate::config`]): the
//! Resilient REST client's, the STOMP connection's, the ThreatQ client's and the rules'.

use std::path::PathBuf;
use std::time::Duration;

use tq_common::config::Config;
use tq_common::http::{Http, HttpSettings, RetryPolicy};
use tq_common::threatq::{Collection, ThreatQ};
use tq_common::Result;

use crate::config::{self as keys, mapping};
use crate::resilient::{Login, ResilientSettings};
use crate::stomp::{self, Subscription};

/// ThreatQ calls are retried for about a minute at most (the issue: "retries ≤ 60 s"):
/// with the 500 ms base, 0.5 + 1 + 2 + 4 + 8 + 16 s of backoff plus up to half again of
/// jitter (at most 47 s), then the action fails with an error reply naming ThreatQ.
pub const THREATQ_RETRIES: u32 = 6;

/// The default prefetch per worker: a message holds its prefetch slot from delivery to its
/// ACK (after the final reply), so a window of one per worker would leave the broker idle
/// while replies travel; four keep the workers fed (measured: docs/performance.md).
pub const PREFETCH_PER_WORKER: i64 = 4;

/// What the rules and functions need besides the clients.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    /// The source of everything written to ThreatQ (`custom_source`).
    pub source: String,
    /// The default indicator status (`status`).
    pub status: String,
    /// Incident field → ThreatQ attribute name (`custom_attributes`).
    pub custom_attributes: Vec<(String, String)>,
    /// Incident field → ThreatQ object collection (`custom_objects`).
    pub custom_objects: Vec<(String, Collection)>,
}

/// Everything a run reads from app.config.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Resilient REST API.
    pub resilient: ResilientSettings,
    /// The STOMP connection (host, port, TLS, login, timeouts).
    pub stomp: stomp::Config,
    /// The message destination's programmatic name (`[fn_threatq] destination`).
    pub destination: String,
    /// Messages the broker hands out ahead (`stomp_prefetch_limit`, else `num_workers`).
    pub prefetch: u32,
    /// Actions handled at the same time (`num_workers`).
    pub workers: usize,
    /// The rules' settings.
    pub rules: RuleSettings,
}

/// A `cafile`-style value: `None` (system roots), `false` (no verification), or a file.
fn trust(v: Option<String>) -> (bool, Option<PathBuf>) {
    match v {
        Some(f) if f.eq_ignore_ascii_case("false") => (false, None),
        Some(f) => (true, Some(PathBuf::from(f))),
        None => (true, None),
    }
}

impl Settings {
    /// Reads the settings from a config [`crate::config::validate`] accepted.
    pub fn from_config(c: &Config) -> Result<Settings> {
        let login = match (c.get(keys::API_KEY_ID), c.get(keys::API_KEY_SECRET)) {
            (Some(id), Some(secret)) => Login::ApiKey { id, secret },
            _ => Login::Password {
                email: c.get(keys::EMAIL).unwrap_or_default(),
                password: c.get(keys::PASSWORD).unwrap_or_default(),
            },
        };
        let host = c.get(keys::RESILIENT_HOST);
        let host = host
            .trim()
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string();
        let port = c.get(keys::RESILIENT_PORT);
        let (verify, ca_file) = trust(c.get(keys::CAFILE));
        let workers = c.get(keys::NUM_WORKERS).max(1) as usize;
        let http = HttpSettings {
            ca_file: ca_file.clone(),
            verify_tls: verify,
            system: Some(crate::resilient::SYSTEM.to_string()),
            ..pooled(workers)
        };
        let resilient = ResilientSettings {
            base_url: format!("https://{host}:{port}"),
            org: c.get(keys::ORG),
            login: login.clone(),
            http,
        };
        let (user, pass) = login.stomp_credentials();
        let stomp_host = c.get(keys::STOMP_HOST).unwrap_or_else(|| host.clone());
        let mut stomp = stomp::Config::new(
            &stomp_host,
            c.get(keys::STOMP_PORT) as u16,
            user,
            pass.clone(),
        );
        stomp.connect_timeout = Duration::from_secs(c.get(keys::STOMP_TIMEOUT) as u64);
        let stomp_trust = c.get(keys::STOMP_CAFILE).or_else(|| c.get(keys::CAFILE));
        match trust(stomp_trust) {
            (false, _) => stomp.insecure(),
            (true, file) => stomp.trust_ca_file(file),
        }
        let prefetch = c
            .get(keys::STOMP_PREFETCH_LIMIT)
            .unwrap_or(PREFETCH_PER_WORKER * workers as i64)
            .clamp(1, 10_000) as u32;
        let custom_objects = mapping(c, keys::CUSTOM_OBJECTS)?
            .into_iter()
            .map(|(field, coll)| (field, Collection::from_path(&coll)))
            .collect();
        Ok(Settings {
            resilient,
            stomp,
            destination: c.get(keys::DESTINATION),
            prefetch,
            workers,
            rules: RuleSettings {
                source: c.get(keys::CUSTOM_SOURCE),
                status: c.get(keys::THREATQ.status),
                custom_attributes: mapping(c, keys::CUSTOM_ATTRIBUTES)?,
                custom_objects,
            },
        })
    }

    /// What the service subscribes to: `actions.<org_id>.<destination>`, client-individual
    /// acknowledgement, the prefetch.
    pub fn subscription(&self, org_id: u64) -> Subscription {
        Subscription::client_individual(
            &format!("actions.{org_id}.{}", self.destination),
            self.prefetch,
        )
    }
}

/// Connection reuse for `workers` threads calling at once (one kept connection each, no TLS
/// handshake per call), with small buffers (they grow when a head needs it) so that the
/// kept connections cost little memory.
pub fn pooled(workers: usize) -> HttpSettings {
    HttpSettings {
        idle_per_host: workers,
        buffer_size: 16 * 1024,
        ..HttpSettings::default()
    }
}

/// The ThreatQ client of a run: `[fn_threatq]`'s connection, its calls retried for about a
/// minute at most ([`THREATQ_RETRIES`]), a kept connection per worker.
pub fn threatq(c: &Config) -> Result<ThreatQ> {
    let workers = c.get(keys::NUM_WORKERS).max(1) as usize;
    let pool = pooled(workers);
    let http = Http::new(HttpSettings {
        retry: RetryPolicy::with_retries(THREATQ_RETRIES),
        idle_per_host: pool.idle_per_host,
        buffer_size: pool.buffer_size,
        ..keys::THREATQ.http_settings(c)
    })?;
    Ok(ThreatQ::new(keys::THREATQ.settings(c), http))
}
