//! `scripts/install` into a DESTDIR, and the systemd units it installs, checked offline with
//! the real systemctl and systemd-analyze (`--root`, `SYSTEMD_UNIT_PATH`; no manager runs):
//! our template unit, the guide's service name as its alias, and the drop-in that units
//! written from the guide (`mcafee-tie-reputation-change-<suffix>.service`) get.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tq_testkit::contract::text;
use tq_testkit::rigs::{scripts_install, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_tq-tie-listener");

/// The guide's unit ("Configuring for Reboot"), with the paths of its own example.
const GUIDE_UNIT: &str = "[Unit]
Description=ThreatQ integration listening for changes on the DXL fabric
After=httpd.service
Requires=httpd.service

[Service]
Type=simple
RemainAfterExit=yes
KillMode=none
ExecStart=/usr/bin/tq-conn-mcafee-tie-reputation-change -c /opt/tq-integrations/tie-site-a/ -ll /opt/tq-integrations/tie-site-a/ -v3 --suffix siteA
Restart=always
RestartSec=60

[Install]
WantedBy=multi-user.target
";

fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{name} is not installed: run scripts/rigs/install (from the repository root)"
    );
    Command::new(name)
}

/// Runs scripts/install with the test build's binaries into `dest` (PREFIX `/usr`).
fn install(dest: &Path, args: &[&str]) -> Output {
    scripts_install(dest, BIN, args)
}

fn units(dest: &Path) -> PathBuf {
    dest.join("etc/systemd/system")
}

/// What systemd-analyze verify says about the unit files under `dest` (lines naming them).
fn verify(dest: &Path, unit: &str) -> Vec<String> {
    let mut path = units(dest).into_os_string();
    path.push(":"); // then the system's own unit directories (targets, ...)
    let out = tool("systemd-analyze")
        .args(["verify", "--man=no", unit])
        .env("SYSTEMD_UNIT_PATH", path)
        .output()
        .expect("systemd-analyze verify");
    let dest = dest.display().to_string();
    text(&out)
        .lines()
        .filter(|l| l.starts_with(&dest))
        .map(str::to_string)
        .collect()
}

#[test]
fn install_into_a_destdir_links_the_original_names_and_installs_the_units() {
    let dest = TempDir::new("tq-install");
    let out = install(dest.path(), &[]);
    assert!(out.status.success(), "{}", text(&out));
    let bin = dest.path().join("usr/bin");
    assert!(bin.join("tq-tie-listener").is_file());
    assert_eq!(
        std::fs::read_link(bin.join("tq-conn-mcafee-tie-reputation-change")).expect("link"),
        Path::new("tq-tie-listener")
    );
    let out = Command::new(bin.join("tq-conn-mcafee-tie-reputation-change"))
        .arg("--print-spec")
        .output()
        .expect("run through the original name");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "tq-tie-listener tq-conn-mcafee-tie-reputation-change"
    );
    let unit = std::fs::read_to_string(units(dest.path()).join("tq-tie-listener@.service"))
        .expect("unit installed");
    assert!(
        unit.contains("ExecStart=/usr/bin/tq-tie-listener ") && unit.contains("--suffix %i"),
        "{unit}"
    );
    for line in [
        "Restart=always",
        "RestartPreventExitStatus=2",
        "Alias=mcafee-tie-reputation-change@.service",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing:\n{unit}");
    }
    assert_eq!(
        std::fs::read_link(units(dest.path()).join("mcafee-tie-reputation-change@.service"))
            .expect("alias"),
        Path::new("tq-tie-listener@.service")
    );
    // Every file parses as systemd reads it (no unknown key, no bad value).
    for u in [
        "tq-tie-listener@siteA.service",
        "mcafee-tie-reputation-change@siteA.service",
    ] {
        let complaints: Vec<String> = verify(dest.path(), u)
            .into_iter()
            .filter(|l| !l.contains("is not executable"))
            .collect();
        assert!(complaints.is_empty(), "{u}: {complaints:?}");
    }

    // Enabling our unit also creates the guide's name for it.
    let out = tool("systemctl")
        .arg(format!("--root={}", dest.path().display()))
        .args(["enable", "tq-tie-listener@siteA.service"])
        .output()
        .expect("systemctl enable");
    assert!(out.status.success(), "{}", text(&out));
    let d = units(dest.path());
    // (links point into the --root, so they are looked at, not followed)
    for link in [
        "multi-user.target.wants/tq-tie-listener@siteA.service",
        "mcafee-tie-reputation-change@siteA.service",
    ] {
        assert!(
            std::fs::symlink_metadata(d.join(link)).is_ok(),
            "{link} not created: {}",
            text(&out)
        );
    }

    // A second run changes nothing and succeeds.
    let again = install(dest.path(), &[]);
    assert!(again.status.success(), "{}", text(&again));
}

