#![forbid(unsafe_code)]

//! `tq-sim`: serves the fakes standalone for scripts, the demo and benchmarks.
//!
//! Prints one `key=value` line per item on stdout (`url=`, `host=`, `ca_file=`,
//! `client_id=`, `username=`, `password=`, ..., then `ready=1`) and runs until SIGTERM,
//! SIGINT, or stdin closes (unless `--ignore-stdin`). With `--seed`, SIGUSR1 makes the
//! seeded changes the e-mail alerts report (`seed::email_changes`, once) and prints
//! `changes=<n>`. Later issues add other fakes as more
//! [`Service`]s (`--with-ctr`, ...), each printing its own prefixed lines.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tq_testkit::ctr::FakeCtr;
use tq_testkit::rigs::dxl::{self, BrokerEntry, ClientDir, FileHashes, KeyForm, Rep};
use tq_testkit::rigs::mosquitto::{find_mosquitto, Mosquitto};
use tq_testkit::rigs::rt::{self, Rt, RtOptions};
use tq_testkit::threatq::{seed, FakeThreatQ};

/// Serve a fake ThreatQ (and, later, the other fakes) on 127.0.0.1.
#[derive(Parser, Debug)]
#[command(name = "tq-sim", version, about)]
struct Args {
    /// Port for the fake ThreatQ (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Load the demo seed data (indicators, saved searches, an event, an adversary).
    #[arg(long)]
    seed: bool,
    /// Write the CA certificate (ca.pem) into DIR and keep it (default: a temporary
    /// directory removed on exit).
    #[arg(long, value_name = "DIR")]
    cert_dir: Option<PathBuf>,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl: u64,
    /// Latency added to every request, in milliseconds (benchmarks).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Non-contiguous lookup ids (catches hard-coded ids).
    #[arg(long)]
    shuffled_ids: bool,
    /// Fixed password instead of a generated one.
    #[arg(long)]
    password: Option<String>,
    /// Fixed client id instead of a generated one.
    #[arg(long)]
    client_id: Option<String>,
    /// Keep running when stdin closes (for scripts that start tq-sim in the background).
    #[arg(long)]
    ignore_stdin: bool,
    /// Also serve a fake Cisco Threat Response (its certificate comes from the same CA, so
    /// ca_file trusts both); prints ctr_url, ctr_client_id, ctr_client_password.
    #[arg(long)]
    with_ctr: bool,
    /// Also start a DXL broker (mosquitto over TLS with client certificates, from
    /// scripts/rigs/install) and write into DIR an OpenDXL client directory for the TIE
    /// listener (DIR/listener), one for a publisher (DIR/publisher) and the spec of two
    /// reputation changes for the Python dxlclient publisher (DIR/publish.json); prints
    /// dxl_port, dxl_cert_dir, dxl_publisher_config, dxl_publish_spec.
    #[arg(long, value_name = "DIR")]
    with_dxl: Option<PathBuf>,
    /// Also start a Request Tracker (Debian's request-tracker5 from scripts/rigs/install)
    /// with RT::Extension::ThreatQ loaded, its scrip running BIN (tq-rt-sync) against this
    /// fake ThreatQ for the queues Incidents and Incident Reports; prints rt_url, rt_user and
    /// rt_password (RT_User_For_ThreatQ), rt_root_password.
    #[arg(long, value_name = "BIN")]
    with_rt: Option<PathBuf>,
}

/// One fake served by tq-sim: kept alive until exit, describing itself as `key=value`.
trait Service {
    fn lines(&self) -> Vec<(String, String)>;
}

struct ThreatQ {
    fake: FakeThreatQ,
    seeded: Option<seed::Seeded>,
}

impl Service for ThreatQ {
    fn lines(&self) -> Vec<(String, String)> {
        let f = &self.fake;
        let mut v = vec![
            ("url".to_string(), f.url()),
            ("host".to_string(), f.host()),
            ("ca_file".to_string(), f.ca_file().display().to_string()),
            ("client_id".to_string(), f.client_id().to_string()),
            ("username".to_string(), f.username().to_string()),
            ("password".to_string(), f.password().to_string()),
            ("client_secret".to_string(), f.client_secret().to_string()),
        ];
        if let Some(s) = &self.seeded {
            for (name, hash) in &s.saved_searches {
                v.push(("saved_search".to_string(), format!("{name}|{hash}")));
            }
            v.push(("indicators".to_string(), s.indicators.len().to_string()));
            v.push((
                "watcher".to_string(),
                format!("{} <{}>", seed::WATCHER.1, seed::WATCHER.0),
            ));
        }
        v
    }
}

