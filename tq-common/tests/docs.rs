//! docs/configuration.md shows the options every connector shares; its table must be what
//! `--print-options-md` prints for them (the rows every standard connector's table starts
//! with), so the page cannot drift from the declarations.

use tq_common::config::{all_options, options_markdown};

#[test]
fn configuration_md_table_is_the_common_options() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/configuration.md");
    let page = std::fs::read_to_string(path).expect("docs/configuration.md");
    let tables = tq_testkit::contract::doc_tables(
        &page,
        "every connector's `--print-options-md` starts with",
    );
    assert_eq!(tables.len(), 1, "one marked table in docs/configuration.md");
    let printed = options_markdown(&all_options(&[]));
    let expected: Vec<&str> = printed.lines().skip(2).collect();
    let (line, rows) = &tables[0];
    assert_eq!(
        rows, &expected,
        "docs/configuration.md line {line}: paste the first rows of any connector's --print-options-md"
    );
}
