//! The listener run: the DXL session in the main thread (decode, filter, journal), the
//! ThreatQ writer in a second thread (batches of 500 or every second), SIGTERM/SIGINT for
//! a clean stop that flushes the pending batch.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tq_common::app::Context;
use tq_common::threatq::ThreatQ;
use tq_common::{Error, Result};

use crate::change::{Change, Names};
use crate::dxl;
use crate::dxlconfig::DxlClientConfig;
use crate::journal::Journal;
use crate::mqtt::{self, ClientTls, Event, Options, QoS, Session};
use crate::provision::{self, Epo};
use crate::repchange::{Filter, RepChange, TOPIC_FILE_REPCHANGE};
use crate::trust_levels::{AtdScale, LevelSet};
use crate::writer::{Writer, WrittenIndex};

/// Writes are flushed at this many waiting changes...
pub const BATCH: usize = 500;
/// ... or this long after the last flush.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// The on-disk queue holds at most this many bytes of waiting changes (about a million).
pub const QUEUE_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Files remembered by the written index (bounds its memory to a few MiB).
pub const INDEX_FILES: usize = 100_000;
/// After SIGTERM, the final flush gets this long before the process exits anyway (what is
/// not written stays in the queue for the next start).
pub const STOP_GRACE: Duration = Duration::from_millis(1500);

/// The options of a run, read from the config.
#[derive(Debug, Clone)]
pub struct Settings {
    pub filter: Filter,
    pub names: Names,
    pub cert_dir: Option<PathBuf>,
    pub epo: Option<Epo>,
}

impl Settings {
    pub fn from_context(ctx: &Context, suffix: Option<&str>) -> Result<Settings> {
        use crate::options;
        use tq_common::config::ListOpt;
        let c = &ctx.config;
        let set = |opt: ListOpt| -> Result<LevelSet> {
            LevelSet::parse(&c.get(opt).join(",")).map_err(|m| c.error(opt, m))
        };
        let filter = Filter {
            enterprise: set(options::ENTERPRISE_REPUTATIONS)?,
            gti: set(options::GTI_REPUTATIONS)?,
            atd: set(options::ATD_REPUTATIONS)?,
            atd_scale: AtdScale::from_option(c.get(options::USE_TIE_211_MAPPING)),
        };
        let epo = c.get(options::EPO_HOST).map(|host| Epo {
            host,
            port: c.get(options::DXL_PORT).clamp(1, 65535) as u16,
            username: c.get(options::EPO_USERNAME).unwrap_or_default(),
            password: c.get(options::EPO_PASSWORD).unwrap_or_default(),
            ca_file: c.get(options::EPO_CA_FILE),
        });
        Ok(Settings {
            filter,
            names: Names::new(suffix),
            cert_dir: c.get(options::CERT_DIR),
            epo,
        })
    }

    /// The DXL client directory (provisioning it if needed).
    pub fn dxl_client(&self, ctx: &Context) -> Result<DxlClientConfig> {
        provision::client_config(
            self.cert_dir.as_deref(),
            &ctx.config_dir,
            &ctx.instance,
            self.epo.as_ref(),
        )
    }
}

fn tls_of(cfg: &DxlClientConfig) -> Result<ClientTls> {
    ClientTls::from_files(&cfg.broker_cert_chain, &cfg.cert_file, &cfg.private_key)
        .map_err(|e| Error::usage(format!("DXL client {}: {e}", cfg.path.display())))
}

