//! tq_common::tls: real TLS handshakes on 127.0.0.1 with the test PKI of tq-testkit —
//! a trusted and an untrusted server, verification off, host-name checks, and servers that
//! require a client certificate (PKCS#8, PKCS#1 RSA and SEC1 EC keys), over the raw stream
//! connector and over HTTP (ureq).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode};
use openssl::x509::X509;
use tq_common::http::{Http, HttpSettings, Method, Request, RetryPolicy};
use tq_common::tls::{ClientIdentity, TlsPolicy, Trust};
use tq_testkit::certs::{Issued, TestCa};

/// What the server saw of one connection.
#[derive(Debug)]
struct Seen {
    sni: Option<String>,
    client_cn: Option<String>,
}

/// A one-connection TLS server: `server` is its certificate; with `client_ca` it requires
/// a client certificate issued by that CA. It answers `http` when given, else echoes one line.
fn serve(
    server: &Issued,
    client_ca: Option<&TestCa>,
    http: bool,
) -> (u16, JoinHandle<Result<Seen, String>>) {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    b.set_certificate(&X509::from_pem(server.cert_pem.as_bytes()).unwrap())
        .unwrap();
    b.set_private_key(
        &openssl::pkey::PKey::private_key_from_pem(server.key_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    if let Some(ca) = client_ca {
        b.cert_store_mut().add_cert(ca.x509().clone()).unwrap();
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    }
    let acceptor = b.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(Duration::from_secs(10))).ok();
        let mut s = acceptor.accept(tcp).map_err(|e| e.to_string())?;
        let seen = Seen {
            sni: s
                .ssl()
                .servername(openssl::ssl::NameType::HOST_NAME)
                .map(str::to_string),
            client_cn: s.ssl().peer_certificate().and_then(|c| {
                c.subject_name()
                    .entries_by_nid(openssl::nid::Nid::COMMONNAME)
                    .next()
                    .and_then(|e| e.data().to_string().ok())
            }),
        };
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        loop {
            let n = s.read(&mut buf).map_err(|e| e.to_string())?;
            got.extend_from_slice(&buf[..n]);
            let end: &[u8] = if http { b"\r\n\r\n" } else { b"\n" };
            if n == 0 || got.windows(end.len()).any(|w| w == end) {
                break;
            }
        }
        if http {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .map_err(|e| e.to_string())?;
        } else {
            s.write_all(&got).map_err(|e| e.to_string())?;
        }
        s.shutdown().ok();
        Ok(seen)
    });
    (port, handle)
}

struct Pki {
    dir: tempfile::TempDir,
    ca: TestCa,
    ca_file: PathBuf,
    other_ca_file: PathBuf,
    server: Issued,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("tls test CA");
    let ca_file = dir.path().join("ca.pem");
    ca.write_cert(&ca_file).unwrap();
    let other_ca_file = dir.path().join("other.pem");
    TestCa::new("someone else")
        .write_cert(&other_ca_file)
        .unwrap();
    let server = ca.issue_server("localhost", &["localhost", "127.0.0.1"]);
    Pki {
        dir,
        ca,
        ca_file,
        other_ca_file,
        server,
    }
}

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Connects with `policy` as `host`, sends a line and reads the echo.
fn exchange(policy: &TlsPolicy, host: &str, port: u16) -> tq_common::Result<String> {
    let connector = policy.connector()?;
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut s = connector.connect(host, tcp)?;
    s.write_all(b"ping\n")
        .map_err(|e| tq_common::Error::runtime(e.to_string()))?;
    let mut out = String::new();
    s.read_to_string(&mut out)
        .map_err(|e| tq_common::Error::runtime(e.to_string()))?;
    Ok(out)
}

#[test]
fn a_server_signed_by_the_bundle_is_trusted_and_gets_sni() {
    let p = pki();
    let (port, server) = serve(&p.server, None, false);
    let policy = TlsPolicy::new("Test broker", Trust::Only(p.ca_file.clone()));
    assert_eq!(exchange(&policy, "localhost", port).unwrap(), "ping\n");
    let seen = server.join().unwrap().unwrap();
    assert_eq!(seen.sni.as_deref(), Some("localhost"));

    // An IP address is checked against the IP SANs and sent without SNI.
    let (port, server) = serve(&p.server, None, false);
    assert_eq!(exchange(&policy, "127.0.0.1", port).unwrap(), "ping\n");
    assert_eq!(server.join().unwrap().unwrap().sni, None);
}

#[test]
fn system_roots_plus_ca_file_trust_the_server() {
    let p = pki();
    let (port, server) = serve(&p.server, None, false);
    let policy = TlsPolicy::new(
        "ThreatQ",
        Trust::System {
            ca_file: Some(p.ca_file.clone()),
        },
    );
    assert!(policy.uses_system_roots());
    assert_eq!(exchange(&policy, "localhost", port).unwrap(), "ping\n");
    server.join().unwrap().unwrap();
}

