//! Where the resident memory of a subscriber goes: prints VmRSS / RssAnon / RssFile after
//! each setup step. `rss_probe CLIENT_DIR` (an OpenDXL client directory whose broker is up).

use tq_testkit::procfs::Proc;

use tq_common::service::{BrokerSession, Stop};
use tq_tie_listener::dxlconfig::DxlClientConfig;
use tq_tie_listener::mqtt::{self, Options, QoS, Session};

fn show(step: &str) {
    let me = Proc::me();
    println!(
        "{step:<28} VmRSS {:>6} kB  RssAnon {:>6} kB  RssFile {:>6} kB",
        me.status_kb("VmRSS:"),
        me.status_kb("RssAnon:"),
        me.status_kb("RssFile:")
    );
}

fn main() {
    show("start");
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let cfg = DxlClientConfig::read_dir(std::path::Path::new(&dir)).expect("config");
    show("config read");
    let tls =
        mqtt::client_tls(&cfg.broker_cert_chain, &cfg.cert_file, &cfg.private_key).expect("tls");
    show("TLS connector built");
    let mut s = Session::new(
        cfg.brokers,
        &[("/x", QoS::AtMostOnce)],
        tls,
        Options::new(mqtt::random_client_id()),
    )
    .expect("session");
    match s.connect(&Stop::new()).and_then(|_| s.subscribe()) {
        Ok(_) => show("connected + subscribed"),
        Err(e) => println!("{e}"),
    }
}
