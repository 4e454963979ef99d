//! OpenDXL client directories and the real Python `dxlclient` as an event publisher.
//!
//! [`ClientDir`] writes what `dxlclient provisionconfig` produces (research/dxl-tie.md §7.2):
//! `dxlclient.config`, `ca-bundle.crt`, `client.crt`, `client.key`. [`publish`] runs
//! `.venv/bin/python` with `dxl_publish.py` (beside this file) to send reputation-change
//! events built like the research samples through a broker.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::{base64, missing, repo_root, unhex, TempDir};
use crate::certs::TestCa;

/// The TIE file reputation-change broadcast topic.
pub const TOPIC_FILE_REPCHANGE: &str = "/mcafee/event/tie/file/repchange/broadcast";

const PUBLISH_SCRIPT: &str = include_str!("dxl_publish.py");

/// One line of the `[Brokers]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerEntry {
    /// The broker GUID, `{uuid}`.
    pub guid: String,
    /// The MQTT/TLS port.
    pub port: u16,
    /// The host name tried first.
    pub host: String,
    /// The IP address tried second.
    pub ip: String,
}

impl BrokerEntry {
    /// A loopback broker (`localhost`, `127.0.0.1`) with a GUID made from the port.
    pub fn local(port: u16) -> BrokerEntry {
        BrokerEntry {
            guid: format!("{{3f1c7d0e-1111-4a2b-9c3d-{port:012}}}"),
            port,
            host: "localhost".into(),
            ip: "127.0.0.1".into(),
        }
    }

    /// `{guid}={guid};port;host;ip`
    pub fn config_line(&self) -> String {
        format!(
            "{g}={g};{};{};{}",
            self.port,
            self.host,
            self.ip,
            g = self.guid
        )
    }
}

/// The text of a `dxlclient.config` as `provisionconfig` writes it, certificate paths relative
/// to the config's directory.
pub fn dxlclient_config(brokers: &[BrokerEntry]) -> String {
    let mut s = String::from(
        "[Certs]\nBrokerCertChain = ca-bundle.crt\nCertFile = client.crt\nPrivateKey = client.key\n\n[Brokers]\n",
    );
    for b in brokers {
        s.push_str(&b.config_line());
        s.push('\n');
    }
    s.push_str("\n[BrokersWebSockets]\n\n[General]\n#UseWebSockets = False\n");
    s
}

/// How the client key is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyForm {
    /// `-----BEGIN PRIVATE KEY-----` (what `provisionconfig` writes).
    Pkcs8,
    /// `-----BEGIN RSA PRIVATE KEY-----` (older tools, openssl genrsa).
    Pkcs1,
}

/// An OpenDXL client directory with a certificate from the test CA.
#[derive(Debug)]
pub struct ClientDir {
    _tmp: Option<TempDir>,
    /// The directory.
    pub dir: PathBuf,
    /// `dxlclient.config`.
    pub config: PathBuf,
    /// `ca-bundle.crt`: the test CA.
    pub ca_bundle: PathBuf,
    /// `client.crt`.
    pub cert: PathBuf,
    /// `client.key` (0600).
    pub key: PathBuf,
}

impl ClientDir {
    /// Creates the layout in a new temp dir (removed on drop).
    pub fn create(ca: &TestCa, cn: &str, brokers: &[BrokerEntry], key: KeyForm) -> ClientDir {
        let tmp = TempDir::new("tq-dxlclient");
        let mut d = ClientDir::create_in(tmp.path(), ca, cn, brokers, key);
        d._tmp = Some(tmp);
        d
    }

    /// Creates the layout in `dir` (which must exist).
    pub fn create_in(
        dir: &Path,
        ca: &TestCa,
        cn: &str,
        brokers: &[BrokerEntry],
        key: KeyForm,
    ) -> ClientDir {
        let issued = ca.issue_client(cn);
        let d = ClientDir {
            _tmp: None,
            dir: dir.to_path_buf(),
            config: dir.join("dxlclient.config"),
            ca_bundle: dir.join("ca-bundle.crt"),
            cert: dir.join("client.crt"),
            key: dir.join("client.key"),
        };
        ca.write_cert(&d.ca_bundle).expect("write ca-bundle.crt");
        std::fs::write(&d.cert, &issued.cert_pem).expect("write client.crt");
        let key_pem = match key {
            KeyForm::Pkcs8 => issued.key_pem.clone(),
            KeyForm::Pkcs1 => issued.key_pem_pkcs1(),
        };
        write_private(&d.key, key_pem.as_bytes());
        std::fs::write(&d.config, dxlclient_config(brokers)).expect("write dxlclient.config");
        d
    }
}

