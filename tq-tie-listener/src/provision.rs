//! The DXL client certificate: read from a custom `cert_dir`, or provisioned through ePO's
//! OpenDXL provisioning command (research/dxl-tie.md §7) into `<config dir>/<instance>.dxl/`
//! on the first start and reused afterwards.
//!
//! Provisioning: a new RSA 2048 key and a CSR (CN = the instance name, clientAuth), then
//! `GET https://<epo_host>:<dxl_port>/remote/DxlBrokerMgmt.generateOpenDXLClientProvisioningPackageCmd?csrString=<PEM>&:output=json`
//! with HTTP Basic auth. The reply `OK:\r\n"<ca bundle>,<client cert>,<broker lines>"` gives
//! `ca-bundle.crt`, `client.crt` and the `[Brokers]` of `dxlclient.config`; the key is
//! written with mode 0600. Nothing is written unless the whole reply is usable.

use std::path::{Path, PathBuf};

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::stack::Stack;
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use openssl::x509::{X509NameBuilder, X509ReqBuilder, X509};
use tq_common::files::write_atomic;
use tq_common::http::{Http, HttpSettings, Method, Request};
use tq_common::{Error, Result, Secret};

use crate::dxlconfig::{parse_broker, DxlClientConfig, CONFIG_FILE};

/// How ePO is reached.
#[derive(Debug, Clone)]
pub struct Epo {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: Secret,
    /// CA file to verify ePO's certificate with; `None` = not verified (as
    /// `dxlclient provisionconfig` without `--truststore`).
    pub ca_file: Option<PathBuf>,
}

const SYSTEM: &str = "ePO";
const COMMAND: &str = "/remote/DxlBrokerMgmt.generateOpenDXLClientProvisioningPackageCmd";

/// The directory provisioning writes to.
pub fn provisioned_dir(config_dir: &Path, instance: &str) -> PathBuf {
    config_dir.join(format!("{instance}.dxl"))
}

/// The client directory to use: `cert_dir` if set; else the provisioned one, provisioning
/// it first when it does not exist yet.
pub fn client_config(
    cert_dir: Option<&Path>,
    config_dir: &Path,
    instance: &str,
    epo: Option<&Epo>,
) -> Result<DxlClientConfig> {
    let read = |dir: &Path| DxlClientConfig::read_dir(dir);
    if let Some(dir) = cert_dir {
        return read(dir);
    }
    let dir = provisioned_dir(config_dir, instance);
    if dir.join(CONFIG_FILE).exists() {
        log::info!(
            "using the DXL certificate provisioned earlier in {}",
            dir.display()
        );
        return read(&dir);
    }
    let epo = epo.ok_or_else(|| {
        Error::usage(
            "no DXL certificate yet: set [connector] epo_host, epo_username and epo_password \
             to provision one through ePO, or cert_dir to use an existing OpenDXL client directory",
        )
    })?;
    provision(epo, &dir, instance)?;
    read(&dir)
}

/// Provisions a client certificate into `dir`.
pub fn provision(epo: &Epo, dir: &Path, common_name: &str) -> Result<()> {
    log::info!(
        "provisioning a DXL client certificate through ePO {}:{} as {}",
        epo.host,
        epo.port,
        epo.username
    );
    let (key_pem, csr_pem) = key_and_csr(common_name)
        .map_err(|e| Error::runtime(format!("making the key and CSR: {e}")))?;
    let http = Http::new(HttpSettings {
        ca_file: epo.ca_file.clone(),
        verify_tls: epo.ca_file.is_some(),
        ..HttpSettings::default()
    })?;
    if epo.ca_file.is_none() {
        log::warn!(
            "ePO's TLS certificate is not verified (set [connector] epo_ca_file to verify it)"
        );
    }
    let host = if epo.host.contains(':') && !epo.host.starts_with('[') {
        format!("[{}]", epo.host)
    } else {
        epo.host.clone()
    };
    let auth = tq_common::http::basic_auth(&epo.username, &epo.password);
    let req = Request::new(Method::Get, format!("https://{host}:{}{COMMAND}", epo.port))
        .query("csrString", csr_pem.clone())
        .query(":output", "json")
        .header("Authorization", auth.expose());
    let resp = http.send(SYSTEM, &req)?;
    match resp.status {
        200 => {}
        401 | 403 => {
            return Err(Error::remote(
                SYSTEM,
                format!(
                    "{}:{} refused the credentials of {} (HTTP {}): check epo_username and epo_password",
                    epo.host, epo.port, epo.username, resp.status
                ),
            ))
        }
        s => {
            return Err(Error::remote(
                SYSTEM,
                format!(
                    "{}:{} answered HTTP {s} to the provisioning command: {}",
                    epo.host,
                    epo.port,
                    resp.excerpt()
                ),
            ))
        }
    }
    let package = parse_reply(&resp.text()).map_err(|m| Error::remote(SYSTEM, m))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::runtime(format!("creating {}: {e}", dir.display())))?;
    let w = |name: &str, bytes: &[u8], mode: u32| {
        write_atomic(&dir.join(name), bytes, mode)
            .map_err(|e| Error::runtime(format!("writing {}: {e}", dir.join(name).display())))
    };
    w("client.key", key_pem.as_bytes(), 0o600)?;
    w("client.csr", csr_pem.as_bytes(), 0o644)?;
    w("ca-bundle.crt", package.ca_bundle.as_bytes(), 0o644)?;
    w("client.crt", package.client_cert.as_bytes(), 0o644)?;
    let mut cfg = String::from(
        "[Certs]\nBrokerCertChain = ca-bundle.crt\nCertFile = client.crt\nPrivateKey = client.key\n\n[Brokers]\n",
    );
    for line in &package.broker_lines {
        cfg.push_str(line);
        cfg.push('\n');
    }
    cfg.push_str("\n[BrokersWebSockets]\n\n[General]\n#UseWebSockets = False\n");
    w(CONFIG_FILE, cfg.as_bytes(), 0o600)?;
    log::info!(
        "DXL client certificate provisioned in {} ({} broker(s))",
        dir.display(),
        package.broker_lines.len()
    );
    Ok(())
}

