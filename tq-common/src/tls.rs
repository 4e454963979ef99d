//! One TLS trust policy for every connection a connector makes: HTTP (ureq, through
//! [`crate::http`]), raw TCP protocols such as MQTT and STOMP ([`StreamConnector`], on the
//! `openssl` crate), and SMTP (lettre, from [`TlsPolicy::parts`]: the CA certificates and
//! the client identity as PEM text).
//!
//! A [`TlsPolicy`] says which certificate authorities are trusted ([`Trust`]: the system
//! store plus an optional `ca_file`, or only a given bundle), whether the server certificate
//! is verified at all (off logs a warning naming the system, once per run), whether its host
//! name is checked (DXL does not), and which client certificate to present, if any.
//!
//! Client keys may be PKCS#8, PKCS#1 RSA or SEC1 EC PEM; encrypted keys are refused (a
//! connector runs unattended, and OpenSSL would otherwise prompt on the terminal). No
//! error message ever holds key text.

use std::net::{IpAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions,
    SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509CheckFlags;
use openssl::x509::{X509VerifyResult, X509};

use crate::{Error, Result, Secret};

pub use openssl::ssl::SslStream;

/// Where the system CA bundle lives on Debian/Ubuntu and on RHEL-like systems. Loaded
/// beside a configured `ca_file` when a specific root list must be built, because a
/// specific root list replaces the system store.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
];

/// Directories OpenSSL looks up system CAs in by subject hash (`<hash>.0` links), lazily.
const HASHED_CA_DIRS: &[&str] = &["/usr/lib/ssl/certs", "/etc/ssl/certs"];

/// The CA file OpenSSL loads as its default file (see [`use_ca_file_as_default`]).
static DEFAULT_CA_FILE: OnceLock<PathBuf> = OnceLock::new();

/// The systems whose unverified connection has been warned about in this run.
static WARNED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Makes `ca_file` OpenSSL's default CA *file* for this process (`SSL_CERT_FILE`), so that
/// the default store is `ca_file` plus the system CA directory, looked up lazily by hash.
///
/// Why: OpenSSL 3.0 parses its whole default bundle (~150 certificates, ~40 ms) every time
/// a TLS context is made, and a specific root list built from `ca_file` plus the system
/// bundle costs as much again. This keeps "system roots + ca_file" at the cost of one
/// certificate. It is done only when the CA directory is hashed (Debian, Ubuntu) and
/// `SSL_CERT_FILE` is unset or names the system bundle (whose certificates the directory
/// holds too); otherwise [`TlsPolicy`] builds the root list itself. Call it from the main
/// thread before any other thread starts (it changes the process environment). Returns
/// whether it was done.
pub fn use_ca_file_as_default(ca_file: &Path) -> bool {
    if let Some(p) = DEFAULT_CA_FILE.get() {
        return p == ca_file;
    }
    let file_ok = match std::env::var_os("SSL_CERT_FILE") {
        None => true,
        Some(f) => SYSTEM_BUNDLES.iter().any(|b| Path::new(b) == Path::new(&f)),
    };
    let dir_ok = match std::env::var_os("SSL_CERT_DIR") {
        None => HASHED_CA_DIRS.iter().any(|d| dir_is_hashed(Path::new(d))),
        Some(d) => dir_is_hashed(Path::new(&d)),
    };
    if !(file_ok && dir_ok) {
        return false;
    }
    std::env::set_var("SSL_CERT_FILE", ca_file);
    DEFAULT_CA_FILE.set(ca_file.to_path_buf()).is_ok()
}

/// Whether `ca_file` is already OpenSSL's default CA file (so the system store holds it).
fn is_default_ca_file(ca_file: &Path) -> bool {
    DEFAULT_CA_FILE.get().is_some_and(|p| p == ca_file)
}

fn dir_is_hashed(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| {
        entries.any(|e| {
            e.ok().is_some_and(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.len() == 10
                    && name.ends_with(".0")
                    && name[..8].chars().all(|c| c.is_ascii_hexdigit())
            })
        })
    })
}

