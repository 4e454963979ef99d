//! The packages (issue 13): `scripts/package` builds a .deb and an .rpm per connector (the
//! `pkgtest` profile: the release packaging with a build that fits the test budget). The
//! .deb packages are installed with dpkg into a copy-on-write view of this machine (an
//! overlay of `/` in a private mount namespace, entered with chroot: the machine itself is
//! never changed, and the overlay's upper directory is exactly what the packages changed).
//! There each installed binary runs by its original name with `--version`, is configured by
//! its first run and runs `--check` against tq-sim (ThreatQ, CTR and a DXL broker); the
//! installed units pass `systemd-analyze verify` and score at most 3.0 in
//! `systemd-analyze security`; the packages are then removed and nothing but configuration,
//! logs and the service user may remain. The .rpm packages are listed with `rpm -qlp`, then
//! installed and erased the same way with rpm (scriptlets: user, directories, drop-in names).
//!
//! Needs root, `unshare` and overlayfs, rpm and the packaging tools: scripts/rigs/install.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Instant;

use tq_testkit::rigs::{repo_root, TempDir};

/// What one connector's package must hold and do.
struct Package {
    name: &'static str,
    /// The original executable name, a symlink to the binary.
    drop_in: Option<&'static str>,
    /// docs/<page>, shipped when the tree has it.
    page: &'static str,
    /// The service's own directory (tq-connectors, 0700).
    service_dir: Option<&'static str>,
    units: &'static [&'static str],
    /// `--check` passes only when every system it reaches is served by tq-sim.
    all_systems_served: bool,
    /// Carries the RT extension (packaged only when its source directory is in the tree).
    rt_extension: bool,
}

const PACKAGES: &[Package] = &[
    Package {
        name: "tq-ctr-enrich",
        drop_in: Some("tq-conn-ctr-enrichment"),
        page: "ctr-enrich.md",
        service_dir: None,
        units: &[],
        all_systems_served: true,
        rt_extension: false,
    },
    Package {
        name: "tq-email-alerts",
        drop_in: Some("tq-conn-email-alerts"),
        page: "email-alerts.md",
        service_dir: None,
        units: &[],
        all_systems_served: false,
        rt_extension: false,
    },
    Package {
        name: "tq-rt-sync",
        drop_in: Some("tqRequestTracker"),
        page: "rt-sync.md",
        service_dir: None,
        units: &[],
        all_systems_served: false,
        rt_extension: true,
    },
    Package {
        name: "tq-tie-listener",
        drop_in: Some("tq-conn-mcafee-tie-reputation-change"),
        page: "tie-listener.md",
        service_dir: Some("/etc/tq_labs/tie-listener"),
        units: &["tq-tie-listener@.service"],
        all_systems_served: true,
        rt_extension: false,
    },
    Package {
        name: "tq-resilient-fn",
        drop_in: None,
        page: "resilient-fn.md",
        service_dir: Some("/etc/tq_labs/resilient-fn"),
        units: &["tq-resilient-fn@.service"],
        all_systems_served: false,
        rt_extension: false,
    },
];

impl Package {
    /// The name the operator's crontab or unit uses.
    fn command(&self) -> &'static str {
        self.drop_in.unwrap_or(self.name)
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
}

/// The packages this tree builds (tq-rt-sync's only with its RT extension).
fn expected() -> Vec<&'static Package> {
    let root = repo_root();
    PACKAGES
        .iter()
        .filter(|p| !p.rt_extension || root.join(p.name).join("rt-extension/Makefile.PL").exists())
        .collect()
}

