//! The ThreatQ connection options: the standard `[threatq]` section (design.md §3) and
//! [`ThreatQKeys`], which says under which section and key names a source holds them, so
//! the ThreatQ client can be configured from `[threatq]`, `[fn_threatq]` or RT_SiteConfig
//! names alike.

use std::time::Duration;

use super::option::{BoolOpt, IntOpt, Maybe, Opt, PathOpt, SecretOpt, StrOpt};
use super::Config;
use crate::http::HttpSettings;
use crate::threatq::ThreatQSettings;

/// `[threatq] host`.
pub const HOST: StrOpt = StrOpt::new(
    "threatq",
    "host",
    "ThreatQ Host",
    "The host name or IP of your ThreatQ instance (127.0.0.1 on the appliance); host:port or an https:// URL also work.",
)
.host();

/// `[threatq] client_id`.
pub const CLIENT_ID: SecretOpt = SecretOpt::new(
    "threatq",
    "client_id",
    "Client ID",
    "The API Client ID of the ThreatQ user (My Account / OAuth Management page).",
);

/// `[threatq] username`.
pub const USERNAME: StrOpt = StrOpt::new(
    "threatq",
    "username",
    "E-Mail Address",
    "The e-mail address the connector logs in to ThreatQ with (a dedicated maintenance user).",
);

/// `[threatq] password`.
pub const PASSWORD: SecretOpt = SecretOpt::new(
    "threatq",
    "password",
    "Password",
    "The password of that user.",
);

/// `[threatq] status`.
pub const STATUS: StrOpt = StrOpt::new(
    "threatq",
    "status",
    "Status",
    "The default indicator status the connector applies (must exist in ThreatQ, e.g. Active or Review).",
);

/// `[threatq] ca_file`.
pub const CA_FILE: Maybe<PathOpt> = PathOpt::file(
    "threatq",
    "ca_file",
    "CA file",
    "A PEM file of CA certificates trusted for ThreatQ in addition to the system store (for a self-signed appliance certificate).",
)
.optional();

/// `[threatq] verify_tls`.
pub const VERIFY_TLS: BoolOpt = BoolOpt::new(
    "threatq",
    "verify_tls",
    "Verify TLS",
    "Verify ThreatQ's TLS certificate. false is insecure and logs a warning on every run.",
)
.default("true");

/// `[threatq] proxy`.
pub const PROXY: Maybe<StrOpt> = StrOpt::new(
    "threatq",
    "proxy",
    "Proxy",
    "HTTP(S) proxy URL for all outgoing requests, e.g. http://proxy:3128; empty = the HTTPS_PROXY/ALL_PROXY environment (NO_PROXY honoured).",
)
.optional();

/// `[threatq] timeout`.
pub const TIMEOUT: IntOpt = IntOpt::new(
    "threatq",
    "timeout",
    "Timeout",
    "Seconds allowed for one HTTP request (connect, send and receive) before it is retried.",
)
.range(1, 3600)
.default("60");

/// `[connector] enabled`, common to every cron connector.
pub const ENABLED: BoolOpt = BoolOpt::new(
    "connector",
    "enabled",
    "Enabled",
    "false makes every run log \"disabled\" and exit 0 (the toggle of the ThreatQ UI).",
)
.default("true");

/// Where a source holds the ThreatQ connection settings.
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

/// The standard `[threatq]` section.
pub const THREATQ: ThreatQKeys = ThreatQKeys {
    host: HOST,
    client_id: CLIENT_ID,
    username: USERNAME,
    password: PASSWORD,
    status: STATUS,
    ca_file: CA_FILE,
    verify_tls: VERIFY_TLS,
    proxy: Some(PROXY),
    timeout: Some(TIMEOUT),
};

/// The `[threatq]` declarations, in file order.
pub const THREATQ_OPTIONS: &[Opt] = &[
    HOST.opt(),
    CLIENT_ID.opt(),
    USERNAME.opt(),
    PASSWORD.opt(),
    STATUS.opt(),
    CA_FILE.opt(),
    VERIFY_TLS.opt(),
    PROXY.opt(),
    TIMEOUT.opt(),
];

impl ThreatQKeys {
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