fn write_private(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .expect("create key file");
    f.write_all(bytes).expect("write key file");
}

/// The Python of the rigs' venv: `$TQ_VENV`, else the repo's `.venv` (both made by
/// `scripts/rigs/install`).
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("TQ_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv"));
    let p = venv.join("bin/python");
    if !p.exists() {
        missing(".venv with dxlclient");
    }
    p
}

/// What the publisher reported.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishReport {
    /// Events sent.
    pub sent: u64,
    /// Seconds from start to connected.
    pub connect_s: f64,
    /// Seconds spent in `send_event`.
    pub send_s: f64,
}

/// Sends each payload (`repeat` times over) as a DXL event on `topic` with the real Python
/// `dxlclient`, connecting with `client`'s `dxlclient.config`. Blocks until the publisher
/// has disconnected. Panics with the publisher's output if it fails.
pub fn publish(
    client: &ClientDir,
    topic: &str,
    payloads: &[Value],
    repeat: usize,
) -> PublishReport {
    let script = client.dir.join("dxl_publish.py");
    std::fs::write(&script, PUBLISH_SCRIPT).expect("write dxl_publish.py");
    let spec = json!({
        "config": client.config,
        "topic": topic,
        "payloads": payloads,
        "repeat": repeat,
        "linger": 0.5,
    });
    let mut child = Command::new(venv_python())
        .arg(&script)
        .current_dir(&client.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the Python dxlclient publisher");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(spec.to_string().as_bytes())
            .expect("write publisher spec");
    }
    let out = child.wait_with_output().expect("wait for publisher");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        panic!(
            "dxlclient publisher failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = stdout.lines().last().unwrap_or("");
    let v: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("publisher printed {line:?}: {e}"));
    PublishReport {
        sent: v["sent"].as_u64().unwrap_or(0),
        connect_s: v["connect_s"].as_f64().unwrap_or(0.0),
        send_s: v["send_s"].as_f64().unwrap_or(0.0),
    }
}

/// One provider's reputation in a reputation-change payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rep {
    /// TIE provider id (1 GTI, 3 Enterprise, 5 ATD).
    pub provider_id: i64,
    /// `trustLevel` as sent.
    pub trust_level: i64,
    /// `createDate`, epoch seconds.
    pub create_date: i64,
    /// Attribute id → value, both text as TIE sends them.
    pub attributes: Vec<(String, String)>,
}

impl Rep {
    /// GTI (provider 1).
    pub fn gti(trust_level: i64) -> Rep {
        Rep {
            provider_id: 1,
            trust_level,
            create_date: 1451504331,
            attributes: vec![
                ("2120340".into(), "2139162632".into()),
                ("2101908".into(), "1451504331".into()),
                ("2102421".into(), "42".into()),
            ],
        }
    }

    /// Enterprise (provider 3) with FIRST_CONTACT (2102165) and PREVALENCE (2101652).
    pub fn enterprise(trust_level: i64, first_contact: i64, prevalence: u64) -> Rep {
        Rep {
            provider_id: 3,
            trust_level,
            create_date: 1732280400,
            attributes: vec![
                ("2101652".into(), prevalence.to_string()),
                ("2102165".into(), first_contact.to_string()),
                ("2111893".into(), "22".into()),
                ("2114965".into(), "0".into()),
                ("2139285".into(), "72339069014638857".into()),
            ],
        }
    }

    /// ATD (provider 5); `trust_level` on whichever scale the test wants.
    pub fn atd(trust_level: i64) -> Rep {
        Rep {
            provider_id: 5,
            trust_level,
            create_date: 1732280000,
            attributes: vec![
                ("4194962".into(), "5".into()),
                ("4195218".into(), "5".into()),
                ("4195474".into(), "4".into()),
                ("4195730".into(), "5".into()),
            ],
        }
    }

    fn to_json(&self) -> Value {
        let attrs: serde_json::Map<String, Value> = self
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        json!({"attributes": attrs, "createDate": self.create_date,
               "providerId": self.provider_id, "trustLevel": self.trust_level})
    }
}

