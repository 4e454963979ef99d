//! The common contract of every connector binary (tq-testkit::contract), with the required
//! `[connector]` options set (sender, recipients, SMTP password).
tq_testkit::contract_tests!(
    env!("CARGO_BIN_EXE_tq-email-alerts"),
    &[
        ("TQ_CONNECTOR_EMAIL", "alerts@tq.example"),
        (
            "TQ_CONNECTOR_RECIPIENTS",
            "soc@example.org, lead@example.org"
        ),
        ("TQ_CONNECTOR_PASSWORD", "contract-smtp-password"),
    ]
);
