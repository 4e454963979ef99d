//! The loaded `[connector]` options as typed settings, with the checks one option
//! declaration cannot make: addresses that must parse, options that need each other.
//! Every error names the config file, section and key (exit 2).

use lettre::message::Mailbox;
use tq_common::config::{Config, Get, THREATQ};

use crate::collection::Frequency;
use crate::objects::{LinkBase, ObjectKind};
use crate::options::{
    DATA_COLLECTION_NAME, DATA_COLLECTION_OBJECTS, EMAIL, ENABLE_DATA_COLLECTION, ENABLE_WATCHLIST,
    NOTIFICATION_FREQUENCY, PASSWORD, PORT, RECIPIENTS, REQUIRE_STARTTLS, SKIP_LOGIN, SMTP_CA_FILE,
    SMTP_HOST, SMTP_VERIFY_TLS, THREATQ_LINK_HOST, USERNAME, USE_SSL, WATCHLIST_USERS,
};
use crate::smtp::{Login, SmtpSettings, SMTP_TIMEOUT};

/// Everything a run needs from the config.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The SMTP server and the addresses.
    pub smtp: SmtpSettings,
    /// Where the links in the mails point.
    pub links: LinkBase,
    /// Set when `enable_watchlist` is true.
    pub watchlist: Option<WatchlistSettings>,
    /// Set when `enable_data_collection` is true.
    pub collection: Option<CollectionSettings>,
}

/// `watchlist_users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchlistSettings {
    /// Names or e-mail addresses of ThreatQ users, as configured.
    pub users: Vec<String>,
}

/// The data collection options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSettings {
    /// `data_collection_name`.
    pub name: String,
    /// `data_collection_objects`.
    pub objects: Vec<ObjectKind>,
    /// `notification_frequency`.
    pub frequency: Frequency,
}

fn mailbox<G: Get>(cfg: &Config, key: G, raw: &str) -> tq_common::Result<Mailbox> {
    raw.trim()
        .parse::<Mailbox>()
        .map_err(|e| cfg.error(key, format!("\"{raw}\" is not an e-mail address ({e})")))
}

impl Settings {
    /// Reads the validated config; the links use the `[threatq]` host when
    /// `threatq_link_host` is empty. Errors name the file, section and key (exit 2).
    pub fn from_config(cfg: &Config) -> tq_common::Result<Settings> {
        let host = cfg.get(SMTP_HOST).trim().to_string();
        if host.is_empty()
            || host
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err(cfg.error(
                SMTP_HOST,
                format!("\"{host}\" is not a host name or IP address"),
            ));
        }
        let port = u16::try_from(cfg.get(PORT))
            .map_err(|_| cfg.error(PORT, "is not a port number (1 to 65535)"))?;

        let from = mailbox(cfg, EMAIL, &cfg.get(EMAIL))?;
        let mut recipients = Vec::new();
        for r in cfg.get(RECIPIENTS) {
            recipients.push(mailbox(cfg, RECIPIENTS, &r)?);
        }
        if recipients.is_empty() {
            return Err(cfg.error(RECIPIENTS, "needs at least one e-mail address"));
        }