/// The parts of a provisioning reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ca_bundle: String,
    pub client_cert: String,
    /// `{guid}={guid};port;host;ip` lines, each checked.
    pub broker_lines: Vec<String>,
}

/// Parses `OK:\r\n"<ca>,<cert>,<brokers>[,<ws brokers>]"` (research §7.1 step 3).
pub fn parse_reply(text: &str) -> std::result::Result<Package, String> {
    let (status, rest) = text
        .split_once(':')
        .ok_or("the provisioning reply has no status prefix")?;
    if status.trim() != "OK" {
        let msg: String = text.chars().take(200).collect();
        return Err(format!("the provisioning command failed: {}", msg.trim()));
    }
    let inner: String = serde_json::from_str(rest.trim())
        .map_err(|e| format!("the provisioning reply is not a JSON string: {e}"))?;
    let parts: Vec<&str> = inner.split(',').collect();
    if parts.len() < 3 {
        return Err(format!(
            "the provisioning reply has {} part(s), expected CA bundle, certificate and brokers",
            parts.len()
        ));
    }
    let certs = |s: &str, what: &str| -> std::result::Result<String, String> {
        match X509::stack_from_pem(s.as_bytes()) {
            Ok(v) if !v.is_empty() => Ok(s.trim().to_string() + "\n"),
            _ => Err(format!(
                "the provisioning reply's {what} is not a PEM certificate"
            )),
        }
    };
    let ca_bundle = certs(parts[0], "CA bundle")?;
    let client_cert = certs(parts[1], "client certificate")?;
    let mut broker_lines = Vec::new();
    for line in parts[2].lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("broker line {line:?} has no '='"))?;
        let b = parse_broker(value).map_err(|e| format!("broker line {line:?}: {e}"))?;
        if !b.id.is_empty() && b.id != key.trim() {
            return Err(format!("broker line {line:?}: key and id differ"));
        }
        broker_lines.push(line.to_string());
    }
    Ok(Package {
        ca_bundle,
        client_cert,
        broker_lines,
    })
}

/// A new RSA 2048 key (PKCS#8 PEM) and a CSR for `cn` with the extensions
/// `dxlclient provisionconfig` requests.
pub fn key_and_csr(cn: &str) -> std::result::Result<(String, String), openssl::error::ErrorStack> {
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", cn)?;
    let name = name.build();
    let mut b = X509ReqBuilder::new()?;
    b.set_version(0)?;
    b.set_subject_name(&name)?;
    b.set_pubkey(&key)?;
    // Not a CA; signing and key encipherment (critical); client authentication.
    let mut usage = KeyUsage::new();
    usage.critical().digital_signature().key_encipherment();
    let mut ext = Stack::new()?;
    for e in [
        BasicConstraints::new().build()?,
        usage.build()?,
        ExtendedKeyUsage::new().client_auth().build()?,
    ] {
        ext.push(e)?;
    }
    b.add_extensions(&ext)?;
    b.sign(&key, MessageDigest::sha256())?;
    let csr = b.build().to_pem()?;
    let key = key.private_key_to_pem_pkcs8()?;
    Ok((
        String::from_utf8_lossy(&key).into_owned(),
        String::from_utf8_lossy(&csr).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_verifies_and_key_is_pkcs8() {
        let (key, csr) = key_and_csr("tq-tie-listener-siteA").expect("key and csr");
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
        let req = openssl::x509::X509Req::from_pem(csr.as_bytes()).expect("csr");
        let pk = req.public_key().expect("pubkey");
        assert!(req.verify(&pk).expect("verify"));
        let cn = req
            .subject_name()
            .entries()
            .next()
            .and_then(|e| e.data().to_string().ok());
        assert_eq!(cn.as_deref(), Some("tq-tie-listener-siteA"));
    }

    #[test]
    fn reply_parsing() {
        let e = parse_reply("ERROR 0: bad credentials").expect_err("error");
        assert!(e.contains("failed"), "{e}");
        assert!(parse_reply("OK:\r\n\"a,b\"\r\n").is_err());
        assert!(parse_reply("OK:\r\nnot json").is_err());
        let e = parse_reply("OK:\r\n\"x,y,z\"").expect_err("no pem");
        assert!(e.contains("CA bundle"), "{e}");
    }
}
