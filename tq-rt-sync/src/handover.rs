//! The hand-over from RT::Extension::ThreatQ to the action mode: one JSON object on standard
//! input, then end of file. Never argv, never the environment (RT logs the command line and
//! `ps` shows it to every user of the host).
//!
//! ```json
//! {"version":1,"ThreatQ_Host":"tq.example","ThreatQ_Password":"...","WebURL":"https://rt.example/",
//!  "rtname":"example.com","RT_Queues_For_ThreatQ":"Incidents,Incident Reports", ...}
//! ```
//!
//! Keys are the guide's RT_SiteConfig names plus `WebURL`, `rtname` and `version`; values
//! are strings as configured (numbers and booleans are read as their text); unset options are
//! left out. [`Handover`] is the runner's config source for it: validation is the common
//! one, so an error names the RT_SiteConfig setting (`[RT_SiteConfig] ThreatQ_Use_SSL:
//! "maybe" is not true or false`). Keys this version does not know are ignored (a newer
//! extension may send more).

use serde_json::Value;
use tq_common::config::{ConfigSource, Entry, Raw, Sections};
use tq_common::{Error, Result};

use crate::options::SITE;

/// How errors name the hand-over.
pub const ORIGIN: &str = "RT_SiteConfig settings (from RT on standard input)";

/// The settings RT handed over.
#[derive(Clone, Default)]
pub struct Handover {
    values: Vec<(String, String)>,
}

impl std::fmt::Debug for Handover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.values.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Handover").field("keys", &keys).finish()
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::ConfigFile {
        origin: ORIGIN.to_string(),
        message: message.into(),
    }
}

impl Handover {
    /// Reads the JSON document.
    pub fn parse(text: &str) -> Result<Handover> {
        if text.trim().is_empty() {
            return Err(bad(
                "nothing on standard input. The action mode is started by RT's scrip \
                 (RT::Extension::ThreatQ), which writes the settings there as JSON; to run \
                 it by hand, pipe that JSON in (see docs/rt-sync.md)",
            ));
        }
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a JSON object: {e} (line {})", e.line())))?;
        let Value::Object(map) = doc else {
            return Err(bad("not a JSON object"));
        };
        let mut values = Vec::new();
        for (k, v) in map {
            let text = match v {
                Value::Null => continue,
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(Error::Config {
                        origin: ORIGIN.to_string(),
                        section: SITE.to_string(),
                        key: k,
                        message: "is a list or an object; expected text".into(),
                    })
                }
            };
            values.push((k, text));
        }
        Ok(Handover { values })
    }

    /// Reads standard input to its end (refused on a terminal: the settings come from RT).
    pub fn from_stdin() -> Result<Handover> {
        if tq_common::prompt::stdin_is_terminal() {
            return Err(bad(
                "standard input is a terminal. The action mode reads its settings as JSON \
                 from RT's scrip; to run it by hand, pipe that JSON in (see docs/rt-sync.md)",
            ));
        }
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .map_err(|e| bad(format!("cannot read standard input: {e}")))?;
        Handover::parse(&text)
    }

    /// The raw value of a key, when given and not empty (before validation: the log
    /// directory is needed before the settings are checked).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

impl ConfigSource for Handover {
    fn origin(&self) -> String {
        ORIGIN.to_string()
    }

    fn read(&self) -> Result<Option<Raw>> {
        Ok(Some(Raw(self
            .values
            .iter()
            .map(|(k, v)| Entry {
                section: SITE.to_string(),
                key: k.clone(),
                value: v.clone(),
            })
            .collect())))
    }

    fn sections(&self) -> Sections {
        Sections::Shared { open: &[SITE] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{site_options, CREATE_WAIT, RT_QUEUES, SITE_THREATQ, WEB_URL};
    use tq_common::config::Config;

    fn load(text: &str) -> Result<Config> {
        let h = Handover::parse(text)?;
        let raw = h.read()?.unwrap_or_default();
        Config::validate(&h.origin(), &raw, &site_options(), h.sections())
    }

    const FULL: &str = r#"{"version":1,"ThreatQ_Host":"tq.example","ThreatQ_User":"a@b.c",
        "ThreatQ_Password":"pw-1234","ThreatQ_CID":"cid-5678","ThreatQ_Status":"Review",
        "ThreatQ_Use_SSL":"0","RT_User_For_ThreatQ":"threatq","RT_Password_For_ThreatQ":"rtpw-999",
        "RT_Queues_For_ThreatQ":"Incidents , Incident Reports","WebURL":"http://127.0.0.1:8080/",
        "rtname":"rt.test","SomethingNewer":"x"}"#;

    #[test]
    fn reads_the_settings_under_their_rt_siteconfig_names() {
        let c = load(FULL).unwrap();
        assert_eq!(c.get(SITE_THREATQ.host), "https://tq.example");
        assert!(!c.get(SITE_THREATQ.verify_tls));
        assert_eq!(c.get(SITE_THREATQ.password).expose(), "pw-1234");
        assert_eq!(c.get(RT_QUEUES), ["Incidents", "Incident Reports"]);
        assert_eq!(c.get(CREATE_WAIT), 5, "the default");
        assert_eq!(c.get(WEB_URL), "http://127.0.0.1:8080");
        let h = Handover::parse(FULL).unwrap();
        assert!(!format!("{h:?}").contains("pw-1234"));
        assert_eq!(h.get("rtname"), Some("rt.test"));
    }

    #[test]
    fn errors_name_the_setting() {
        let e = load(&FULL.replace(r#""ThreatQ_Use_SSL":"0""#, r#""ThreatQ_Use_SSL":"maybe""#))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{ORIGIN}: [RT_SiteConfig] ThreatQ_Use_SSL: \"maybe\" is not true or false")
        );
        assert_eq!(e.exit_code(), 2);
        let e = load(&FULL.replace(r#""ThreatQ_CID":"cid-5678","#, "")).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("[RT_SiteConfig] ThreatQ_CID: is missing; set it to secret text"),
            "{e}"
        );
        let e = load(&FULL.replace(r#""version":1"#, r#""version":2"#)).unwrap_err();
        assert!(e.to_string().contains("[RT_SiteConfig] version"), "{e}");
        let e = load(&FULL.replace(r#""rtname":"rt.test""#, r#""rtname":["a"]"#)).unwrap_err();
        assert!(
            e.to_string().contains("[RT_SiteConfig] rtname: is a list"),
            "{e}"
        );
        for bad in ["", "  ", "[1]", "{\"a\":"] {
            let e = Handover::parse(bad).unwrap_err();
            assert!(e.to_string().starts_with(ORIGIN), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn numbers_and_booleans_read_as_text() {
        let c = load(&FULL.replace(
            r#""ThreatQ_Use_SSL":"0""#,
            r#""ThreatQ_Use_SSL":true,"ThreatQ_Create_Wait":0"#,
        ))
        .unwrap();
        assert!(c.get(SITE_THREATQ.verify_tls));
        assert_eq!(c.get(CREATE_WAIT), 0);
    }
}
