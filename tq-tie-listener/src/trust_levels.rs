//! The TIE trust levels and their names (research/dxl-tie.md §5.3 and §6).
//!
//! The names are the choices of the guide's "Enterprise/GTI/Advanced Threat Defense
//! Reputations" options, and the values written to the "<PROVIDER> Trust Level" attributes.
//! Two numeric scales exist: the TIE scale (0–100) used by GTI and Enterprise, and the ATD
//! scale (−2..5) that the ATD provider used before TIE 2.1.1 (see [`AtdScale`]).

use std::fmt;

/// One trust level, ordered from malicious to trusted as the guide lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrustLevel {
    NotSet,
    KnownMalicious,
    MostLikelyMalicious,
    MightBeMalicious,
    Unknown,
    MightBeTrusted,
    MostLikelyTrusted,
    KnownTrusted,
    KnownTrustedInstaller,
}

/// Every level in the guide's order, with its name and its TIE-scale value.
pub const TABLE: [(TrustLevel, &str, i64); 9] = [
    (TrustLevel::NotSet, "Not Set", 0),
    (TrustLevel::KnownMalicious, "Known Malicious", 1),
    (TrustLevel::MostLikelyMalicious, "Most Likely Malicious", 15),
    (TrustLevel::MightBeMalicious, "Might be Malicious", 30),
    (TrustLevel::Unknown, "Unknown", 50),
    (TrustLevel::MightBeTrusted, "Might be Trusted", 70),
    (TrustLevel::MostLikelyTrusted, "Most Likely Trusted", 85),
    (TrustLevel::KnownTrusted, "Known Trusted", 99),
    (
        TrustLevel::KnownTrustedInstaller,
        "Known Trusted Installer",
        100,
    ),
];

/// The ATD scale (`dxltieclient` `AtdTrustLevel`) and the level each value means.
/// "Known Trusted Installer" has no ATD value.
pub const ATD_TABLE: [(i64, TrustLevel); 8] = [
    (-2, TrustLevel::NotSet),
    (-1, TrustLevel::KnownTrusted),
    (0, TrustLevel::MostLikelyTrusted),
    (1, TrustLevel::MightBeTrusted),
    (2, TrustLevel::Unknown),
    (3, TrustLevel::MightBeMalicious),
    (4, TrustLevel::MostLikelyMalicious),
    (5, TrustLevel::KnownMalicious),
];

/// The default of every "... Reputations" option: the three malicious levels.
pub const DEFAULT_FILTER: [TrustLevel; 3] = [
    TrustLevel::KnownMalicious,
    TrustLevel::MostLikelyMalicious,
    TrustLevel::MightBeMalicious,
];

impl TrustLevel {
    pub const ALL: [TrustLevel; 9] = [
        TrustLevel::NotSet,
        TrustLevel::KnownMalicious,
        TrustLevel::MostLikelyMalicious,
        TrustLevel::MightBeMalicious,
        TrustLevel::Unknown,
        TrustLevel::MightBeTrusted,
        TrustLevel::MostLikelyTrusted,
        TrustLevel::KnownTrusted,
        TrustLevel::KnownTrustedInstaller,
    ];

    /// The guide's name, e.g. "Most Likely Malicious".
    pub fn name(self) -> &'static str {
        TABLE[self as usize].1
    }

    /// The TIE-scale value (0–100).
    pub fn tie_value(self) -> i64 {
        TABLE[self as usize].2
    }

    /// Reads a TIE-scale value. Only the nine defined values are levels.
    pub fn from_tie(v: i64) -> Option<TrustLevel> {
        TABLE.iter().find(|t| t.2 == v).map(|t| t.0)
    }

    /// Reads an ATD-scale value (−2..5).
    pub fn from_atd(v: i64) -> Option<TrustLevel> {
        ATD_TABLE.iter().find(|t| t.0 == v).map(|t| t.1)
    }

    /// Parses a guide name, case-insensitively and ignoring surrounding blanks. The guide's own
    /// misspelling "Note Set" is accepted for "Not Set".
    pub fn from_name(s: &str) -> Option<TrustLevel> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("Note Set") {
            return Some(TrustLevel::NotSet);
        }
        TABLE
            .iter()
            .find(|t| t.1.eq_ignore_ascii_case(s))
            .map(|t| t.0)
    }
}

impl fmt::Display for TrustLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the ATD provider's `trustLevel` is read ("Use TIE 2.1.1+ mapping", research §6).
///
/// Assumption (no primary source could be had, see docs/tie-listener.md): before TIE 2.1.1 the
/// ATD provider (id 5) sent its `trustLevel` on the ATD scale (−2..5); from 2.1.1 on it sends
/// the TIE scale (0–100) like GTI and Enterprise. A real TIE 2.2 reply carries ATD
/// `trustLevel: 15` (TIE scale), which supports this reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtdScale {
    /// `use_tie_211_mapping = true`: the TIE scale.
    Tie211,
    /// `use_tie_211_mapping = false`: the ATD scale.
    Legacy,
}