/// A unit written from the guide is kept as it is; the drop-in shipped for its name prefix
/// adds RestartPreventExitStatus=2 (a config error fails once instead of restarting every
/// minute), and systemd reads it for that unit.
#[test]
fn units_written_from_the_guide_get_the_drop_in() {
    let dest = TempDir::new("tq-install");
    let out = install(dest.path(), &[]);
    assert!(out.status.success(), "{}", text(&out));
    let d = units(dest.path());
    std::fs::write(
        d.join("mcafee-tie-reputation-change-siteA.service"),
        GUIDE_UNIT,
    )
    .expect("guide unit");
    let dropin = d.join("mcafee-tie-reputation-change-.service.d");
    let conf = std::fs::read_to_string(dropin.join("tq-tie-listener.conf")).expect("drop-in");
    assert!(
        conf.lines().any(|l| l == "RestartPreventExitStatus=2"),
        "{conf}"
    );
    assert!(
        !conf.lines().any(|l| l.starts_with("KillMode=")),
        "the guide's KillMode is the operator's"
    );
    let ours = verify(dest.path(), "mcafee-tie-reputation-change-siteA.service");
    assert!(
        !ours.iter().any(|l| l.contains("tq-tie-listener.conf")),
        "{ours:?}"
    );
    // The drop-in directory is read for that unit: a bad value put beside ours is reported.
    std::fs::write(
        dropin.join("zz-probe.conf"),
        "[Service]\nRestartPreventExitStatus=probe-not-a-status\n",
    )
    .expect("probe");
    let probed = verify(dest.path(), "mcafee-tie-reputation-change-siteA.service");
    assert!(
        probed.iter().any(|l| l.contains("zz-probe.conf")),
        "systemd did not read {} for the guide's unit: {probed:?}",
        dropin.display()
    );
}

/// An original connector installed by pip where ours goes: not overwritten silently, and
/// replaced (kept as .python) when named with --replace.
#[test]
fn a_pip_installed_original_is_reported_then_replaced_on_request() {
    let dest = TempDir::new("tq-install");
    let bin = dest.path().join("usr/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let pip =
        "#!/usr/bin/python2\nfrom tq_conn_mcafee_tie_reputation_change.main import main\nmain()\n";
    let original = bin.join("tq-conn-mcafee-tie-reputation-change");
    std::fs::write(&original, pip).expect("pip script");
    let out = install(dest.path(), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&original.display().to_string())
            && err.contains("--replace /usr/bin/tq-conn-mcafee-tie-reputation-change"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&original).expect("kept"), pip);
    assert!(bin.join("tq-tie-listener").is_file(), "the rest installed");

    let out = install(
        dest.path(),
        &["--replace", "/usr/bin/tq-conn-mcafee-tie-reputation-change"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_link(&original).expect("now a link"),
        Path::new("tq-tie-listener")
    );
    assert_eq!(
        std::fs::read_to_string(bin.join("tq-conn-mcafee-tie-reputation-change.python"))
            .expect("kept aside"),
        pip
    );
}
