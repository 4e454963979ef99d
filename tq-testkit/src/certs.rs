//! Test PKI: a self-signed CA made at test time, and server/client certificates it issues.
//!
//! Everything here is for tests and the `tq-sim` binary only: keys are RSA 2048, signatures
//! SHA-256, certificates valid from one day ago for one year (so small clock skews between a
//! test and the machine do not matter).
//!
//! ```no_run
//! use tq_testkit::certs::TestCa;
//! let ca = TestCa::new("tq-testkit CA");
//! let server = ca.issue_server("localhost", &["localhost", "127.0.0.1"]);
//! let acceptor = native_tls::TlsAcceptor::new(server.identity()).unwrap();
//! ca.write_cert(std::path::Path::new("/tmp/ca.pem")).unwrap();
//! # let _ = acceptor;
//! ```

use std::net::IpAddr;
use std::path::Path;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Name, X509NameBuilder, X509Req, X509};

/// Default validity of issued certificates, in days.
const DEFAULT_DAYS: u32 = 365;

/// A self-signed certificate authority made at test time (RSA 2048, SHA-256).
///
/// Clients under test trust it by passing [`TestCa::write_cert`]'s file as their `ca_file`.
pub struct TestCa {
    cert: X509,
    key: PKey<Private>,
}

/// A certificate and its private key, issued by a [`TestCa`].
#[derive(Clone, Debug)]
pub struct Issued {
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub key_pem: String,
}

impl TestCa {
    /// Makes a new self-signed CA whose subject (and issuer) CN is `common_name`.
    ///
    /// Panics only if OpenSSL itself fails (tests cannot go on without a CA).
    pub fn new(common_name: &str) -> TestCa {
        let key = new_rsa_key();
        let name = subject(common_name);
        let mut b = base_builder(&name, &key, DEFAULT_DAYS * 10);
        b.set_issuer_name(&name).expect("issuer");
        b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
            .expect("bc ext");
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .expect("ku"),
        )
        .expect("ku ext");
        let ski = SubjectKeyIdentifier::new()
            .build(&b.x509v3_context(None, None))
            .expect("ski");
        b.append_extension(ski).expect("ski ext");
        b.sign(&key, MessageDigest::sha256()).expect("sign CA");
        TestCa {
            cert: b.build(),
            key,
        }
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        pem_string(self.cert.to_pem().expect("CA to PEM"))
    }

    /// Writes the CA certificate (PEM) to `path`: the bundle a client passes as `ca_file`.
    pub fn write_cert(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.cert_pem())
    }

    /// The CA certificate as an `openssl` object (for verification in tests).
    pub fn x509(&self) -> &X509 {
        &self.cert
    }

    /// The CA certificate as a `native_tls::Certificate` (for a client's root store).
    pub fn native_cert(&self) -> native_tls::Certificate {
        native_tls::Certificate::from_pem(self.cert_pem().as_bytes()).expect("CA cert")
    }

    /// Issues a TLS server certificate (serverAuth EKU) for `cn`.
    ///
    /// Each of `sans` becomes an IP address SAN if it parses as an IP (`127.0.0.1`, `::1`),
    /// otherwise a DNS SAN (`localhost`). The CN itself is not added as a SAN: list it.
    pub fn issue_server(&self, cn: &str, sans: &[&str]) -> Issued {
        self.issue(cn, sans, true)
    }

    /// Issues a TLS client certificate (clientAuth EKU) for `cn`, e.g. for mutual TLS to a
    /// DXL broker.
    pub fn issue_client(&self, cn: &str) -> Issued {
        self.issue(cn, &[], false)
    }

    /// Signs a PEM certificate signing request (PKCS#10), as an ePO does when it provisions
    /// an OpenDXL client. The certificate keeps the CSR's subject and public key, is valid
    /// for `days`, and carries the clientAuth EKU. Returns the certificate PEM, or why the
    /// CSR was refused (unparsable, or its self-signature does not verify).
    pub fn sign_csr(&self, csr_pem: &str, days: u32) -> Result<String, String> {
        let req = X509Req::from_pem(csr_pem.as_bytes()).map_err(|e| format!("bad CSR: {e}"))?;
        let pubkey = req
            .public_key()
            .map_err(|e| format!("CSR has no usable public key: {e}"))?;
        match req.verify(&pubkey) {
            Ok(true) => {}
            Ok(false) => return Err("CSR signature does not verify".to_string()),
            Err(e) => return Err(format!("CSR signature check failed: {e}")),
        }
        let mut b = base_builder(req.subject_name(), &pubkey, days.max(1));
        b.set_issuer_name(self.cert.subject_name())
            .map_err(|e| e.to_string())?;
        self.leaf_extensions(&mut b, &[], false)
            .map_err(|e| e.to_string())?;
        b.sign(&self.key, MessageDigest::sha256())
            .map_err(|e| e.to_string())?;
        let pem = b.build().to_pem().map_err(|e| e.to_string())?;
        Ok(pem_string(pem))
    }

    fn issue(&self, cn: &str, sans: &[&str], server: bool) -> Issued {
        let key = new_rsa_key();
        let name = subject(cn);
        let mut b = base_builder(&name, &key, DEFAULT_DAYS);
        b.set_issuer_name(self.cert.subject_name()).expect("issuer");
        self.leaf_extensions(&mut b, sans, server)
            .expect("leaf extensions");
        b.sign(&self.key, MessageDigest::sha256())
            .expect("sign leaf");
        Issued {
            cert_pem: pem_string(b.build().to_pem().expect("cert PEM")),
            key_pem: pem_string(key.private_key_to_pem_pkcs8().expect("key PEM")),
        }
    }

    fn leaf_extensions(
        &self,
        b: &mut X509Builder,
        sans: &[&str],
        server: bool,
    ) -> Result<(), openssl::error::ErrorStack> {
        b.append_extension(BasicConstraints::new().critical().build()?)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_encipherment()
                .build()?,
        )?;
        let mut eku = ExtendedKeyUsage::new();
        if server {
            eku.server_auth();
        } else {
            eku.client_auth();
        }
        b.append_extension(eku.build()?)?;
        let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(Some(&self.cert), None))?;
        b.append_extension(ski)?;
        let aki = AuthorityKeyIdentifier::new()
            .keyid(false)
            .build(&b.x509v3_context(Some(&self.cert), None))?;
        b.append_extension(aki)?;
        if !sans.is_empty() {
            let mut san = SubjectAlternativeName::new();
            for s in sans {
                if s.parse::<IpAddr>().is_ok() {
                    san.ip(s);
                } else {
                    san.dns(s);
                }
            }
            let ext = san.build(&b.x509v3_context(Some(&self.cert), None))?;
            b.append_extension(ext)?;
        }
        Ok(())
    }
}

