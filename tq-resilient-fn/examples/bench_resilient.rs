//! The tq-resilient-fn benchmark (scripts/bench.d/resilient.sh runs it): the release binary
//! against a real ActiveMQ (non-persistent, full JIT, as research/peer-bench.md B ran the
//! peer), a FakeThreatQ (0 and 2 ms latency) and the fake Resilient REST API; side by side
//! with the real `resilient-circuits` running a no-op `threatq_add_indicator` function on the
//! same broker and the same message stream, when `RC_VENV` names a venv that has it.
//!
//! Prints one JSON object per line per case: who, case, latency, messages, rate (final
//! replies per second from the first send to the last final reply), startup (exec to
//! subscribed), RSS (steady: after the run, idle; peak: VmHWM), ThreatQ requests per
//! message.
//!
//!     cargo build --release -p tq-resilient-fn --bins --examples
//!     RC_VENV=target/bench/venv-rc target/release/examples/bench_resilient 2000 3

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_testkit::bench::default_bin;
use tq_testkit::procfs::Proc;
use tq_testkit::resilient::{samples, FakeResilient};
use tq_testkit::rigs::activemq::{
    ActionMessage, ActiveMq, ActiveMqOptions, Destination, Jit, Soar,
};
use tq_testkit::threatq::FakeThreatQ;

fn bin() -> PathBuf {
    std::env::var_os("TQ_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| default_bin("tq-resilient-fn"))
}

struct Setup {
    broker: ActiveMq,
    soar: FakeResilient,
    tq: FakeThreatQ,
    dest: Destination,
    dir: tempfile::TempDir,
    rule_id: u64,
    event: u64,
}

fn app_config(s: &Setup) -> PathBuf {
    let p = s.dir.path().join("app.config");
    let text = format!(
        "[resilient]\nhost = {}\nport = {}\norg = {}\nemail = {}\npassword = {}\ncafile = {}\n\
         stomp_port = {}\nstomp_cafile = {}\nnum_workers = 25\n\n[fn_threatq]\nhost = {}\n\
         cid = {}\nusername = {}\npassword = {}\nca_file = {}\n",
        s.soar.host(),
        s.soar.port(),
        s.soar.org_name(),
        s.soar.email(),
        s.soar.password(),
        s.soar.ca_file().display(),
        s.broker.tls_port(),
        s.broker.ca_file().display(),
        s.tq.url(),
        s.tq.client_id(),
        s.tq.username(),
        s.tq.password(),
        s.tq.ca_file().display()
    );
    std::fs::write(&p, text).expect("write app.config");
    let mut perm = std::fs::metadata(&p).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o600);
    std::fs::set_permissions(&p, perm).expect("chmod");
    p
}

