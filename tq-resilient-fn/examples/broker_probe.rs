//! Measures the test rig and the STOMP client (phase 1 figures; scripts/bench will hold the
//! real benchmark): ActiveMQ start time and idle RSS with each JIT (3 starts each), graceful
//! and SIGKILL restart times, then N rule messages queued by the SOAR side and handled by one
//! `Connection` over TLS (interim reply, final reply, ACK each), and the connect+subscribe
//! time.
//!
//!     cargo run --release -p tq-resilient-fn --example broker_probe -- 5000

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};
use tq_common::Secret;
use tq_resilient_fn::message::Reply;
use tq_resilient_fn::stomp::{Config, Connection, Subscription};
use tq_testkit::rigs::activemq::{ActionMessage, ActiveMq, ActiveMqOptions, Destination, Jit};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    for jit in [Jit::Quick, Jit::Full] {
        let mut starts = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..3 {
            let b = ActiveMq::start(ActiveMqOptions {
                jit,
                ..Default::default()
            });
            starts.push(b.last_start_time());
            std::thread::sleep(Duration::from_millis(500));
            rss.push(b.rss_kib());
        }
        println!("{jit:?}: start {:?}, idle RSS KiB {:?}", starts, rss);
    }
    let mut b = ActiveMq::start(ActiveMqOptions {
        jit: Jit::Full,
        ..Default::default()
    });
    let t = Instant::now();
    b.restart();
    println!("graceful restart {:?}", t.elapsed());
    let t = Instant::now();
    b.kill_and_restart();
    println!("kill+restart {:?}", t.elapsed());
    let dest = Destination::unique("bench");
    let mut soar = b.soar(&dest);
    let msgs = ActionMessage::sample_rules("artifact", 0..n as u64);
    let t = Instant::now();
    soar.send_all(&msgs);
    println!("queued {n} in {:?}", t.elapsed());
    let mut cfg = Config::new(b.host(), b.tls_port(), b.user(), Secret::new(b.password()));
    cfg.trust_ca_file(Some(b.ca_file().to_path_buf()));
    cfg.poll_interval = Duration::from_millis(20);
    let t0 = Instant::now();
    let tls = tq_resilient_fn::stomp::connection::tls_connector(&cfg).unwrap();
    let mut c = Connection::open(&cfg, tls.as_ref()).unwrap();
    c.subscribe(&Subscription::client_individual(&dest.actions(), 25))
        .unwrap();
    println!("connect+subscribe {:?}", t0.elapsed());
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        if let Some(m) = c.receive().unwrap() {
            let corr = m.correlation_id().unwrap().to_string();
            let rt = m.reply_to().unwrap().to_string();
            c.send(&rt, &Reply::headers(&corr), &Reply::interim("x").to_bytes())
                .unwrap();
            c.send(&rt, &Reply::headers(&corr), &Reply::done("ok").to_bytes())
                .unwrap();
            c.ack(m.ack_id()).unwrap();
            done += 1;
        }
    }
    let el = t.elapsed();
    println!(
        "{n} messages: interim+final+ack in {:?} = {:.0}/s; client RSS {} KiB",
        el,
        n as f64 / el.as_secs_f64(),
        tq_testkit::procfs::Proc::me().status_kb("VmRSS")
    );
    let replies = soar.collect(&[&format!("invid:{}", n - 1)], Duration::from_secs(60));
    println!("last reply arrived: {}", replies.missing().is_empty());
}
