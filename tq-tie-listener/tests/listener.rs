//! Acceptance tests of issue 5: the real `tq-tie-listener` binary against a real mosquitto
//! (TLS, client certificates required), events published by the real Python OpenDXL client,
//! FakeThreatQ and the fake ePO.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tq_common::service::Stop;
use tq_testkit::certs::TestCa;
use tq_testkit::epo::FakeEpo;
use tq_testkit::files::assert_files_in;
use tq_testkit::rigs::dxl::{self as rig, BrokerEntry, ClientDir, FileHashes, KeyForm, Rep};
use tq_testkit::rigs::mosquitto::Mosquitto;
use tq_testkit::rigs::TempDir;
use tq_testkit::server::Fault;
use tq_testkit::threatq::FakeThreatQ;
use tq_tie_listener::{dxl, mqtt};

const BIN: &str = env!("CARGO_BIN_EXE_tq-tie-listener");
const WAIT: Duration = Duration::from_secs(30);

/// A config directory with `<instance>.ini`, and the listener process.
struct Listener {
    dir: PathBuf,
    suffix: Option<String>,
    child: Option<Child>,
    /// stdout and stderr, appended across restarts (the journal, under systemd).
    log: PathBuf,
    /// Where the log lines go: `log` with `-ll stdout`, else the `-ll` directory's file.
    lines: PathBuf,
    /// The executable (the binary, or a link to it under the original name).
    program: PathBuf,
    /// The command line after the program; `None`: `-c DIR -ll stdout -v 3 [--suffix S]`.
    args: Option<Vec<String>>,
    env: Vec<(String, String)>,
}

fn config_text(tq: &FakeThreatQ, connector: &[(&str, String)]) -> String {
    let mut s = format!(
        "[threatq]\nhost = {}\nclient_id = {}\nusername = {}\npassword = {}\nstatus = Review\nca_file = {}\n\n[connector]\n",
        tq.url(),
        tq.client_id(),
        tq.username(),
        tq.password(),
        tq.ca_file().display()
    );
    for (k, v) in connector {
        s.push_str(&format!("{k} = {v}\n"));
    }
    s
}

