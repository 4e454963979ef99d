//! The test rig: FakeThreatQ and the fake CTR on 127.0.0.1, a config directory with
//! `<instance>.ini` pointing at both, and helpers to run the real binary and inspect the
//! result.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use tq_testkit::certs::TestCa;
use tq_testkit::ctr::FakeCtr;
use tq_testkit::threatq::{FakeThreatQ, FakeThreatQBuilder, NewIndicator};

/// The attribute source the connector writes.
pub const SOURCE: &str = "Cisco Threat Response Enrichment";

/// The attribute names of the vendor guide.
pub const NAMES: &[&str] = &[
    "Priority",
    "Origin",
    "Reference",
    "CTR Module",
    "Disposition",
    "Confidence",
    "Severity",
    "Description",
    "Source",
];

/// The source the seeded indicators come from; the default saved search selects it.
pub const FEED: &str = "Test Feed";

/// The default saved search name.
pub const SEARCH: &str = "CTR enrichment feed";

pub struct Rig {
    pub tq: FakeThreatQ,
    pub ctr: FakeCtr,
    pub dir: tempfile::TempDir,
    pub ca_file: PathBuf,
    pub hash: String,
}

impl Rig {
    /// Both fakes with defaults; the saved search `SEARCH` = indicators from `FEED`.
    pub fn new() -> Rig {
        Rig::with(FakeThreatQ::builder().shuffled_ids(true))
    }

    /// FakeThreatQ from this builder.
    pub fn with(builder: FakeThreatQBuilder) -> Rig {
        let tq = builder.start();
        let ca = TestCa::new("tq-ctr-enrich test CTR CA");
        let ctr = FakeCtr::start(
            ca.issue_server("127.0.0.1", &["127.0.0.1", "localhost"])
                .identity(),
        )
        .expect("start fake CTR");
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_file = dir.path().join("trusted-ca.pem");
        std::fs::write(&ca_file, format!("{}{}", tq.ca_pem(), ca.cert_pem())).expect("ca file");
        let hash = tq.add_saved_search(SEARCH, json!({ "source_name": FEED }));
        let rig = Rig {
            tq,
            ctr,
            dir,
            ca_file,
            hash,
        };
        rig.write_config("tq-ctr-enrich", &[("saved_search", SEARCH)]);
        rig
    }

    pub fn config_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    /// Writes `<instance>.ini` (mode 0600): ThreatQ, CTR and `[connector]` extras.
    pub fn write_config(&self, instance: &str, extra: &[(&str, &str)]) {
        let mut connector = vec![
            ("api_url".to_string(), self.ctr.url()),
            ("client_id".to_string(), self.ctr.client_id()),
            ("client_password".to_string(), self.ctr.client_password()),
            ("batch_size".to_string(), "2".to_string()),
        ];
        for (k, v) in extra {
            connector.retain(|(key, _)| key != k);
            connector.push((k.to_string(), v.to_string()));
        }
        let text = format!(
            "[threatq]\nhost = {}\nclient_id = {}\nusername = {}\npassword = {}\nstatus = Active\nca_file = {}\n\n[connector]\n{}\n",
            self.tq.host(),
            self.tq.client_id(),
            self.tq.username(),
            self.tq.password(),
            self.ca_file.display(),
            connector
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let path = self.dir.path().join(format!("{instance}.ini"));
        std::fs::write(&path, text).expect("write config");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    /// The command line of a run (config dir, log dir, -v 3 unless `args` says otherwise).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tq-ctr-enrich"));
        c.arg("-c").arg(self.config_dir());
        c.arg("-ll").arg(self.log_dir());
        if !args.contains(&"-v") {
            c.args(["-v", "3"]);
        }
        c.args(args);
        c.env("TQ_RETRY_BASE_MS", "10");
        c.env_remove("HTTPS_PROXY").env_remove("https_proxy");
        c.env_remove("ALL_PROXY").env_remove("all_proxy");
        c
    }

    /// Runs the binary to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tq-ctr-enrich")
    }

    /// Runs and asserts exit 0.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "stdout: {}\nstderr: {}\nlog: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log("tq-ctr-enrich")
        );
        out
    }

    /// The log file of an instance (empty when absent).
    pub fn log(&self, instance: &str) -> String {
        std::fs::read_to_string(self.log_dir().join(format!("{instance}.log"))).unwrap_or_default()
    }

    pub fn state_path(&self, instance: &str) -> PathBuf {
        self.dir.path().join(format!("{instance}.state.json"))
    }

    /// Seeds an indicator from `FEED` with status Review; returns its id.
    pub fn seed(&self, value: &str, kind: &str) -> u64 {
        self.tq
            .add_indicator_with(NewIndicator::new(value, kind).status("Review").source(FEED))
    }

    /// Seeds `n` IP addresses 10.x.y.z from `FEED`; returns their ids.
    pub fn seed_ips(&self, n: usize) -> Vec<u64> {
        (0..n).map(|i| self.seed(&ip(i), "IP Address")).collect()
    }

    /// The indicator as ThreatQ holds it.
    pub fn indicator(&self, id: u64) -> Value {
        self.tq.indicator(id).expect("indicator exists")
    }

    /// `(name, value)` of the attributes the connector wrote (source = SOURCE).
    pub fn our_attributes(&self, id: u64) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .tq
            .attributes_of("indicators", id)
            .iter()
            .filter(|a| has_source(a, SOURCE))
            .map(|a| (s(&a["name"]), s(&a["value"])))
            .collect();
        v.sort();
        v
    }

    /// Every attribute row of an indicator as `(name, value, sorted sources)`.
    pub fn all_attributes(&self, id: u64) -> Vec<(String, String, Vec<String>)> {
        self.tq
            .attributes_of("indicators", id)
            .iter()
            .map(|a| {
                let mut srcs: Vec<String> = a["sources"]
                    .as_array()
                    .map(|l| l.iter().map(|x| s(&x["name"])).collect())
                    .unwrap_or_default();
                srcs.sort();
                (s(&a["name"]), s(&a["value"]), srcs)
            })
            .collect()
    }

    /// Asserts no indicator carries two attribute rows with the same name, value and source.
    pub fn assert_no_duplicates(&self, ids: &[u64]) {
        for &id in ids {
            let mut seen = std::collections::HashSet::new();
            for (n, v, srcs) in self.all_attributes(id) {
                for src in srcs {
                    assert!(
                        seen.insert((n.clone(), v.clone(), src.clone())),
                        "indicator {id}: attribute {n}={v} from {src} is there twice"
                    );
                }
            }
        }
    }

    pub fn status(&self, id: u64) -> String {
        s(&self.indicator(id)["status"]["name"])
    }

    /// The values CTR was asked about (answered or not), in order.
    pub fn sent_values(&self) -> Vec<String> {
        self.ctr
            .observables_sent()
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }
}

pub fn ip(i: usize) -> String {
    format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)
}

pub fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn has_source(attr: &Value, name: &str) -> bool {
    attr["sources"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x["name"] == name))
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
