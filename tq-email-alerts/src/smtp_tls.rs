//! The SMTP server's TLS trust as lettre wants it, from the workspace's one trust policy
//! (`tq_common::tls`): the system store plus the certificates of `smtp_ca_file`, or no
//! verification at all with `smtp_verify_tls = false` (warned once per run).

use std::path::Path;

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use tq_common::tls::{warn_unverified, TlsPolicy, Trust};

use crate::error::Error;

/// lettre's TLS parameters for a server whose certificate must name `domain` (the
/// configured `smtp_host`; an IP address is checked against the IP SANs). `server`
/// (`host:port`) names it in errors and the verification warning.
pub fn tls_parameters(
    domain: &str,
    server: &str,
    ca_file: Option<&Path>,
    verify: bool,
) -> Result<TlsParameters, Error> {
    let system = format!("SMTP server {server}");
    let policy = TlsPolicy {
        verify,
        ..TlsPolicy::new(
            system.clone(),
            Trust::System {
                ca_file: ca_file.map(Path::to_path_buf),
            },
        )
    };
    let ca_err = |message: String| Error::CaFile {
        path: ca_file.map(Path::to_path_buf).unwrap_or_default(),
        message,
    };
    let mut b = TlsParameters::builder(domain.to_string());
    for (i, pem) in policy
        .ca_certificates_pem()
        .map_err(|e| ca_err(e.to_string()))?
        .iter()
        .enumerate()
    {
        let cert = Certificate::from_pem(pem.as_bytes()).map_err(|e| {
            let file = ca_file.map(|p| p.display().to_string()).unwrap_or_default();
            ca_err(format!(
                "certificate {} of {file} is not usable: {e}",
                i + 1
            ))
        })?;
        b = b.add_root_certificate(cert);
    }
    if !policy.verify {
        warn_unverified(&system);
        b = b
            .dangerous_accept_invalid_certs(true)
            .dangerous_accept_invalid_hostnames(true);
    }
    b.build_native().map_err(|e| Error::Tls {
        server: server.to_string(),
        message: format!("cannot set up TLS: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusable_ca_file_is_a_config_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("tq-email-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, "not a certificate").unwrap();
        let Err(e) = tls_parameters("localhost", "localhost:587", Some(&f), true) else {
            panic!("accepted a file without certificates")
        };
        assert!(e.to_string().contains("empty.pem"), "{e}");
        assert_eq!(tq_common::Error::from(e).exit_code(), 2);
        let missing = dir.join("missing.pem");
        let Err(e) = tls_parameters("localhost", "localhost:587", Some(&missing), true) else {
            panic!("accepted a missing file")
        };
        assert!(e.to_string().contains("missing.pem"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(tls_parameters("localhost", "localhost:587", None, true).is_ok());
    }
}
