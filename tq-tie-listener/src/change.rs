//! An accepted reputation change, as the journal stores it and as it is written to ThreatQ:
//! the file's hashes, the trust level name per provider, and the Enterprise first contact and
//! prevalence. [`Names`] holds the ThreatQ attribute and source names (with the suffix).

use serde::{Deserialize, Serialize};

use crate::providers::Provider;
use crate::repchange::{Digests, Filter, PayloadError, RepChange};

/// One accepted change (one line of the journal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha256: Option<String>,
    /// Trust level names, `[GTI, ENTERPRISE, ATD]` order of [`Provider::ALL`].
    #[serde(default)]
    pub levels: [Option<String>; 3],
    /// Enterprise FIRST_CONTACT (epoch seconds, as TIE sent it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_contact: Option<String>,
    /// Enterprise PREVALENCE.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prevalence: Option<String>,
}

impl Change {
    /// Builds the change from an event the filter accepted.
    pub fn from_event(rc: &RepChange<'_>, filter: &Filter) -> Result<Change, PayloadError> {
        let Digests { md5, sha1, sha256 } = rc.digests()?;
        let mut levels: [Option<String>; 3] = Default::default();
        for (p, l) in filter.levels(rc) {
            levels[p as usize] = Some(l.name().to_string());
        }
        let ent = rc.new_reputation(Provider::Enterprise);
        Ok(Change {
            md5,
            sha1,
            sha256,
            levels,
            first_contact: ent
                .and_then(|r| r.attributes.first_contact.as_deref())
                .map(str::to_string),
            prevalence: ent
                .and_then(|r| r.attributes.prevalence.as_deref())
                .map(str::to_string),
        })
    }

    /// (ThreatQ indicator type, value) for each hash present.
    pub fn indicators(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("MD5", &self.md5),
            ("SHA-1", &self.sha1),
            ("SHA-256", &self.sha256),
        ]
        .into_iter()
        .filter_map(|(t, v)| v.as_deref().map(|v| (t, v)))
    }

    /// (attribute name, value) of the five attributes, where the event carried a value.
    pub fn attributes<'n>(&'n self, names: &'n Names) -> impl Iterator<Item = (&'n str, &'n str)> {
        let levels = Provider::ALL
            .iter()
            .zip(&self.levels)
            .filter_map(|(p, l)| l.as_deref().map(|l| (names.trust_level(*p), l)));
        levels.chain(
            [
                (names.first_execution.as_str(), &self.first_contact),
                (names.executions.as_str(), &self.prevalence),
            ]
            .into_iter()
            .filter_map(|(n, v)| v.as_deref().map(|v| (n, v))),
        )
    }

    /// The key that identifies the file (its first hash).
    pub fn file_key(&self) -> &str {
        self.md5
            .as_deref()
            .or(self.sha1.as_deref())
            .or(self.sha256.as_deref())
            .unwrap_or("")
    }
}

/// The ThreatQ names, with the instance suffix as the guide's screenshots show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// "McAfee TIE Reputation Change[ <suffix>]".
    pub source: String,
    /// "GTI/ENTERPRISE/ATD Trust Level[ -<suffix>]", in [`Provider::ALL`] order.
    pub trust_levels: [String; 3],
    /// "Enterprise First Execution (FIRST_CONTACT)[-<suffix>]".
    pub first_execution: String,
    /// "Enterprise Executions (PREVALENCE)[-<suffix>]".
    pub executions: String,
}

impl Names {
    pub fn new(suffix: Option<&str>) -> Names {
        let s = suffix.filter(|s| !s.is_empty());
        let sp = s.map(|s| format!(" {s}")).unwrap_or_default();
        let dash = s.map(|s| format!("-{s}")).unwrap_or_default();
        let spdash = s.map(|s| format!(" -{s}")).unwrap_or_default();
        Names {
            source: format!("McAfee TIE Reputation Change{sp}"),
            trust_levels: Provider::ALL.map(|p| format!("{} Trust Level{spdash}", p.label())),
            first_execution: format!("Enterprise First Execution (FIRST_CONTACT){dash}"),
            executions: format!("Enterprise Executions (PREVALENCE){dash}"),
        }
    }

    pub fn trust_level(&self, p: Provider) -> &str {
        &self.trust_levels[p as usize]
    }

    /// The five attribute names this instance writes (each single-valued per indicator).
    pub fn all_attributes(&self) -> impl Iterator<Item = &str> {
        self.trust_levels
            .iter()
            .map(String::as_str)
            .chain([self.first_execution.as_str(), self.executions.as_str()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_and_without_suffix() {
        let n = Names::new(None);
        assert_eq!(n.source, "McAfee TIE Reputation Change");
        assert_eq!(
            n.trust_level(Provider::Enterprise),
            "ENTERPRISE Trust Level"
        );
        assert_eq!(
            n.first_execution,
            "Enterprise First Execution (FIRST_CONTACT)"
        );
        let n = Names::new(Some("siteA"));
        assert_eq!(n.source, "McAfee TIE Reputation Change siteA");
        assert_eq!(
            n.trust_level(Provider::Enterprise),
            "ENTERPRISE Trust Level -siteA"
        );
        assert_eq!(n.trust_level(Provider::Gti), "GTI Trust Level -siteA");
        assert_eq!(
            n.first_execution,
            "Enterprise First Execution (FIRST_CONTACT)-siteA"
        );
        assert_eq!(n.executions, "Enterprise Executions (PREVALENCE)-siteA");
        assert_eq!(n.all_attributes().count(), 5);
    }

    #[test]
    fn journal_line_round_trip() {
        let c = Change {
            md5: Some("44d88612fea8a8f36de82e1278abb02f".into()),
            sha1: None,
            sha256: None,
            levels: [None, Some("Known Malicious".into()), None],
            first_contact: Some("1451504331".into()),
            prevalence: Some("11".into()),
        };
        let line = serde_json::to_string(&c).expect("json");
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Change>(&line).expect("back"), c);
        let names = Names::new(None);
        let attrs: Vec<_> = c.attributes(&names).collect();
        assert_eq!(
            attrs,
            [
                ("ENTERPRISE Trust Level", "Known Malicious"),
                ("Enterprise First Execution (FIRST_CONTACT)", "1451504331"),
                ("Enterprise Executions (PREVALENCE)", "11"),
            ]
        );
        assert_eq!(
            c.indicators().collect::<Vec<_>>(),
            [("MD5", "44d88612fea8a8f36de82e1278abb02f")]
        );
    }
}
