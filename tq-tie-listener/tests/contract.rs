//! The common contract of every connector binary (tq-testkit::contract).
tq_testkit::contract_tests!(env!("CARGO_BIN_EXE_tq-tie-listener"), &[]);

/// The options table of docs/tie-listener.md is what `--print-options-md` prints.
#[test]
fn docs_options_table_is_print_options_md() {
    tq_testkit::contract::docs_tables_match(
        env!("CARGO_BIN_EXE_tq-tie-listener"),
        "docs/tie-listener.md",
    );
}
