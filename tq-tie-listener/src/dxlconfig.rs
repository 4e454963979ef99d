//! Reading an OpenDXL client directory: `dxlclient.config` and the files it names
//! (research/dxl-tie.md §7.2).
//!
//! ```ini
//! [Certs]
//! BrokerCertChain = ca-bundle.crt
//! CertFile = client.crt
//! PrivateKey = client.key
//!
//! [Brokers]
//! {guid} = {guid};8883;broker.example.com;10.0.0.1
//!
//! [General]
//! ClientId = {...}          ; optional
//! ```
//!
//! Relative certificate paths are resolved against the config file's directory. A broker value
//! is `id;port;host[;ip]` or `port;host[;ip]` (when the first field is a port number), or a
//! URL `ssl://host:port`. The INI key of a broker line is ignored, as dxlclient does.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::mqtt::Broker;

/// The parsed client directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DxlClientConfig {
    /// The config file read.
    pub path: PathBuf,
    /// `[Certs] BrokerCertChain`: the CA bundle the brokers' certificates chain to.
    pub broker_cert_chain: PathBuf,
    /// `[Certs] CertFile`: the client certificate (PEM).
    pub cert_file: PathBuf,
    /// `[Certs] PrivateKey`: its key (PEM).
    pub private_key: PathBuf,
    /// `[Brokers]`, in the order they are tried.
    pub brokers: Vec<Broker>,
    /// `[General] ClientId`, if set.
    pub client_id: Option<String>,
}

/// A problem with the config, naming the file, section and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// Section, key and what is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The name of the config file in a client directory.
pub const CONFIG_FILE: &str = "dxlclient.config";

impl DxlClientConfig {
    /// Reads `<dir>/dxlclient.config`.
    pub fn read_dir(dir: &Path) -> Result<DxlClientConfig, ConfigError> {
        DxlClientConfig::read(&dir.join(CONFIG_FILE))
    }

    pub fn read(path: &Path) -> Result<DxlClientConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        })?;
        DxlClientConfig::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<DxlClientConfig, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.to_path_buf(),
            message,
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let mut section = String::new();
        let (mut chain, mut cert, mut key, mut client_id) = (None, None, None, None);
        let mut brokers = Vec::new();
        let mut saw_brokers = false;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_string();
                saw_brokers |= section == "Brokers";
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(err(format!("line {}: expected key = value", n + 1)));
            };
            let (k, v) = (k.trim(), unquote(v.trim()));
            match (section.as_str(), k) {
                ("Certs", "BrokerCertChain") => chain = Some(resolve(base, v)),
                ("Certs", "CertFile") => cert = Some(resolve(base, v)),
                ("Certs", "PrivateKey") => key = Some(resolve(base, v)),
                ("General", "ClientId") if !v.is_empty() => client_id = Some(v.to_string()),
                ("Brokers", _) => {
                    brokers.push(parse_broker(v).map_err(|m| err(format!("[Brokers] {k}: {m}")))?)
                }
                _ => {}
            }
        }
        let need =
            |v: Option<PathBuf>, k: &str| v.ok_or_else(|| err(format!("[Certs] {k} is missing")));
        if !saw_brokers {
            return Err(err("[Brokers] section is missing".into()));
        }
        Ok(DxlClientConfig {
            path: path.to_path_buf(),
            broker_cert_chain: need(chain, "BrokerCertChain")?,
            cert_file: need(cert, "CertFile")?,
            private_key: need(key, "PrivateKey")?,
            brokers,
            client_id,
        })
    }
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