fn out_text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run_ok(what: &str, c: &mut Command) -> String {
    let o = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(o.status.success(), "{what} failed:\n{}", out_text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn need(cmd: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        panic!("{cmd} is not installed: run scripts/rigs/install (from the repository root)");
    }
}

/// A copy-on-write view of this machine: `/` as the lower layer of an overlay whose upper
/// layer is a directory of the test. Every [`Root::sh`] mounts it anew in a private mount
/// namespace (with /proc, /dev and the given host directories bound in) and runs a script
/// chrooted into it; what the scripts changed persists in the upper layer.
struct Root {
    dir: TempDir,
    binds: Vec<PathBuf>,
}

impl Root {
    fn new(binds: &[&Path]) -> Root {
        let dir = TempDir::new("tq-packaging-root");
        for d in ["upper", "work", "root"] {
            std::fs::create_dir(dir.path().join(d)).expect("mkdir");
        }
        Root {
            dir,
            binds: binds.iter().map(|p| p.to_path_buf()).collect(),
        }
    }

    fn upper(&self) -> PathBuf {
        self.dir.path().join("upper")
    }

    /// Runs `script` with /bin/sh in the root (environment: the test's plus `env`).
    fn sh(&self, script: &str, env: &[(String, String)]) -> Output {
        const ENTER: &str = r#"set -e
R=$1; U=$2; W=$3; shift 3
mount -t overlay overlay -o "lowerdir=/,upperdir=$U,workdir=$W" "$R"
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
for d in "$@"; do mkdir -p "$R$d"; mount --bind "$d" "$R$d"; done
exec chroot "$R" /bin/sh -c "$TQ_ROOT_SCRIPT"
"#;
        let d = self.dir.path();
        Command::new("unshare")
            .args(["--mount", "--fork", "--", "sh", "-c", ENTER, "enter"])
            .arg(d.join("root"))
            .arg(d.join("upper"))
            .arg(d.join("work"))
            .args(&self.binds)
            .env("TQ_ROOT_SCRIPT", script)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("run unshare")
    }

    fn sh_ok(&self, what: &str, script: &str, env: &[(String, String)]) -> String {
        let o = self.sh(script, env);
        assert!(o.status.success(), "{what}:\n$ {script}\n{}", out_text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Files the root holds that the machine does not (or holds changed), except those
    /// `allowed` (path prefixes relative to /), and host files it deleted (whiteouts).
    fn changes_outside(&self, allowed: &[&str]) -> Vec<String> {
        let mut found = Vec::new();
        walk(&self.upper(), &self.upper(), &mut |rel, meta| {
            let host = Path::new("/").join(rel);
            if meta.file_type().is_char_device() && meta.rdev() == 0 {
                found.push(format!("/{} (deleted from the machine)", rel.display()));
                return;
            }
            // a directory of the machine copied up (something was created in it)
            if meta.is_dir() && host.is_dir() {
                return;
            }
            let r = rel.to_string_lossy();
            if !allowed
                .iter()
                .any(|a| r == *a || r.starts_with(&format!("{a}/")))
            {
                found.push(format!("/{r}"));
            }
        });
        found
    }
}

fn walk(base: &Path, dir: &Path, f: &mut dyn FnMut(&Path, &std::fs::Metadata)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let rel = path.strip_prefix(base).expect("under base").to_path_buf();
        f(&rel, &meta);
        if meta.is_dir() {
            walk(base, &path, f);
        }
    }
}

/// What removing the packages may leave: the operator's configuration and logs, the service
/// user, the package managers' own records, and what the test itself wrote (bind mount
/// points in /tmp, systemd-analyze's mark in /run).
const MAY_REMAIN: &[&str] = &[
    "etc/tq_labs",
    "var/log/tq_labs",
    "etc/passwd",
    "etc/passwd-",
    "etc/group",
    "etc/group-",
    "etc/shadow",
    "etc/shadow-",
    "etc/gshadow",
    "etc/gshadow-",
    "etc/.pwd.lock",
    "var/lib/dpkg",
    "var/log/dpkg.log",
    "var/cache/man",
    "root/.rpmdb",
    "var/lib/rpm",
    "tmp",
    // written by the test's systemd-analyze
    "run/systemd/systemd-units-load",
];

/// tq-sim with the seed, a fake CTR and a DXL broker (mosquitto), stopped on drop.
struct Sim {
    child: Child,
    lines: Vec<(String, String)>,
}

impl Sim {
    fn start(dir: &Path) -> Sim {
        need("mosquitto");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tq-sim"))
            .arg("--seed")
            .arg("--with-ctr")
            .arg("--with-dxl")
            .arg(dir.join("dxl"))
            .arg("--cert-dir")
            .arg(dir.join("sim"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn tq-sim");
        let mut lines = Vec::new();
        let out = child.stdout.take().expect("stdout");
        for line in BufReader::new(out).lines() {
            let line = line.expect("tq-sim output");
            let (k, v) = line.split_once('=').expect("key=value");
            if k == "ready" {
                break;
            }
            lines.push((k.to_string(), v.to_string()));
        }
        Sim { child, lines }
    }

    fn get(&self, key: &str) -> String {
        self.lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("tq-sim printed no {key}= line: {:?}", self.lines))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first-run environment of every connector (TQ_*, design.md §3) and of each one's
/// required options: unknown TQ_CONNECTOR_* variables are ignored by the others.
fn first_run_env(sim: &Sim) -> Vec<(String, String)> {
    let host = sim.get("host");
    let closed = "127.0.0.1:9".to_string();
    [
        ("TQ_HOST", host),
        ("TQ_CLIENT_ID", sim.get("client_id")),
        ("TQ_USERNAME", sim.get("username")),
        ("TQ_PASSWORD", sim.get("password")),
        ("TQ_STATUS", "Review".into()),
        ("TQ_CA_FILE", sim.get("ca_file")),
        // tq-ctr-enrich
        ("TQ_CONNECTOR_API_URL", sim.get("ctr_url")),
        ("TQ_CONNECTOR_CLIENT_ID", sim.get("ctr_client_id")),
        (
            "TQ_CONNECTOR_CLIENT_PASSWORD",
            sim.get("ctr_client_password"),
        ),
        ("TQ_CONNECTOR_SAVED_SEARCH", "CTR Enrichment".into()),
        // tq-tie-listener: the OpenDXL directory copied where the service user reads it
        (
            "TQ_CONNECTOR_CERT_DIR",
            "/etc/tq_labs/tie-listener/dxl".into(),
        ),
        // tq-email-alerts (no SMTP server here: its --check line fails, allowed)
        ("TQ_CONNECTOR_EMAIL", "threatq@example.com".into()),
        ("TQ_CONNECTOR_RECIPIENTS", "soc@example.com".into()),
        ("TQ_CONNECTOR_WATCHLIST_USERS", sim.get("username")),
        ("TQ_CONNECTOR_SMTP_HOST", "127.0.0.1".into()),
        ("TQ_CONNECTOR_PORT", "9".into()),
        ("TQ_CONNECTOR_SKIP_LOGIN", "true".into()),
        // tq-rt-sync (no RT here: its --check line fails, allowed)
        ("TQ_CONNECTOR_RT_HOST", format!("http://{closed}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The app.config of a tq-resilient-fn instance: ThreatQ is tq-sim, Resilient a closed port.
fn app_config(sim: &Sim) -> String {
    format!(
        "[resilient]\nhost = 127.0.0.1\nport = 9\norg = Org\nemail = soar@example.com\n\
         password = soar-pw-0001\nstomp_port = 9\n\n[fn_threatq]\nhost = {}\nusername = {}\n\
         password = {}\ncid = {}\nca_file = {}\n",
        sim.get("host"),
        sim.get("username"),
        sim.get("password"),
        sim.get("client_id"),
        sim.get("ca_file")
    )
}

/// The shell lines that configure a package's instance ("ci") and print its `--check`.
fn configure_and_check(p: &Package) -> String {
    let cmd = p.command();
    match p.name {
        "tq-tie-listener" => format!(
            "cp -r \"$TQ_DXL_DIR\" /etc/tq_labs/tie-listener/dxl\n\
             chown -R tq-connectors: /etc/tq_labs/tie-listener/dxl\n\
             runuser -u tq-connectors -- {cmd} -c /etc/tq_labs/tie-listener --suffix ci\n\
             runuser -u tq-connectors -- {cmd} -c /etc/tq_labs/tie-listener --suffix ci --check"
        ),
        "tq-resilient-fn" => format!(
            "umask 077\nprintf '%s' \"$TQ_APP_CONFIG\" >/etc/tq_labs/resilient-fn/ci.app.config\n\
             chown tq-connectors: /etc/tq_labs/resilient-fn/ci.app.config\n\
             runuser -u tq-connectors -- env APP_CONFIG_FILE=/etc/tq_labs/resilient-fn/ci.app.config \
             APP_LOCK_FILE=/etc/tq_labs/resilient-fn/ci.lock {cmd} --check"
        ),
        _ => format!(
            "{cmd} -c /etc/tq_labs -ll /var/log/tq_labs -v 2\n\
             {cmd} -c /etc/tq_labs -ll /var/log/tq_labs -v 2 --check"
        ),
    }
}

/// The exposure figure of `systemd-analyze security`'s last line.
fn exposure(report: &str) -> f64 {
    let line = report
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    let figure = line
        .rsplit(": ")
        .next()
        .and_then(|s| s.split_whitespace().next());
    figure
        .and_then(|f| f.parse().ok())
        .unwrap_or_else(|| panic!("no figure in {line:?}"))
}

/// The service user exists; /etc/tq_labs, /var/log/tq_labs and the service directories have
/// their owners and modes.
fn assert_user_and_dirs(machine: &Root, expected: &[&Package], env: &[(String, String)]) {
    let stat = machine.sh_ok(
        "stat",
        "id -un tq-connectors; stat -c '%n %U:%G %a' /etc/tq_labs /var/log/tq_labs /etc/tq_labs/*",
        env,
    );
    assert!(stat.starts_with("tq-connectors\n"), "{stat}");
    assert!(
        stat.contains("/etc/tq_labs root:tq-connectors 750\n"),
        "{stat}"
    );
    assert!(
        stat.contains("/var/log/tq_labs root:tq-connectors 750\n"),
        "{stat}"
    );
    for p in expected {
        if let Some(d) = p.service_dir {
            assert!(
                stat.contains(&format!("{d} tq-connectors:tq-connectors 700\n")),
                "{stat}"
            );
        }
    }
}

/// The original name runs the installed binary (`--version`) and `man` finds its page.
fn assert_installed(machine: &Root, p: &Package, env: &[(String, String)]) {
    let cmd = p.command();
    let v = machine.sh_ok(
        "--version",
        &format!(
            "readlink -f \"$(command -v {cmd})\"; {cmd} --version; man -P cat {cmd} 2>/dev/null | head -n 12"
        ),
        env,
    );
    let mut lines = v.lines();
    assert_eq!(
        lines.next(),
        Some(format!("/usr/bin/{}", p.name).as_str()),
        "{v}"
    );
    assert_eq!(
        lines.next(),
        Some(format!("{} {}", p.name, p.version()).as_str()),
        "{v}"
    );
    let words: Vec<&str> = v.split_whitespace().collect();
    assert!(
        words.windows(3).any(|w| w == ["NAME", p.name, "-"]),
        "man {cmd}: no NAME section naming {}:\n{v}",
        p.name
    );
}

#[test]
fn packages_build_install_run_and_remove_cleanly() {
    let started = Instant::now();
    let uid = run_ok("id -u", Command::new("id").arg("-u"));
    assert_eq!(
        uid.trim(),
        "0",
        "the packaging test installs packages (dpkg, rpm) into an overlay of / in a private \
         mount namespace: it needs root"
    );
    need("unshare");
    need("rpm");
    need("dpkg");
    need("systemd-analyze");
    let root = repo_root();
    let tools = root.join(".tools/bin");
    for t in ["cargo-deb", "cargo-generate-rpm"] {
        if !tools.join(t).exists() {
            panic!("{t} is not in .tools/bin: run scripts/rigs/install (from the repository root)");
        }
    }
    let work = TempDir::new("tq-packaging");
    let pkgs = work.path().join("packages");
    let expected = expected();

    // --- build -------------------------------------------------------------------------
    let built = run_ok(
        "scripts/package",
        Command::new(root.join("scripts/package"))
            .args(["--profile", "pkgtest", "--fast", "--out"])
            .arg(&pkgs)
            .current_dir(&root),
    );
    eprintln!(
        "{built}scripts/package: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let version = expected[0].version();
    let arch = run_ok(
        "dpkg --print-architecture",
        Command::new("dpkg").arg("--print-architecture"),
    );
    let deb = |p: &Package| pkgs.join(format!("{}_{version}-1_{}.deb", p.name, arch.trim()));
    let rpm = |p: &Package| {
        pkgs.join(format!(
            "{}-{version}-1.{}.rpm",
            p.name,
            std::env::consts::ARCH
        ))
    };
    let mut files: Vec<String> = std::fs::read_dir(&pkgs)
        .expect("packages dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want: Vec<String> = expected
        .iter()
        .flat_map(|p| [deb(p), rpm(p)])
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    want.sort();
    assert_eq!(files, want, "one .deb and one .rpm per connector");

    // --- the .rpm contents (rpm -qlp) and scriptlets ----------------------------------
    for p in &expected {
        let listed = run_ok("rpm -qlp", Command::new("rpm").arg("-qlp").arg(rpm(p)));
        let listed: BTreeSet<&str> = listed.lines().collect();
        let n = p.name;
        let mut must = vec![
            format!("/usr/bin/{n}"),
            format!("/usr/share/man/man1/{n}.1.gz"),
            format!("/usr/share/doc/{n}/configuration.md"),
            format!("/usr/share/doc/{n}/operations.md"),
            format!("/usr/share/bash-completion/completions/{n}"),
            format!("/usr/share/zsh/site-functions/_{n}"),
            format!("/usr/share/fish/vendor_completions.d/{n}.fish"),
        ];
        if root.join("docs").join(p.page).exists() {
            must.push(format!("/usr/share/doc/{n}/{}", p.page));
        }
        if let Some(d) = p.drop_in {
            must.push(format!("/usr/share/man/man1/{d}.1.gz"));
        }
        must.extend(
            p.units
                .iter()
                .map(|u| format!("/usr/lib/systemd/system/{u}")),
        );
        for m in &must {
            assert!(
                listed.contains(m.as_str()),
                "{n}.rpm lacks {m}: {listed:#?}"
            );
        }
        if p.rt_extension {
            assert!(
                listed.iter().any(
                    |f| f.starts_with("/usr/share/tq-rt-sync/RT-Extension-ThreatQ-")
                        && f.ends_with(".tar.gz")
                ),
                "{n}.rpm lacks the RT extension tarball: {listed:#?}"
            );
        }
        let ours = [
            "/usr/bin/",
            "/usr/share/man/man1/",
            "/usr/share/doc/",
            "/usr/share/bash-completion/",
            "/usr/share/zsh/",
            "/usr/share/fish/",
            "/usr/lib/systemd/system/",
            "/usr/share/tq-rt-sync/",
        ];
        for f in &listed {
            assert!(
                ours.iter().any(|o| f.starts_with(o)),
                "{n}.rpm installs {f}"
            );
        }
        let scripts = run_ok(
            "rpm --scripts",
            Command::new("rpm").args(["-qp", "--scripts"]).arg(rpm(p)),
        );
        assert!(
            scripts.contains("preinstall scriptlet") && scripts.contains("tq_user\n"),
            "{scripts}"
        );
        assert!(
            scripts.contains("useradd --system"),
            "{n}: no user in the scriptlets"
        );
    }
    // The drop-in name is a symlink in each .deb; the units each .deb installs (the expected
    // ones, and any other a branch added to scripts/systemd/ for the binary: all are checked).
    let mut units: Vec<String> = Vec::new();
    for p in &expected {
        let listing = run_ok(
            "dpkg-deb -c",
            Command::new("dpkg-deb").arg("-c").arg(deb(p)),
        );
        if let Some(d) = p.drop_in {
            assert!(
                listing.contains(&format!("./usr/bin/{d} -> {}", p.name)),
                "{}.deb: no symlink {d} -> {}:\n{listing}",
                p.name,
                p.name
            );
        } else {
            assert!(
                !listing.contains(" -> "),
                "{}.deb has a symlink:\n{listing}",
                p.name
            );
        }
        let found: Vec<String> = listing
            .lines()
            .filter_map(|l| l.split(" ./usr/lib/systemd/system/").nth(1))
            .filter(|u| u.ends_with(".service"))
            .map(str::to_string)
            .collect();
        for u in p.units {
            assert!(
                found.iter().any(|f| f == u),
                "{}.deb lacks {u}: {found:?}",
                p.name
            );
        }
        units.extend(found);
    }

    // --- dpkg into the copy-on-write root -------------------------------------------------
    let sim = Sim::start(work.path());
    let mut env = first_run_env(&sim);
    env.push(("TQ_DXL_DIR".into(), sim.get("dxl_cert_dir")));
    env.push(("TQ_APP_CONFIG".into(), app_config(&sim)));
    env.push(("TQ_PKGS".into(), pkgs.display().to_string()));
    let machine = Root::new(&[work.path()]);
    let debs: Vec<String> = expected
        .iter()
        .map(|p| deb(p).display().to_string())
        .collect();
    let t = Instant::now();
    machine.sh_ok("dpkg -i", &format!("dpkg -i {}", debs.join(" ")), &env);
    eprintln!("dpkg -i: {:.1} s", t.elapsed().as_secs_f64());

    // the user, the directories and their modes
    assert_user_and_dirs(&machine, &expected, &env);

    // each installed binary, by its original name: --version, man page, first run, --check
    for p in &expected {
        let cmd = p.command();
        assert_installed(&machine, p, &env);
        let o = machine.sh(&configure_and_check(p), &env);
        let out = out_text(&o);
        eprintln!(
            "{cmd} --check (installed):\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
        let code = o.status.code();
        let lines: Vec<&str> = out.lines().map(str::trim).collect();
        let ok = |what: &str| {
            lines
                .iter()
                .any(|l| l.starts_with(what) && l.contains("  ok: "))
        };
        assert!(ok("config"), "{cmd}: config not valid:\n{out}");
        assert!(
            lines.iter().any(|l| l.starts_with("ThreatQ")
                && l.contains(&format!("ok: logged in to {}", sim.get("url")))),
            "{cmd}: did not log in to tq-sim:\n{out}"
        );
        assert!(ok("status \"Review\""), "{cmd}: status not found:\n{out}");
        if p.all_systems_served {
            assert_eq!(code, Some(0), "{cmd} --check:\n{out}");
            assert!(out.contains("all checks passed"), "{out}");
        } else {
            assert!(matches!(code, Some(0) | Some(1)), "{cmd} --check:\n{out}");
        }
    }

    // the installed units: verify, and the exposure score
    let mut scores = Vec::new();
    for u in &units {
        let instance = u.replace("@.service", "@ci.service");
        let path = format!("/usr/lib/systemd/system/{u}");
        machine.sh_ok(
            "systemd-analyze verify",
            &format!("cd / && systemd-analyze verify {path}"),
            &env,
        );
        let report = machine.sh_ok(
            "systemd-analyze security",
            &format!("systemd-analyze security --offline=true --no-pager {instance}"),
            &env,
        );
        let score = exposure(&report);
        eprintln!("systemd-analyze security {instance}: exposure {score}");
        assert!(
            score <= 3.0,
            "{instance}: exposure {score} > 3.0:\n{report}"
        );
        scores.push((instance, score));
    }
    assert!(
        scores.len() >= expected.iter().map(|p| p.units.len()).sum::<usize>(),
        "every unit scored: {scores:?}"
    );

    // an upgrade (the same packages again): the configuration stays
    machine.sh_ok(
        "dpkg -i again",
        &format!("dpkg -i {}", debs.join(" ")),
        &env,
    );

    // removal: nothing left but configuration, logs and the user
    let names: Vec<&str> = expected.iter().map(|p| p.name).collect();
    machine.sh_ok("dpkg -r", &format!("dpkg -r {}", names.join(" ")), &env);
    let after = machine.sh_ok(
        "after removal",
        "ls /usr/bin | grep -E '^(tq-|tqRequestTracker)' || true; ls /etc/tq_labs",
        &env,
    );
    assert!(
        !after.contains("tq-conn") && !after.contains("tqRequestTracker\n"),
        "{after}"
    );
    for p in &expected {
        assert!(
            !after.contains(&format!("{}\n", p.name)),
            "{} left in /usr/bin:\n{after}",
            p.name
        );
    }
    assert!(
        after.contains("tq-ctr-enrich.ini"),
        "the configuration stays: {after}"
    );
    let left = machine.changes_outside(MAY_REMAIN);
    assert!(
        left.is_empty(),
        "dpkg -r left {} files: {left:?}",
        left.len()
    );
    machine.sh_ok(
        "dpkg --purge",
        &format!("dpkg --purge {}", names.join(" ")),
        &env,
    );
    let left = machine.changes_outside(MAY_REMAIN);
    assert!(left.is_empty(), "dpkg --purge left: {left:#?}");

    // --- rpm into another copy-on-write root --------------------------------------------
    let rpms: Vec<String> = expected
        .iter()
        .map(|p| rpm(p).display().to_string())
        .collect();
    let machine = Root::new(&[work.path()]);
    machine.sh_ok(
        "rpm -i",
        &format!("rpm -i --nodeps {}", rpms.join(" ")),
        &env,
    );
    assert_user_and_dirs(&machine, &expected, &env);
    for p in &expected {
        assert_installed(&machine, p, &env);
    }
    machine.sh_ok("rpm -e", &format!("rpm -e {}", names.join(" ")), &env);
    let left = machine.changes_outside(MAY_REMAIN);
    assert!(left.is_empty(), "rpm -e left: {left:#?}");

    eprintln!(
        "packaging test: {:.1} s; exposure: {scores:?}",
        started.elapsed().as_secs_f64()
    );
}
