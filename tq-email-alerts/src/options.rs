//! The `[connector]` options of tq-email-alerts: the settings of the guide's Configuration
//! table (labels as the guide spells them), names fixed by issue 10, plus the SMTP server
//! settings the guide leaves implicit (`smtp_host`, `require_starttls`, `smtp_ca_file`,
//! `smtp_verify_tls`). Declared once: prompt, validation, template, docs and reading come
//! from these handles; [`crate::settings`] turns the loaded values into typed settings and
//! checks what one declaration cannot (addresses, options that need each other).

use tq_common::config::{BoolOpt, IntOpt, ListOpt, Maybe, PathOpt, SecretOpt, StrOpt};

/// The object types a data collection alert can cover (`data_collection_objects`).
pub const COLLECTION_OBJECTS: &[&str] = &[
    "indicators",
    "adversaries",
    "events",
    "attachments",
    "signatures",
];

/// The guide's two notification choices (`notification_frequency`).
pub const FREQUENCIES: &[&str] = &["new_only", "new_or_updated"];

tq_common::options! {
    section "connector";
    /// `[connector]` options, in file order.
    pub list OPTIONS;
    /// The hostname/IP address that you access ThreatQ from in your browser; the links in
    /// the mails point there (https://<host>/indicators/<id>/details). A scheme (https://
    /// or http://) and :port may be given. Empty = the [threatq] host.
    pub THREATQ_LINK_HOST: Maybe<StrOpt> =
        StrOpt::new("threatq_link_host", "ThreatQ Hostname/IP").optional();
    /// The host name or IP address of the SMTP server that sends the mails.
    pub SMTP_HOST: StrOpt = StrOpt::new("smtp_host", "SMTP Host").default("localhost");
    /// The port used by your SMTP server to send emails (587 submission with STARTTLS, 465
    /// with use_ssl, 25 relay).
    pub PORT: IntOpt = IntOpt::new("port", "Port").range(1, 65535).default("587");
    /// Connect to the SMTP server over TLS from the first byte (implicit TLS, usually port
    /// 465). false = plain connection, upgraded with STARTTLS whenever the server offers it.
    pub USE_SSL: BoolOpt = BoolOpt::new("use_ssl", "Use SSL").default("false");
    /// Without use_ssl, refuse to log in to a server that does not offer STARTTLS (the run
    /// fails before the password is sent). Has no effect with skip_login.
    pub REQUIRE_STARTTLS: BoolOpt =
        BoolOpt::new("require_starttls", "Require STARTTLS").default("true");
    /// A PEM file of CA certificates trusted for the SMTP server's certificate in addition
    /// to the system store (for a private CA).
    pub SMTP_CA_FILE: Maybe<PathOpt> = PathOpt::file("smtp_ca_file", "SMTP CA File").optional();
    /// Verify the SMTP server's TLS certificate and host name. false is insecure and logs a
    /// warning on every run.
    pub SMTP_VERIFY_TLS: BoolOpt =
        BoolOpt::new("smtp_verify_tls", "Verify SMTP TLS").default("true");
    /// The email address you want to use to send emails (the From address).
    pub EMAIL: StrOpt = StrOpt::new("email", "Email");
    /// true = send without logging in to the SMTP server (a relay that accepts this host).
    pub SKIP_LOGIN: BoolOpt = BoolOpt::new("skip_login", "Skip Login").default("false");
    /// The username for the email account if different than the Email parameter. Empty =
    /// email.
    pub USERNAME: Maybe<StrOpt> = StrOpt::new("username", "Username").optional();
    /// The password to authenticate with the specified email or username. Required unless
    /// skip_login is true.
    pub PASSWORD: Maybe<SecretOpt> = SecretOpt::new("password", "Password").optional();
    /// A comma-delimited list of email addresses to receive the notifications (at least
    /// one).
    pub RECIPIENTS: ListOpt = ListOpt::new("recipients", "Recipients");
    /// Send a mail when an object is added to the watchlist of one of the watchlist_users,
    /// or a watched object changes.
    pub ENABLE_WATCHLIST: BoolOpt =
        BoolOpt::new("enable_watchlist", "Enable Watchlist Notifications").default("false");
    /// A comma-delimited list of users (names or emails) you want to check the watchlist for
    /// changes. Required when enable_watchlist is true.
    pub WATCHLIST_USERS: ListOpt = ListOpt::new("watchlist_users", "Watchlist Users");
    /// Send a mail when the data collection data_collection_name has new (or updated)
    /// items.
    pub ENABLE_DATA_COLLECTION: BoolOpt =
        BoolOpt::new("enable_data_collection", "Enable Data Collection Notifications")
            .default("false");
    /// The name of the Data Collection you want to receive notifications on. Required when
    /// enable_data_collection is true.
    pub DATA_COLLECTION_NAME: Maybe<StrOpt> =
        StrOpt::new("data_collection_name", "Data Collection Name").optional();
    /// The object types of the data collection you want to be alerted on. A type added
    /// later is baselined on its first run (its existing items are not mailed).
    pub DATA_COLLECTION_OBJECTS: ListOpt =
        ListOpt::new("data_collection_objects", "Data Collection Object Selection")
            .of(COLLECTION_OBJECTS, &[])
            .default("indicators");
    /// new_only: only notify when new items are created (appear in the data collection).
    /// new_or_updated: notify anytime an item is added or updated with context (its
    /// touched_at moved).
    pub NOTIFICATION_FREQUENCY: StrOpt =
        StrOpt::new("notification_frequency", "Notification Frequency (Saved Search)")
            .one_of(FREQUENCIES)
            .default("new_only");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_is_in_connector_once_with_help() {
        let mut names: Vec<&str> = OPTIONS.iter().map(|o| o.name).collect();
        assert!(OPTIONS.iter().all(|o| o.section == "connector"));
        assert!(OPTIONS
            .iter()
            .all(|o| !o.help.is_empty() && !o.label.is_empty()));
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "an option is declared twice");
        assert!(OPTIONS
            .iter()
            .filter(|o| o.default.is_some())
            .all(|o| tq_common::config::parse_value(o, o.default.unwrap_or("")).is_ok()));
    }

    #[test]
    fn guide_defaults() {
        assert_eq!(PORT.opt().default, Some("587"));
        assert_eq!(SMTP_HOST.opt().default, Some("localhost"));
        assert_eq!(REQUIRE_STARTTLS.opt().default, Some("true"));
        assert_eq!(USE_SSL.opt().default, Some("false"));
        assert_eq!(NOTIFICATION_FREQUENCY.opt().default, Some("new_only"));
        assert_eq!(DATA_COLLECTION_OBJECTS.opt().default, Some("indicators"));
        assert!(PASSWORD.opt().is_secret());
        assert!(EMAIL.opt().required);
    }
}
