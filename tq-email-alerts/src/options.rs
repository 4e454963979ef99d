//! The `[connector]` options of tq-email-alerts: the settings of the guide's Configuration
//! table (labels as the guide spells them), names fixed by issue 10, plus the SMTP server
//! settings the guide leaves implicit (`smtp_host`, `require_starttls`, `smtp_ca_file`,
//! `smtp_verify_tls`). Declared once: prompt, validation, template and docs come from here;
//! [`crate::settings`] turns the loaded values into typed settings and checks what one
//! declaration cannot (addresses, options that need each other).

use tq_common::config::{Kind, Opt};

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

/// `[connector]` options.
pub const OPTIONS: &[Opt] = &[
    Opt {
        section: "connector",
        name: "threatq_link_host",
        label: "ThreatQ Hostname/IP",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "The hostname/IP address that you access ThreatQ from in your browser; the links in the mails point there (https://<host>/indicators/<id>/details). A scheme (https:// or http://) and :port may be given. Empty = the [threatq] host.",
    },
    Opt {
        section: "connector",
        name: "smtp_host",
        label: "SMTP Host",
        kind: Kind::Str,
        default: Some("localhost"),
        required: false,
        help: "The host name or IP address of the SMTP server that sends the mails.",
    },
    Opt {
        section: "connector",
        name: "port",
        label: "Port",
        kind: Kind::Int { min: 1, max: 65535 },
        default: Some("587"),
        required: false,
        help: "The port used by your SMTP server to send emails (587 submission with STARTTLS, 465 with use_ssl, 25 relay).",
    },
    Opt {
        section: "connector",
        name: "use_ssl",
        label: "Use SSL",
        kind: Kind::Bool,
        default: Some("false"),
        required: false,
        help: "Connect to the SMTP server over TLS from the first byte (implicit TLS, usually port 465). false = plain connection, upgraded with STARTTLS whenever the server offers it.",
    },
    Opt {
        section: "connector",
        name: "require_starttls",
        label: "Require STARTTLS",
        kind: Kind::Bool,
        default: Some("true"),
        required: false,
        help: "Without use_ssl, refuse to log in to a server that does not offer STARTTLS (the run fails before the password is sent). Has no effect with skip_login.",
    },
    Opt {
        section: "connector",
        name: "smtp_ca_file",
        label: "SMTP CA File",
        kind: Kind::File,
        default: None,
        required: false,
        help: "A PEM file of CA certificates trusted for the SMTP server's certificate in addition to the system store (for a private CA).",
    },
    Opt {
        section: "connector",
        name: "smtp_verify_tls",
        label: "Verify SMTP TLS",
        kind: Kind::Bool,
        default: Some("true"),
        required: false,
        help: "Verify the SMTP server's TLS certificate and host name. false is insecure and logs a warning on every run.",
    },
    Opt {
        section: "connector",
        name: "email",
        label: "Email",
        kind: Kind::Str,
        default: None,
        required: true,
        help: "The email address you want to use to send emails (the From address).",
    },
    Opt {
        section: "connector",
        name: "skip_login",
        label: "Skip Login",
        kind: Kind::Bool,
        default: Some("false"),
        required: false,
        help: "true = send without logging in to the SMTP server (a relay that accepts this host).",
    },
    Opt {
        section: "connector",
        name: "username",
        label: "Username",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "The username for the email account if different than the Email parameter. Empty = email.",
    },
    Opt {
        section: "connector",
        name: "password",
        label: "Password",
        kind: Kind::Secret,
        default: None,
        required: false,
        help: "The password to authenticate with the specified email or username. Required unless skip_login is true.",
    },
    Opt {
        section: "connector",
        name: "recipients",
        label: "Recipients",
        kind: Kind::List { choices: None },
        default: None,
        required: true,
        help: "A comma-delimited list of email addresses to receive the notifications.",
    },
    Opt {
        section: "connector",
        name: "enable_watchlist",
        label: "Enable Watchlist Notifications",
        kind: Kind::Bool,
        default: Some("false"),
        required: false,
        help: "Send a mail when an object is added to the watchlist of one of the watchlist_users, or a watched object changes.",
    },
    Opt {
        section: "connector",
        name: "watchlist_users",
        label: "Watchlist Users",
        kind: Kind::List { choices: None },
        default: None,
        required: false,
        help: "A comma-delimited list of users (names or emails) you want to check the watchlist for changes. Required when enable_watchlist is true.",
    },
    Opt {
        section: "connector",
        name: "enable_data_collection",
        label: "Enable Data Collection Notifications",
        kind: Kind::Bool,
        default: Some("false"),
        required: false,
        help: "Send a mail when the data collection data_collection_name has new (or updated) items.",
    },
    Opt {
        section: "connector",
        name: "data_collection_name",
        label: "Data Collection Name",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "The name of the Data Collection you want to receive notifications on. Required when enable_data_collection is true.",
    },
    Opt {
        section: "connector",
        name: "data_collection_objects",
        label: "Data Collection Object Selection",
        kind: Kind::List {
            choices: Some(COLLECTION_OBJECTS),
        },
        default: Some("indicators"),
        required: false,
        help: "The object types of the data collection you want to be alerted on. A type added later is baselined on its first run (its existing items are not mailed).",
    },
    Opt {
        section: "connector",
        name: "notification_frequency",
        label: "Notification Frequency (Saved Search)",
        kind: Kind::Enum(FREQUENCIES),
        default: Some("new_only"),
        required: false,
        help: "new_only: only notify when new items are created (appear in the data collection). new_or_updated: notify anytime an item is added or updated with context (its touched_at moved).",
    },
];

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
        let get = |n: &str| OPTIONS.iter().find(|o| o.name == n).unwrap();
        assert_eq!(get("port").default, Some("587"));
        assert_eq!(get("smtp_host").default, Some("localhost"));
        assert_eq!(get("require_starttls").default, Some("true"));
        assert_eq!(get("use_ssl").default, Some("false"));
        assert_eq!(get("notification_frequency").default, Some("new_only"));
        assert_eq!(get("data_collection_objects").default, Some("indicators"));
        assert!(get("password").is_secret());
        assert!(get("recipients").required);
    }
}