impl Issued {
    /// The private key as traditional PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), for
    /// tools that want that form (mosquitto, older Python clients).
    pub fn key_pem_pkcs1(&self) -> String {
        let key = PKey::private_key_from_pem(self.key_pem.as_bytes()).expect("own key PEM");
        let rsa = key.rsa().expect("RSA key");
        pem_string(rsa.private_key_to_pem().expect("PKCS#1 PEM"))
    }

    /// The certificate and key as a `native_tls::Identity` (for a `TlsAcceptor`, or a client
    /// certificate on a `TlsConnector`).
    pub fn identity(&self) -> native_tls::Identity {
        native_tls::Identity::from_pkcs8(self.cert_pem.as_bytes(), self.key_pem.as_bytes())
            .expect("identity from own PEM")
    }
}

fn new_rsa_key() -> PKey<Private> {
    let rsa = Rsa::generate(2048).expect("RSA keygen");
    PKey::from_rsa(rsa).expect("PKey")
}

fn subject(cn: &str) -> X509Name {
    let mut nb = X509NameBuilder::new().expect("name builder");
    nb.append_entry_by_text("CN", cn).expect("CN");
    nb.append_entry_by_text("O", "tq-testkit").expect("O");
    nb.build()
}

fn serial() -> Asn1Integer {
    let mut bn = BigNum::new().expect("bignum");
    bn.rand(127, MsbOption::MAYBE_ZERO, false).expect("rand");
    bn.to_asn1_integer().expect("serial")
}