        let login = if cfg.get(SKIP_LOGIN) {
            None
        } else {
            let Some(password) = cfg.get(PASSWORD).filter(|p| !p.is_empty()) else {
                return Err(cfg.error(
                    PASSWORD,
                    "is empty; set the SMTP password, or skip_login = true to send without logging in",
                ));
            };
            let user = cfg
                .get(USERNAME)
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| from.email.to_string());
            Some(Login { user, password })
        };

        let link_raw = cfg
            .get(THREATQ_LINK_HOST)
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| cfg.get(THREATQ.host));
        let links = LinkBase::parse(&link_raw).map_err(|m| cfg.error(THREATQ_LINK_HOST, m))?;

        let watchlist = if cfg.get(ENABLE_WATCHLIST) {
            let users = cfg.get(WATCHLIST_USERS);
            if users.is_empty() {
                return Err(cfg.error(
                    WATCHLIST_USERS,
                    "is empty but enable_watchlist is true; list the users (names or e-mail addresses) whose watchlists to check",
                ));
            }
            Some(WatchlistSettings { users })
        } else {
            None
        };

        let collection = if cfg.get(ENABLE_DATA_COLLECTION) {
            let Some(name) = cfg
                .get(DATA_COLLECTION_NAME)
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty())
            else {
                return Err(cfg.error(
                    DATA_COLLECTION_NAME,
                    "is empty but enable_data_collection is true; set the name of the data collection",
                ));
            };
            let mut objects = Vec::new();
            for o in cfg.get(DATA_COLLECTION_OBJECTS) {
                let kind = ObjectKind::from_collection(&o).ok_or_else(|| {
                    cfg.error(
                        DATA_COLLECTION_OBJECTS,
                        format!("\"{o}\" is not an object type"),
                    )
                })?;
                if !objects.contains(&kind) {
                    objects.push(kind);
                }
            }
            if objects.is_empty() {
                return Err(cfg.error(
                    DATA_COLLECTION_OBJECTS,
                    "is empty but enable_data_collection is true; select at least one object type",
                ));
            }
            let frequency =
                Frequency::parse(&cfg.get(NOTIFICATION_FREQUENCY)).ok_or_else(|| {
                    cfg.error(NOTIFICATION_FREQUENCY, "is not new_only or new_or_updated")
                })?;
            Some(CollectionSettings {
                name,
                objects,
                frequency,
            })
        } else {
            None
        };

        Ok(Settings {
            smtp: SmtpSettings {
                host,
                port,
                use_ssl: cfg.get(USE_SSL),
                require_starttls: cfg.get(REQUIRE_STARTTLS),
                ca_file: cfg.get(SMTP_CA_FILE),
                verify_tls: cfg.get(SMTP_VERIFY_TLS),
                from,
                recipients,
                login,
                timeout: SMTP_TIMEOUT,
            },
            links,
            watchlist,
            collection,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tq_common::config::all_options;

    const THREATQ_INI: &str = "[threatq]\nhost = tq.example\nclient_id = c\nusername = u@example.org\npassword = p\nstatus = Review\n";

    fn load(connector: &str) -> tq_common::Result<Settings> {
        let text = format!("{THREATQ_INI}[connector]\n{connector}");
        let cfg = Config::from_ini(
            "/etc/tq/tq-email-alerts.ini",
            &text,
            &all_options(crate::options::OPTIONS),
        )?;
        Settings::from_config(&cfg)
    }

    fn err(connector: &str) -> String {
        let e = load(connector).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        e.to_string()
    }

    #[test]
    fn defaults_and_a_minimal_config() {
        let s = load("email = alerts@example.org\npassword = hunter2\nrecipients = a@example.org, B <b@example.org>\n").unwrap();
        assert_eq!(s.smtp.host, "localhost");
        assert_eq!(s.smtp.port, 587);
        assert!(!s.smtp.use_ssl && s.smtp.require_starttls && s.smtp.verify_tls);
        assert_eq!(s.smtp.server(), "localhost:587");
        let login = s.smtp.login.as_ref().unwrap();
        assert_eq!(
            login.user, "alerts@example.org",
            "username defaults to email"
        );
        assert_eq!(login.password.expose(), "hunter2");
        assert!(
            !format!("{s:?}").contains("hunter2"),
            "the password never prints"
        );
        assert_eq!(s.smtp.recipients.len(), 2);
        assert_eq!(s.smtp.recipients[1].email.to_string(), "b@example.org");
        assert_eq!(s.links.as_str(), "https://tq.example");
        assert!(s.watchlist.is_none() && s.collection.is_none());
    }

    #[test]
    fn every_option_read() {
        let s = load(
            "threatq_link_host = http://ui.example:8080\nsmtp_host = mail.example\nport = 465\nuse_ssl = true\n\
             require_starttls = false\nsmtp_verify_tls = false\nemail = alerts@example.org\nskip_login = true\n\
             recipients = a@example.org\nenable_watchlist = true\nwatchlist_users = Analyst One , b@example.org\n\
             enable_data_collection = true\ndata_collection_name = High Confidence\n\
             data_collection_objects = indicators, Events\nnotification_frequency = new_or_updated\n",
        )
        .unwrap();
        assert_eq!(s.smtp.server(), "mail.example:465");
        assert!(s.smtp.use_ssl && !s.smtp.require_starttls && !s.smtp.verify_tls);
        assert!(s.smtp.login.is_none());
        assert_eq!(s.links.as_str(), "http://ui.example:8080");
        assert_eq!(
            s.watchlist.unwrap().users,
            vec!["Analyst One".to_string(), "b@example.org".to_string()]
        );
        let c = s.collection.unwrap();
        assert_eq!(c.name, "High Confidence");
        assert_eq!(c.objects, vec![ObjectKind::Indicators, ObjectKind::Events]);
        assert_eq!(c.frequency, Frequency::NewOrUpdated);
    }

    #[test]
    fn bad_values_name_file_and_key() {
        let base = "email = alerts@example.org\npassword = x\n";
        let e = err(&format!(
            "{base}recipients = a@example.org, not-an-address\n"
        ));
        assert!(
            e.contains("tq-email-alerts.ini")
                && e.contains("recipients")
                && e.contains("not-an-address"),
            "{e}"
        );
        let e = err("email = nope\npassword = x\nrecipients = a@example.org\n");
        assert!(e.contains("] email:"), "{e}");
        let e = err("email = a@example.org\nrecipients = a@example.org\n");
        assert!(e.contains("password") && e.contains("skip_login"), "{e}");
        let e = err(&format!(
            "{base}recipients = a@example.org\nenable_watchlist = true\n"
        ));
        assert!(e.contains("watchlist_users"), "{e}");
        let e = err(&format!(
            "{base}recipients = a@example.org\nenable_data_collection = true\n"
        ));
        assert!(e.contains("data_collection_name"), "{e}");
        let e = err(&format!("{base}recipients = a@example.org\nenable_data_collection = true\ndata_collection_name = X\ndata_collection_objects =\n"));
        assert!(e.contains("data_collection_objects"), "{e}");
        let e = err(&format!(
            "{base}recipients = a@example.org\ndata_collection_objects = widgets\n"
        ));
        assert!(
            e.contains("data_collection_objects") && e.contains("widgets"),
            "{e}"
        );
        let e = err(&format!(
            "{base}recipients = a@example.org\nthreatq_link_host = a b\n"
        ));
        assert!(e.contains("threatq_link_host"), "{e}");
        let e = err(&format!(
            "{base}recipients = a@example.org\nsmtp_host = mail example\n"
        ));
        assert!(e.contains("smtp_host"), "{e}");
        let e = err(&format!("{base}recipients = a@example.org\nport = 0\n"));
        assert!(e.contains("port"), "{e}");
        let e = err(&format!(
            "{base}recipients = a@example.org\nnotification_frequency = hourly\n"
        ));
        assert!(e.contains("notification_frequency"), "{e}");
        let e = err(&format!("{base}recipients =\n"));
        assert!(e.contains("recipients"), "{e}");
    }
}
