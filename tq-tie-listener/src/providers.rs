//! TIE reputation providers and the attribute ids the listener reads (research §5.2, §5.4).

use crate::trust_levels::{AtdScale, TrustLevel};

/// The file reputation providers the listener maps to ThreatQ attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Global Threat Intelligence, file provider id 1.
    Gti,
    /// Enterprise (the local TIE server), file provider id 3.
    Enterprise,
    /// Advanced Threat Defense, file provider id 5.
    Atd,
}

/// (provider, TIE providerId, prefix of the ThreatQ "<PREFIX> Trust Level" attribute).
pub const TABLE: [(Provider, i64, &str); 3] = [
    (Provider::Gti, 1, "GTI"),
    (Provider::Enterprise, 3, "ENTERPRISE"),
    (Provider::Atd, 5, "ATD"),
];

/// Provider ids that exist but have no ThreatQ option: MWG (7) and External (15). Their
/// reputations are decoded and ignored.
pub const IGNORED_PROVIDER_IDS: [i64; 2] = [7, 15];

/// Enterprise (provider 3) file attribute FIRST_CONTACT: first seen in the enterprise, epoch s.
pub const ENTERPRISE_FIRST_CONTACT: &str = "2102165";
/// Enterprise (provider 3) file attribute PREVALENCE: distinct systems that ran the file.
pub const ENTERPRISE_PREVALENCE: &str = "2101652";

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::Gti, Provider::Enterprise, Provider::Atd];

    pub fn from_id(id: i64) -> Option<Provider> {
        TABLE.iter().find(|t| t.1 == id).map(|t| t.0)
    }

    pub fn id(self) -> i64 {
        TABLE[self as usize].1
    }

    /// "GTI", "ENTERPRISE" or "ATD", as in the attribute names of the guide's screenshots.
    pub fn label(self) -> &'static str {
        TABLE[self as usize].2
    }

    /// The trust level a `trustLevel` value of this provider means. Only ATD depends on the
    /// `use_tie_211_mapping` option.
    pub fn level(self, trust_level: i64, atd: AtdScale) -> Option<TrustLevel> {
        match self {
            Provider::Atd => atd.level(trust_level),
            Provider::Gti | Provider::Enterprise => TrustLevel::from_tie(trust_level),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_labels() {
        assert_eq!(Provider::from_id(1), Some(Provider::Gti));
        assert_eq!(Provider::from_id(3), Some(Provider::Enterprise));
        assert_eq!(Provider::from_id(5), Some(Provider::Atd));
        for id in IGNORED_PROVIDER_IDS {
            assert_eq!(Provider::from_id(id), None);
        }
        for p in Provider::ALL {
            assert_eq!(Provider::from_id(p.id()), Some(p));
        }
        assert_eq!(Provider::Enterprise.label(), "ENTERPRISE");
    }

    #[test]
    fn only_atd_depends_on_the_mapping() {
        for scale in [AtdScale::Tie211, AtdScale::Legacy] {
            assert_eq!(
                Provider::Gti.level(15, scale),
                Some(TrustLevel::MostLikelyMalicious)
            );
            assert_eq!(
                Provider::Enterprise.level(99, scale),
                Some(TrustLevel::KnownTrusted)
            );
        }
        assert_eq!(
            Provider::Atd.level(15, AtdScale::Tie211),
            Some(TrustLevel::MostLikelyMalicious)
        );
        assert_eq!(Provider::Atd.level(15, AtdScale::Legacy), None);
        assert_eq!(
            Provider::Atd.level(4, AtdScale::Legacy),
            Some(TrustLevel::MostLikelyMalicious)
        );
    }
}