impl Service for FakeCtr {
    fn lines(&self) -> Vec<(String, String)> {
        self.describe()
    }
}

fn start_ctr(tq: &FakeThreatQ, latency: Duration) -> std::io::Result<FakeCtr> {
    let identity = tq
        .ca()
        .issue_server("127.0.0.1", &["127.0.0.1", "localhost"])
        .identity();
    let ctr = FakeCtr::start(identity)?;
    ctr.control().set_latency(latency);
    Ok(ctr)
}

/// A DXL broker and the client directories that reach it.
struct Dxl {
    broker: Mosquitto,
    listener: ClientDir,
    publisher: ClientDir,
    spec: PathBuf,
}

impl Service for Dxl {
    fn lines(&self) -> Vec<(String, String)> {
        vec![
            ("dxl_port".to_string(), self.broker.port().to_string()),
            (
                "dxl_cert_dir".to_string(),
                self.listener.dir.display().to_string(),
            ),
            (
                "dxl_publisher_config".to_string(),
                self.publisher.config.display().to_string(),
            ),
            (
                "dxl_publish_spec".to_string(),
                self.spec.display().to_string(),
            ),
        ]
    }
}

/// The demo's two reputation changes: the EICAR test file turned Known Malicious in the
/// enterprise (first contact and prevalence given), and a file turned Known Trusted (which
/// the listener's default filters leave out).
fn demo_changes() -> Vec<serde_json::Value> {
    vec![
        dxl::repchange_payload(
            &FileHashes::eicar(),
            &[Rep::enterprise(1, 1763856000, 12), Rep::gti(1)],
            &[Rep::enterprise(50, 1763856000, 12), Rep::gti(1)],
            1763900000,
        ),
        dxl::repchange_payload(
            &FileHashes::numbered(7),
            &[Rep::enterprise(99, 1763856000, 240)],
            &[Rep::enterprise(50, 1763856000, 240)],
            1763900000,
        ),
    ]
}

fn start_dxl(tq: &FakeThreatQ, dir: &Path) -> Result<Dxl, String> {
    if find_mosquitto().is_none() {
        return Err("mosquitto is not installed: run scripts/rigs/install".into());
    }
    let ca = tq.ca();
    let broker = Mosquitto::start_default(ca);
    let brokers = [BrokerEntry::local(broker.port())];
    let mut dirs = Vec::new();
    for (name, cn) in [
        ("listener", "tq-tie-listener"),
        ("publisher", "tie-publisher"),
    ] {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        dirs.push(ClientDir::create_in(&d, ca, cn, &brokers, KeyForm::Pkcs8));
    }
    let publisher = dirs.pop().expect("two client directories");
    let listener = dirs.pop().expect("two client directories");
    let spec = dir.join("publish.json");
    let body = serde_json::json!({
        "config": publisher.config,
        "topic": "/mcafee/event/tie/file/repchange/broadcast",
        "payloads": demo_changes(),
        "repeat": 1,
        "linger": 0.5,
    });
    std::fs::write(&spec, body.to_string())
        .map_err(|e| format!("cannot write {}: {e}", spec.display()))?;
    Ok(Dxl {
        broker,
        listener,
        publisher,
        spec,
    })
}

impl Service for Rt {
    fn lines(&self) -> Vec<(String, String)> {
        vec![
            ("rt_url".to_string(), self.url()),
            ("rt_user".to_string(), rt::SYNC_USER.name.to_string()),
            (
                "rt_password".to_string(),
                rt::SYNC_USER.password.to_string(),
            ),
            (
                "rt_root_password".to_string(),
                rt::ROOT.password.to_string(),
            ),
        ]
    }
}

