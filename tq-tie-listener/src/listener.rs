//! The listener run: the DXL session in the main thread, driven by `tq_common::service`
//! (decode, filter, journal), the ThreatQ writer in a second thread (batches of 500 or every
//! second), SIGTERM/SIGINT for a clean stop that flushes the pending batch.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tq_common::app::Context;
use tq_common::journal::Journal;
use tq_common::retry::Backoff;
use tq_common::service::{self, BrokerSession, HeapRelease, Service, Stop};
use tq_common::threatq::ThreatQ;
use tq_common::tls::StreamConnector;
use tq_common::{Error, Result};

use crate::change::{Change, Names};
use crate::dxl;
use crate::dxlconfig::DxlClientConfig;
use crate::mqtt::{self, Message, Options, QoS, Session};
use crate::provision::{self, Epo};
use crate::repchange::{Filter, RepChange, TOPIC_FILE_REPCHANGE};
use crate::trust_levels::{AtdScale, LevelSet};
use crate::writer::Writer;
use crate::written::WrittenIndex;

/// Writes are flushed at this many waiting changes...
pub const BATCH: usize = 500;
/// ... or this long after the last flush.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// The on-disk queue holds at most this many bytes of waiting changes (about a million).
pub const QUEUE_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Files the written index remembers at least (at most twice as many: a few MiB).
pub const INDEX_FILES: usize = 50_000;
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
        let s = Settings {
            filter,
            names: Names::new(suffix),
            cert_dir: c.get(options::CERT_DIR),
            epo,
        };
        s.certificate_source(ctx)?;
        Ok(s)
    }

    /// Where the DXL certificate comes from must be settled before anything runs, so that
    /// `--check` and the run refuse an incomplete config alike (exit 2, naming the key):
    /// `cert_dir`, else a directory provisioned earlier, else ePO with its user and password.
    fn certificate_source(&self, ctx: &Context) -> Result<()> {
        use crate::options;
        let c = &ctx.config;
        if self.cert_dir.is_some() {
            return Ok(());
        }
        let provisioned = provision::provisioned_dir(&ctx.config_dir, &ctx.instance);
        if provisioned.join(crate::dxlconfig::CONFIG_FILE).exists() {
            return Ok(());
        }
        let Some(epo) = &self.epo else {
            return Err(c.error(
                options::CERT_DIR,
                "is not set, and neither is epo_host: set cert_dir to an OpenDXL client \
                 directory, or epo_host, epo_username and epo_password to provision a DXL \
                 certificate through ePO",
            ));
        };
        if epo.username.trim().is_empty() {
            return Err(c.error(
                options::EPO_USERNAME,
                "is missing; epo_host is set, so the ePO user that provisions the DXL \
                 certificate is needed (or set cert_dir instead)",
            ));
        }
        if epo.password.is_empty() {
            return Err(c.error(
                options::EPO_PASSWORD,
                "is missing; epo_host is set, so the password of epo_username is needed \
                 (or set cert_dir instead)",
            ));
        }
        Ok(())
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

fn tls_of(cfg: &DxlClientConfig) -> Result<StreamConnector> {
    mqtt::client_tls(&cfg.broker_cert_chain, &cfg.cert_file, &cfg.private_key)
        .map_err(|e| Error::usage(format!("DXL client {}: {e}", cfg.path.display())))
}

/// `--check`: the DXL certificate can be read and a broker accepts it.
pub fn check(ctx: &Context, suffix: Option<&str>) -> Vec<(String, Result<String>)> {
    let outcome = (|| {
        let s = Settings::from_context(ctx, suffix)?;
        let cfg = s.dxl_client(ctx)?;
        let tls = tls_of(&cfg)?;
        // The same broker list walk as the run: each broker by host name, then IP.
        let dxl_err = |e: mqtt::Error| Error::remote("DXL", e.to_string());
        let opts = Options::new(mqtt::random_client_id());
        let mut session = Session::new(cfg.brokers.clone(), &[], tls, opts).map_err(dxl_err)?;
        let at = session.connect(&Stop::new()).map_err(dxl_err)?;
        session.disconnect();
        Ok(format!("connected to broker {at}"))
    })();
    vec![("DXL fabric".to_string(), outcome)]
}

/// The message side of the run: decode, filter and journal each reputation change.
struct Listening {
    filter: Filter,
    journal: Arc<Journal<Change>>,
    received: u64,
    accepted: u64,
    /// The writer thread says here that it is done (the final flush).
    writer_done: mpsc::Receiver<()>,
}

impl Listening {
    fn queue_dir(&self) -> &Path {
        self.journal.dir()
    }
}

impl service::Handler<Session> for Listening {
    fn message(&mut self, m: Message<'_>, cx: &mut service::Context<'_, std::convert::Infallible>) {
        if m.topic != TOPIC_FILE_REPCHANGE {
            return;
        }
        self.received += 1;
        let msg = match dxl::decode(m.payload) {
            Ok(d) => d,
            Err(e) => return cx.skipped(m.topic, m.payload.len(), &e),
        };
        let rc = match RepChange::parse(msg.payload) {
            Ok(rc) => rc,
            Err(e) => return cx.skipped(m.topic, m.payload.len(), &e),
        };
        if !self.filter.accepts(&rc) {
            return;
        }
        match Change::from_event(&rc, &self.filter) {
            Ok(change) => match self.journal.append(&change) {
                Ok(true) => self.accepted += 1,
                Ok(false) => {}
                Err(e) => log::error!("cannot queue a change: {e}"),
            },
            Err(e) => cx.skipped(m.topic, m.payload.len(), &e),
        }
    }

    fn progress(&mut self) -> Option<String> {
        let dropped = self.journal.take_dropped();
        if dropped > 0 {
            log::error!(
                "the queue {} is full: {dropped} change(s) were dropped",
                self.queue_dir().display()
            );
        }
        Some(format!(
            "{} reputation change(s) received, {} accepted, {} waiting for ThreatQ",
            self.received,
            self.accepted,
            self.journal.waiting()
        ))
    }

    fn stopping(&mut self, deadline: Instant) {
        log::info!("stopping: flushing the pending changes");
        self.journal.wake();
        let wait = deadline.saturating_duration_since(Instant::now());
        if self.writer_done.recv_timeout(wait).is_err() {
            log::warn!(
                "ThreatQ did not take the pending changes in time; {} wait in {} for the next start",
                self.journal.waiting(),
                self.queue_dir().display()
            );
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
        .map_err(|e| Error::runtime(format!("opening the written index: {e}")))?;
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
    let stop = Stop::on_signals()?;
    let (done_tx, writer_done) = mpsc::channel();
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
    let mut session = Session::new(
        cfg.brokers.clone(),
        &[
            (TOPIC_FILE_REPCHANGE, QoS::AtMostOnce),
            (reply_topic.as_str(), QoS::AtMostOnce),
        ],
        tls,
        Options::new(client_id),
    )
    .map_err(|e| Error::usage(format!("{}: {e}", cfg.path.display())))?;
    let mut listening = Listening {
        filter: settings.filter,
        journal,
        received: 0,
        accepted: 0,
        writer_done,
    };
    let service = Service {
        stop_grace: STOP_GRACE,
        ..Service::new("DXL")
    };
    service
        .run(&mut session, &mut listening, &stop)
        .map_err(|e| Error::remote("DXL", e.to_string()))?;
    log::info!(
        "stopped ({} received, {} accepted)",
        listening.received,
        listening.accepted
    );
    Ok(())
}

/// The writer thread: batches from the journal to ThreatQ until stopped.
fn write_loop(tq: &ThreatQ, mut writer: Writer, journal: &Journal<Change>, stop: &Stop) {
    let mut last_flush = Instant::now();
    let mut failing_since: Option<Instant> = None;
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 0.0);
    let mut heap = HeapRelease::default();
    loop {
        let stopping = stop.requested();
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
            heap.idle();
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
                stop.sleep(Duration::from_secs(1));
                continue;
            }
        };
        if batch.unreadable > 0 {
            log::warn!(
                "{} unreadable line(s) in the queue {} skipped",
                batch.unreadable,
                journal.dir().display()
            );
        }
        last_flush = Instant::now();
        heap.used();
        match writer.write(tq, &batch.items) {
            Ok(o) => {
                if let Err(e) = journal.ack(batch.end, batch.len()) {
                    log::error!("acknowledging the queue: {e}");
                }
                if let Some(since) = failing_since.take() {
                    log::info!(
                        "ThreatQ is back after {:.0} s; {} change(s) still waiting",
                        since.elapsed().as_secs_f64(),
                        journal.waiting()
                    );
                }
                backoff.reset();
                if stopping {
                    log::info!(
                        "final flush: wrote {} file(s) ({} change(s)) before stopping",
                        o.written + o.unchanged,
                        batch.items.len()
                    );
                }
                log::debug!(
                    "wrote {} file(s) ({} indicator(s), {} of them new; {} file(s) unchanged, \
                     {} row(s) updated)",
                    o.written,
                    o.indicators,
                    o.new_indicators,
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
                let delay = backoff.next_delay();
                log::warn!(
                    "ThreatQ unavailable ({}); {} change(s) waiting in the queue, next try in {} s",
                    e.safe_message(),
                    journal.waiting(),
                    delay.as_secs()
                );
                stop.sleep(delay);
            }
        }
    }
}
