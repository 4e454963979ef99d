//! The common contract (tq-testkit::contract) for a connector configured from the
//! operator's resilient-circuits app.config: `[fn_threatq]` holds the ThreatQ settings,
//! `[resilient]` is resilient-circuits' (other keys there are ignored), APP_LOCK_FILE names
//! the lock and the state is kept beside it. No first run: a missing app.config is an
//! error that says how to write one.

use tq_testkit::contract::{no_setup, Profile, SharedFile, Style};

const APP_CONFIG: Profile = Profile {
    bin: env!("CARGO_BIN_EXE_tq-resilient-fn"),
    extra: &[],
    setup: no_setup,
    style: Style::SharedFile(&SharedFile {
        flag: "--app-config",
        file_name: "app.config",
        template_command: "config",
        preamble: "[resilient]\nhost = soar.example.com\nport = 443\norg = Contract Org\n\
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