/// Logs, once per run and system, that the TLS certificate of `system` is not verified.
/// Returns whether this call logged it. [`TlsPolicy`] calls it when verification is off;
/// code that turns verification off by other means calls it too, so the warning is the same.
pub fn warn_unverified(system: &str) -> bool {
    let mut warned = WARNED.lock().unwrap_or_else(|p| p.into_inner());
    if warned.iter().any(|s| s == system) {
        return false;
    }
    warned.push(system.to_string());
    log::warn!(
        "TLS verification of {system} is off: its certificate is not checked and the connection is not secure"
    );
    true
}

/// Which certificate authorities a connection trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The system store, plus the certificates of `ca_file` when one is given (the
    /// `[threatq] ca_file` of a self-signed appliance).
    System {
        /// Extra trusted CA certificates (PEM).
        ca_file: Option<PathBuf>,
    },
    /// Only the certificates of this PEM bundle; the system store is not even loaded
    /// (DXL trusts its broker bundle only, and the system store would cost ~0.85 MiB of
    /// resident heap in a long-running service).
    Only(PathBuf),
}

/// A client certificate (with its chain) and private key, for mutual TLS.
///
/// `Debug` shows the certificate subject, never the key.
#[derive(Clone)]
pub struct ClientIdentity {
    chain: Vec<X509>,
    key: PKey<Private>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("subject", &self.subject())
            .field("key", &"***")
            .finish()
    }
}

