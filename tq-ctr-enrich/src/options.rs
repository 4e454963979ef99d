//! The `[connector]` options of tq-ctr-enrich (the guide's Feed Settings, names fixed by
//! the issue). Declared once: prompt, validation, template, docs and reading all come from
//! these handles.

use tq_common::config::{IntOpt, Maybe, SecretOpt, StrOpt};

/// The CTR regions and their API base URLs (research/ctr.md §2).
pub const REGIONS: &[&str] = &["us", "eu", "apjc"];

tq_common::options! {
    section "connector";
    /// `[connector]` options, in file order.
    pub list OPTIONS;
    /// The region of the Cisco Threat Response API: us (North America), eu (Europe) or apjc
    /// (Asia Pacific, Japan and China).
    pub REGION: StrOpt = StrOpt::new("region", "Region").one_of(REGIONS).default("us");
    /// Overrides the region's API base URL (e.g. a proxy or a test server); empty = the
    /// region's https://visibility[.region].amp.cisco.com.
    pub API_URL: Maybe<StrOpt> = StrOpt::new("api_url", "API URL").optional();
    /// Your Cisco Threat Response API Client ID.
    pub CLIENT_ID: StrOpt = StrOpt::new("client_id", "Client ID");
    /// Your Cisco Threat Response API Client Password.
    pub CLIENT_PASSWORD: SecretOpt = SecretOpt::new("client_password", "Client Password");
    /// The name of a saved search of your Threat Library; its indicators are sent to Cisco
    /// Threat Response for enrichment. Required unless saved_search_hash is set.
    pub SAVED_SEARCH: Maybe<StrOpt> =
        StrOpt::new("saved_search", "Saved Search Name (Threat Library)").optional();
    /// The data collection hash of the saved search, used instead of looking the name up.
    pub SAVED_SEARCH_HASH: Maybe<StrOpt> =
        StrOpt::new("saved_search_hash", "Saved Search Hash").optional();
    /// Observables sent to Cisco Threat Response per enrich call.
    pub BATCH_SIZE: IntOpt =
        IntOpt::new("batch_size", "Batch Size").range(1, 100).default("20");
}
