//! The common contract of every connector binary (tq-testkit::contract). The listener needs
//! to know where its DXL certificate comes from before `--check` or a run: the standard
//! settings name an ePO that is not there (enough for every step before the DXL fabric),
//! and the checks that must pass get a real mosquitto and an OpenDXL client directory from
//! FakeThreatQ's CA (the setup's `cert_dir` wins over ePO).

use tq_testkit::contract::Setup;
use tq_testkit::rigs::dxl::{BrokerEntry, ClientDir, KeyForm};
use tq_testkit::rigs::mosquitto::Mosquitto;
use tq_testkit::threatq::FakeThreatQ;

fn with_broker(tq: &FakeThreatQ) -> Setup {
    let broker = Mosquitto::start_default(tq.ca());
    let client = ClientDir::create(
        tq.ca(),
        "tq-tie-listener",
        &[BrokerEntry::local(broker.port())],
        KeyForm::Pkcs8,
    );
    Setup::default()
        .set("TQ_CONNECTOR_CERT_DIR", client.dir.display().to_string())
        .keep(broker)
        .keep(client)
}

tq_testkit::contract_tests!(
    env!("CARGO_BIN_EXE_tq-tie-listener"),
    &[
        ("TQ_CONNECTOR_EPO_HOST", "127.0.0.1"),
        ("TQ_CONNECTOR_DXL_PORT", "9"),
        ("TQ_CONNECTOR_EPO_USERNAME", "contract-epo-admin"),
        ("TQ_CONNECTOR_EPO_PASSWORD", "contract-epo-password"),
    ],
    with_broker
);

/// The options table of docs/tie-listener.md is what `--print-options-md` prints.
#[test]
fn docs_options_table_is_print_options_md() {
    tq_testkit::contract::docs_tables_match(
        env!("CARGO_BIN_EXE_tq-tie-listener"),
        "docs/tie-listener.md",
    );
}
