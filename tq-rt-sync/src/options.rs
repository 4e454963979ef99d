//! The options of both modes, each declared once (prompt, validation, template, docs and
//! reading come from these handles):
//!
//! - cron mode: `[threatq]` and the `[connector]` options below, in `<dir>/<instance>.ini`
//!   (the guide's ThreatQ UI fields of the connector: Host, Username, Password, ThreatQ
//!   Host/IP);
//! - action mode: the guide's RT_SiteConfig names, handed over by RT::Extension::ThreatQ
//!   as JSON on standard input ([`crate::handover`]), in the section `RT_SiteConfig`, so
//!   errors name the RT_SiteConfig setting.

use tq_common::config::{
    BoolOpt, IntOpt, ListOpt, Maybe, Opt, PathOpt, SecretOpt, StrOpt, ThreatQKeys,
};

tq_common::options! {
    section "connector";
    /// The `[connector]` options of the cron mode, in file order.
    pub list OPTIONS;
    /// The Request Tracker web URL with its web path, e.g. rt.example.com/rt or
    /// https://rt.example.com:8443/rt (https unless it says http).
    pub RT_HOST: StrOpt = StrOpt::new("rt_host", "Host").web_url();
    /// The Request Tracker user the connector reads and writes tickets as; use
    /// RT_User_For_ThreatQ, whose transactions the RT extension does not sync back.
    pub RT_USERNAME: StrOpt = StrOpt::new("rt_username", "Username");
    /// The password of that Request Tracker user.
    pub RT_PASSWORD: SecretOpt = SecretOpt::new("rt_password", "Password");
    /// The ThreatQ host the ticket links point to (ThreatQ Link, ThreatQ Indicators), when
    /// people reach ThreatQ by another name than the connector does; empty = [threatq] host.
    pub THREATQ_LINK_HOST: Maybe<StrOpt> =
        StrOpt::new("threatq_link_host", "ThreatQ Host/IP").host().optional();
    /// Verify Request Tracker's TLS certificate. false is insecure and logs a warning on
    /// every run.
    pub VERIFY_TLS: BoolOpt = BoolOpt::new("verify_tls", "Verify TLS").default("true");
    /// A PEM file of CA certificates trusted for Request Tracker besides the system store.
    pub RT_CA_FILE: Maybe<PathOpt> = PathOpt::file("rt_ca_file", "RT CA file").optional();
}

/// The section the action mode's settings are named in (errors say `[RT_SiteConfig] Key`).
pub const SITE: &str = "RT_SiteConfig";

/// The ThreatQ settings under the guide's RT_SiteConfig names. `ThreatQ_Use_SSL` turns
/// certificate verification on or off for ThreatQ and for RT's REST API alike.
pub const SITE_THREATQ: ThreatQKeys = ThreatQKeys {
    host: StrOpt::new(
        SITE,
        "ThreatQ_Host",
        "ThreatQ_Host",
        "The host name or IP of your ThreatQ instance; host:port or an https:// URL also \
         work. The ticket links (ThreatQ Link, ThreatQ Indicators) point there too.",
    )
    .host(),
    client_id: SecretOpt::new(
        SITE,
        "ThreatQ_CID",
        "ThreatQ_CID",
        "The API Client ID of ThreatQ_User (My Account / OAuth Management page).",
    ),
    username: StrOpt::new(
        SITE,
        "ThreatQ_User",
        "ThreatQ_User",
        "The ThreatQ user (an e-mail address) the sync logs in as.",
    ),
    password: SecretOpt::new(
        SITE,
        "ThreatQ_Password",
        "ThreatQ_Password",
        "The password of ThreatQ_User (RT_SiteConfig.pm only).",
    ),
    status: StrOpt::new(
        SITE,
        "ThreatQ_Status",
        "ThreatQ_Status",
        "The status of indicators the sync creates (must exist in ThreatQ, e.g. Review); \
         indicators ThreatQ already has keep theirs.",
    ),
    ca_file: PathOpt::file(
        SITE,
        "ThreatQ_CA_File",
        "ThreatQ_CA_File",
        "A PEM file of CA certificates trusted besides the system store, for ThreatQ and \
         RT's REST API.",
    )
    .optional(),
    verify_tls: BoolOpt::new(
        SITE,
        "ThreatQ_Use_SSL",
        "ThreatQ_Use_SSL",
        "1 verifies the TLS certificates of ThreatQ and of RT's REST API; 0 turns that off \
         (insecure: a warning on every sync). Also Yes/No, true/false.",
    )
    .default("1"),
    proxy: None,
    timeout: None,
};

tq_common::options! {
    section "RT_SiteConfig";
    /// The action mode's RT_SiteConfig settings besides [`SITE_THREATQ`]'s.
    pub list SITE_OPTIONS;
    /// The RT user the sync reads and writes tickets as; its own transactions are not synced.
    pub RT_USER: StrOpt = StrOpt::new("RT_User_For_ThreatQ", "RT_User_For_ThreatQ");
    /// The password of RT_User_For_ThreatQ (RT_SiteConfig.pm only).
    pub RT_USER_PASSWORD: SecretOpt =
        SecretOpt::new("RT_Password_For_ThreatQ", "RT_Password_For_ThreatQ");
    /// Comma-separated queue names whose tickets are synced (spaces around commas ignored).
    pub RT_QUEUES: ListOpt = ListOpt::new("RT_Queues_For_ThreatQ", "RT_Queues_For_ThreatQ");
    /// Seconds a sync waits after a ticket is created, so the ticket is complete.
    pub CREATE_WAIT: IntOpt =
        IntOpt::new("ThreatQ_Create_Wait", "ThreatQ_Create_Wait").range(0, 3600).default("5");
    /// A directory for tq-rt-sync's own log file (tq-rt-sync.log); empty = the output goes
    /// to RT's log through the scrip.
    pub LOG_DIR: Maybe<PathOpt> = PathOpt::dir("ThreatQ_Log_Dir", "ThreatQ_Log_Dir").optional();
    /// RT's own web URL ($WebURL, from $WebDomain, $WebPort and $WebPath or $WebBaseURL);
    /// the sync reaches RT's REST API there.
    pub WEB_URL: StrOpt = StrOpt::new("WebURL", "WebURL").web_url();
    /// RT's $rtname (names the per-ticket lock files).
    pub RTNAME: Maybe<StrOpt> = StrOpt::new("rtname", "rtname").optional();
    /// The format version of the hand-over (1; a later format gets a new number).
    pub VERSION: IntOpt = IntOpt::new("version", "version").range(1, 1).default("1");
}

/// Every option of the action mode's hand-over, in order.
pub fn site_options() -> Vec<Opt> {
    [SITE_THREATQ.options().as_slice(), SITE_OPTIONS].concat()
}