#[test]
fn a_server_of_another_ca_is_not_trusted() {
    let p = pki();
    for trust in [
        Trust::Only(p.other_ca_file.clone()),
        Trust::System { ca_file: None },
    ] {
        let (port, server) = serve(&p.server, None, false);
        let policy = TlsPolicy::new("Test broker", trust);
        let err = exchange(&policy, "localhost", port).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("Test broker: TLS handshake with localhost: certificate not trusted: "),
            "{msg}"
        );
        assert_eq!(err.exit_code(), 1);
        assert!(server.join().unwrap().is_err());
    }
}

#[test]
fn verification_off_accepts_any_server() {
    let p = pki();
    let (port, server) = serve(&p.server, None, false);
    let policy = TlsPolicy {
        verify: false,
        ..TlsPolicy::new("Test broker", Trust::Only(p.other_ca_file.clone()))
    };
    assert_eq!(exchange(&policy, "localhost", port).unwrap(), "ping\n");
    server.join().unwrap().unwrap();
}

#[test]
fn host_name_is_checked_unless_turned_off() {
    let p = pki();
    let (port, server) = serve(&p.server, None, false);
    let policy = TlsPolicy::new("Test broker", Trust::Only(p.ca_file.clone()));
    let msg = exchange(&policy, "broker.example", port)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("certificate not trusted"), "{msg}");
    assert!(msg.contains("broker.example"), "{msg}");
    let _ = server.join().unwrap();

    // DXL: the chain is verified, the name is not.
    let (port, server) = serve(&p.server, None, false);
    let dxl = TlsPolicy {
        verify_hostname: false,
        ..policy.clone()
    };
    assert_eq!(exchange(&dxl, "broker.example", port).unwrap(), "ping\n");
    assert_eq!(
        server.join().unwrap().unwrap().sni.as_deref(),
        Some("broker.example")
    );
}

