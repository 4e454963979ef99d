//! The common contract of every connector binary (tq-testkit::contract).
tq_testkit::contract_tests!(env!("CARGO_BIN_EXE_tq-rt-sync"), &[]);