fn start_rt(tq: &FakeThreatQ, bin: &Path) -> Result<Rt, String> {
    if !rt::installed() {
        return Err("Request Tracker is not installed: run scripts/rigs/install".into());
    }
    let q = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    let site = format!(
        "Set($ThreatQ_Sync_Binary, '{bin}');\nSet($ThreatQ_Host, '{host}');\n\
         Set($ThreatQ_User, '{user}');\nSet($ThreatQ_Password, '{pw}');\n\
         Set($ThreatQ_CID, '{cid}');\nSet($ThreatQ_Status, 'Review');\n\
         Set($ThreatQ_Use_SSL, '1');\nSet($ThreatQ_CA_File, '{ca}');\n\
         Set($RT_User_For_ThreatQ, '{rt_user}');\nSet($RT_Password_For_ThreatQ, '{rt_pw}');\n\
         Set($RT_Queues_For_ThreatQ, '{q1}, {q2}');\nSet($ThreatQ_Create_Wait, '1');\n",
        bin = q(&bin.display().to_string()),
        host = q(&tq.url()),
        user = q(tq.username()),
        pw = q(tq.password()),
        cid = q(tq.client_id()),
        ca = q(&tq.ca_file().display().to_string()),
        rt_user = rt::SYNC_USER.name,
        rt_pw = rt::SYNC_USER.password,
        q1 = rt::QUEUE_INCIDENTS,
        q2 = rt::QUEUE_REPORTS,
    );
    Ok(Rt::start(RtOptions {
        site_config: site,
        ..RtOptions::default()
    }))
}

fn start_threatq(args: &Args) -> std::io::Result<ThreatQ> {
    let mut b = FakeThreatQ::builder()
        .port(args.port)
        .token_ttl(Duration::from_secs(args.token_ttl))
        .shuffled_ids(args.shuffled_ids);
    if let Some(d) = &args.cert_dir {
        b = b.cert_dir(d);
    }
    if let Some(p) = &args.password {
        b = b.password(p);
    }
    if let Some(c) = &args.client_id {
        b = b.client_id(c);
    }
    let fake = b.try_start()?;
    fake.set_latency(Duration::from_millis(args.latency_ms));
    let seeded = args.seed.then(|| seed::seed_demo(&fake));
    Ok(ThreatQ { fake, seeded })
}

fn main() {
    let args = Args::parse();
    let stop = Arc::new(AtomicBool::new(false));
    let changes = Arc::new(AtomicBool::new(false));
    for (sig, flag) in [
        (signal_hook::consts::SIGTERM, &stop),
        (signal_hook::consts::SIGINT, &stop),
        (signal_hook::consts::SIGUSR1, &changes),
    ] {
        if let Err(e) = signal_hook::flag::register(sig, flag.clone()) {
            eprintln!("tq-sim: cannot handle signal {sig}: {e}");
            std::process::exit(1);
        }
    }
    let tq = match start_threatq(&args) {
        Ok(tq) => tq,
        Err(e) => {
            eprintln!("tq-sim: cannot start the fake ThreatQ: {e}");
            std::process::exit(1);
        }
    };
    let mut services: Vec<Box<dyn Service>> = Vec::new();
    if args.with_ctr {
        match start_ctr(&tq.fake, Duration::from_millis(args.latency_ms)) {
            Ok(ctr) => services.push(Box::new(ctr)),
            Err(e) => {
                eprintln!("tq-sim: cannot start the fake CTR: {e}");
                std::process::exit(1);
            }
        }
    }
    if let Some(dir) = &args.with_dxl {
        match start_dxl(&tq.fake, dir) {
            Ok(dxl) => services.push(Box::new(dxl)),
            Err(e) => {
                eprintln!("tq-sim: cannot start the DXL broker: {e}");
                std::process::exit(1);
            }
        }
    }
    if let Some(bin) = &args.with_rt {
        match start_rt(&tq.fake, bin) {
            Ok(rt) => services.push(Box::new(rt)),
            Err(e) => {
                eprintln!("tq-sim: cannot start Request Tracker: {e}");
                std::process::exit(1);
            }
        }
    }
    let mut changed = false;
    let mut out = std::io::stdout().lock();
    let all = std::iter::once(&tq as &dyn Service).chain(services.iter().map(|s| s.as_ref()));
    for s in all {
        for (k, v) in s.lines() {
            let _ = writeln!(out, "{k}={v}");
        }
    }
    let _ = writeln!(out, "ready=1");
    let _ = out.flush();
    drop(out);

    if !args.ignore_stdin {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            stop.store(true, Ordering::SeqCst);
        });
    }
    while !stop.load(Ordering::SeqCst) {
        if changes.swap(false, Ordering::SeqCst) && !changed {
            if let Some(seeded) = &tq.seeded {
                changed = true;
                let n = seed::email_changes(&tq.fake, seeded);
                let _ = writeln!(std::io::stdout(), "changes={n}");
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(services);
    drop(tq);
}