/// The file's hashes, lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileHashes {
    /// MD5, 32 hex digits.
    pub md5: Option<String>,
    /// SHA-1, 40 hex digits.
    pub sha1: Option<String>,
    /// SHA-256, 64 hex digits.
    pub sha256: Option<String>,
}

impl FileHashes {
    /// EICAR's hashes (research sample A).
    pub fn eicar() -> FileHashes {
        FileHashes {
            md5: Some("44d88612fea8a8f36de82e1278abb02f".into()),
            sha1: Some("3395856ce81f2b7382dee72602f798b642f14140".into()),
            sha256: Some("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f".into()),
        }
    }

    /// Distinct, well-formed hashes derived from `n` (for tests that need many files).
    pub fn numbered(n: u64) -> FileHashes {
        let h = |len: usize, tag: u64| {
            let mut s = format!("{tag:02x}{n:016x}");
            while s.len() < len {
                s.push('0');
            }
            s
        };
        FileHashes {
            md5: Some(h(32, 0x05)),
            sha1: Some(h(40, 0x01)),
            sha256: Some(h(64, 0x56)),
        }
    }
}

/// A reputation-change payload in the TIE wire form (research §5.1): hashes base64,
/// reputations as lists, `props.serverTime`, `updateTime`.
pub fn repchange_payload(hashes: &FileHashes, new: &[Rep], old: &[Rep], update_time: i64) -> Value {
    let mut hs = Vec::new();
    for (kind, v) in [
        ("md5", &hashes.md5),
        ("sha1", &hashes.sha1),
        ("sha256", &hashes.sha256),
    ] {
        if let Some(h) = v {
            hs.push(json!({"type": kind, "value": base64(&unhex(h))}));
        }
    }
    let reps = |r: &[Rep]| {
        json!({"reputations": r.iter().map(Rep::to_json).collect::<Vec<_>>(),
               "props": {"serverTime": update_time}})
    };
    json!({"hashes": hs, "oldReputations": reps(old), "newReputations": reps(new),
           "updateTime": update_time})
}

/// Research sample A's event (§8 `event_a`): EICAR, Enterprise Unknown → Known Malicious with
/// first contact 1451504331 and prevalence 11, GTI and ATD trust level 1.
pub fn sample_a_payload() -> Value {
    let new = [Rep::gti(1), Rep::enterprise(1, 1451504331, 11), Rep::atd(1)];
    let mut old_ent = Rep::enterprise(50, 1451504331, 11);
    old_ent.create_date = 1451504331;
    let old = [Rep::gti(1), old_ent, Rep::atd(1)];
    repchange_payload(&FileHashes::eicar(), &new, &old, 1732280400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_a_payload_hashes_match_research() {
        let v = sample_a_payload();
        assert_eq!(v["hashes"][0]["value"], "RNiGEv6oqPNt6C4SeKuwLw==");
        assert_eq!(v["hashes"][1]["value"], "M5WFbOgfK3OC3ucmAveYtkLxQUA=");
        assert_eq!(
            v["hashes"][2]["value"],
            "J1oCG7+2SJ5U1HGJn3250WY/xpXsL+KixFOKq/ZR/Q8="
        );
        assert_eq!(v["newReputations"]["reputations"][1]["trustLevel"], 1);
        assert_eq!(v["oldReputations"]["reputations"][1]["trustLevel"], 50);
    }

    #[test]
    fn numbered_hashes_are_distinct_and_sized() {
        let a = FileHashes::numbered(1);
        let b = FileHashes::numbered(2);
        assert_ne!(a, b);
        assert_eq!(a.md5.as_deref().map(str::len), Some(32));
        assert_eq!(a.sha1.as_deref().map(str::len), Some(40));
        assert_eq!(a.sha256.as_deref().map(str::len), Some(64));
    }

    #[test]
    fn config_lines() {
        let b = BrokerEntry::local(18883);
        assert_eq!(
            b.config_line(),
            "{3f1c7d0e-1111-4a2b-9c3d-000000018883}={3f1c7d0e-1111-4a2b-9c3d-000000018883};18883;localhost;127.0.0.1"
        );
        assert!(dxlclient_config(&[b]).contains("[Brokers]\n{3f1c7d0e"));
    }
}