/// A v3 certificate builder with subject, public key, serial and validity set.
fn base_builder<T: openssl::pkey::HasPublic>(
    name: &openssl::x509::X509NameRef,
    key: &openssl::pkey::PKeyRef<T>,
    days: u32,
) -> X509Builder {
    let mut b = X509Builder::new().expect("x509 builder");
    b.set_version(2).expect("version");
    b.set_serial_number(&serial()).expect("serial");
    b.set_subject_name(name).expect("subject");
    b.set_pubkey(key).expect("pubkey");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let not_before = Asn1Time::from_unix(now - 86_400).expect("not before");
    let not_after = Asn1Time::days_from_now(days).expect("not after");
    b.set_not_before(&not_before).expect("not before");
    b.set_not_after(&not_after).expect("not after");
    b
}

fn pem_string(pem: Vec<u8>) -> String {
    String::from_utf8(pem).expect("PEM is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::stack::Stack;
    use openssl::x509::store::X509StoreBuilder;
    use openssl::x509::verify::X509VerifyParam;
    use openssl::x509::X509StoreContext;

    /// Verifies `leaf` against `ca` for the IP address `ip`, as a TLS client would.
    fn verifies(ca: &TestCa, leaf_pem: &str, ip: &str) -> bool {
        let leaf = X509::from_pem(leaf_pem.as_bytes()).unwrap();
        let mut sb = X509StoreBuilder::new().unwrap();
        sb.add_cert(ca.x509().clone()).unwrap();
        let mut param = X509VerifyParam::new().unwrap();
        param.set_ip(ip.parse().unwrap()).unwrap();
        sb.set_param(&param).unwrap();
        let store = sb.build();
        let chain = Stack::new().unwrap();
        let mut ctx = X509StoreContext::new().unwrap();
        ctx.init(&store, &leaf, &chain, |c| c.verify_cert())
            .unwrap()
    }

    #[test]
    fn server_cert_verifies_for_loopback_ip_only_against_its_ca() {
        let ca = TestCa::new("ca one");
        let other = TestCa::new("ca two");
        let s = ca.issue_server("localhost", &["localhost", "127.0.0.1"]);
        assert!(verifies(&ca, &s.cert_pem, "127.0.0.1"));
        assert!(
            !verifies(&ca, &s.cert_pem, "127.0.0.2"),
            "wrong IP accepted"
        );
        assert!(
            !verifies(&other, &s.cert_pem, "127.0.0.1"),
            "foreign CA accepted"
        );
        assert!(s.key_pem.contains("BEGIN PRIVATE KEY"));
        assert!(s.key_pem_pkcs1().contains("BEGIN RSA PRIVATE KEY"));
        let _ = s.identity();
    }

    #[test]
    fn client_cert_has_client_auth() {
        let ca = TestCa::new("ca");
        let c = ca.issue_client("dxl-client");
        let x = X509::from_pem(c.cert_pem.as_bytes()).unwrap();
        let text = String::from_utf8(x.to_text().unwrap()).unwrap();
        assert!(text.contains("TLS Web Client Authentication"), "{text}");
        assert!(x.verify(&ca.x509().public_key().unwrap()).unwrap());
    }

    #[test]
    fn sign_csr_signs_an_openssl_csr_and_refuses_garbage() {
        let ca = TestCa::new("epo ca");
        let key = new_rsa_key();
        let mut rb = openssl::x509::X509ReqBuilder::new().unwrap();
        rb.set_subject_name(&subject("client-42")).unwrap();
        rb.set_pubkey(&key).unwrap();
        rb.sign(&key, MessageDigest::sha256()).unwrap();
        let csr = String::from_utf8(rb.build().to_pem().unwrap()).unwrap();
        let pem = ca.sign_csr(&csr, 30).unwrap();
        let x = X509::from_pem(pem.as_bytes()).unwrap();
        assert!(x.verify(&ca.x509().public_key().unwrap()).unwrap());
        assert!(x.public_key().unwrap().public_eq(&key));
        let cn = x.subject_name().entries().next().unwrap();
        assert_eq!(cn.data().to_string().unwrap(), "client-42");
        assert!(ca.sign_csr("not a csr", 30).is_err());
    }

    #[test]
    fn write_cert_writes_pem() {
        let ca = TestCa::new("ca");
        let dir = std::env::temp_dir().join(format!("tq-testkit-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("ca.pem");
        ca.write_cert(&p).unwrap();
        let s = std::fs::read_to_string(&p).unwrap();
        assert_eq!(s, ca.cert_pem());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
