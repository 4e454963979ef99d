//! The common contract (tq-testkit::contract) for a connector configured from the
//! operator's resilient-circuits app.config: `[fn_threatq]` holds the ThreatQ settings,
//! `[resilient]` is resilient-circuits' (other keys there are ignored), APP_LOCK_FILE names
//! the lock and the state is kept beside it. No first run: a missing app.config is an
//! error that says how to write one.

use tq_testkit::contract::{Profile, Setup, SharedFile, Style};
use tq_testkit::resilient::FakeResilient;
use tq_testkit::rigs::activemq::{ActiveMq, Destination};
use tq_testkit::threatq::FakeThreatQ;

/// `--check` reaches Resilient too (login, org, the destination on the broker): a fake
/// Resilient REST API and the real ActiveMQ, the integration user's password the same on
/// both (as on SOAR).
fn soar_and_broker(_: &FakeThreatQ) -> Setup {
    let broker = ActiveMq::shared();
    let soar = FakeResilient::builder().password(broker.password()).start();
    let dest = Destination::unique("fn_threatq");
    Setup::default()
        .set("resilient.host", soar.host())
        .set("resilient.port", soar.port().to_string())
        .set("resilient.org", soar.org_name())
        .set("resilient.email", soar.email())
        .set("resilient.password", soar.password())
        .set("resilient.cafile", soar.ca_file().display().to_string())
        .set("resilient.stomp_port", broker.tls_port().to_string())
        .set(
            "resilient.stomp_cafile",
            broker.ca_file().display().to_string(),
        )
        .set("fn_threatq.destination", dest.name)
        .keep(soar)
}

const APP_CONFIG: Profile = Profile {
    bin: env!("CARGO_BIN_EXE_tq-resilient-fn"),
    extra: &[],
    setup: soar_and_broker,
    style: Style::SharedFile(&SharedFile {
        flag: "--app-config",
        file_name: "app.config",
        template_command: "config",
        preamble: "[resilient]\nhost = 127.0.0.1\nport = 9\norg = Contract Org\n\
                   email = soar-user@example.com\npassword = soar-password-0001\ncafile = false\n\
                   logdir = /var/log/resilient-circuits\nloglevel = INFO\n",
        threatq_section: "fn_threatq",
        threatq_renamed: &[("client_id", "cid")],
        lock_env: Some("APP_LOCK_FILE"),
        lock_name: "functions.lock",
        state_name: "functions.state.json",
    }),
};

tq_testkit::contract_tests!(profile: APP_CONFIG);

/// The options table of docs/resilient-fn.md is what `--print-options-md` prints.
#[test]
fn docs_options_table_is_print_options_md() {
    tq_testkit::contract::docs_tables_match(
        env!("CARGO_BIN_EXE_tq-resilient-fn"),
        "docs/resilient-fn.md",
    );
}
