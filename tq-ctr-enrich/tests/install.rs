//! Replacing the pip-installed original the CTR guide's crontab line runs
//! (`/etc/tq_labs/ctr-enrichment-env/bin/tq-conn-ctr-enrichment`): `scripts/install` into a
//! DESTDIR says so instead of passing over it, `--replace` links it to our binary and keeps
//! the Python script beside it; and the guide's command line through that name works.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use tq_testkit::contract::{assert_configured, assert_log_mode, text};
use tq_testkit::rigs::{scripts_install, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_tq-ctr-enrich");
const VENV_SCRIPT: &str = "/etc/tq_labs/ctr-enrichment-env/bin/tq-conn-ctr-enrichment";
const PIP: &str = "#!/etc/tq_labs/ctr-enrichment-env/bin/python2.7\n# -*- coding: utf-8 -*-\nimport sys\nfrom tq_conn_ctr_enrichment.main import main\nsys.exit(main())\n";

fn install(dest: &Path, args: &[&str]) -> Output {
    scripts_install(dest, BIN, args)
}

#[test]
fn the_guides_virtualenv_script_is_reported_then_replaced_on_request() {
    let dest = TempDir::new("tq-install-ctr");
    let script = dest.path().join(VENV_SCRIPT.trim_start_matches('/'));
    std::fs::create_dir_all(script.parent().expect("dir")).expect("mkdir");
    std::fs::write(&script, PIP).expect("pip script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let out = install(dest.path(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&script.display().to_string())
            && err.contains(&format!("scripts/install --replace {VENV_SCRIPT} /usr")),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&script).expect("untouched"), PIP);
    assert!(dest.path().join("usr/bin/tq-ctr-enrich").is_file());

    for round in 0..2 {
        let out = install(dest.path(), &["--replace", VENV_SCRIPT]);
        assert!(out.status.success(), "round {round}: {}", text(&out));
        assert_eq!(
            std::fs::read_link(&script).expect("a link now"),
            Path::new("/usr/bin/tq-ctr-enrich"),
            "round {round}"
        );
        let kept = script.with_file_name("tq-conn-ctr-enrichment.python");
        assert_eq!(
            std::fs::read_to_string(kept).expect("kept"),
            PIP,
            "round {round}"
        );
    }
    // A path that is not an original is refused before anything is written.
    let out = install(dest.path(), &["--replace", "/usr/bin/python3"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not the original executable of a connector"));
}

/// The guide's first run and cron line (`.../bin/tq-conn-ctr-enrichment -v 3 -ll
/// /var/log/tq_labs/ -c /etc/tq_labs/`) through a link of that name: the config and the log
/// are our binary's, named after it, the log 0640 or tighter.
#[test]
fn the_guides_command_line_through_the_original_name() {
    let root = TempDir::new("tq-ctr-guide");
    let venv_bin = root.path().join("ctr-enrichment-env/bin");
    let (etc, log) = (
        root.path().join("etc/tq_labs"),
        root.path().join("log/tq_labs"),
    );
    for d in [&venv_bin, &etc, &log] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let original = venv_bin.join("tq-conn-ctr-enrichment");
    std::os::unix::fs::symlink(BIN, &original).expect("link");
    let out = Command::new(&original)
        .args(["-v", "3", "-ll"])
        .arg(format!("{}/", log.display()))
        .arg("-c")
        .arg(format!("{}/", etc.display()))
        .env("TQ_HOST", "127.0.0.1:9")
        .env("TQ_CLIENT_ID", "guide-cid-0001")
        .env("TQ_USERNAME", "analyst@example.com")
        .env("TQ_PASSWORD", "guide-pw-0001")
        .env("TQ_STATUS", "Review")
        .env("TQ_CONNECTOR_CLIENT_ID", "client-guide")
        .env("TQ_CONNECTOR_CLIENT_PASSWORD", "guide-ctr-pw")
        .env("TQ_CONNECTOR_SAVED_SEARCH", "Guide search")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run through the original name");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_configured(&out, &etc.join("tq-ctr-enrich.ini"));
    let logfile = log.join("tq-ctr-enrich.log");
    assert_log_mode(&logfile);
    assert!(std::fs::read_to_string(&logfile)
        .expect("log")
        .contains("Connector configured"));
}
