//! Benchmark subscriber, the counterpart of the Python peer's `dxl_sub.py`
//! (research/peer-bench.md A): connects with an OpenDXL client directory, subscribes to the
//! TIE file reputation-change topic, and per event decodes the DXL message, parses the JSON
//! payload and applies the default filter. Used by `examples/bench_mqtt.rs`.
//!
//!     dxl_sub CLIENT_DIR N IDLE_S
//!
//! With `TQ_SUB_WAIT_GO=1` it reads one line from stdin after subscribing before it reads
//! from the broker (drain mode: the broker queues the stream meanwhile).
//!
//! Prints `SUBSCRIBED <epoch>` once the SUBACK is back, then one JSON line when N events
//! arrived or nothing came for IDLE_S seconds: received, bad, accepted, rate (events/s from
//! first to last), cpu_s and per_cpu_s over the same span, VmHWM_kB.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tq_common::service::{BrokerSession, Stop};
use tq_testkit::procfs::Proc;
use tq_tie_listener::dxl;
use tq_tie_listener::dxlconfig::DxlClientConfig;
use tq_tie_listener::mqtt::{self, Options, QoS, Session};
use tq_tie_listener::repchange::{Filter, RepChange, TOPIC_FILE_REPCHANGE};

fn epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: dxl_sub CLIENT_DIR N IDLE_S");
        std::process::exit(2);
    }
    let n: u64 = args[2].parse().unwrap_or(50_000);
    let idle = Duration::from_secs_f64(args[3].parse().unwrap_or(3.0));
    let cfg = match DxlClientConfig::read_dir(std::path::Path::new(&args[1])) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let tls = match mqtt::client_tls(&cfg.broker_cert_chain, &cfg.cert_file, &cfg.private_key) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut opts = Options::new(cfg.client_id.clone().unwrap_or_else(mqtt::random_client_id));
    opts.poll_interval = Duration::from_millis(50);
    let mut session = match Session::new(
        cfg.brokers,
        &[(TOPIC_FILE_REPCHANGE, QoS::AtMostOnce)],
        tls,
        opts,
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let wait_go = std::env::var_os("TQ_SUB_WAIT_GO").is_some();
    let filter = Filter::default();
    let (mut received, mut bad, mut accepted) = (0u64, 0u64, 0u64);
    let (mut first, mut last) = (None::<f64>, None::<f64>);
    let (mut first_i, mut last_i) = (None::<Instant>, None::<Instant>);
    let mut cpu0 = 0.0;
    let cpu1;
    let started = Instant::now();
    if let Err(e) = session
        .connect(&Stop::new())
        .and_then(|_| session.subscribe())
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
    println!("SUBSCRIBED {:.6}", epoch());
    if wait_go {
        // Drain mode: the broker queues the whole stream until GO arrives.
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
    loop {
        match session.receive() {
            Ok(Some(m)) => {
                let ok = dxl::decode(m.payload)
                    .ok()
                    .and_then(|d| RepChange::parse(d.payload).ok());
                match ok {
                    Some(rc) => {
                        if filter.accepts(&rc) {
                            accepted += 1;
                        }
                    }
                    None => bad += 1,
                }
                received += 1;
                let now = Instant::now();
                if first_i.is_none() {
                    first_i = Some(now);
                    first = Some(epoch());
                    cpu0 = Proc::me().cpu_s();
                }
                last_i = Some(now);
                if received >= n {
                    cpu1 = Proc::me().cpu_s();
                    last = Some(epoch());
                    break;
                }
            }
            Ok(None) => {
                let quiet = last_i.map_or(started.elapsed() > Duration::from_secs(600), |l| {
                    l.elapsed() > idle
                });
                if quiet {
                    cpu1 = Proc::me().cpu_s();
                    break;
                }
            }
            Err(e) => {
                eprintln!("{e}");
                cpu1 = Proc::me().cpu_s();
                break;
            }
        }
    }
    let span = match (first_i, last_i) {
        (Some(a), Some(b)) => (b - a).as_secs_f64(),
        _ => 0.0,
    };
    if last.is_none() {
        last = first.map(|f| f + span);
    }
    if std::env::var_os("TQ_DUMP_SMAPS").is_some() {
        Proc::me().print_rss_by_mapping();
    }
    let cpu = cpu1 - cpu0;
    let rate = if span > 0.0 {
        (received.saturating_sub(1)) as f64 / span
    } else {
        0.0
    };
    let per_cpu = if cpu > 0.0 {
        (received.saturating_sub(1)) as f64 / cpu
    } else {
        0.0
    };
    println!(
        "{{\"received\": {received}, \"bad\": {bad}, \"accepted\": {accepted}, \"first\": {}, \"last\": {}, \"span_s\": {span:.6}, \"rate\": {rate:.1}, \"cpu_s\": {cpu:.3}, \"per_cpu_s\": {per_cpu:.1}, \"VmHWM_kB\": {}, \"RssAnon_kB\": {}, \"RssFile_kB\": {}}}",
        first.unwrap_or(0.0),
        last.unwrap_or(0.0),
        Proc::me().status_kb("VmHWM:"),
        Proc::me().status_kb("RssAnon:"),
        Proc::me().status_kb("RssFile:")
    );
}