impl AtdScale {
    pub fn from_option(use_tie_211_mapping: bool) -> Self {
        if use_tie_211_mapping {
            AtdScale::Tie211
        } else {
            AtdScale::Legacy
        }
    }

    pub fn level(self, v: i64) -> Option<TrustLevel> {
        match self {
            AtdScale::Tie211 => TrustLevel::from_tie(v),
            AtdScale::Legacy => TrustLevel::from_atd(v),
        }
    }
}

/// A set of trust levels (one "... Reputations" option), as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LevelSet(u16);

impl LevelSet {
    pub const EMPTY: LevelSet = LevelSet(0);

    pub fn of(levels: &[TrustLevel]) -> LevelSet {
        LevelSet(levels.iter().fold(0, |acc, &l| acc | (1 << l as u16)))
    }

    pub fn default_malicious() -> LevelSet {
        LevelSet::of(&DEFAULT_FILTER)
    }

    pub fn contains(self, l: TrustLevel) -> bool {
        self.0 & (1 << l as u16) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = TrustLevel> {
        TrustLevel::ALL
            .into_iter()
            .filter(move |&l| self.contains(l))
    }

    /// Parses a comma list of guide names ("Known Malicious, Most Likely Malicious"). An empty
    /// list is the empty set. An unknown name is an error naming it and the valid choices.
    pub fn parse(list: &str) -> Result<LevelSet, String> {
        let mut set = LevelSet::EMPTY;
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let level = TrustLevel::from_name(item).ok_or_else(|| {
                format!(
                    "unknown trust level {item:?}; expected a comma list of: {}",
                    TABLE.map(|t| t.1).join(", ")
                )
            })?;
            set.0 |= 1 << level as u16;
        }
        Ok(set)
    }
}

impl fmt::Display for LevelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for l in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(l.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tie_scale_matches_research_table() {
        let expected = [
            (100, "Known Trusted Installer"),
            (99, "Known Trusted"),
            (85, "Most Likely Trusted"),
            (70, "Might be Trusted"),
            (50, "Unknown"),
            (30, "Might be Malicious"),
            (15, "Most Likely Malicious"),
            (1, "Known Malicious"),
            (0, "Not Set"),
        ];
        for (v, name) in expected {
            let l = TrustLevel::from_tie(v).expect("defined value");
            assert_eq!(l.name(), name);
            assert_eq!(l.tie_value(), v);
            assert_eq!(TrustLevel::from_name(name), Some(l));
        }
        assert_eq!(TrustLevel::from_tie(2), None);
        assert_eq!(TrustLevel::from_tie(-1), None);
    }

    #[test]
    fn atd_scale_equivalents() {
        // research §6: −2..5 → 0, 99, 85, 70, 50, 30, 15, 1 on the TIE scale.
        let tie = [0, 99, 85, 70, 50, 30, 15, 1];
        for (i, v) in (-2..=5).enumerate() {
            let l = AtdScale::Legacy.level(v).expect("ATD value");
            assert_eq!(l.tie_value(), tie[i], "ATD {v}");
        }
        assert_eq!(AtdScale::Legacy.level(6), None);
        assert_eq!(AtdScale::Legacy.level(99), None);
        assert_eq!(AtdScale::Tie211.level(1), Some(TrustLevel::KnownMalicious));
        assert_eq!(AtdScale::Legacy.level(1), Some(TrustLevel::MightBeTrusted));
        assert_eq!(AtdScale::Tie211.level(5), None);
    }

    #[test]
    fn level_set_parse_and_display() {
        let s =
            LevelSet::parse(" known malicious,Most Likely Malicious ,, Note Set").expect("parses");
        assert!(s.contains(TrustLevel::KnownMalicious));
        assert!(s.contains(TrustLevel::NotSet));
        assert!(!s.contains(TrustLevel::Unknown));
        assert_eq!(
            s.to_string(),
            "Not Set, Known Malicious, Most Likely Malicious"
        );
        assert!(LevelSet::parse("").expect("empty").is_empty());
        let e = LevelSet::parse("Known Malicious, Evil").expect_err("unknown");
        assert!(e.contains("\"Evil\""), "{e}");
        assert_eq!(
            LevelSet::default_malicious().to_string(),
            "Known Malicious, Most Likely Malicious, Might be Malicious"
        );
    }
}