/// `--check`: the DXL certificate can be read and a broker accepts it.
pub fn check(ctx: &Context, suffix: Option<&str>) -> Vec<(String, Result<String>)> {
    let outcome = (|| {
        let s = Settings::from_context(ctx, suffix)?;
        let provisioned = provision::provisioned_dir(&ctx.config_dir, &ctx.instance);
        if s.cert_dir.is_none()
            && s.epo.is_none()
            && !provisioned.join(crate::dxlconfig::CONFIG_FILE).exists()
        {
            // A fresh config: nothing to reach yet. The run itself refuses to start so.
            return Ok(
                "not configured yet: set [connector] cert_dir, or epo_host with \
                       epo_username and epo_password, before starting the listener"
                    .to_string(),
            );
        }
        let cfg = s.dxl_client(ctx)?;
        let tls = tls_of(&cfg)?;
        let opts = Options::new(mqtt::random_client_id());
        let mut last = None;
        for b in &cfg.brokers {
            match mqtt::Connection::open(&b.host, b.port, &tls, &opts) {
                Ok(c) => {
                    let broker = c.broker().to_string();
                    c.disconnect();
                    return Ok(format!("connected to broker {broker}"));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(Error::remote(
            "DXL",
            last.map_or("no broker in the DXL client config".to_string(), |e| {
                e.to_string()
            }),
        ))
    })();
    vec![("DXL fabric".to_string(), outcome)]
}

/// Rate-limits warnings about bad messages: each is logged, at most 10 a minute.
struct BadMessages {
    window: Instant,
    logged: u32,
    suppressed: u64,
}

impl BadMessages {
    fn report(&mut self, topic: &str, size: usize, what: &dyn std::fmt::Display) {
        if self.window.elapsed() > Duration::from_secs(60) {
            if self.suppressed > 0 {
                log::warn!("{} more malformed messages were skipped", self.suppressed);
            }
            self.window = Instant::now();
            self.logged = 0;
            self.suppressed = 0;
        }
        if self.logged < 10 {
            self.logged += 1;
            log::warn!("skipped a message on {topic} ({size} bytes): {what}");
        } else {
            self.suppressed += 1;
        }
    }
}

/// Runs until SIGTERM/SIGINT.
pub fn run(ctx: &Context, suffix: Option<&str>) -> Result<()> {
    let settings = Settings::from_context(ctx, suffix)?;
    // Provisioning first: a SIGTERM during it ends the process at once (nothing accepted yet).
    let cfg = settings.dxl_client(ctx)?;
    let tls = tls_of(&cfg)?;
    let queue_dir = ctx.config_dir.join(format!("{}.queue", ctx.instance));
    let journal =
        Arc::new(Journal::open(&queue_dir, QUEUE_MAX_BYTES).map_err(|e| {
            Error::runtime(format!("opening the queue {}: {e}", queue_dir.display()))
        })?);
    let index_path = ctx.config_dir.join(format!("{}.written", ctx.instance));
    let index = WrittenIndex::open(&index_path, INDEX_FILES)
        .map_err(|e| Error::runtime(format!("opening {}: {e}", index_path.display())))?;
    let waiting = journal.waiting();
    if waiting > 0 {
        log::warn!(
            "{waiting} change(s) from an earlier run wait in {}",
            queue_dir.display()
        );
    }
    let writer = Writer {
        names: settings.names.clone(),
        status: ctx.status().to_string(),
        index,
    };
    // From here on SIGTERM/SIGINT only set the flag: the loop stops and flushes.
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())
            .map_err(|e| Error::runtime(format!("installing the signal handler: {e}")))?;
    }
    let (done_tx, done_rx) = mpsc::channel();
    {
        let (tq, journal, stop) = (ctx.threatq(), journal.clone(), stop.clone());
        std::thread::Builder::new()
            .name("threatq-writer".into())
            .spawn(move || {
                write_loop(&tq, writer, &journal, &stop);
                let _ = done_tx.send(());
            })
            .map_err(|e| Error::runtime(format!("starting the writer thread: {e}")))?;
    }

    let client_id = cfg.client_id.clone().unwrap_or_else(mqtt::random_client_id);
    let reply_topic = format!("/mcafee/client/{client_id}");
    let opts = Options::new(client_id);
    let mut session = Session::new(
        cfg.brokers.clone(),
        &[
            (TOPIC_FILE_REPCHANGE, QoS::AtMostOnce),
            (reply_topic.as_str(), QoS::AtMostOnce),
        ],
        tls,
        opts,
        stop.clone(),
    )
    .map_err(|e| Error::usage(format!("{}: {e}", cfg.path.display())))?;

    let mut bad = BadMessages {
        window: Instant::now(),
        logged: 0,
        suppressed: 0,
    };
    let (mut received, mut accepted) = (0u64, 0u64);
    let mut last_report = Instant::now();
    loop {
        match session.poll() {
            Event::Connected { broker, address } => {
                log::info!(
                    "listening: connected to DXL broker {address} ({}), subscribed to {TOPIC_FILE_REPCHANGE}",
                    if broker.id.is_empty() { "-" } else { &broker.id }
                );
            }
            Event::Message(m) => {
                if m.topic != TOPIC_FILE_REPCHANGE {
                    continue;
                }
                received += 1;
                let msg = match dxl::decode(m.payload) {
                    Ok(d) => d,
                    Err(e) => {
                        bad.report(m.topic, m.payload.len(), &e);
                        continue;
                    }
                };
                let rc = match RepChange::parse(msg.payload) {
                    Ok(rc) => rc,
                    Err(e) => {
                        bad.report(m.topic, m.payload.len(), &e);
                        continue;
                    }
                };
                if !settings.filter.accepts(&rc) {
                    continue;
                }
                match Change::from_event(&rc, &settings.filter) {
                    Ok(change) => match journal.append(&change) {
                        Ok(true) => accepted += 1,
                        Ok(false) => {}
                        Err(e) => {
                            log::error!("cannot queue a change in {}: {e}", queue_dir.display())
                        }
                    },
                    Err(e) => bad.report(m.topic, m.payload.len(), &e),
                }
            }
            Event::Idle => {}
            Event::Disconnected(e) => log::warn!("DXL connection lost: {e}; reconnecting"),
            Event::ConnectFailed { error, retry_in } => log::warn!(
                "no DXL broker reachable ({error}); next attempt in {:.1} s",
                retry_in.as_secs_f64()
            ),
            Event::Stopped => break,
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            let dropped = journal.take_dropped();
            if dropped > 0 {
                log::error!(
                    "the queue {} is full: {dropped} change(s) were dropped",
                    queue_dir.display()
                );
            }
            log::info!(
                "{received} reputation change(s) received, {accepted} accepted, {} waiting for ThreatQ",
                journal.waiting()
            );
        }
    }
    log::info!("stopping: flushing the pending changes");
    journal.wake();
    if done_rx.recv_timeout(STOP_GRACE).is_err() {
        log::warn!(
            "ThreatQ did not take the pending changes in time; {} wait in {} for the next start",
            journal.waiting(),
            queue_dir.display()
        );
    }
    log::info!("stopped ({received} received, {accepted} accepted)");
    Ok(())
}

/// The writer thread: batches from the journal to ThreatQ until stopped.
fn write_loop(tq: &ThreatQ, mut writer: Writer, journal: &Journal, stop: &AtomicBool) {
    let mut last_flush = Instant::now();
    let mut failing_since: Option<Instant> = None;
    let mut backoff = Duration::from_secs(1);
    // Whether heap has been used since the last time it was handed back (an idle queue).
    let mut heap_used = false;
    loop {
        let stopping = stop.load(Ordering::Relaxed);
        let waiting = if stopping {
            journal.waiting()
        } else {
            let wait = FLUSH_EVERY.saturating_sub(last_flush.elapsed());
            journal.wait_for(BATCH as u64, wait.max(Duration::from_millis(10)))
        };
        if waiting == 0 {
            if stopping {
                return;
            }
            if std::mem::take(&mut heap_used) {
                tq_common::sys::release_free_heap();
            }
            last_flush = Instant::now();
            continue;
        }
        if !stopping && (waiting as usize) < BATCH && last_flush.elapsed() < FLUSH_EVERY {
            continue;
        }
        let batch = match journal.read_batch(BATCH) {
            Ok(b) => b,
            Err(e) => {
                log::error!("reading the queue: {e}");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if batch.unreadable > 0 {
            log::warn!(
                "{} unreadable line(s) in the queue skipped",
                batch.unreadable
            );
        }
        last_flush = Instant::now();
        heap_used = true;
        match writer.write(tq, &batch.changes, batch.recovered) {
            Ok(o) => {
                let n = (batch.changes.len() + batch.unreadable) as u64;
                if let Err(e) = journal.ack(batch.end, n) {
                    log::error!("acknowledging the queue: {e}");
                }
                if let Some(since) = failing_since.take() {
                    log::info!(
                        "ThreatQ is back after {:.0} s; {} change(s) still waiting",
                        since.elapsed().as_secs_f64(),
                        journal.waiting()
                    );
                }
                backoff = Duration::from_secs(1);
                if stopping {
                    log::info!(
                        "final flush: wrote {} file(s) ({} change(s)) before stopping",
                        o.written + o.unchanged,
                        batch.changes.len()
                    );
                }
                log::debug!(
                    "wrote {} file(s) ({} indicator(s), {} unchanged, {} row(s) updated)",
                    o.written,
                    o.indicators,
                    o.unchanged,
                    o.updated_rows
                );
            }
            Err(e) => {
                if stopping {
                    log::warn!(
                        "ThreatQ: {}; {} change(s) wait in the queue for the next start",
                        e.safe_message(),
                        journal.waiting()
                    );
                    return;
                }
                failing_since.get_or_insert_with(Instant::now);
                log::warn!(
                    "ThreatQ unavailable ({}); {} change(s) waiting in the queue, next try in {} s",
                    e.safe_message(),
                    journal.waiting(),
                    backoff.as_secs()
                );
                let until = Instant::now() + backoff;
                while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}
