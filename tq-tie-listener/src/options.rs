//! The `[connector]` options, each declared once as a typed handle (tq-common drives the
//! prompt, validation, the commented template, the docs table and reading from these).

use tq_common::config::{BoolOpt, IntOpt, ListOpt, Maybe, PathOpt, SecretOpt, StrOpt};

/// The guide's trust level choices (trust_levels.rs holds their values).
pub const LEVEL_CHOICES: &[&str] = &[
    "Not Set",
    "Known Malicious",
    "Most Likely Malicious",
    "Might be Malicious",
    "Unknown",
    "Might be Trusted",
    "Most Likely Trusted",
    "Known Trusted",
    "Known Trusted Installer",
];

const MALICIOUS: &str = "Known Malicious, Most Likely Malicious, Might be Malicious";

/// The guide's misspelling of "Not Set", accepted as it (trust_levels.rs does the same).
pub const LEVEL_ALIASES: &[(&str, &str)] = &[("Note Set", "Not Set")];

tq_common::options! {
    section "connector";
    /// The options of the guide's "Connection" tab, names fixed by issue 5, in file order.
    pub list OPTIONS;
    /// The McAfee ePO host name or IP address used to provision the DXL client certificate.
    /// Leave empty with cert_dir.
    pub EPO_HOST: Maybe<StrOpt> = StrOpt::new("epo_host", "ePO Host-name or IP Address").optional();
    /// The ePO port the OpenDXL provisioning command is called on. Do not change it unless the
    /// ePO port was changed.
    pub DXL_PORT: IntOpt =
        IntOpt::new("dxl_port", "DXL Registration Port").range(1, 65535).default("8443");
    /// The ePO user (an administrator) that provisions the certificate. Leave empty with
    /// cert_dir.
    pub EPO_USERNAME: Maybe<StrOpt> = StrOpt::new("epo_username", "ePO User-name").optional();
    /// The password of that ePO user. Leave empty with cert_dir.
    pub EPO_PASSWORD: Maybe<SecretOpt> = SecretOpt::new("epo_password", "ePO Password").optional();
    /// A PEM file to verify ePO's TLS certificate with during provisioning. Empty = not
    /// verified, as dxlclient provisionconfig does without --truststore (a warning is logged).
    pub EPO_CA_FILE: Maybe<PathOpt> = PathOpt::file("epo_ca_file", "ePO CA file").optional();
    /// Listen for these Enterprise (local TIE) reputations. By default only the malicious ones.
    pub ENTERPRISE_REPUTATIONS: ListOpt = ListOpt::new("enterprise_reputations", "Enterprise Reputations")
        .of(LEVEL_CHOICES, LEVEL_ALIASES)
        .default(MALICIOUS);
    /// Listen for these Global Threat Intelligence reputations. By default only the malicious
    /// ones.
    pub GTI_REPUTATIONS: ListOpt = ListOpt::new("gti_reputations", "GTI Reputations")
        .of(LEVEL_CHOICES, LEVEL_ALIASES)
        .default(MALICIOUS);
    /// Listen for these Advanced Threat Defense reputations. By default only the malicious
    /// ones.
    pub ATD_REPUTATIONS: ListOpt = ListOpt::new("atd_reputations", "Advanced Threat Defense Reputations")
        .of(LEVEL_CHOICES, LEVEL_ALIASES)
        .default(MALICIOUS);
    /// Read the ATD provider's trust level on the TIE scale (TIE 2.1.1 and later); false reads
    /// it on the older ATD scale (-2..5).
    pub USE_TIE_211_MAPPING: BoolOpt =
        BoolOpt::new("use_tie_211_mapping", "Use TIE 2.1.1+ mapping").default("true");
    /// An existing OpenDXL client directory (dxlclient.config, CA bundle, client certificate
    /// and key). Empty = provision through ePO into the config directory.
    pub CERT_DIR: Maybe<PathOpt> = PathOpt::dir("cert_dir", "Custom Certificate Directory").optional();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust_levels::TrustLevel;

    #[test]
    fn level_choices_are_the_trust_level_names() {
        let names: Vec<&str> = TrustLevel::ALL.iter().map(|l| l.name()).collect();
        assert_eq!(names, LEVEL_CHOICES);
    }

    #[test]
    fn the_guides_misspelling_is_accepted_in_the_config_file() {
        for (alias, level) in LEVEL_ALIASES {
            assert_eq!(TrustLevel::from_name(alias).map(|l| l.name()), Some(*level));
        }
        let v = tq_common::config::parse_value(&GTI_REPUTATIONS.opt(), "Note Set, unknown");
        assert!(
            matches!(&v, Ok(tq_common::config::Value::List(l)) if l == &["Not Set", "Unknown"]),
            "{v:?}"
        );
    }
}
