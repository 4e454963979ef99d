//! The common contract of every connector binary (tq-testkit::contract). `--check` of this
//! connector also reaches CTR and finds the saved search, so the setup starts a fake CTR
//! (certificate from FakeThreatQ's CA, so one CA file trusts both) and adds the search.

use serde_json::json;
use tq_testkit::contract::Setup;
use tq_testkit::ctr::FakeCtr;
use tq_testkit::threatq::FakeThreatQ;

const SEARCH: &str = "Contract search";

fn with_ctr(tq: &FakeThreatQ) -> Setup {
    let ctr = FakeCtr::start(
        tq.ca()
            .issue_server("127.0.0.1", &["127.0.0.1", "localhost"])
            .identity(),
    )
    .expect("fake CTR");
    tq.add_saved_search(SEARCH, json!({"type_name": "FQDN"}));
    Setup::default()
        .set("TQ_CONNECTOR_API_URL", ctr.url())
        .set("TQ_CONNECTOR_CLIENT_ID", ctr.client_id())
        .set("TQ_CONNECTOR_CLIENT_PASSWORD", ctr.client_password())
        .keep(ctr)
}

tq_testkit::contract_tests!(
    env!("CARGO_BIN_EXE_tq-ctr-enrich"),
    &[
        ("TQ_CONNECTOR_CLIENT_ID", "contract-ctr-client"),
        ("TQ_CONNECTOR_CLIENT_PASSWORD", "contract-ctr-password"),
        ("TQ_CONNECTOR_SAVED_SEARCH", SEARCH),
    ],
    with_ctr
);

/// The options table of docs/ctr-enrich.md is what `--print-options-md` prints.
#[test]
fn docs_options_table_is_print_options_md() {
    tq_testkit::contract::docs_tables_match(
        env!("CARGO_BIN_EXE_tq-ctr-enrich"),
        "docs/ctr-enrich.md",
    );
}
