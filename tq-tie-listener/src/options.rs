//! The `[connector]` options, each declared once (tq-common drives the prompt, validation,
//! the commented template and the docs table from these declarations).

use tq_common::config::{Kind, Opt};

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

/// The options of the guide's "Connection" tab, names fixed by issue 5.
pub const OPTIONS: &[Opt] = &[
    Opt {
        section: "connector",
        name: "epo_host",
        label: "ePO Host-name or IP Address",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "The McAfee ePO host name or IP address used to provision the DXL client certificate. Leave empty with cert_dir.",
    },
    Opt {
        section: "connector",
        name: "dxl_port",
        label: "DXL Registration Port",
        kind: Kind::Int { min: 1, max: 65535 },
        default: Some("8443"),
        required: false,
        help: "The ePO port the OpenDXL provisioning command is called on. Do not change it unless the ePO port was changed.",
    },
    Opt {
        section: "connector",
        name: "epo_username",
        label: "ePO User-name",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "The ePO user (an administrator) that provisions the certificate. Leave empty with cert_dir.",
    },
    Opt {
        section: "connector",
        name: "epo_password",
        label: "ePO Password",
        kind: Kind::Secret,
        default: None,
        required: false,
        help: "The password of that ePO user. Leave empty with cert_dir.",
    },
    Opt {
        section: "connector",
        name: "epo_ca_file",
        label: "ePO CA file",
        kind: Kind::File,
        default: None,
        required: false,
        help: "A PEM file to verify ePO's TLS certificate with during provisioning. Empty = not verified, as dxlclient provisionconfig does without --truststore (a warning is logged).",
    },
    Opt {
        section: "connector",
        name: "enterprise_reputations",
        label: "Enterprise Reputations",
        kind: Kind::List {
            choices: Some(LEVEL_CHOICES),
        },
        default: Some(MALICIOUS),
        required: false,
        help: "Listen for these Enterprise (local TIE) reputations. By default only the malicious ones.",
    },
    Opt {
        section: "connector",
        name: "gti_reputations",
        label: "GTI Reputations",
        kind: Kind::List {
            choices: Some(LEVEL_CHOICES),
        },
        default: Some(MALICIOUS),
        required: false,
        help: "Listen for these Global Threat Intelligence reputations. By default only the malicious ones.",
    },
    Opt {
        section: "connector",
        name: "atd_reputations",
        label: "Advanced Threat Defense Reputations",
        kind: Kind::List {
            choices: Some(LEVEL_CHOICES),
        },
        default: Some(MALICIOUS),
        required: false,
        help: "Listen for these Advanced Threat Defense reputations. By default only the malicious ones.",
    },
    Opt {
        section: "connector",
        name: "use_tie_211_mapping",
        label: "Use TIE 2.1.1+ mapping",
        kind: Kind::Bool,
        default: Some("true"),
        required: false,
        help: "Read the ATD provider's trust level on the TIE scale (TIE 2.1.1 and later); false reads it on the older ATD scale (-2..5).",
    },
    Opt {
        section: "connector",
        name: "cert_dir",
        label: "Custom Certificate Directory",
        kind: Kind::Dir,
        default: None,
        required: false,
        help: "An existing OpenDXL client directory (dxlclient.config, CA bundle, client certificate and key). Empty = provision through ePO into the config directory.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust_levels::TrustLevel;

    #[test]
    fn level_choices_are_the_trust_level_names() {
        let names: Vec<&str> = TrustLevel::ALL.iter().map(|l| l.name()).collect();
        assert_eq!(names, LEVEL_CHOICES);
    }
}