impl Listener {
    fn new(dir: &Path, suffix: Option<&str>, config: &str) -> Listener {
        let instance = match suffix {
            Some(s) => format!("tq-tie-listener-{s}"),
            None => "tq-tie-listener".to_string(),
        };
        let ini = dir.join(format!("{instance}.ini"));
        std::fs::write(&ini, config).expect("write ini");
        std::fs::set_permissions(&ini, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let log = dir.join(format!("{instance}.console"));
        Listener {
            dir: dir.to_path_buf(),
            lines: log.clone(),
            log,
            suffix: suffix.map(str::to_string),
            child: None,
            program: PathBuf::from(BIN),
            args: None,
            env: Vec::new(),
        }
    }

    /// Another process on the same config directory and instance, with its own console.
    fn twin(&self, name: &str) -> Listener {
        let log = self.dir.join(format!("{name}.console"));
        Listener {
            dir: self.dir.clone(),
            suffix: self.suffix.clone(),
            child: None,
            lines: log.clone(),
            log,
            program: self.program.clone(),
            args: self.args.clone(),
            env: self.env.clone(),
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        match &self.args {
            Some(args) => {
                c.args(args);
            }
            None => {
                c.arg("-c")
                    .arg(&self.dir)
                    .args(["-ll", "stdout", "-v", "3"]);
                if let Some(s) = &self.suffix {
                    c.args(["--suffix", s]);
                }
            }
        }
        c.env("TQ_RETRY_BASE_MS", "10");
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Starts the listener; its console goes to a file (appended across restarts).
    fn start(&mut self) {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("console file");
        let err = out.try_clone().expect("clone");
        let child = self
            .command()
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start tq-tie-listener");
        self.child = Some(child);
    }

    /// The log lines (console or `-ll` file).
    fn console(&self) -> String {
        std::fs::read_to_string(&self.lines).unwrap_or_default()
    }

    /// What the process wrote on stdout and stderr.
    fn journal(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log lines contain `needle`.
    fn wait_for(&self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.console().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} within {WAIT:?}:\n{}\n{}",
                self.console(),
                self.journal()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the console shows `n` "listening:" lines (n-th (re)connect).
    fn wait_listening(&mut self, n: usize) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.console().matches("listening: connected").count() >= n {
                return;
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(st)) = c.try_wait() {
                    panic!("listener exited ({st}):\n{}", self.console());
                }
            }
            assert!(
                Instant::now() < deadline,
                "not listening after {WAIT:?}:\n{}",
                self.console()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("running")
    }

    /// SIGTERM, then the exit status and how long the exit took.
    fn terminate(&mut self) -> (ExitStatus, Duration) {
        let st = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(st.success());
        self.wait_exit()
    }

    /// Waits (at most 10 s) for the process to exit; the status and how long it took.
    fn wait_exit(&mut self) -> (ExitStatus, Duration) {
        let t = Instant::now();
        let mut child = self.child.take().expect("running");
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return (st, t.elapsed());
            }
            if t.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("no exit 10 s after SIGTERM:\n{}", self.console());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until ThreatQ has an indicator with this value.
fn wait_indicator(tq: &FakeThreatQ, value: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = tq.indicator_by_value(value) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "indicator {value} never reached ThreatQ"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// name → values of the indicator's attribute rows.
fn attrs(ind: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ind["attributes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["name"].as_str().unwrap_or_default().to_string(),
                        r["value"]
                            .as_str()
                            .map_or_else(|| r["value"].to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

fn sources(ind: &Value) -> Vec<String> {
    ind["sources"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

struct Rig {
    ca: Arc<TestCa>,
    broker: Mosquitto,
    tq: FakeThreatQ,
    dir: TempDir,
    publisher: ClientDir,
    /// The listener's own OpenDXL directory (PKCS#1 key: converted in memory).
    ours: ClientDir,
}

impl Rig {
    fn new() -> Rig {
        let ca = Arc::new(TestCa::new("tie acceptance CA"));
        let broker = Mosquitto::start_default(&ca);
        let entry = BrokerEntry::local(broker.port());
        let publisher = ClientDir::create(
            &ca,
            "publisher",
            std::slice::from_ref(&entry),
            KeyForm::Pkcs8,
        );
        let ours = ClientDir::create(&ca, "tq-tie-listener", &[entry], KeyForm::Pkcs1);
        Rig {
            ca,
            broker,
            tq: FakeThreatQ::start(),
            dir: TempDir::new("tq-tie-test"),
            publisher,
            ours,
        }
    }

    fn listener(&self, suffix: Option<&str>, extra: &[(&str, String)]) -> Listener {
        let mut opts = vec![("cert_dir", self.ours.dir.display().to_string())];
        opts.extend(extra.iter().cloned());
        Listener::new(self.dir.path(), suffix, &config_text(&self.tq, &opts))
    }

    fn publish(&self, payloads: &[Value]) {
        let r = rig::publish(&self.publisher, rig::TOPIC_FILE_REPCHANGE, payloads, 1);
        assert_eq!(r.sent as usize, payloads.len());
    }
}

fn enterprise_change(n: u64, trust: i64, prevalence: u64) -> Value {
    rig::repchange_payload(
        &FileHashes::numbered(n),
        &[Rep::enterprise(trust, 1451504331, prevalence)],
        &[Rep::enterprise(50, 1451504331, prevalence)],
        1732280400,
    )
}

#[test]
fn known_malicious_becomes_three_indicators_known_trusted_nothing_and_sigterm_exits_0() {
    let rig = Rig::new();
    let mut l = rig.listener(None, &[]);
    l.start();
    l.wait_listening(1);
    let trusted = rig::repchange_payload(
        &FileHashes::numbered(99),
        &[Rep::enterprise(99, 1476902802, 235), Rep::gti(99)],
        &[Rep::enterprise(0, 1476902802, 235), Rep::gti(99)],
        1481219581,
    );
    rig.publish(&[trusted, rig::sample_a_payload()]);
    // A malformed message is logged with its topic and size, and skipped.
    let junk = rig.publisher.dir.join("junk.bin");
    std::fs::write(&junk, b"\x02\x02\xda\xff").expect("junk");
    let st = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &rig.broker.port().to_string(),
            "--insecure",
        ])
        .arg("--cafile")
        .arg(&rig.publisher.ca_bundle)
        .arg("--cert")
        .arg(&rig.publisher.cert)
        .arg("--key")
        .arg(&rig.publisher.key)
        .args(["-t", rig::TOPIC_FILE_REPCHANGE, "-f"])
        .arg(&junk)
        .status()
        .expect("mosquitto_pub");
    assert!(st.success());

    let eicar = FileHashes::eicar();
    let expected = vec![
        pair("ATD Trust Level", "Known Malicious"),
        pair("ENTERPRISE Trust Level", "Known Malicious"),
        pair("Enterprise Executions (PREVALENCE)", "11"),
        pair("Enterprise First Execution (FIRST_CONTACT)", "1451504331"),
        pair("GTI Trust Level", "Known Malicious"),
    ];
    for (value, kind) in [
        (eicar.md5.as_deref(), "MD5"),
        (eicar.sha1.as_deref(), "SHA-1"),
        (eicar.sha256.as_deref(), "SHA-256"),
    ] {
        let ind = wait_indicator(&rig.tq, value.expect("hash"));
        assert_eq!(ind["type"]["name"], kind, "{ind}");
        assert_eq!(ind["status"]["name"], "Review");
        assert_eq!(sources(&ind), ["McAfee TIE Reputation Change"]);
        assert_eq!(attrs(&ind), expected, "{kind}");
    }
    let deadline = Instant::now() + WAIT;
    while !l
        .console()
        .contains("skipped a message on /mcafee/event/tie/file/repchange/broadcast (4 bytes)")
    {
        assert!(
            Instant::now() < deadline,
            "malformed message not logged:\n{}",
            l.console()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (st, took) = l.terminate();
    assert!(st.success(), "exit {st}:\n{}", l.console());
    assert!(took < Duration::from_secs(2), "SIGTERM took {took:?}");
    let trusted = FileHashes::numbered(99);
    assert!(rig
        .tq
        .indicator_by_value(trusted.md5.as_deref().expect("md5"))
        .is_none());
    assert_eq!(
        rig.tq.object_count("indicators"),
        3,
        "only sample A's three hashes"
    );
    // No secret in the console.
    assert!(!l.console().contains(rig.tq.password()));
}

#[test]
fn attribute_value_change_updates_instead_of_duplicating() {
    let rig = Rig::new();
    let mut l = rig.listener(None, &[]);
    l.start();
    l.wait_listening(1);
    let md5 = FileHashes::numbered(5).md5.expect("md5");
    rig.publish(&[enterprise_change(5, 1, 11)]);
    let ind = wait_indicator(&rig.tq, &md5);
    assert!(attrs(&ind).contains(&pair("ENTERPRISE Trust Level", "Known Malicious")));
    // The same change again (a repeat): nothing new.
    rig.publish(&[enterprise_change(5, 1, 11)]);
    // Then a real change: level and prevalence change.
    rig.publish(&[enterprise_change(5, 15, 12)]);
    let want = vec![
        pair("ENTERPRISE Trust Level", "Most Likely Malicious"),
        pair("Enterprise Executions (PREVALENCE)", "12"),
        pair("Enterprise First Execution (FIRST_CONTACT)", "1451504331"),
    ];
    let deadline = Instant::now() + WAIT;
    loop {
        let got = attrs(&rig.tq.indicator_by_value(&md5).expect("indicator"));
        if got == want {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "attributes now {got:?}, want {want:?}\n{}",
            l.console()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (st, _) = l.terminate();
    assert!(st.success());
    // Each hash indicator has exactly the three rows.
    for h in [FileHashes::numbered(5).sha1, FileHashes::numbered(5).sha256] {
        let got = attrs(
            &rig.tq
                .indicator_by_value(&h.expect("hash"))
                .expect("indicator"),
        );
        assert_eq!(got, want);
    }
}

/// Filters per provider and the ATD mapping, with two instances (suffixes) side by side,
/// each on its own broker, writing into one ThreatQ.
#[test]
fn filters_atd_mapping_and_two_suffixed_instances_on_two_brokers() {
    let rig = Rig::new();
    let broker2 = Mosquitto::start_default(&rig.ca);
    let entry2 = BrokerEntry::local(broker2.port());
    let ours2 = ClientDir::create(
        &rig.ca,
        "tq-tie-listener-b",
        std::slice::from_ref(&entry2),
        KeyForm::Pkcs8,
    );
    let publisher2 = ClientDir::create(&rig.ca, "publisher-b", &[entry2], KeyForm::Pkcs8);

    // Instance "legacy" on broker 1: ATD on the old scale, Enterprise only Known Trusted,
    // GTI only Known Malicious.
    let mut a = rig.listener(
        Some("legacy"),
        &[
            ("use_tie_211_mapping", "false".into()),
            ("enterprise_reputations", "Known Trusted".into()),
            ("gti_reputations", "Known Malicious".into()),
        ],
    );
    // Instance "tie211" on broker 2: defaults.
    let mut b = Listener::new(
        rig.dir.path(),
        Some("tie211"),
        &config_text(&rig.tq, &[("cert_dir", ours2.dir.display().to_string())]),
    );
    a.start();
    b.start();
    a.wait_listening(1);
    b.wait_listening(1);

    let only = |n: u64, rep: Rep| {
        rig::repchange_payload(&FileHashes::numbered(n), &[rep], &[], 1732280400)
    };
    let events = vec![
        only(1, Rep::enterprise(99, 1476902802, 3)), // Enterprise Known Trusted
        only(2, Rep::gti(15)),                       // GTI Most Likely Malicious
        only(3, Rep::gti(1)),                        // GTI Known Malicious
        only(4, Rep::atd(4)),                        // ATD scale 4 = Most Likely Malicious
        only(5, Rep::atd(15)),                       // TIE scale 15 = Most Likely Malicious
        only(6, Rep::atd(1)), // 1: ATD Might be Trusted / TIE Known Malicious
    ];
    rig.publish(&events);
    let r = rig::publish(&publisher2, rig::TOPIC_FILE_REPCHANGE, &events, 1);
    assert_eq!(r.sent, 6);

    let md5 = |n: u64| FileHashes::numbered(n).md5.expect("md5");
    // What each instance accepts, and the attribute it writes.
    let legacy = [
        (1, Some(("ENTERPRISE Trust Level -legacy", "Known Trusted"))),
        (2, None),
        (3, Some(("GTI Trust Level -legacy", "Known Malicious"))),
        (
            4,
            Some(("ATD Trust Level -legacy", "Most Likely Malicious")),
        ),
        (5, None),
        (6, None),
    ];
    let tie211 = [
        (1, None),
        (
            2,
            Some(("GTI Trust Level -tie211", "Most Likely Malicious")),
        ),
        (3, Some(("GTI Trust Level -tie211", "Known Malicious"))),
        (4, None),
        (
            5,
            Some(("ATD Trust Level -tie211", "Most Likely Malicious")),
        ),
        (6, Some(("ATD Trust Level -tie211", "Known Malicious"))),
    ];
    // Wait for everything to land, then stop both (SIGTERM flushes).
    for (n, want) in legacy.iter().chain(tie211.iter()) {
        if want.is_some() {
            wait_indicator(&rig.tq, &md5(*n));
        }
    }
    let deadline = Instant::now() + WAIT;
    'wait: loop {
        for (n, want) in legacy.iter().chain(tie211.iter()) {
            if let Some((name, value)) = want {
                let got = attrs(&rig.tq.indicator_by_value(&md5(*n)).expect("indicator"));
                if !got.contains(&pair(name, value)) {
                    assert!(
                        Instant::now() < deadline,
                        "file {n}: no {name} = {value} in {got:?}"
                    );
                    std::thread::sleep(Duration::from_millis(100));
                    continue 'wait;
                }
            }
        }
        break;
    }
    assert!(a.terminate().0.success());
    assert!(b.terminate().0.success());
    for (n, l_want) in legacy {
        let t_want = tie211.iter().find(|(m, _)| *m == n).and_then(|(_, w)| *w);
        let ind = rig.tq.indicator_by_value(&md5(n));
        match (l_want, t_want) {
            (None, None) => assert!(ind.is_none(), "file {n} should be filtered out by both"),
            _ => {
                let ind = ind.expect("indicator");
                let got = attrs(&ind);
                let srcs = sources(&ind);
                for (suffix, want) in [("legacy", l_want), ("tie211", t_want)] {
                    let has_source =
                        srcs.contains(&format!("McAfee TIE Reputation Change {suffix}"));
                    assert_eq!(
                        has_source,
                        want.is_some(),
                        "file {n} source of {suffix}: {srcs:?}"
                    );
                    let ours: Vec<_> = got.iter().filter(|(k, _)| k.ends_with(suffix)).collect();
                    match want {
                        Some((name, value)) => assert!(
                            ours.contains(&&pair(name, value)),
                            "file {n}: {suffix} wrote {ours:?}"
                        ),
                        None => assert!(ours.is_empty(), "file {n}: {suffix} wrote {ours:?}"),
                    }
                }
            }
        }
    }
}

/// A fake ePO (user `admin`, password `epo_password`) that hands out the rig's broker, and
/// a listener config that provisions through it with `config_password`.
fn epo_and_config(rig: &Rig, epo_password: &str, config_password: &str) -> (FakeEpo, String) {
    let epo = FakeEpo::start(
        rig.ca.clone(),
        "admin",
        epo_password,
        vec![BrokerEntry::local(rig.broker.port())],
    );
    let config = config_text(
        &rig.tq,
        &[
            ("epo_host", epo.host()),
            ("dxl_port", epo.port().to_string()),
            ("epo_username", "admin".into()),
            ("epo_password", config_password.into()),
        ],
    );
    (epo, config)
}

#[test]
fn provisioning_through_fake_epo_writes_the_files_and_connects() {
    let rig = Rig::new();
    let (epo, config) = epo_and_config(&rig, "s3cret-epo-pw", "s3cret-epo-pw");
    let mut l = Listener::new(rig.dir.path(), None, &config);
    l.start();
    l.wait_listening(1);
    let dxl = rig.dir.path().join("tq-tie-listener.dxl");
    assert_files_in(
        &dxl,
        &[
            "client.key",
            "client.crt",
            "ca-bundle.crt",
            "dxlclient.config",
        ],
    );
    let mode = std::fs::metadata(dxl.join("client.key"))
        .expect("key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "key mode {mode:o}");
    assert_eq!(epo.requests().len(), 1);
    let req = &epo.requests()[0];
    assert_eq!(req.path, tq_testkit::epo::PROVISION_PATH);
    assert!(req
        .query_param("csrString")
        .is_some_and(|c| c.contains("CERTIFICATE REQUEST")));
    rig.publish(&[enterprise_change(21, 1, 4)]);
    wait_indicator(&rig.tq, &FileHashes::numbered(21).md5.expect("md5"));
    assert!(l.terminate().0.success());
    // A restart reuses the certificate: no second provisioning.
    l.start();
    l.wait_listening(2);
    assert_eq!(epo.requests().len(), 1);
    assert!(l.terminate().0.success());
    assert!(!l.console().contains("s3cret-epo-pw"));
}

#[test]
fn wrong_epo_password_exits_1_with_a_clear_message_and_no_password() {
    let rig = Rig::new();
    let (_epo, config) = epo_and_config(&rig, "right-password", "Wr0ng-Passw0rd");
    let l = Listener::new(rig.dir.path(), None, &config);
    let out = l.command().output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("refused the credentials"), "{text}");
    assert!(text.contains("epo_password"), "{text}");
    assert!(!text.contains("Wr0ng-Passw0rd"), "{text}");
    assert!(!rig
        .dir
        .path()
        .join("tq-tie-listener.dxl/client.key")
        .exists());
}

/// ThreatQ answers 500 for a minute while changes arrive; the listener is then killed with
/// SIGKILL and started again: every accepted change reaches ThreatQ exactly once.
#[test]
fn threatq_down_a_minute_then_sigkill_and_restart_writes_each_change_once() {
    let outage = Duration::from_secs(
        std::env::var("TQ_TIE_OUTAGE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
    );
    let rig = Rig::new();
    let mut l = rig.listener(None, &[]);
    l.start();
    l.wait_listening(1);
    // First a change that gets through, then the outage.
    rig.publish(&[enterprise_change(1000, 1, 1)]);
    wait_indicator(&rig.tq, &FileHashes::numbered(1000).md5.expect("md5"));
    rig.tq.fail_next(1_000_000, Fault::Status(500));
    let started = Instant::now();
    let events: Vec<Value> = (1..=40)
        .map(|n| enterprise_change(1000 + n, 1, n))
        .collect();
    rig.publish(&events[..20]);
    std::thread::sleep(outage / 2);
    rig.publish(&events[20..]);
    let deadline = Instant::now() + WAIT;
    while !l.console().contains("40 change(s) waiting") {
        assert!(
            Instant::now() < deadline,
            "no 'waiting' report:\n{}",
            l.console()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(outage.saturating_sub(started.elapsed()));
    l.kill(); // SIGKILL
    rig.tq.clear_faults();
    l.start();
    for n in 1000..=1040u64 {
        wait_indicator(&rig.tq, &FileHashes::numbered(n).md5.expect("md5"));
    }
    // Let a possible duplicate write land before counting.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(l.terminate().0.success());
    assert_eq!(rig.tq.object_count("indicators"), 41 * 3);
    for n in 1000..=1040u64 {
        let ind = rig
            .tq
            .indicator_by_value(&FileHashes::numbered(n).md5.expect("md5"))
            .expect("ind");
        let want = vec![
            pair("ENTERPRISE Trust Level", "Known Malicious"),
            pair(
                "Enterprise Executions (PREVALENCE)",
                &(n - 1000).max(1).to_string(),
            ),
            pair("Enterprise First Execution (FIRST_CONTACT)", "1451504331"),
        ];
        assert_eq!(attrs(&ind), want, "file {n}");
    }
}

/// The broker is killed and restarted three times while events keep flowing: the listener
/// reconnects and resubscribes each time, and every event published while it was
/// subscribed reaches ThreatQ exactly once. (What is published while no subscriber is
/// connected is dropped by the broker, as with any clean MQTT session, the SDK's included.)
#[test]
fn broker_restarted_three_times_while_events_flow() {
    let mut rig = Rig::new();
    let mut l = rig.listener(None, &[]);
    l.start();
    l.wait_listening(1);
    let mut windows: Vec<(Instant, Instant)> = Vec::new();
    let mut subscribed = Instant::now();

    // The flow: one new file every 10 ms, through our own MQTT client, reconnecting while
    // the broker is down; each event with the time its publish returned.
    let stop = Stop::new();
    let flow = {
        let (stop, port) = (stop.clone(), rig.broker.port());
        let p = &rig.publisher;
        let tls = mqtt::client_tls(&p.ca_bundle, &p.cert, &p.key).expect("tls");
        std::thread::spawn(move || {
            let mut sent: Vec<(u64, Instant)> = Vec::new();
            let mut n = 5000u64;
            while !stop.requested() {
                let mut o = mqtt::Options::new(mqtt::random_client_id());
                o.connect_timeout = Duration::from_secs(2);
                let Ok(mut c) = mqtt::Connection::open("127.0.0.1", port, &tls, &o) else {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                };
                while !stop.requested() {
                    let payload = enterprise_change(n, 1, n % 7).to_string();
                    let msg =
                        dxl::Outgoing::event(&format!("{{flow-{n}}}"), payload.as_bytes()).encode();
                    if c.publish(rig::TOPIC_FILE_REPCHANGE, &msg).is_err() {
                        break;
                    }
                    sent.push((n, Instant::now()));
                    n += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            sent
        })
    };
    for round in 0..3 {
        std::thread::sleep(Duration::from_millis(800));
        let killed = Instant::now();
        rig.broker.kill();
        windows.push((subscribed, killed));
        std::thread::sleep(Duration::from_millis(300));
        rig.broker.restart();
        l.wait_listening(round + 2);
        subscribed = Instant::now();
    }
    std::thread::sleep(Duration::from_millis(800));
    windows.push((subscribed, Instant::now()));
    stop.request();
    let sent = flow.join().expect("flow thread");
    // Published well inside a window: after the "listening" line was seen, and not in the
    // last 300 ms before the broker was killed (it may die before passing them on).
    let margin = Duration::from_millis(300);
    let expected: Vec<u64> = sent
        .iter()
        .filter(|(_, at)| {
            windows
                .iter()
                .any(|(from, to)| at > from && *at + margin < *to)
        })
        .map(|(n, _)| *n)
        .collect();
    assert!(
        expected.len() > 100,
        "too few events in the windows: {} of {} sent",
        expected.len(),
        sent.len()
    );
    for n in &expected {
        wait_indicator(&rig.tq, &FileHashes::numbered(*n).md5.expect("md5"));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(l.terminate().0.success());
    assert_eq!(l.console().matches("listening: connected").count(), 4);
    assert_eq!(rig.broker.starts(), 4);
    // Exactly once: three indicators per file that arrived, each with its three rows.
    let arrived: Vec<u64> = sent
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| {
            rig.tq
                .indicator_by_value(&FileHashes::numbered(*n).md5.expect("md5"))
                .is_some()
        })
        .collect();
    assert_eq!(rig.tq.object_count("indicators"), arrived.len() * 3);
    for n in expected {
        let ind = rig
            .tq
            .indicator_by_value(&FileHashes::numbered(n).md5.expect("md5"))
            .expect("indicator");
        assert_eq!(attrs(&ind).len(), 3, "file {n}: {:?}", attrs(&ind));
    }
}

/// SIGTERM while a batch is pending (changes arrive, the 1 s flush has not come yet): the
/// batch is written and the process exits 0 within 2 s.
#[test]
fn sigterm_flushes_the_pending_batch_and_exits_0_within_2s() {
    let rig = Rig::new();
    let mut l = rig.listener(None, &[]);
    l.start();
    l.wait_listening(1);
    // ThreatQ refuses the batch until SIGTERM comes, so it is still pending then.
    rig.tq.fail_next_on(
        "POST /api/indicators/consume",
        1_000_000,
        Fault::Status(500),
    );
    let events: Vec<Value> = (0..30).map(|n| enterprise_change(3000 + n, 1, 2)).collect();
    rig.publish(&events);
    let deadline = Instant::now() + WAIT;
    while !l.console().contains("30 change(s) waiting") {
        assert!(
            Instant::now() < deadline,
            "batch never pending:\n{}",
            l.console()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGTERM first, then ThreatQ comes back: only the final flush can write the batch.
    let (st, took) = {
        let pid = l.pid().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status();
        rig.tq.clear_faults();
        assert!(kill.expect("kill").success());
        l.wait_exit()
    };
    assert!(st.success(), "exit {st}:\n{}", l.console());
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
    let console = l.console();
    assert!(
        console.contains("final flush: wrote 30 file(s)"),
        "{console}"
    );
    for n in 3000..3030u64 {
        assert!(
            rig.tq
                .indicator_by_value(&FileHashes::numbered(n).md5.expect("md5"))
                .is_some(),
            "file {n} not written before exit:\n{console}"
        );
    }
}

#[test]
fn check_reaches_threatq_and_the_broker() {
    let rig = Rig::new();
    let l = rig.listener(None, &[]);
    let out = l.command().arg("--check").output().expect("run --check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("DXL fabric") && text.contains("connected to broker"),
        "{text}"
    );
    // With the broker gone the check fails.
    drop(rig.broker);
    let out = l.command().arg("--check").output().expect("run --check");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// An upgrade in place: the queue and written index left by release d0a9227
/// (tests/fixtures/d0a9227) are taken over by this release's binary: the 10 changes still
/// queued reach ThreatQ, and both files are migrated to the current formats.
#[test]
fn an_upgrade_from_release_d0a9227_writes_its_queued_changes_and_migrates_its_files() {
    let rig = Rig::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/d0a9227");
    let queue = rig.dir.path().join("tq-tie-listener.queue");
    std::fs::create_dir_all(&queue).expect("mkdir");
    for e in std::fs::read_dir(fixtures.join("tq-tie-listener.queue")).expect("ls") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), queue.join(e.file_name())).expect("copy");
    }
    let index = rig.dir.path().join("tq-tie-listener.written");
    std::fs::copy(fixtures.join("tq-tie-listener.written"), &index).expect("copy");

    let mut l = rig.listener(None, &[]);
    l.start();
    l.wait_listening(1);
    for n in 21..=30u64 {
        wait_indicator(&rig.tq, &format!("{n:032x}"));
    }
    // File 24 of the generator: GTI Known Trusted, Enterprise Known Malicious, SHA-1 too.
    let ind = wait_indicator(&rig.tq, &format!("{:032x}", 24));
    assert_eq!(
        attrs(&ind),
        vec![
            pair("ENTERPRISE Trust Level", "Known Malicious"),
            pair("Enterprise Executions (PREVALENCE)", "3"),
            pair("Enterprise First Execution (FIRST_CONTACT)", "1451504331"),
            pair("GTI Trust Level", "Known Trusted"),
        ]
    );
    assert!(rig.tq.indicator_by_value(&format!("{:040x}", 24)).is_some());
    assert!(l.terminate().0.success());
    let console = l.console();
    assert!(
        console.contains("10 change(s) from an earlier run wait"),
        "{console}"
    );
    assert_eq!(
        rig.tq.object_count("indicators"),
        10 + 5 + 4,
        "files 21..=30: 10 MD5, 5 SHA-1, 4 SHA-256, nothing from the acknowledged part"
    );
    let cursor = std::fs::read_to_string(queue.join("cursor")).expect("cursor");
    assert!(cursor.contains("\"version\":1"), "{cursor}");
    let written = std::fs::read(&index).expect("index");
    assert_eq!(&written[..8], b"TQDEDUP\0");
}

/// The guide's unit as an operator keeps it: `ExecStart=/usr/bin/tq-conn-mcafee-tie-
/// reputation-change -c DIR/ -ll DIR/ -v3 --suffix siteA` (the original name is a link to
/// this binary), started by systemd (its environment, no terminal, stdout and stderr to the
/// journal), `KillMode=none` (no SIGTERM, ever).
#[test]
fn the_guides_unit_through_the_original_name() {
    let rig = Rig::new();
    let dir = rig.dir.path().join("tie-site-a");
    let usr_bin = rig.dir.path().join("usr-bin");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::create_dir_all(&usr_bin).expect("mkdir");
    let original = usr_bin.join("tq-conn-mcafee-tie-reputation-change");
    std::os::unix::fs::symlink(BIN, &original).expect("link");
    let d = format!("{}/", dir.display());
    let mut l = Listener::new(&dir, Some("siteA"), "");
    std::fs::remove_file(dir.join("tq-tie-listener-siteA.ini")).expect("no config yet");
    l.program = original;
    l.args = Some(
        ["-c", &d, "-ll", &d, "-v3", "--suffix", "siteA"]
            .map(str::to_string)
            .to_vec(),
    );
    l.env = vec![
        (
            "INVOCATION_ID".into(),
            "0123456789abcdef0123456789abcdef".into(),
        ),
        ("JOURNAL_STREAM".into(), "8:12345".into()),
    ];
    l.lines = dir.join("tq-tie-listener-siteA.log");
    let ini = dir.join("tq-tie-listener-siteA.ini");

    // No config yet (the first run was not done by hand): a service cannot be asked, so it
    // fails at once, exit 2 (the units do not restart that), with one line saying how.
    let out = l.command().stdin(Stdio::null()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let journal = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(journal.lines().count(), 1, "{journal}");
    assert!(
        journal.contains(&ini.display().to_string())
            && journal.contains("terminal")
            && journal.contains("TQ_HOST"),
        "{journal}"
    );
    assert!(!ini.exists());

    // Configured: the guide's spelling "Note Set", a non-default ATD list.
    let config = config_text(
        &rig.tq,
        &[
            ("cert_dir", rig.ours.dir.display().to_string()),
            ("atd_reputations", "Note Set, Might be Trusted".into()),
        ],
    );
    std::fs::write(&ini, config).expect("ini");
    std::fs::set_permissions(&ini, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    l.start();
    l.wait_listening(1);
    let only_atd = |n: u64, level: i64| {
        rig::repchange_payload(
            &FileHashes::numbered(n),
            &[Rep::atd(level)],
            &[],
            1732280400,
        )
    };
    // 70 Might be Trusted and 0 Not Set are listed; 1 Known Malicious (a default) is not.
    rig.publish(&[only_atd(41, 70), only_atd(42, 0), only_atd(43, 1)]);
    let md5 = |n: u64| FileHashes::numbered(n).md5.expect("md5");
    for (n, level) in [(41, "Might be Trusted"), (42, "Not Set")] {
        let ind = wait_indicator(&rig.tq, &md5(n));
        assert_eq!(attrs(&ind), vec![pair("ATD Trust Level -siteA", level)]);
        assert_eq!(sources(&ind), ["McAfee TIE Reputation Change siteA"]);
    }

    // Changes accepted while ThreatQ refuses them, then SIGKILL (KillMode=none never sends
    // SIGTERM; a shutdown ends with SIGKILL): the next start writes each exactly once.
    rig.tq.fail_next_on(
        "POST /api/indicators/consume",
        1_000_000,
        Fault::Status(500),
    );
    let events: Vec<Value> = (44..54).map(|n| enterprise_change(n, 1, 2)).collect();
    rig.publish(&events);
    l.wait_for("10 change(s) waiting");
    l.kill();
    rig.tq.clear_faults();
    l.start();
    for n in 44..54 {
        wait_indicator(&rig.tq, &md5(n));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(l.terminate().0.success());
    assert!(
        rig.tq.indicator_by_value(&md5(43)).is_none(),
        "filtered out"
    );
    assert_eq!(rig.tq.object_count("indicators"), 12 * 3);
    for n in 44..54 {
        let ind = rig.tq.indicator_by_value(&md5(n)).expect("indicator");
        assert_eq!(
            attrs(&ind),
            vec![
                pair("ENTERPRISE Trust Level -siteA", "Known Malicious"),
                pair("Enterprise Executions (PREVALENCE)-siteA", "2"),
                pair(
                    "Enterprise First Execution (FIRST_CONTACT)-siteA",
                    "1451504331"
                ),
            ],
            "file {n}"
        );
    }
    // -ll DIR: the log lines, debug included (-v3), went to DIR/<instance>.log, mode 0640 or
    // tighter; the journal only got what ended a run.
    let log = l.console();
    assert!(
        log.contains(" DEBUG ") && log.contains("listening: connected"),
        "{log}"
    );
    let mode = std::fs::metadata(&l.lines)
        .expect("log")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode & !0o640, 0, "log mode {mode:o}");
    assert!(!l.journal().contains("listening"), "{}", l.journal());
}

/// Two processes started on one config (`-s`; e.g. a second `systemctl start` of the guide's
/// unit, whose KillMode=none left the first running): the second finds the instance lock
/// held, says so and exits 0; the first keeps writing; once it is stopped, a new start
/// takes over.
#[test]
fn two_processes_on_one_config() {
    let rig = Rig::new();
    let mut a = rig.listener(Some("siteB"), &[]);
    let args = |l: &Listener| {
        vec![
            "-c".to_string(),
            l.dir.display().to_string(),
            "-ll".into(),
            "stdout".into(),
            "-v".into(),
            "2".into(),
            "-s".into(),
            "siteB".into(),
        ]
    };
    a.args = Some(args(&a));
    a.start();
    a.wait_listening(1);
    let mut b = a.twin("second");
    let out = b.command().stdin(Stdio::null()).output().expect("second");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("previous run still active"), "{text}");
    let md5 = |n: u64| FileHashes::numbered(n).md5.expect("md5");
    rig.publish(&[enterprise_change(61, 1, 1)]);
    let ind = wait_indicator(&rig.tq, &md5(61));
    assert_eq!(sources(&ind), ["McAfee TIE Reputation Change siteB"]);
    assert!(attrs(&ind).contains(&pair("ENTERPRISE Trust Level -siteB", "Known Malicious")));
    assert!(a.terminate().0.success());
    b.start();
    b.wait_listening(1);
    rig.publish(&[enterprise_change(62, 1, 1)]);
    wait_indicator(&rig.tq, &md5(62));
    assert!(b.terminate().0.success());
    assert_eq!(rig.tq.object_count("indicators"), 6);
    assert!(
        a.console().contains("tq-tie-listener-siteB"),
        "{}",
        a.console()
    );
}

/// `--check` walks the broker list as the run does: a dead broker first, then one whose host
/// name does not resolve but whose IP answers. And before the certificate source is set,
/// `--check` and a run both refuse the config, exit 2, with the same message.
#[test]
fn check_walks_the_broker_list_as_the_run_and_agrees_with_it() {
    let rig = Rig::new();
    let dead = tq_testkit::rigs::free_port();
    let brokers = [
        BrokerEntry::local(dead),
        BrokerEntry {
            host: "broker.invalid".into(),
            ..BrokerEntry::local(rig.broker.port())
        },
    ];
    let client = ClientDir::create(&rig.ca, "tq-tie-listener", &brokers, KeyForm::Pkcs8);
    let mut l = Listener::new(
        rig.dir.path(),
        None,
        &config_text(&rig.tq, &[("cert_dir", client.dir.display().to_string())]),
    );
    let out = l.command().arg("--check").output().expect("--check");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let at = format!("connected to broker 127.0.0.1:{}", rig.broker.port());
    assert!(text.contains(&at), "{text}");
    l.start();
    l.wait_listening(1);
    assert!(
        l.console().contains(&format!(
            "connected to DXL broker 127.0.0.1:{}",
            rig.broker.port()
        )),
        "{}",
        l.console()
    );
    assert!(l.terminate().0.success());

    std::fs::write(
        rig.dir.path().join("tq-tie-listener.ini"),
        config_text(&rig.tq, &[]),
    )
    .expect("ini");
    let check = l.command().arg("--check").output().expect("--check");
    let run = l.command().stdin(Stdio::null()).output().expect("run");
    for (what, out) in [("--check", &check), ("run", &run)] {
        let t = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{what}: {t}");
        assert!(
            t.contains("[connector] cert_dir") && t.contains("epo_host"),
            "{what}: {t}"
        );
    }
    assert_eq!(check.stderr, run.stderr, "the same message");
}
