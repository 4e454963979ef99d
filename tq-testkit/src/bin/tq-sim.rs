//! `tq-sim`: serves the fakes standalone for scripts, the demo and benchmarks.
//!
//! Prints one `key=value` line per item on stdout (`url=`, `host=`, `ca_file=`,
//! `client_id=`, `username=`, `password=`, ..., then `ready=1`) and runs until SIGTERM,
//! SIGINT, or stdin closes (unless `--ignore-stdin`). Later issues add other fakes as more
//! [`Service`]s (`--with-ctr`, ...), each printing its own prefixed lines.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tq_testkit::ctr::FakeCtr;
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
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
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
    services.insert(0, Box::new(tq));
    let mut out = std::io::stdout().lock();
    for s in &services {
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
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(services);
}
