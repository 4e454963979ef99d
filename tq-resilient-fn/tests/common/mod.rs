//! The end-to-end rig of the tq-resilient-fn tests: the real binary, the real ActiveMQ
//! (shared per test process; each rig on its own destination), a FakeThreatQ and a fake
//! Resilient REST API whose integration user has the broker's password (one login for REST
//! and STOMP, as on SOAR). The rules are created in the fake Resilient by name, so the
//! messages carry the ids it gave them (the binary looks the names up).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_resilient_fn::rules;
use tq_testkit::resilient::{samples, FakeResilient};
use tq_testkit::rigs::activemq::peer::Replies;
use tq_testkit::rigs::activemq::{ActionMessage, ActiveMq, Destination, Soar};
use tq_testkit::threatq::FakeThreatQ;

pub const BIN: &str = env!("CARGO_BIN_EXE_tq-resilient-fn");

/// How long a test waits for replies.
pub const WAIT: Duration = Duration::from_secs(30);

/// Where the broker is, for app.config (copied, so that a test owning its broker can
/// restart it while the rig lives).
pub struct BrokerInfo {
    pub tls_port: u16,
    pub ca_file: PathBuf,
    pub password: String,
}

/// Everything one test talks to.
pub struct Rig {
    pub broker: BrokerInfo,
    pub tq: FakeThreatQ,
    pub soar: FakeResilient,
    pub dest: Destination,
    pub dir: tempfile::TempDir,
    /// Rule name → the id the fake Resilient gave it.
    pub rule_ids: HashMap<&'static str, u64>,
    /// Extra app.config lines (`[fn_threatq]` keys).
    pub extra: String,
}

impl Rig {
    /// A rig on the shared broker with every rule of the integration created in Resilient.
    pub fn new() -> Rig {
        Rig::on(ActiveMq::shared())
    }

    /// A rig on `broker` (its SOAR side: [`Rig::soar_on`]).
    pub fn on(broker: &ActiveMq) -> Rig {
        let tq = FakeThreatQ::builder().shuffled_ids(true).start();
        let soar = FakeResilient::builder().password(broker.password()).start();
        let dest = Destination::unique("fn_threatq");
        let mut rule_ids = HashMap::new();
        for r in rules::ALL {
            let id = soar.add_rule(r.name, r.object, !r.automatic, &[&dest.name]);
            rule_ids.insert(r.name, id);
        }
        Rig {
            broker: BrokerInfo {
                tls_port: broker.tls_port(),
                ca_file: broker.ca_file().to_path_buf(),
                password: broker.password().to_string(),
            },
            tq,
            soar,
            dest,
            dir: tempfile::tempdir().expect("tempdir"),
            rule_ids,
            extra: String::new(),
        }
    }

    /// The app.config for this rig (`extra` lines go into `[fn_threatq]`).
    pub fn app_config_text(&self, extra: &str) -> String {
        format!(
            "[resilient]\nhost = {host}\nport = {port}\norg = {org}\nemail = {email}\n\
             password = {pw}\ncafile = {ca}\nstomp_port = {sport}\nstomp_cafile = {sca}\n\
             num_workers = 8\nlogdir = /var/log/resilient-circuits\n\n\
             [fn_threatq]\nhost = {tq}\ncid = {cid}\nusername = {user}\npassword = {tqpw}\n\
             ca_file = {tqca}\ndestination = {dest}\n{extra}\n",
            host = self.soar.host(),
            port = self.soar.port(),
            org = self.soar.org_name(),
            email = self.soar.email(),
            pw = self.soar.password(),
            ca = self.soar.ca_file().display(),
            sport = self.broker.tls_port,
            sca = self.broker.ca_file.display(),
            tq = self.tq.url(),
            cid = self.tq.client_id(),
            user = self.tq.username(),
            tqpw = self.tq.password(),
            tqca = self.tq.ca_file().display(),
            dest = self.dest.name,
        )
    }

    /// Writes `<dir>/<name>/app.config`; returns its path.
    pub fn write_config(&self, name: &str, extra: &str) -> PathBuf {
        let d = self.dir.path().join(name);
        std::fs::create_dir_all(&d).expect("mkdir");
        let p = d.join("app.config");
        std::fs::write(&p, self.app_config_text(extra)).expect("write app.config");
        p
    }

    /// Starts `tq-resilient-fn run` (instance `name`, its own app.config, lock and log
    /// directory) and waits until it listens.
    pub fn start(&self, name: &str) -> Running {
        let cfg = self.write_config(name, &self.extra);
        Running::start(&cfg, &[])
    }