impl ClientIdentity {
    /// Reads PEM text: `cert` is the client certificate, optionally followed by its chain;
    /// `key` is its private key (PKCS#8, or PKCS#1 RSA / SEC1 EC as older tools write it).
    /// An encrypted key, a key that does not match the certificate, or no certificate is an
    /// error (exit 2); the key text never appears in it.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<ClientIdentity> {
        Self::parse(cert, key).map_err(Error::usage)
    }

    /// Reads the certificate and key files; errors name the file at fault.
    pub fn from_files(cert: &Path, key: &Path) -> Result<ClientIdentity> {
        let read = |p: &Path, what: &str| {
            std::fs::read(p)
                .map_err(|e| Error::usage(format!("cannot read {what} {}: {e}", p.display())))
        };
        let (cert_pem, key_pem) = (read(cert, "client certificate")?, read(key, "private key")?);
        Self::parse(&cert_pem, &key_pem).map_err(|m| {
            let file = if m.starts_with("the private key") {
                key
            } else {
                cert
            };
            Error::usage(format!("{}: {m}", file.display()))
        })
    }

    fn parse(cert: &[u8], key: &[u8]) -> std::result::Result<ClientIdentity, String> {
        let chain = X509::stack_from_pem(cert)
            .map_err(|e| format!("the client certificate is not PEM: {}", first_reason(&e)))?;
        if chain.is_empty() {
            return Err("the client certificate file holds no certificate".into());
        }
        if has_tag(key, b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
            || has_tag(key, b"Proc-Type: 4,ENCRYPTED")
        {
            return Err("the private key is encrypted; provide an unencrypted key".into());
        }
        // The callback answers any passphrase request with an empty one, so OpenSSL never
        // prompts on the terminal.
        let key = PKey::private_key_from_pem_callback(key, |_| Ok(0)).map_err(|_| {
            "the private key is not a PEM private key (PKCS#8, or PKCS#1 RSA / SEC1 EC)".to_string()
        })?;
        let matches = chain[0]
            .public_key()
            .map(|p| p.public_eq(&key))
            .unwrap_or(false);
        if !matches {
            return Err("the private key does not match the client certificate".into());
        }
        Ok(ClientIdentity { chain, key })
    }

    /// The subject of the client certificate, e.g. `CN=dxl-client, O=Example`.
    pub fn subject(&self) -> String {
        self.chain[0]
            .subject_name()
            .entries()
            .map(|e| {
                format!(
                    "{}={}",
                    e.object().nid().short_name().unwrap_or("?"),
                    e.data().to_string().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The certificate and its chain as PEM text (for lettre's `Identity::from_pem`).
    pub fn cert_chain_pem(&self) -> String {
        self.chain
            .iter()
            .filter_map(|c| c.to_pem().ok())
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .collect()
    }

    /// The private key as PKCS#8 PEM, whatever form it was read in (native-tls and lettre
    /// take PKCS#8 only).
    pub fn key_pkcs8_pem(&self) -> Result<Secret> {
        let pem = self
            .key
            .private_key_to_pem_pkcs8()
            .map_err(|e| Error::runtime(format!("cannot encode the private key: {e}")))?;
        Ok(Secret::new(String::from_utf8_lossy(&pem).into_owned()))
    }
}

/// How one system's connections are secured: trust, verification and client certificate.
///
/// ```
/// use tq_common::tls::{TlsPolicy, Trust};
/// // DXL: only the broker bundle, chain verified, host name not checked.
/// let dxl = TlsPolicy {
///     verify_hostname: false,
///     ..TlsPolicy::new("DXL broker", Trust::Only("/etc/dxl/ca-bundle.crt".into()))
/// };
/// assert!(!dxl.uses_system_roots());
/// ```
#[derive(Debug, Clone)]
pub struct TlsPolicy {
    /// The system reached, as errors and the verification warning name it ("ThreatQ",
    /// "DXL broker", "SMTP server").
    pub system: String,
    /// The trusted certificate authorities.
    pub trust: Trust,
    /// false: the server certificate is not verified at all (insecure; warned once).
    pub verify: bool,
    /// false: the chain is verified but not the host name (DXL brokers, research
    /// dxl-tie.md §2.2). HTTP always checks it.
    pub verify_hostname: bool,
    /// The client certificate to present, if the server asks for one.
    pub identity: Option<ClientIdentity>,
}

impl TlsPolicy {
    /// Verification on, host names checked, no client certificate.
    pub fn new(system: impl Into<String>, trust: Trust) -> TlsPolicy {
        TlsPolicy {
            system: system.into(),
            trust,
            verify: true,
            verify_hostname: true,
            identity: None,
        }
    }

    /// Whether the system CA store is trusted (else only the given bundle).
    pub fn uses_system_roots(&self) -> bool {
        matches!(self.trust, Trust::System { .. })
    }

    /// The CA certificates this policy adds to (or, with [`Trust::Only`], uses instead of)
    /// the system store, as PEM blocks: what lettre's `Certificate::from_pem` takes, one
    /// block each. Empty for the system store alone. A file that cannot be read or holds no
    /// certificate is an error naming it (exit 2).
    pub fn ca_certificates_pem(&self) -> Result<Vec<String>> {
        let certs = match &self.trust {
            Trust::System { ca_file: None } => return Ok(Vec::new()),
            Trust::System { ca_file: Some(p) } | Trust::Only(p) => read_ca_file(p)?,
        };
        Ok(certs
            .iter()
            .filter_map(|c| c.to_pem().ok())
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .collect())
    }

    /// Everything another TLS stack needs, as PEM text: lettre's SMTP transport (branch
    /// email) maps it as
    ///
    /// - each of `ca_pem` → `TlsParametersBuilder::add_root_certificate(Certificate::from_pem(..))`;
    /// - `system_roots == false` → `.certificate_store(CertificateStore::None)`;
    /// - `verify == false` → `.dangerous_accept_invalid_certs(true)`; `verify_hostname ==
    ///   false` → `.dangerous_accept_invalid_hostnames(true)`;
    /// - `identity` → `.identify_with(Identity::from_pem(cert_chain, key_pkcs8))`.
    ///
    /// Reads the CA file (errors name it) and logs the warning when verification is off,
    /// as the other two producers do.
    pub fn parts(&self) -> Result<TlsParts> {
        let identity = match &self.identity {
            Some(id) => Some((id.cert_chain_pem(), id.key_pkcs8_pem()?)),
            None => None,
        };
        let parts = TlsParts {
            ca_pem: self.ca_certificates_pem()?,
            system_roots: self.uses_system_roots(),
            verify: self.verify,
            verify_hostname: self.verify && self.verify_hostname,
            identity,
        };
        if !self.verify {
            warn_unverified(&self.system);
        }
        Ok(parts)
    }

    /// The TLS configuration of a ureq agent (native-tls). Reads the CA file; an unreadable
    /// or invalid file is a config error. Logs the warning when verification is off.
    pub fn ureq_config(&self) -> Result<ureq::tls::TlsConfig> {
        self.ureq_config_warning(true)
    }

    /// [`TlsPolicy::ureq_config`], with the warning left to the caller when `warn` is false.
    pub(crate) fn ureq_config_warning(&self, warn: bool) -> Result<ureq::tls::TlsConfig> {
        use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsProvider};
        if self.verify && !self.verify_hostname {
            return Err(Error::usage(format!(
                "{}: HTTPS always checks the server's host name; only raw TCP connections can skip it",
                self.system
            )));
        }
        let der = |c: &X509| {
            c.to_der()
                .map(|d| Certificate::from_der(&d).to_owned())
                .map_err(|e| Error::runtime(format!("cannot encode a certificate: {e}")))
        };
        let roots = match &self.trust {
            Trust::System { ca_file: None } => RootCerts::PlatformVerifier,
            Trust::System { ca_file: Some(p) } if is_default_ca_file(p) => {
                read_ca_file(p)?;
                RootCerts::PlatformVerifier
            }
            Trust::System { ca_file: Some(p) } => {
                let mut certs = read_ca_file(p)?
                    .iter()
                    .map(der)
                    .collect::<Result<Vec<_>>>()?;
                for bundle in SYSTEM_BUNDLES {
                    if let Ok(pem) = std::fs::read(bundle) {
                        certs.extend(ureq::tls::parse_pem(&pem).filter_map(|item| match item {
                            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c.to_owned()),
                            _ => None,
                        }));
                        break;
                    }
                }
                RootCerts::new_with_certs(&certs)
            }
            Trust::Only(p) => {
                let certs = read_ca_file(p)?
                    .iter()
                    .map(der)
                    .collect::<Result<Vec<_>>>()?;
                RootCerts::new_with_certs(&certs)
            }
        };
        let client_cert = match &self.identity {
            None => None,
            Some(id) => {
                let chain = id.chain.iter().map(der).collect::<Result<Vec<_>>>()?;
                // ureq hands the key to native-tls as PKCS#8 whatever its kind: convert.
                let pem = id.key_pkcs8_pem()?;
                let key = PrivateKey::from_pem(pem.expose().as_bytes())
                    .map_err(|e| Error::runtime(format!("cannot encode the private key: {e}")))?;
                Some(ClientCert::new_with_certs(&chain, key))
            }
        };
        if !self.verify && warn {
            warn_unverified(&self.system);
        }
        Ok(ureq::tls::TlsConfig::builder()
            .provider(TlsProvider::NativeTls)
            .root_certs(roots)
            .client_cert(client_cert)
            .disable_verification(!self.verify)
            .build())
    }

    /// An OpenSSL connector for raw TCP protocols (MQTT, STOMP). Reads the CA files; an
    /// unreadable or invalid one, or a client key OpenSSL refuses, is an error naming it.
    /// Logs the warning when verification is off.
    ///
    /// Built on the `openssl` crate directly rather than through `native-tls`: native-tls
    /// always loads the system trust store first (about 0.85 MiB of heap that stays
    /// resident) even when the built-in roots are then disabled, and DXL must trust the
    /// broker CA bundle only. With [`Trust::Only`] no system store is loaded. It is the same
    /// OpenSSL underneath, with the context options of `openssl::ssl::SslConnector`.
    pub fn connector(&self) -> Result<StreamConnector> {
        let tls_err = |e: openssl::error::ErrorStack| {
            Error::runtime(format!(
                "{}: TLS settings: {}",
                self.system,
                first_reason(&e)
            ))
        };
        let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(tls_err)?;
        let mut opts = SslOptions::ALL
            | SslOptions::NO_COMPRESSION
            | SslOptions::NO_SSLV2
            | SslOptions::NO_SSLV3;
        opts &= !SslOptions::DONT_INSERT_EMPTY_FRAGMENTS;
        b.set_options(opts);
        b.set_mode(
            SslMode::AUTO_RETRY
                | SslMode::ACCEPT_MOVING_WRITE_BUFFER
                | SslMode::ENABLE_PARTIAL_WRITE
                | SslMode::RELEASE_BUFFERS,
        );
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .map_err(tls_err)?;
        b.set_cipher_list("DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK")
            .map_err(tls_err)?;
        match &self.trust {
            Trust::System { ca_file } => {
                let extra = match ca_file {
                    Some(p) => read_ca_file(p)?,
                    None => Vec::new(),
                };
                if self.verify {
                    b.set_default_verify_paths().map_err(tls_err)?;
                    if !ca_file.as_deref().is_some_and(is_default_ca_file) {
                        for c in extra {
                            // A CA the system store holds already is not an error.
                            if let Err(e) = b.cert_store_mut().add_cert(c) {
                                log::debug!("{}: CA not added: {}", self.system, first_reason(&e));
                            }
                        }
                    }
                }
            }
            Trust::Only(p) => {
                let cas = read_ca_file(p)?;
                let mut store = X509StoreBuilder::new().map_err(tls_err)?;
                for ca in cas {
                    if let Err(e) = store.add_cert(ca) {
                        log::debug!("{}: CA not added: {}", self.system, first_reason(&e));
                    }
                }
                b.set_verify_cert_store(store.build()).map_err(tls_err)?;
            }
        }
        if self.verify {
            b.set_verify(SslVerifyMode::PEER);
        } else {
            b.set_verify(SslVerifyMode::NONE);
            warn_unverified(&self.system);
        }
        if let Some(id) = &self.identity {
            let id_err = |what: &str, e: openssl::error::ErrorStack| {
                Error::usage(format!(
                    "{}: {what} ({}): {}",
                    self.system,
                    id.subject(),
                    first_reason(&e)
                ))
            };
            b.set_certificate(&id.chain[0])
                .map_err(|e| id_err("client certificate", e))?;
            for c in &id.chain[1..] {
                b.add_extra_chain_cert(c.clone())
                    .map_err(|e| id_err("client certificate chain", e))?;
            }
            b.set_private_key(&id.key)
                .map_err(|e| id_err("private key", e))?;
            b.check_private_key()
                .map_err(|e| id_err("the private key does not match the client certificate", e))?;
        }
        Ok(StreamConnector {
            ctx: b.build(),
            system: self.system.clone(),
            verify_hostname: self.verify && self.verify_hostname,
            has_identity: self.identity.is_some(),
        })
    }
}

/// A [`TlsPolicy`] as PEM text and switches, for a TLS stack of its own ([`TlsPolicy::parts`]).
#[derive(Debug, Clone)]
pub struct TlsParts {
    /// The CA certificates to trust (besides the system store when `system_roots`), one PEM
    /// block each.
    pub ca_pem: Vec<String>,
    /// Whether the system store is trusted too.
    pub system_roots: bool,
    /// Whether the server certificate is verified.
    pub verify: bool,
    /// Whether its host name is checked.
    pub verify_hostname: bool,
    /// The client certificate chain and its PKCS#8 key, PEM.
    pub identity: Option<(String, Secret)>,
}

/// The TCP side of a broker connection (MQTT, STOMP): resolves `host`, tries each address
/// in turn within `timeout`, and sets `TCP_NODELAY` and read and write timeouts of `timeout`
/// (the TLS handshake and the protocol's own handshake run under them). The error says
/// which step failed, for the caller to name the broker: `("connecting", io error)`.
pub fn tcp_connect(
    host: &str,
    port: u16,
    timeout: std::time::Duration,
) -> std::result::Result<TcpStream, (&'static str, std::io::Error)> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<std::net::SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| ("resolving the host", e))?
        .collect();
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address");
    let tcp = addrs
        .iter()
        .find_map(|a| match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => Some(s),
            Err(e) => {
                last = e;
                None
            }
        })
        .ok_or(("connecting", last))?;
    tcp.set_nodelay(true)
        .map_err(|e| ("setting TCP_NODELAY", e))?;
    tcp.set_read_timeout(Some(timeout))
        .map_err(|e| ("setting the read timeout", e))?;
    tcp.set_write_timeout(Some(timeout))
        .map_err(|e| ("setting the write timeout", e))?;
    Ok(tcp)
}

/// Makes TLS connections over TCP streams the caller opened, with one [`TlsPolicy`].
/// Cheap to clone (the OpenSSL context is shared).
#[derive(Clone)]
pub struct StreamConnector {
    ctx: SslContext,
    system: String,
    verify_hostname: bool,
    has_identity: bool,
}

impl std::fmt::Debug for StreamConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamConnector")
            .field("system", &self.system)
            .field("verify_hostname", &self.verify_hostname)
            .finish_non_exhaustive()
    }
}

