//! The ThreatQ connection options. [`ThreatQKeys::named`] declares them under any section
//! and key names (the same types, labels and help), so the ThreatQ client is configured
//! alike from the standard `[threatq]` section ([`THREATQ`], design.md §3), from
//! resilient-circuits' `[fn_threatq]`, or from RT_SiteConfig's `ThreatQ_*` names.

use std::time::Duration;

use super::option::{BoolOpt, IntOpt, Maybe, Opt, PathOpt, SecretOpt, StrOpt};
use super::Config;
use crate::http::HttpSettings;
use crate::threatq::ThreatQSettings;

/// The key names of the ThreatQ settings in one source (the standard ones:
/// [`ThreatQNames::STANDARD`]; change only what differs with `..ThreatQNames::STANDARD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreatQNames {
    /// The host.
    pub host: &'static str,
    /// The API client id.
    pub client_id: &'static str,
    /// The login e-mail.
    pub username: &'static str,
    /// The password.
    pub password: &'static str,
    /// The default indicator status.
    pub status: &'static str,
    /// The extra CA file.
    pub ca_file: &'static str,
    /// TLS verification on/off.
    pub verify_tls: &'static str,
}

impl ThreatQNames {
    /// The names of the `[threatq]` section.
    pub const STANDARD: ThreatQNames = ThreatQNames {
        host: "host",
        client_id: "client_id",
        username: "username",
        password: "password",
        status: "status",
        ca_file: "ca_file",
        verify_tls: "verify_tls",
    };
}

/// Where a source holds the ThreatQ connection settings: one typed handle each.
#[derive(Debug, Clone, Copy)]
pub struct ThreatQKeys {
    /// The host (host, host:port or https URL).
    pub host: StrOpt,
    /// The API client id.
    pub client_id: SecretOpt,
    /// The login e-mail.
    pub username: StrOpt,
    /// The password.
    pub password: SecretOpt,
    /// The default indicator status.
    pub status: StrOpt,
    /// Extra trusted CA certificates.
    pub ca_file: Maybe<PathOpt>,
    /// TLS verification on/off.
    pub verify_tls: BoolOpt,
    /// A proxy URL, where the source has one.
    pub proxy: Option<Maybe<StrOpt>>,
    /// The request timeout in seconds, where the source has one (else 60 s).
    pub timeout: Option<IntOpt>,
}

impl ThreatQKeys {
    /// The ThreatQ settings under `section` with the key `names`: host, client id, e-mail
    /// address, password and status required, `ca_file` optional, `verify_tls` true by
    /// default; no proxy or timeout option.
    pub const fn named(section: &'static str, names: ThreatQNames) -> ThreatQKeys {
        ThreatQKeys {
            host: StrOpt::new(
                section,
                names.host,
                "ThreatQ Host",
                "The host name or IP of your ThreatQ instance (127.0.0.1 on the appliance); \
                 host:port or an https:// URL also work.",
            )
            .host(),
            client_id: SecretOpt::new(
                section,
                names.client_id,
                "Client ID",
                "The API Client ID of the ThreatQ user (My Account / OAuth Management page).",
            ),
            username: StrOpt::new(
                section,
                names.username,
                "E-Mail Address",
                "The e-mail address the connector logs in to ThreatQ with (a dedicated \
                 maintenance user).",
            ),
            password: SecretOpt::new(
                section,
                names.password,
                "Password",
                "The password of that user.",
            ),
            status: StrOpt::new(
                section,
                names.status,
                "Status",
                "The default indicator status the connector applies (must exist in ThreatQ, \
                 e.g. Active or Review).",
            ),
            ca_file: PathOpt::file(
                section,
                names.ca_file,
                "CA file",
                "A PEM file of CA certificates trusted for ThreatQ in addition to the system \
                 store (for a self-signed appliance certificate).",
            )
            .optional(),
            verify_tls: BoolOpt::new(
                section,
                names.verify_tls,
                "Verify TLS",
                "Verify ThreatQ's TLS certificate. false is insecure and logs a warning on \
                 every run.",
            )
            .default("true"),
            proxy: None,
            timeout: None,
        }
    }

    /// With a default status (the option is then not required).
    pub const fn status_default(mut self, status: &'static str) -> ThreatQKeys {
        self.status = self.status.default(status);
        self
    }

    /// The five options a first run asks for, in the guides' order: host, client id,
    /// e-mail address, password, status.
    pub fn first_run(&self) -> [Opt; 5] {
        [
            self.host.opt(),
            self.client_id.opt(),
            self.username.opt(),
            self.password.opt(),
            self.status.opt(),
        ]
    }

    /// The declarations, in file order: the first-run five, `ca_file`, `verify_tls`, and
    /// the proxy and timeout where the source has them.
    pub fn options(&self) -> Vec<Opt> {
        let mut v = self.first_run().to_vec();
        v.extend([self.ca_file.opt(), self.verify_tls.opt()]);
        v.extend(self.proxy.map(|p| p.opt()));
        v.extend(self.timeout.map(|t| t.opt()));
        v
    }

    /// The client settings from a validated config.
    pub fn settings(&self, c: &Config) -> ThreatQSettings {
        ThreatQSettings {
            base_url: c.get(self.host),
            client_id: c.get(self.client_id),
            username: c.get(self.username),
            password: c.get(self.password),
            status: c.get(self.status),
        }
    }

    /// The HTTP settings (CA file, verification, proxy, timeout) from a validated config.
    pub fn http_settings(&self, c: &Config) -> HttpSettings {
        let timeout = self.timeout.map_or(60, |t| c.get(t)).max(1);
        HttpSettings {
            ca_file: c.get(self.ca_file),
            verify_tls: c.get(self.verify_tls),
            proxy: self.proxy.and_then(|p| c.get(p)),
            timeout: Duration::from_secs(timeout as u64),
            ..HttpSettings::default()
        }
    }
}

crate::options! {
    section "threatq";
    /// The `[threatq]` options besides [`ThreatQKeys::named`]'s.
    pub list THREATQ_HTTP_OPTIONS;
    /// HTTP(S) proxy URL for all outgoing requests, e.g. http://proxy:3128; empty = the
    /// HTTPS_PROXY/ALL_PROXY environment (NO_PROXY honoured).
    pub PROXY: Maybe<StrOpt> = StrOpt::new("proxy", "Proxy").optional();
    /// Seconds allowed for one HTTP request (connect, send and receive) before it is retried.
    pub TIMEOUT: IntOpt = IntOpt::new("timeout", "Timeout").range(1, 3600).default("60");
}

/// The standard `[threatq]` section.
pub const THREATQ: ThreatQKeys = ThreatQKeys {
    proxy: Some(PROXY),
    timeout: Some(TIMEOUT),
    ..ThreatQKeys::named("threatq", ThreatQNames::STANDARD)
};

crate::options! {
    section "connector";
    /// `[connector] enabled`, common to every cron connector.
    pub list COMMON_CONNECTOR_OPTIONS;
    /// false makes every run log "disabled" and exit 0 (the toggle of the ThreatQ UI).
    pub ENABLED: BoolOpt = BoolOpt::new("enabled", "Enabled").default("true");
}