/// Our binary, started and subscribed: (child, startup).
fn start_ours(s: &Setup) -> (Child, Duration) {
    let cfg = app_config(s);
    let log = s.dir.path().join("tq-resilient-fn.log");
    let _ = std::fs::remove_file(&log);
    let t0 = Instant::now();
    let child = Command::new(bin())
        .args(["run", "--app-config"])
        .arg(&cfg)
        .arg("-ll")
        .arg(s.dir.path())
        .args(["-v", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tq-resilient-fn");
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("listening: connected") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "tq-resilient-fn did not subscribe:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    (child, t0.elapsed())
}

/// The service's own "connect to subscribed: N ms" (TCP connect to the SUBSCRIBE receipt).
fn connect_to_subscribed(s: &Setup) -> Option<f64> {
    let log = std::fs::read_to_string(s.dir.path().join("tq-resilient-fn.log")).ok()?;
    let at = log.find("connect to subscribed: ")? + "connect to subscribed: ".len();
    log[at..].split(' ').next()?.parse().ok()
}

fn stop(mut c: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = c.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = c.kill();
    let _ = c.wait();
}

fn ip(n: usize) -> String {
    format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256)
}

/// What one burst gave.
struct Burst {
    /// Seconds from the first send to the last final reply.
    span: f64,
    /// Final replies with `message_type` 1.
    errors: usize,
    /// Messages with no final reply within the wait.
    missing: usize,
}

/// Sends `msgs` and waits (up to 120 s) for every final reply.
fn burst(soar: &mut Soar, msgs: &[ActionMessage]) -> Burst {
    let ids: Vec<&str> = msgs.iter().map(|m| m.correlation_id()).collect();
    let t0 = Instant::now();
    soar.send_all(msgs);
    let r = soar.collect(&ids, Duration::from_secs(120));
    let span = t0.elapsed().as_secs_f64();
    let errors = ids
        .iter()
        .filter(|id| r.complete(id).is_some_and(|x| x.message_type() != 0))
        .count();
    Burst {
        span,
        errors,
        missing: r.missing().len(),
    }
}

/// A child process killed (and reaped) when dropped: a panic leaves no service behind.
struct Guard(Option<Child>);

impl Guard {
    fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    fn stop(mut self) {
        if let Some(c) = self.0.take() {
            stop(c);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn sync_indicators(s: &Setup, n: usize, base: usize) -> Vec<ActionMessage> {
    (0..n)
        .map(|i| {
            let mut v = samples::action("artifact");
            v["action_id"] = json!(s.rule_id);
            v["artifact"]["value"] = json!(ip(base + i));
            v["incident"]["properties"]["threatq_event_id"] = json!(s.event);
            ActionMessage::rule(&v, (base + i) as u64)
        })
        .collect()
}

fn functions(n: usize, base: usize) -> Vec<ActionMessage> {
    let body = samples::function_message();
    (0..n)
        .map(|i| ActionMessage::function(&body, (base + i) as u64))
        .collect()
}

fn emit(v: Value) {
    println!("{v}");
}

fn run_ours(s: &Setup, case: &str, latency_ms: u64, msgs: &[ActionMessage]) {
    s.tq.set_latency(Duration::from_millis(latency_ms));
    let (child, startup) = start_ours(s);
    let child = Guard(Some(child));
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(500));
    let idle_kib = Proc::pid(pid).status_kb("VmRSS");
    if let Some(secs) = std::env::var("BENCH_HOLD_S")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        eprintln!("{case} {latency_ms} ms: pid {pid}, sending in {secs} s");
        std::thread::sleep(Duration::from_secs(secs));
    }
    let mut soar = s.broker.soar(&s.dest);
    let before = s.tq.request_count();
    let cpu0 = Proc::pid(pid).cpu_s();
    let b = burst(&mut soar, msgs);
    let cpu = Proc::pid(pid).cpu_s() - cpu0;
    let requests = s.tq.request_count() - before;
    std::thread::sleep(Duration::from_millis(1500));
    let p = Proc::pid(pid);
    let (steady, hwm) = (p.status_kb("VmRSS"), p.status_kb("VmHWM"));
    if std::env::var_os("BENCH_MAPS").is_some() {
        eprintln!(
            "{case} {latency_ms} ms: resident by mapping, threads {}",
            p.status_kb("Threads")
        );
        p.print_rss_by_mapping();
    }
    child.stop();
    s.tq.set_latency(Duration::ZERO);
    s.tq.clear_requests();
    emit(json!({
        "who": "tq-resilient-fn", "case": case, "latency_ms": latency_ms, "n": msgs.len(),
        "rate": ((msgs.len() - b.missing) as f64 / b.span).round(), "span_s": b.span,
        "errors": b.errors, "missing": b.missing,
        "startup_ms": startup.as_secs_f64() * 1000.0, "rss_idle_kib": idle_kib,
        "connect_to_subscribed_ms": connect_to_subscribed(s),
        "rss_steady_kib": steady, "hwm_kib": hwm, "cpu_s": cpu,
        "per_cpu_s": (msgs.len() as f64 / cpu.max(1e-6)).round(),
        "requests_per_msg": requests as f64 / msgs.len() as f64,
        "load1": std::fs::read_to_string("/proc/loadavg").unwrap_or_default()
            .split_whitespace().next().unwrap_or("").to_string(),
    }));
}

/// resilient-circuits with a no-op `threatq_add_indicator` (research/peer-bench.md B).
fn run_peer(s: &Setup, venv: &Path, msgs: &[ActionMessage]) {
    let d = s.dir.path().join("rc");
    std::fs::create_dir_all(d.join("components")).expect("mkdir");
    std::fs::create_dir_all(d.join("logs")).expect("mkdir");
    std::fs::write(
        d.join("components/noop.py"),
        "from resilient_circuits import ResilientComponent, function, FunctionResult\n\
         class NoopComponent(ResilientComponent):\n    @function(\"threatq_add_indicator\")\n    \
         def _noop(self, event, *args, **kwargs):\n        yield FunctionResult({\"ok\": True})\n",
    )
    .expect("write noop.py");
    std::fs::write(
        d.join("app.config"),
        format!(
            "[resilient]\nhost=localhost\nport={}\norg={}\nemail={}\npassword={}\ncafile={}\n\
             stomp_host=localhost\nstomp_port={}\ncomponentsdir={}\nlogdir={}\nlogfile=app.log\n\
             loglevel=INFO\nnum_workers=25\n",
            s.soar.port(),
            s.soar.org_name(),
            s.soar.email(),
            s.soar.password(),
            s.soar.ca_file().display(),
            s.broker.tls_port(),
            d.join("components").display(),
            d.join("logs").display()
        ),
    )
    .expect("write rc app.config");
    let t0 = Instant::now();
    let mut child = Command::new(venv.join("bin/resilient-circuits"))
        .arg("run")
        .env("APP_CONFIG_FILE", d.join("app.config"))
        .env("APP_LOCK_FILE", d.join("rc.lock"))
        .current_dir(&d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start resilient-circuits");
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    let child = Guard(Some(child));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    for stream in [
        Box::new(out) as Box<dyn std::io::Read + Send>,
        Box::new(err),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut seen = Vec::new();
    let startup = loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) if l.contains("Subscribed to message destination") => break t0.elapsed(),
            Ok(l) => seen.push(l),
            Err(_) => panic!("resilient-circuits did not subscribe:\n{}", seen.join("\n")),
        }
    };
    std::thread::spawn(move || while rx.recv().is_ok() {});
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(1));
    let idle_kib = Proc::pid(pid).status_kb("VmRSS");
    let mut soar = s.broker.soar(&s.dest);
    let cpu0 = Proc::pid(pid).cpu_s();
    let b = burst(&mut soar, msgs);
    let cpu = Proc::pid(pid).cpu_s() - cpu0;
    std::thread::sleep(Duration::from_millis(1500));
    let p = Proc::pid(pid);
    let (steady, hwm) = (p.status_kb("VmRSS"), p.status_kb("VmHWM"));
    child.stop();
    emit(json!({
        "who": "resilient-circuits", "case": "function", "latency_ms": 0, "n": msgs.len(),
        "rate": ((msgs.len() - b.missing) as f64 / b.span).round(), "span_s": b.span,
        "errors": b.errors, "missing": b.missing,
        "startup_ms": startup.as_secs_f64() * 1000.0, "rss_idle_kib": idle_kib,
        "rss_steady_kib": steady, "hwm_kib": hwm, "cpu_s": cpu,
        "per_cpu_s": (msgs.len() as f64 / cpu.max(1e-6)).round(),
    }));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let persistent = std::env::var("BENCH_PERSISTENT").is_ok_and(|v| v == "1");
    let broker = ActiveMq::start(ActiveMqOptions {
        persistent,
        jit: Jit::Full,
        ..Default::default()
    });
    let soar = FakeResilient::builder().password(broker.password()).start();
    let dest = Destination::new("fn_threatq");
    let rule_id = soar.add_rule("ThreatQ: Sync Indicator", "artifact", false, &[&dest.name]);
    let tq = FakeThreatQ::start();
    let event = tq.add_event(
        "Resilient Incident 2095: Phishing from 10.0.0.1",
        "Incident",
    );
    let s = Setup {
        broker,
        soar,
        tq,
        dest,
        dir: tempfile::tempdir().expect("tempdir"),
        rule_id,
        event,
    };
    // The function (for the peer and for ours) as customize installs it.
    let cfg = app_config(&s);
    let out = Command::new(bin())
        .args(["customize", "-y", "--app-config"])
        .arg(&cfg)
        .output()
        .expect("customize");
    assert!(
        out.status.success(),
        "customize: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if std::env::var_os("BENCH_ONLY_SYNC").is_some() {
        run_ours(&s, "sync_indicator", 0, &sync_indicators(&s, n, 100_000));
        return;
    }
    // Warm-up: the broker's JIT and the fakes.
    run_ours(
        &s,
        "warm-up",
        0,
        &sync_indicators(&s, n.min(500), 1_000_000),
    );
    for r in 0..runs {
        for latency in [0, 2] {
            let base = 100_000 * (1 + r * 2 + latency as usize);
            run_ours(&s, "sync_indicator", latency, &sync_indicators(&s, n, base));
        }
        run_ours(&s, "function", 0, &functions(n, 10_000_000 + r * n));
        if let Some(venv) = std::env::var_os("RC_VENV") {
            run_peer(&s, Path::new(&venv), &functions(n, 20_000_000 + r * n));
        }
    }
}