impl StreamConnector {
    /// The TLS handshake over `tcp` with `host` (a name or an IP address, as configured).
    /// A name goes into SNI and, when the policy checks host names, is matched against the
    /// certificate (an IP address against its IP SANs). The handshake is bounded by the
    /// socket's read and write timeouts. Errors name the system and host and say why:
    /// "certificate not trusted: ..." when verification failed.
    pub fn connect(&self, host: &str, tcp: TcpStream) -> Result<SslStream<TcpStream>> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ip = bare.parse::<IpAddr>().ok();
        let setup = |e: openssl::error::ErrorStack| {
            Error::remote(
                &self.system,
                format!("TLS setup for {host}: {}", first_reason(&e)),
            )
        };
        let mut ssl = Ssl::new(&self.ctx).map_err(setup)?;
        if ip.is_none() {
            ssl.set_hostname(bare).map_err(setup)?;
        }
        if self.verify_hostname {
            let param = ssl.param_mut();
            param.set_hostflags(X509CheckFlags::NO_PARTIAL_WILDCARDS);
            match ip {
                Some(ip) => param.set_ip(ip).map_err(setup)?,
                None => param.set_host(bare).map_err(setup)?,
            }
        }
        ssl.connect(tcp).map_err(|e| {
            let why = match e {
                HandshakeError::Failure(mid) => {
                    let verify = mid.ssl().verify_result();
                    if verify != X509VerifyResult::OK {
                        format!("certificate not trusted: {}", verify.error_string())
                    } else {
                        let text = mid.error().to_string();
                        if !self.has_identity && text.contains("certificate required") {
                            "the server requires a client certificate and none is configured"
                                .to_string()
                        } else {
                            text
                        }
                    }
                }
                HandshakeError::WouldBlock(_) => "the handshake timed out".to_string(),
                HandshakeError::SetupFailure(e) => first_reason(&e),
            };
            Error::remote(&self.system, format!("TLS handshake with {host}: {why}"))
        })
    }
}

