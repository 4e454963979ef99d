//! The SMTP server's TLS trust, in one function: the system store, plus the certificates of
//! `smtp_ca_file`, or no verification at all with `smtp_verify_tls = false`.
//!
//! Interim: reading and splitting the CA bundle belongs to `tq_common::tls` (the one trust
//! policy, branch i8-rest), which will hand over the CA certificates as PEM. When it lands,
//! [`tls_parameters`] takes them from there and [`pem_certificates`] goes away.

use std::path::Path;

use lettre::transport::smtp::client::{Certificate, TlsParameters};

use crate::error::Error;

/// lettre's TLS parameters for a server whose certificate must name `domain` (the
/// configured `smtp_host`; an IP address is checked against the IP SANs).
pub fn tls_parameters(
    domain: &str,
    ca_file: Option<&Path>,
    verify: bool,
) -> Result<TlsParameters, Error> {
    let mut b = TlsParameters::builder(domain.to_string());
    if let Some(path) = ca_file {
        let ca_err = |message: String| Error::CaFile {
            path: path.to_path_buf(),
            message,
        };
        let pem = std::fs::read(path).map_err(|e| ca_err(format!("cannot read: {e}")))?;
        let certs = pem_certificates(&pem);
        if certs.is_empty() {
            return Err(ca_err(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        for (i, c) in certs.iter().enumerate() {
            let cert = Certificate::from_pem(c)
                .map_err(|e| ca_err(format!("certificate {} is not usable: {e}", i + 1)))?;
            b = b.add_root_certificate(cert);
        }
    }
    if !verify {
        b = b
            .dangerous_accept_invalid_certs(true)
            .dangerous_accept_invalid_hostnames(true);
    }
    b.build_native().map_err(|e| Error::Tls {
        server: domain.to_string(),
        message: format!("cannot set up TLS: {e}"),
    })
}

/// The `-----BEGIN CERTIFICATE-----` blocks of a PEM bundle (native-tls reads only the
/// first of a bundle).
pub fn pem_certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(b) = rest.find(BEGIN) {
        let Some(e) = rest[b..].find(END) else {
            break;
        };
        let end = b + e + END.len();
        out.push(format!("{}\n", &rest[b..end]).into_bytes());
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_are_split_into_certificates() {
        let one = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
        let bundle =
            format!("# comment\n{one}\njunk\n{one}\n-----BEGIN CERTIFICATE-----\ntruncated");
        let certs = pem_certificates(bundle.as_bytes());
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0], format!("{one}\n").into_bytes());
        assert!(pem_certificates(b"nothing here").is_empty());
    }

    #[test]
    fn a_file_without_certificates_is_a_config_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("tq-email-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, "not a certificate").unwrap();
        let Err(e) = tls_parameters("localhost", Some(&f), true) else {
            panic!("accepted a file without certificates")
        };
        assert!(e.to_string().contains("empty.pem"), "{e}");
        assert_eq!(tq_common::Error::from(e).exit_code(), 2);
        let Err(e) = tls_parameters("localhost", Some(&dir.join("missing.pem")), true) else {
            panic!("accepted a missing file")
        };
        assert!(e.to_string().contains("missing.pem"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(tls_parameters("localhost", None, true).is_ok());
    }
}
