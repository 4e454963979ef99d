//! The `[connector]` options of tq-ctr-enrich (the guide's Feed Settings, names fixed by
//! the issue). Declared once: prompt, validation, template and docs all come from here.

use tq_common::config::{Kind, Opt};

/// The CTR regions and their API base URLs (research/ctr.md §2).
pub const REGIONS: &[&str] = &["us", "eu", "apjc"];

/// `[connector]` options.
pub const OPTIONS: &[Opt] = &[
    Opt {
        section: "connector",
        name: "region",
        label: "Region",
        kind: Kind::Enum(REGIONS),
        default: Some("us"),
        required: false,
        help: "The region of the Cisco Threat Response API: us (North America), eu (Europe) or apjc (Asia Pacific, Japan and China).",
    },
    Opt {
        section: "connector",
        name: "api_url",
        label: "API URL",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "Overrides the region's API base URL (e.g. a proxy or a test server); empty = the region's https://visibility[.region].amp.cisco.com.",
    },
    Opt {
        section: "connector",
        name: "client_id",
        label: "Client ID",
        kind: Kind::Str,
        default: None,
        required: true,
        help: "Your Cisco Threat Response API Client ID.",
    },
    Opt {
        section: "connector",
        name: "client_password",
        label: "Client Password",
        kind: Kind::Secret,
        default: None,
        required: true,
        help: "Your Cisco Threat Response API Client Password.",
    },
    Opt {
        section: "connector",
        name: "saved_search",
        label: "Saved Search Name (Threat Library)",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "The name of a saved search of your Threat Library; its indicators are sent to Cisco Threat Response for enrichment. Required unless saved_search_hash is set.",
    },
    Opt {
        section: "connector",
        name: "saved_search_hash",
        label: "Saved Search Hash",
        kind: Kind::Str,
        default: None,
        required: false,
        help: "The data collection hash of the saved search, used instead of looking the name up.",
    },
    Opt {
        section: "connector",
        name: "batch_size",
        label: "Batch Size",
        kind: Kind::Int { min: 1, max: 100 },
        default: Some("20"),
        required: false,
        help: "Observables sent to Cisco Threat Response per enrich call.",
    },
];