/// The certificates of a CA file; unreadable or holding none is a config error naming it.
fn read_ca_file(path: &Path) -> Result<Vec<X509>> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::usage(format!("cannot read CA file {}: {e}", path.display())))?;
    let certs = X509::stack_from_pem(&pem).map_err(|e| {
        Error::usage(format!(
            "CA file {} is not PEM certificates: {}",
            path.display(),
            first_reason(&e)
        ))
    })?;
    if certs.is_empty() {
        return Err(Error::usage(format!(
            "CA file {} holds no PEM certificate",
            path.display()
        )));
    }
    Ok(certs)
}

/// The reason of the first OpenSSL error, without its code and source location.
fn first_reason(e: &openssl::error::ErrorStack) -> String {
    e.errors()
        .first()
        .and_then(|e| e.reason().map(str::to_string))
        .unwrap_or_else(|| e.to_string())
}

fn has_tag(text: &[u8], tag: &[u8]) -> bool {
    text.windows(tag.len()).any(|w| w == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_keys_of_both_forms_are_refused_without_a_prompt() {
        let ca = tq_testkit::certs::TestCa::new("tls unit CA");
        let c = ca.issue_client("client");
        let key = PKey::private_key_from_pem(c.key_pem.as_bytes()).unwrap();
        let pkcs8 = key
            .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), b"pw")
            .unwrap();
        let pkcs1 = key
            .rsa()
            .unwrap()
            .private_key_to_pem_passphrase(openssl::symm::Cipher::aes_256_cbc(), b"pw")
            .unwrap();
        for k in [pkcs8, pkcs1] {
            let e = ClientIdentity::from_pem(c.cert_pem.as_bytes(), &k).unwrap_err();
            assert!(e.to_string().contains("encrypted"), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn warned_once_per_system() {
        assert!(warn_unverified("unit-test system A"));
        assert!(!warn_unverified("unit-test system A"));
        assert!(warn_unverified("unit-test system B"));
    }
}