fn resolve(base: &Path, v: &str) -> PathBuf {
    let p = Path::new(v);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Parses one broker value (see the module doc).
pub fn parse_broker(v: &str) -> Result<Broker, String> {
    let port = |s: &str| {
        s.parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("{s:?} is not a port number"))
    };
    if let Some((_, rest)) = v.split_once("://") {
        let (host, p) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("{v:?}: expected ssl://host:port"))?;
        return Ok(Broker::new(host.trim_matches(['[', ']']), port(p)?));
    }
    let f: Vec<&str> = v.split(';').map(str::trim).collect();
    let (id, rest) = if f.first().is_some_and(|s| s.parse::<u16>().is_ok()) {
        ("", &f[..])
    } else {
        (f.first().copied().unwrap_or(""), f.get(1..).unwrap_or(&[]))
    };
    let (p, host) = match rest {
        [p, host, ..] if !host.is_empty() => (port(p)?, *host),
        _ => return Err(format!("{v:?}: expected id;port;host[;ip]")),
    };
    Ok(Broker {
        id: id.to_string(),
        host: host.to_string(),
        ip: rest.get(2).filter(|s| !s.is_empty()).map(|s| s.to_string()),
        port: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVISIONED: &str = "[Certs]\nBrokerCertChain = ca-bundle.crt\nCertFile = client.crt\nPrivateKey = client.key\n\n[Brokers]\n{3f1c7d0e-1111-4a2b-9c3d-000000000001} = {3f1c7d0e-1111-4a2b-9c3d-000000000001};18883;localhost;127.0.0.1\nb2 = 8883;broker2.example.com\n\n[BrokersWebSockets]\n\n[General]\n#UseWebSockets = False\n";

    #[test]
    fn provisioned_layout() {
        let c = DxlClientConfig::parse(Path::new("/etc/dxl/dxlclient.config"), PROVISIONED)
            .expect("parses");
        assert_eq!(c.broker_cert_chain, Path::new("/etc/dxl/ca-bundle.crt"));
        assert_eq!(c.private_key, Path::new("/etc/dxl/client.key"));
        assert_eq!(
            c.brokers,
            vec![
                Broker {
                    id: "{3f1c7d0e-1111-4a2b-9c3d-000000000001}".into(),
                    host: "localhost".into(),
                    ip: Some("127.0.0.1".into()),
                    port: 18883
                },
                Broker::new("broker2.example.com", 8883),
            ]
        );
        assert_eq!(c.client_id, None);
    }

    #[test]
    fn absolute_paths_client_id_and_url_brokers() {
        let text = "[General]\nClientId = {abc}\n[Certs]\nBrokerCertChain = \"/pki/ca.pem\"\nCertFile=/pki/c.pem\nPrivateKey=/pki/k.pem\n[Brokers]\nx = ssl://10.1.2.3:8883\n";
        let c = DxlClientConfig::parse(Path::new("d/dxlclient.config"), text).expect("parses");
        assert_eq!(c.broker_cert_chain, Path::new("/pki/ca.pem"));
        assert_eq!(c.client_id.as_deref(), Some("{abc}"));
        assert_eq!(c.brokers, vec![Broker::new("10.1.2.3", 8883)]);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let p = Path::new("/x/dxlclient.config");
        let e = DxlClientConfig::parse(p, "[Certs]\nCertFile=a\nPrivateKey=b\n[Brokers]\n")
            .expect_err("missing chain");
        assert_eq!(
            e.to_string(),
            "/x/dxlclient.config: [Certs] BrokerCertChain is missing"
        );
        let e = DxlClientConfig::parse(p, "[Certs]\nBrokerCertChain=a\nCertFile=a\nPrivateKey=b\n")
            .expect_err("no brokers");
        assert!(e.message.contains("[Brokers]"));
        let e = DxlClientConfig::parse(
            p,
            "[Certs]\nBrokerCertChain=a\nCertFile=a\nPrivateKey=b\n[Brokers]\nb = {g};http;h\n",
        )
        .expect_err("bad port");
        assert!(
            e.message.contains("[Brokers] b") && e.message.contains("port"),
            "{e}"
        );
        assert!(parse_broker("{g}").is_err());
        assert!(parse_broker("{g};0;h").is_err());
    }
}
