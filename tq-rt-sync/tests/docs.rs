//! docs/rt-sync.md stays true: its table of the action mode's RT_SiteConfig settings is
//! what the declarations produce (the cron options table is checked by contract.rs).

use tq_common::config::options_markdown;
use tq_rt_sync::options::site_options;

#[test]
fn the_rt_siteconfig_table_is_the_declarations() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rt-sync.md");
    let page = std::fs::read_to_string(path).expect("docs/rt-sync.md");
    let tables = tq_testkit::contract::doc_tables(&page, "`tq_rt_sync::options::site_options`");
    assert_eq!(tables.len(), 1, "one RT_SiteConfig table after its marker");
    let md = options_markdown(&site_options());
    let want: Vec<&str> = md.lines().skip(2).collect();
    if std::env::var_os("PRINT_SITE_OPTIONS").is_some() {
        eprintln!("{md}");
    }
    assert_eq!(
        tables[0].1, want,
        "docs/rt-sync.md: paste these rows:\n{md}"
    );
}
