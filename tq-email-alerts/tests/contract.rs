//! The common contract of every connector binary (tq-testkit::contract). `--check` of this
//! connector also logs in to the SMTP server, so the setup starts the real aiosmtpd sink
//! (STARTTLS, AUTH required, certificate from its own test CA) and points the SMTP options
//! at it; the SMTP password is one more secret the contract checks never leaks.

use tq_testkit::contract::Setup;
use tq_testkit::rigs::smtp::{Mode, SinkOptions, SmtpSink};
use tq_testkit::threatq::FakeThreatQ;

const SMTP_USER: &str = "contract-smtp-user";
const SMTP_PASSWORD: &str = "contract-smtp-password";

fn with_smtp(_tq: &FakeThreatQ) -> Setup {
    let sink = SmtpSink::start(SinkOptions {
        require_auth: true,
        ..SinkOptions::with_auth(Mode::StartTls, SMTP_USER, SMTP_PASSWORD)
    });
    let ca = sink.ca_file().expect("a STARTTLS sink has a CA file");
    Setup::default()
        .set("TQ_CONNECTOR_SMTP_HOST", "127.0.0.1")
        .set("TQ_CONNECTOR_PORT", sink.port().to_string())
        .set("TQ_CONNECTOR_SMTP_CA_FILE", ca.display().to_string())
        .set("TQ_CONNECTOR_USERNAME", SMTP_USER)
        .set("TQ_CONNECTOR_PASSWORD", SMTP_PASSWORD)
        .keep(sink)
}

tq_testkit::contract_tests!(
    env!("CARGO_BIN_EXE_tq-email-alerts"),
    &[
        ("TQ_CONNECTOR_EMAIL", "alerts@tq.example"),
        (
            "TQ_CONNECTOR_RECIPIENTS",
            "soc@example.org, lead@example.org"
        ),
        ("TQ_CONNECTOR_PASSWORD", SMTP_PASSWORD),
    ],
    with_smtp
);

/// The options table of docs/email-alerts.md is what `--print-options-md` prints.
#[test]
fn docs_options_table_is_print_options_md() {
    tq_testkit::contract::docs_tables_match(
        env!("CARGO_BIN_EXE_tq-email-alerts"),
        "docs/email-alerts.md",
    );
}
