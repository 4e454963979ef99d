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

use std::path::{Path, PathBuf};

use tq_common::config::source::{parse_ini_sections, Dialect};
use tq_common::{Error, Result};

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

/// The name of the config file in a client directory.
pub const CONFIG_FILE: &str = "dxlclient.config";

impl DxlClientConfig {
    /// Reads `<dir>/dxlclient.config`.
    pub fn read_dir(dir: &Path) -> Result<DxlClientConfig> {
        DxlClientConfig::read(&dir.join(CONFIG_FILE))
    }

    /// Reads a `dxlclient.config`; an error names the file, and the section and key.
    pub fn read(path: &Path) -> Result<DxlClientConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::ConfigFile {
            origin: origin(path),
            message: format!("cannot read: {e}"),
        })?;
        DxlClientConfig::parse(path, &text)
    }

    /// Parses the text of `path` (INI as configobj writes it: values may be quoted).
    pub fn parse(path: &Path, text: &str) -> Result<DxlClientConfig> {
        let origin = origin(path);
        let base = path.parent().unwrap_or(Path::new("."));
        let sections = parse_ini_sections(&origin, text, Dialect::default())?;
        let key_error = |section: &str, key: &str, message: String| Error::Config {
            origin: origin.clone(),
            section: section.to_string(),
            key: key.to_string(),
            message,
        };
        let (mut chain, mut cert, mut key, mut client_id) = (None, None, None, None);
        let mut brokers = Vec::new();
        let mut saw_brokers = false;
        for section in &sections {
            saw_brokers |= section.name == "Brokers";
            for (k, v) in &section.entries {
                let v = unquote(v.trim());
                match (section.name.as_str(), k.as_str()) {
                    ("Certs", "BrokerCertChain") => chain = Some(resolve(base, v)),
                    ("Certs", "CertFile") => cert = Some(resolve(base, v)),
                    ("Certs", "PrivateKey") => key = Some(resolve(base, v)),
                    ("General", "ClientId") if !v.is_empty() => client_id = Some(v.to_string()),
                    ("Brokers", _) => {
                        brokers.push(parse_broker(v).map_err(|m| key_error("Brokers", k, m))?)
                    }
                    _ => {}
                }
            }
        }
        if !saw_brokers {
            return Err(Error::ConfigFile {
                origin,
                message: "the [Brokers] section is missing".into(),
            });
        }
        let need = |v: Option<PathBuf>, k: &str| {
            v.ok_or_else(|| key_error("Certs", k, "is missing".into()))
        };
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

/// How errors name the file.
fn origin(path: &Path) -> String {
    format!("DXL client config {}", path.display())
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
pub fn parse_broker(v: &str) -> std::result::Result<Broker, String> {
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
    fn errors_name_file_section_and_key() {
        let p = Path::new("/x/dxlclient.config");
        let e = DxlClientConfig::parse(p, "[Certs]\nCertFile=a\nPrivateKey=b\n[Brokers]\n")
            .expect_err("missing chain");
        assert_eq!(
            e.to_string(),
            "DXL client config /x/dxlclient.config: [Certs] BrokerCertChain: is missing"
        );
        assert_eq!(e.exit_code(), 2);
        let e = DxlClientConfig::parse(p, "[Certs]\nBrokerCertChain=a\nCertFile=a\nPrivateKey=b\n")
            .expect_err("no brokers");
        assert_eq!(
            e.to_string(),
            "DXL client config /x/dxlclient.config: the [Brokers] section is missing"
        );
        let e = DxlClientConfig::parse(
            p,
            "[Certs]\nBrokerCertChain=a\nCertFile=a\nPrivateKey=b\n[Brokers]\nb = {g};http;h\n",
        )
        .expect_err("bad port");
        assert_eq!(
            e.to_string(),
            "DXL client config /x/dxlclient.config: [Brokers] b: \"http\" is not a port number"
        );
        let e = DxlClientConfig::parse(p, "[Certs]\nno value here\nCertFile=a\n[Brokers]\n")
            .expect_err("not INI");
        assert_eq!(
            e.to_string(),
            "DXL client config /x/dxlclient.config: not a valid INI file: line 2: \"no value here\" is not key = value"
        );
        let e = DxlClientConfig::read_dir(Path::new("/nonexistent-dxl")).expect_err("no file");
        assert!(
            e.to_string()
                .starts_with("DXL client config /nonexistent-dxl/dxlclient.config: cannot read"),
            "{e}"
        );
        assert!(parse_broker("{g}").is_err());
        assert!(parse_broker("{g};0;h").is_err());
    }

    #[test]
    fn an_empty_brokers_section_is_accepted() {
        // research/dxl-tie.md §7.2: [Brokers] must be present but may be empty.
        let c = DxlClientConfig::parse(
            Path::new("d/dxlclient.config"),
            "[Certs]\nBrokerCertChain=a\nCertFile=b\nPrivateKey=c\n[Brokers]\n[General]\n",
        )
        .expect("parses");
        assert!(c.brokers.is_empty());
        assert_eq!(c.cert_file, Path::new("d/b"));
    }
}