    /// The SOAR side of this rig's destination on the shared broker.
    pub fn soar_side(&self) -> Soar {
        ActiveMq::shared().soar(&self.dest)
    }

    /// The SOAR side of this rig's destination on `broker`.
    pub fn soar_on(&self, broker: &ActiveMq) -> Soar {
        broker.soar(&self.dest)
    }

    /// A rule message from sample `kind` for the rule `rule`, correlation `invid:<inv>`,
    /// edited by `edit`.
    pub fn rule(
        &self,
        kind: &str,
        rule: &str,
        inv: u64,
        edit: impl FnOnce(&mut Value),
    ) -> ActionMessage {
        let mut v = samples::action(kind);
        v["action_id"] = json!(self.rule_ids[rule]);
        edit(&mut v);
        ActionMessage::rule(&v, inv)
    }

    /// A function message for `name` with `inputs`.
    pub fn function(&self, name: &str, inputs: Value, inv: u64) -> ActionMessage {
        let mut v = samples::function_message();
        v["function"]["name"] = json!(name);
        v["inputs"] = inputs;
        ActionMessage::function(&v, inv)
    }

    /// The incident `id` as the fake stores it (a message's `incident`).
    pub fn incident(&self, id: u64) -> Value {
        self.soar.incident(id).expect("incident exists")
    }
}

/// Sets a select activity field of a rule message: the id in `properties`, the label in
/// `type_info.actioninvocation`.
pub fn select(v: &mut Value, field: &str, id: u64, label: &str) {
    v["properties"][field] = json!(id);
    v["type_info"]["actioninvocation"]["fields"][field]["values"][id.to_string()] = json!({
        "value": id, "label": label, "enabled": true, "default": false,
        "properties": null, "uuid": null
    });
}

/// A running `tq-resilient-fn run`; SIGKILLed when dropped if still running.
pub struct Running {
    pub child: Child,
    pub log_dir: PathBuf,
}

impl Running {
    /// Starts the binary on `app_config` with `env` and waits until it listens.
    pub fn start(app_config: &Path, env: &[(&str, &str)]) -> Running {
        let dir = app_config.parent().expect("config dir").to_path_buf();
        let mut c = Command::new(BIN);
        c.args(["run", "--app-config"])
            .arg(app_config)
            .args(["-ll"])
            .arg(&dir)
            .args(["-v", "3"])
            .env_remove("APP_LOCK_FILE")
            .env_remove("APP_CONFIG_FILE")
            .env(
                "TQ_RETRY_BASE_MS",
                std::env::var("TQ_RETRY_BASE_MS").unwrap_or_else(|_| "10".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let child = c.spawn().expect("start tq-resilient-fn");
        let mut r = Running {
            child,
            log_dir: dir,
        };
        r.wait_for_log("listening: connected", Duration::from_secs(30));
        r
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_dir.join("tq-resilient-fn.log")).unwrap_or_default()
    }

    /// Waits until the log has `count` lines containing `text`.
    pub fn wait_for_log_n(&mut self, text: &str, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if self.log().matches(text).count() >= count {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "tq-resilient-fn exited ({status}) before \"{text}\":\n{}",
                    self.log()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "no \"{text}\" (x{count}) within {within:?}:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the log has a line containing `text`.
    pub fn wait_for_log(&mut self, text: &str, within: Duration) {
        self.wait_for_log_n(text, 1, within)
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("no exit 15 s after SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `msgs` and collects their replies (until each has a complete one).
pub fn exchange(soar: &mut Soar, msgs: &[ActionMessage]) -> Replies {
    soar.send_all(msgs);
    let ids: Vec<&str> = msgs.iter().map(|m| m.correlation_id()).collect();
    let r = soar.collect(&ids, WAIT);
    assert!(
        r.missing().is_empty(),
        "no final reply for {:?}",
        r.missing()
    );
    r
}

/// The final reply of `corr`, asserting it is a success; its message.
pub fn ok_text(r: &Replies, corr: &str) -> String {
    let f = r.complete(corr).expect("final reply");
    assert_eq!(f.message_type(), 0, "{corr}: {}", f.message());
    f.message().to_string()
}

/// The final reply of `corr`, asserting it is an error; its message.
pub fn error_text(r: &Replies, corr: &str) -> String {
    let f = r.complete(corr).expect("final reply");
    assert_eq!(f.message_type(), 1, "{corr} should fail: {}", f.message());
    f.message().to_string()
}