#[test]
fn client_certificates_in_every_key_form_are_presented() {
    let p = pki();
    let issued = p.ca.issue_client("client-pkcs8");
    let pkcs1 = p.ca.issue_client("client-pkcs1");
    // SEC1 EC: a key and CSR made here, signed by the CA.
    let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let ec = openssl::ec::EcKey::generate(&group).unwrap();
    let ec_pem = ec.private_key_to_pem().unwrap();
    assert!(String::from_utf8_lossy(&ec_pem).contains("BEGIN EC PRIVATE KEY"));
    let ec_key = openssl::pkey::PKey::from_ec_key(ec).unwrap();
    let mut req = openssl::x509::X509ReqBuilder::new().unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "client-sec1").unwrap();
    req.set_subject_name(&name.build()).unwrap();
    req.set_pubkey(&ec_key).unwrap();
    req.sign(&ec_key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    let ec_cert =
        p.ca.sign_csr(
            &String::from_utf8(req.build().to_pem().unwrap()).unwrap(),
            30,
        )
        .unwrap();

    let cases: Vec<(&str, String, Vec<u8>)> = vec![
        (
            "client-pkcs8",
            issued.cert_pem.clone(),
            issued.key_pem.clone().into_bytes(),
        ),
        (
            "client-pkcs1",
            pkcs1.cert_pem.clone(),
            pkcs1.key_pem_pkcs1().into_bytes(),
        ),
        ("client-sec1", ec_cert, ec_pem),
    ];
    for (cn, cert, key) in cases {
        let cert_file = write(p.dir.path(), &format!("{cn}.crt"), cert.as_bytes());
        let key_file = write(p.dir.path(), &format!("{cn}.key"), &key);
        let id = ClientIdentity::from_files(&cert_file, &key_file).unwrap();
        assert!(id.subject().contains(cn), "{}", id.subject());
        assert!(id
            .key_pkcs8_pem()
            .unwrap()
            .expose()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{id:?}").contains("PRIVATE"), "{id:?}");
        let (port, server) = serve(&p.server, Some(&p.ca), false);
        let policy = TlsPolicy {
            identity: Some(id),
            ..TlsPolicy::new("Test broker", Trust::Only(p.ca_file.clone()))
        };
        assert_eq!(exchange(&policy, "localhost", port).unwrap(), "ping\n");
        assert_eq!(
            server.join().unwrap().unwrap().client_cn.as_deref(),
            Some(cn)
        );
    }
}

#[test]
fn a_server_requiring_a_client_certificate_refuses_a_client_without_one() {
    let p = pki();
    let (port, server) = serve(&p.server, Some(&p.ca), false);
    let policy = TlsPolicy::new("Test broker", Trust::Only(p.ca_file.clone()));
    // TLS 1.3 reports the refusal after the client's handshake, on the first read.
    assert!(exchange(&policy, "localhost", port).is_err());
    let err = server.join().unwrap().unwrap_err();
    assert!(err.contains("certificate"), "{err}");
}

#[test]
fn http_presents_the_client_certificate_and_trusts_the_ca_file() {
    let p = pki();
    let id = p.ca.issue_client("http-client");
    let http = Http::new(HttpSettings {
        ca_file: Some(p.ca_file.clone()),
        client_identity: Some(
            ClientIdentity::from_pem(id.cert_pem.as_bytes(), id.key_pem_pkcs1().as_bytes())
                .unwrap(),
        ),
        retry: RetryPolicy::with_retries(0),
        ..HttpSettings::default()
    })
    .unwrap();
    let (port, server) = serve(&p.server, Some(&p.ca), true);
    let resp = http
        .send(
            "Test server",
            &Request::new(Method::Get, format!("https://localhost:{port}/x")),
        )
        .unwrap();
    assert_eq!((resp.status, resp.text().as_str()), (200, "ok"));
    assert_eq!(
        server.join().unwrap().unwrap().client_cn.as_deref(),
        Some("http-client")
    );

    // Without the CA file the same server is not trusted.
    let plain = Http::new(HttpSettings {
        retry: RetryPolicy::with_retries(0),
        ..HttpSettings::default()
    })
    .unwrap();
    let (port, server) = serve(&p.server, None, true);
    let err = plain
        .send(
            "Test server",
            &Request::new(Method::Get, format!("https://localhost:{port}/x")),
        )
        .unwrap_err();
    assert!(err.to_string().contains("TLS failure"), "{err}");
    let _ = server.join();
}

#[test]
fn bad_files_are_config_errors_naming_the_file_never_the_key() {
    let p = pki();
    let id = p.ca.issue_client("c");
    let other = p.ca.issue_client("d");
    let cert = write(p.dir.path(), "c.crt", id.cert_pem.as_bytes());
    let wrong_key = write(p.dir.path(), "d.key", other.key_pem.as_bytes());
    let e = ClientIdentity::from_files(&cert, &wrong_key).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("d.key") && msg.contains("does not match"),
        "{msg}"
    );
    assert!(
        !msg.contains(other.key_pem.lines().nth(1).unwrap()),
        "{msg}"
    );
    assert_eq!(e.exit_code(), 2);

    let garbage = write(
        p.dir.path(),
        "garbage.key",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let msg = ClientIdentity::from_files(&cert, &garbage)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("garbage.key") && msg.contains("not a PEM private key"),
        "{msg}"
    );

    let missing = p.dir.path().join("missing.pem");
    let msg = TlsPolicy::new("X", Trust::Only(missing))
        .connector()
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("cannot read CA file") && msg.contains("missing.pem"),
        "{msg}"
    );
    let empty = write(p.dir.path(), "empty.pem", b"no certificates here\n");
    let e = Http::new(HttpSettings {
        ca_file: Some(empty),
        ..HttpSettings::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("holds no PEM certificate"), "{e}");
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn ca_certificates_as_pem_blocks_for_lettre() {
    let p = pki();
    let bundle = format!(
        "{}{}",
        p.ca.cert_pem(),
        std::fs::read_to_string(&p.other_ca_file).unwrap()
    );
    let bundle_file = write(p.dir.path(), "bundle.pem", bundle.as_bytes());
    let blocks = TlsPolicy::new("SMTP server", Trust::Only(bundle_file))
        .ca_certificates_pem()
        .unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0], p.ca.cert_pem());
    assert!(blocks[1].starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(
        TlsPolicy::new("SMTP server", Trust::System { ca_file: None })
            .ca_certificates_pem()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn parts_for_another_tls_stack() {
    let p = pki();
    let id = p.ca.issue_client("smtp-client");
    let policy = TlsPolicy {
        verify_hostname: false,
        identity: Some(
            ClientIdentity::from_pem(id.cert_pem.as_bytes(), id.key_pem_pkcs1().as_bytes())
                .unwrap(),
        ),
        ..TlsPolicy::new("SMTP server", Trust::Only(p.ca_file.clone()))
    };
    let parts = policy.parts().unwrap();
    assert_eq!(parts.ca_pem, vec![p.ca.cert_pem()]);
    assert!(!parts.system_roots && parts.verify && !parts.verify_hostname);
    let (chain, key) = parts.identity.unwrap();
    assert_eq!(chain, id.cert_pem);
    assert!(key.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(format!("{key}"), "***");
    // native-tls (lettre's) takes exactly these.
    native_tls::Identity::from_pkcs8(chain.as_bytes(), key.expose().as_bytes()).unwrap();

    let off = TlsPolicy {
        verify: false,
        ..TlsPolicy::new("SMTP server", Trust::System { ca_file: None })
    }
    .parts()
    .unwrap();
    assert!(off.system_roots && !off.verify && !off.verify_hostname && off.ca_pem.is_empty());
}
