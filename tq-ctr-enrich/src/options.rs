//! The `[connector]` options of tq-ctr-enrich (the guide's Feed Settings, names fixed by
//! the issue). Declared once: prompt, validation, template, docs and reading all come from
//! these handles.

use tq_common::config::{IntOpt, Maybe, Opt, SecretOpt, StrOpt};

/// The CTR regions and their API base URLs (research/ctr.md §2).
pub const REGIONS: &[&str] = &["us", "eu", "apjc"];

/// `region`.
pub const REGION: StrOpt = StrOpt::new(
    "connector",
    "region",
    "Region",
    "The region of the Cisco Threat Response API: us (North America), eu (Europe) or apjc (Asia Pacific, Japan and China).",
)
.one_of(REGIONS)
.default("us");

/// `api_url`.
pub const API_URL: Maybe<StrOpt> = StrOpt::new(
    "connector",
    "api_url",
    "API URL",
    "Overrides the region's API base URL (e.g. a proxy or a test server); empty = the region's https://visibility[.region].amp.cisco.com.",
)
.optional();

/// `client_id`.
pub const CLIENT_ID: StrOpt = StrOpt::new(
    "connector",
    "client_id",
    "Client ID",
    "Your Cisco Threat Response API Client ID.",
);

/// `client_password`.
pub const CLIENT_PASSWORD: SecretOpt = SecretOpt::new(
    "connector",
    "client_password",
    "Client Password",
    "Your Cisco Threat Response API Client Password.",
);

/// `saved_search`.
pub const SAVED_SEARCH: Maybe<StrOpt> = StrOpt::new(
    "connector",
    "saved_search",
    "Saved Search Name (Threat Library)",
    "The name of a saved search of your Threat Library; its indicators are sent to Cisco Threat Response for enrichment. Required unless saved_search_hash is set.",
)
.optional();

/// `saved_search_hash`.
pub const SAVED_SEARCH_HASH: Maybe<StrOpt> = StrOpt::new(
    "connector",
    "saved_search_hash",
    "Saved Search Hash",
    "The data collection hash of the saved search, used instead of looking the name up.",
)
.optional();

/// `batch_size`.
pub const BATCH_SIZE: IntOpt = IntOpt::new(
    "connector",
    "batch_size",
    "Batch Size",
    "Observables sent to Cisco Threat Response per enrich call.",
)
.range(1, 100)
.default("20");

/// `[connector]` options, in file order.
pub const OPTIONS: &[Opt] = &[
    REGION.opt(),
    API_URL.opt(),
    CLIENT_ID.opt(),
    CLIENT_PASSWORD.opt(),
    SAVED_SEARCH.opt(),
    SAVED_SEARCH_HASH.opt(),
    BATCH_SIZE.opt(),
];
