//! The common contract of every connector binary (tq-testkit::contract), for the cron mode.
//! Its `--check` and its run also reach Request Tracker: the setup starts one real RT for
//! this test binary (the fixture's RT_User_For_ThreatQ).

use std::sync::OnceLock;

use tq_testkit::contract::Setup;
use tq_testkit::rigs::rt::{Rt, RtOptions, SYNC_USER};
use tq_testkit::threatq::FakeThreatQ;

static RT: OnceLock<Rt> = OnceLock::new();

fn with_rt(_tq: &FakeThreatQ) -> Setup {
    let rt = RT.get_or_init(|| {
        Rt::start(RtOptions {
            site_config:
                "Set($ThreatQ_Sync_Binary, '/bin/false');\nSet($RT_Queues_For_ThreatQ, '');\n"
                    .into(),
            ..RtOptions::default()
        })
    });
    Setup::default().set("TQ_CONNECTOR_RT_HOST", rt.url())
}

tq_testkit::contract_tests!(
    env!("CARGO_BIN_EXE_tq-rt-sync"),
    &[
        ("TQ_CONNECTOR_RT_HOST", "http://127.0.0.1:9"),
        ("TQ_CONNECTOR_RT_USERNAME", SYNC_USER.name),
        ("TQ_CONNECTOR_RT_PASSWORD", SYNC_USER.password),
    ],
    with_rt
);

/// The options table of docs/rt-sync.md is what `--print-options-md` prints.
#[test]
fn docs_options_table_is_print_options_md() {
    tq_testkit::contract::docs_tables_match(env!("CARGO_BIN_EXE_tq-rt-sync"), "docs/rt-sync.md");
}
