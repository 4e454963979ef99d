//! The common contract every connector binary keeps (design.md §3, issues 3 and 8), as test
//! functions run against a real binary. A standard connector (`<DIR>/<instance>.ini`,
//! `[threatq]`, first run) runs them all with one line:
//!
//! ```ignore
//! tq_testkit::contract_tests!(env!("CARGO_BIN_EXE_tq-ctr-enrich"), &[("TQ_CONNECTOR_CLIENT_ID", "x")]);
//! ```
//!
//! The second argument gives the connector's required `[connector]` options as first-run
//! environment variables, the optional third a [`SetupFn`] for its other systems. A
//! connector configured otherwise says how in a [`Profile`] with another [`Style`]
//! (tq-resilient-fn: the operator's `app.config`) and runs `contract_tests!(profile: P)`:
//! every test then checks what that style promises (e.g. "no config: exit 2 saying how to
//! write it" where a standard connector runs its first run). Every function panics with a
//! message saying what broke.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::certs::TestCa;
use crate::server::Fault;
use crate::threatq::FakeThreatQ;

/// What a connector needs besides FakeThreatQ for `--check` to pass (e.g. a fake CTR):
/// extra settings, and whatever must stay alive while the binary runs.
///
/// ```ignore
/// Setup::default()
///     .set("TQ_CONNECTOR_API_URL", ctr.url())
///     .keep(ctr)
/// ```
#[derive(Default)]
pub struct Setup {
    /// Extra settings as first-run variables (`TQ_CONNECTOR_...`, standard style) or
    /// `section.key` pairs (shared-file style); they override the defaults.
    pub env: Vec<(String, String)>,
    /// Kept alive until the test ends (fake servers).
    pub keep: Vec<Box<dyn std::any::Any>>,
}

impl Setup {
    /// One more setting: a first-run variable (`TQ_CONNECTOR_API_URL`, standard style) or a
    /// `section.key` (shared-file style).
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Setup {
        self.env.push((name.to_string(), value.into()));
        self
    }

    /// Keeps `x` (a fake server, a rig) alive until the test ends.
    pub fn keep(mut self, x: impl std::any::Any) -> Setup {
        self.keep.push(Box::new(x));
        self
    }
}

/// Builds a [`Setup`] next to a started FakeThreatQ.
pub type SetupFn = fn(&FakeThreatQ) -> Setup;

/// No other system: the static `extra` settings are all a connector needs.
pub fn no_setup(_: &FakeThreatQ) -> Setup {
    Setup::default()
}

/// A config file the connector shares with other programs (resilient-circuits' app.config).
#[derive(Debug, Clone, Copy)]
pub struct SharedFile {
    /// The flag that names the file (`--app-config`).
    pub flag: &'static str,
    /// The environment variable naming the lock file, if the connector honours one.
    pub lock_env: Option<&'static str>,
    /// Its file name in the test's config directory (`app.config`).
    pub file_name: &'static str,
    /// Keys of the ThreatQ section named otherwise than in `[threatq]`:
    /// `(standard name, name)`, e.g. `("client_id", "cid")`.
    pub threatq_renamed: &'static [(&'static str, &'static str)],
    /// The subcommand that prints the connector's section, commented, to append (`config`).
    pub template_command: &'static str,
    /// The other programs' sections, written before the connector's (a valid `[resilient]`).
    pub preamble: &'static str,
    /// The section holding the ThreatQ settings (`fn_threatq`).
    pub threatq_section: &'static str,
    /// The lock file name in the config directory (set through `lock_env`, else the
    /// connector's default).
    pub lock_name: &'static str,
    /// The state file name in the config directory.
    pub state_name: &'static str,
}

/// How a connector under test is configured.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// `-c DIR`: `<DIR>/<instance>.ini` with `[threatq]` and `[connector]`, written by the
    /// first run (terminal prompt or `TQ_*` variables).
    InstanceIni,
    /// A file of the operator's, shared with other programs; no first run.
    SharedFile(&'static SharedFile),
}

/// A connector binary under test and how it is configured.
#[derive(Clone, Copy)]
pub struct Profile {
    /// `env!("CARGO_BIN_EXE_<name>")`.
    pub bin: &'static str,
    /// Its required settings besides ThreatQ's: first-run variables (standard style) or
    /// `section.key` pairs (shared-file style).
    pub extra: &'static [(&'static str, &'static str)],
    /// Its other systems for `--check`.
    pub setup: SetupFn,
    /// How it is configured.
    pub style: Style,
}

impl Profile {
    /// A standard connector.
    pub const fn standard(
        bin: &'static str,
        extra: &'static [(&'static str, &'static str)],
        setup: SetupFn,
    ) -> Profile {
        Profile {
            bin,
            extra,
            setup,
            style: Style::InstanceIni,
        }
    }

    /// The section holding the ThreatQ settings.
    fn threatq_section(&self) -> &'static str {
        match self.style {
            Style::InstanceIni => "threatq",
            Style::SharedFile(s) => s.threatq_section,
        }
    }

    /// The key of a ThreatQ setting, given its `[threatq]` name.
    fn threatq_key(&self, standard: &'static str) -> &'static str {
        match self.style {
            Style::InstanceIni => standard,
            Style::SharedFile(s) => s
                .threatq_renamed
                .iter()
                .find(|(from, _)| *from == standard)
                .map_or(standard, |(_, to)| to),
        }
    }
}

/// Environment variables a test must not inherit (they would change first-run behaviour).
const FIRST_RUN_VARS: &[&str] = &[
    "TQ_HOST",
    "TQ_CLIENT_ID",
    "TQ_USERNAME",
    "TQ_PASSWORD",
    "TQ_STATUS",
    "TQ_CA_FILE",
    "TQ_VERIFY_TLS",
    "TQ_PROXY",
    "TQ_TIMEOUT",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Where `configure` points ThreatQ.
enum Target<'a> {
    Fake(&'a FakeThreatQ),
    Unreachable,
}

/// A binary under test and a scratch directory for its config and logs.
pub struct Bin {
    profile: Profile,
    path: PathBuf,
    name: String,
    /// Scratch directory (removed on drop).
    pub dir: tempfile::TempDir,
}

impl Bin {
    /// A standard connector: `path` is `env!("CARGO_BIN_EXE_<name>")`; `extra_env` its
    /// required `[connector]` options as first-run variables.
    pub fn new(path: &'static str, extra_env: &'static [(&'static str, &'static str)]) -> Bin {
        Bin::of(&Profile::standard(path, extra_env, no_setup))
    }

    /// The binary of `profile`.
    pub fn of(profile: &Profile) -> Bin {
        let path = PathBuf::from(profile.bin);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Bin {
            profile: *profile,
            path,
            name,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// The binary name (the default instance name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The config directory used by [`Bin::cmd`].
    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("etc")
    }

    /// The log directory.
    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    /// The config file of the default instance.
    pub fn ini(&self) -> PathBuf {
        match self.profile.style {
            Style::InstanceIni => self.config_dir().join(format!("{}.ini", self.name)),
            Style::SharedFile(s) => self.config_dir().join(s.file_name),
        }
    }

    /// The lock file of the default instance.
    pub fn lock_file(&self) -> PathBuf {
        match self.profile.style {
            Style::InstanceIni => self.config_dir().join(format!("{}.lock", self.name)),
            Style::SharedFile(s) => self.config_dir().join(s.lock_name),
        }
    }

    /// The state file of the default instance.
    pub fn state_file(&self) -> PathBuf {
        match self.profile.style {
            Style::InstanceIni => self.config_dir().join(format!("{}.state.json", self.name)),
            Style::SharedFile(s) => self.config_dir().join(s.state_name),
        }
    }

    /// A command with a clean environment (no first-run, proxy or lock variables) and stdin
    /// closed.
    pub fn bare(&self) -> Command {
        self.clean(Command::new(&self.path))
    }

    /// The binary with its config argument, run through `sh` so that `stty echo` turns the
    /// pseudo-terminal's echo back on first (rexpect starts with echo off, which would
    /// hide whether the binary itself turns echo off for secrets).
    pub fn on_terminal(&self) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("stty echo && exec \"$0\" \"$@\"")
            .arg(&self.path)
            .args(self.config_args());
        let mut c = self.clean(c);
        c.stdin(std::process::Stdio::inherit());
        c
    }

    fn config_args(&self) -> Vec<String> {
        match self.profile.style {
            Style::InstanceIni => vec!["-c".into(), self.config_dir().display().to_string()],
            Style::SharedFile(s) => vec![s.flag.into(), self.ini().display().to_string()],
        }
    }

    fn clean(&self, mut c: Command) -> Command {
        for v in FIRST_RUN_VARS {
            c.env_remove(v);
        }
        let connector_vars: Vec<String> = std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("TQ_CONNECTOR_"))
            .collect();
        for k in connector_vars {
            c.env_remove(k);
        }
        if let Style::SharedFile(s) = self.profile.style {
            if let Some(var) = s.lock_env {
                c.env(var, self.lock_file());
            }
        }
        c.env("TQ_RETRY_BASE_MS", "10");
        c.stdin(std::process::Stdio::null());
        c
    }

    /// `bare()` with the config argument (`-c <config dir>`, or the shared file's flag).
    pub fn cmd(&self) -> Command {
        let mut c = self.bare();
        c.args(self.config_args());
        c
    }

    /// Configures against `fake` with `setup`'s other systems.
    pub fn configure_with(&self, fake: &FakeThreatQ, setup: SetupFn) -> Setup {
        let s = setup(fake);
        self.write_config(Target::Fake(fake), &s.env);
        s
    }

    /// Configures against `fake`, or an unreachable host. For the standard style this is
    /// the first run through the environment (its output is returned).
    pub fn configure(&self, fake: Option<&FakeThreatQ>) -> Output {
        let target = fake.map_or(Target::Unreachable, Target::Fake);
        self.write_config(target, &[])
    }

    fn write_config(&self, target: Target<'_>, more: &[(String, String)]) -> Output {
        let (host, client_id, username, password, ca_file) = match target {
            Target::Fake(f) => (
                f.host(),
                f.client_id().to_string(),
                f.username().to_string(),
                f.password().to_string(),
                Some(f.ca_file().display().to_string()),
            ),
            Target::Unreachable => (
                "127.0.0.1:9".to_string(),
                "contract-client-id-0001".to_string(),
                "analyst@example.com".to_string(),
                "contract-password-0001".to_string(),
                None,
            ),
        };
        match self.profile.style {
            Style::InstanceIni => {
                let mut c = self.cmd();
                c.env("TQ_HOST", host)
                    .env("TQ_CLIENT_ID", client_id)
                    .env("TQ_USERNAME", username)
                    .env("TQ_PASSWORD", password)
                    .env("TQ_STATUS", "Review");
                if let Some(ca) = ca_file {
                    c.env("TQ_CA_FILE", ca);
                }
                for (k, v) in self.profile.extra.iter().map(|(k, v)| (*k, *v)) {
                    c.env(k, v);
                }
                for (k, v) in more {
                    c.env(k, v);
                }
                let out = run(&mut c);
                assert_eq!(code(&out), 0, "first run with TQ_* failed: {}", text(&out));
                out
            }
            Style::SharedFile(s) => {
                let out = self.template(s);
                let template = String::from_utf8_lossy(&out.stdout).into_owned();
                fs::create_dir_all(self.config_dir()).expect("mkdir");
                fs::write(self.ini(), format!("{}\n{template}", s.preamble)).expect("write");
                let mut values = vec![
                    ("host", host),
                    ("client_id", client_id),
                    ("username", username),
                    ("password", password),
                    ("status", "Review".to_string()),
                ];
                values.extend(ca_file.map(|ca| ("ca_file", ca)));
                for (key, value) in values {
                    self.set_threatq(key, &value);
                }
                let extra = self.profile.extra.iter().map(|(k, v)| (*k, *v));
                for (k, v) in extra.chain(more.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                    let (section, key) = k.split_once('.').expect("extra settings: section.key");
                    self.set_option(section, key, v);
                }
                fs::set_permissions(self.ini(), fs::Permissions::from_mode(0o600)).expect("chmod");
                out
            }
        }
    }

    fn template(&self, s: &SharedFile) -> Output {
        let out = run(self.bare().arg(s.template_command));
        assert_eq!(
            code(&out),
            0,
            "{} {}: {}",
            self.name,
            s.template_command,
            text(&out)
        );
        out
    }

    /// Sets `key = value` in the config file's `section` (an existing line, commented-out
    /// or not, else a new one at the end of the section).
    pub fn set_option(&self, section: &str, key: &str, value: &str) {
        let ini = fs::read_to_string(self.ini()).expect("read ini");
        let mut out = String::new();
        let mut current = String::new();
        let mut done = false;
        for line in ini.lines() {
            let t = line.trim();
            if t.starts_with('[') {
                if current == section && !done {
                    out.push_str(&format!("{key} = {value}\n"));
                    done = true;
                }
                current = t.trim_matches(|c| c == '[' || c == ']').to_string();
            }
            if current == section && !done && !t.starts_with('#') && option_name(t) == Some(key) {
                out.push_str(&format!("{key} = {value}\n"));
                done = true;
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        if current == section && !done {
            out.push_str(&format!("{key} = {value}\n"));
            done = true;
        }
        assert!(done, "section [{section}] not found in the config file");
        fs::write(self.ini(), out).expect("write ini");
    }

    /// Sets one of the ThreatQ settings, named as in `[threatq]` (`host`, `password`, ...).
    pub fn set_threatq(&self, standard_key: &'static str, value: &str) {
        let p = &self.profile;
        self.set_option(p.threatq_section(), p.threatq_key(standard_key), value);
    }
}

/// The lines of `[section]` in an INI text (up to the next section header), `None` when the
/// file has no such section.
fn section_lines<'a>(ini: &'a str, section: &str) -> Option<Vec<&'a str>> {
    let header = format!("[{section}]");
    let mut lines = ini.lines().skip_while(|l| l.trim() != header);
    lines.next()?;
    Some(lines.take_while(|l| !l.trim().starts_with('[')).collect())
}

fn option_name(line: &str) -> Option<&str> {
    line.split(['=', ':']).next().map(str::trim)
}

/// Runs a command to completion.
pub fn run(c: &mut Command) -> Output {
    c.output().expect("run the binary")
}

/// The exit code (-1 when killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// stdout and stderr together, for messages and assertions.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn files_in(dir: &Path) -> Vec<String> {
    match fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The markdown table rows `--print-options-md` prints, `(section, key, row)`.
pub fn printed_options(bin: &str) -> Vec<(String, String, String)> {
    let out = run(Command::new(bin).arg("--print-options-md"));
    assert_eq!(code(&out), 0, "--print-options-md: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(2)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let section = cells
                .get(1)?
                .trim_matches(|c| c == '`' || c == '[' || c == ']');
            let key = cells.get(2)?.trim_matches('`');
            Some((section.to_string(), key.to_string(), l.to_string()))
        })
        .collect()
}

/// The option names `--print-options-md` declares.
pub fn declared_options(b: &Bin) -> Vec<(String, String)> {
    printed_options(b.profile.bin)
        .into_iter()
        .map(|(s, k, _)| (s, k))
        .collect()
}

/// Every options table in the docs page `doc` (a path from the workspace root) that says
/// it is generated by `<binary> --print-options-md` holds exactly the rows the binary
/// prints for the sections the table shows, in the same order: the docs cannot drift.
/// Returns the number of tables checked (at least one).
pub fn docs_tables_match(bin: &str, doc: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(doc);
    let page = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let binary = Path::new(bin)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let marker = format!("`{binary} --print-options-md`");
    let printed = printed_options(bin);
    let tables = doc_tables(&page, &marker);
    for (line, rows) in &tables {
        let sections: Vec<String> = rows
            .iter()
            .filter_map(|r| r.split('|').nth(1))
            .map(|c| {
                c.trim()
                    .trim_matches(|c| c == '`' || c == '[' || c == ']')
                    .to_string()
            })
            .collect();
        let expected: Vec<&str> = printed
            .iter()
            .filter(|(s, _, _)| sections.contains(s))
            .map(|(_, _, row)| row.as_str())
            .collect();
        assert_eq!(
            rows, &expected,
            "{doc} line {line}: the options table differs from {marker} (paste its rows)"
        );
    }
    assert!(
        !tables.is_empty(),
        "{doc}: no table marked as generated by {marker}"
    );
    tables.len()
}

/// The options tables of a docs page that follow a line containing `marker` (each table
/// starts at the next `| Section |` header): `(line number of the header, data rows)`. The
/// docs tests compare them with `--print-options-md`, so the docs cannot drift.
pub fn doc_tables<'a>(page: &'a str, marker: &str) -> Vec<(usize, Vec<&'a str>)> {
    let lines: Vec<&str> = page.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].contains(marker) {
            i += 1;
            continue;
        }
        let Some(header) = (i..lines.len()).find(|&j| lines[j].starts_with("| Section |")) else {
            break;
        };
        let rows: Vec<&str> = lines[header + 2..]
            .iter()
            .take_while(|l| l.starts_with('|'))
            .copied()
            .collect();
        i = header + 2 + rows.len();
        out.push((header + 1, rows));
    }
    out
}

/// `--print-spec` prints `<binary> <the original executable>` (what scripts/install links).
pub fn print_spec_names_the_original(p: &Profile) {
    let b = Bin::of(p);
    let out = run(b.bare().arg("--print-spec"));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let words: Vec<&str> = line.split(' ').collect();
    assert!(
        words.len() == 2 && words[0] == b.name() && !words[1].is_empty() && words[1] != b.name(),
        "--print-spec printed {line:?}"
    );
}

/// `-ll X -v3` and `--loglocation X --verbosity 3` (with `-c Y` / `--config Y` for the
/// standard style) do the same thing.
pub fn legacy_and_long_flags_agree(p: &Profile) {
    let a = Bin::of(p);
    let b = Bin::of(p);
    let (la, lb) = (a.log_dir(), b.log_dir());
    let (la, lb) = (la.to_str().unwrap_or(""), lb.to_str().unwrap_or(""));
    let (oa, ob) = match p.style {
        Style::InstanceIni => {
            let first = |bin: &Bin, args: &[&str]| {
                let mut c = bin.bare();
                c.args(args)
                    .env("TQ_HOST", "127.0.0.1:9")
                    .env("TQ_CLIENT_ID", "cid-0001")
                    .env("TQ_USERNAME", "a@example.com")
                    .env("TQ_PASSWORD", "pw-0001")
                    .env("TQ_STATUS", "Active");
                for (k, v) in p.extra {
                    c.env(k, v);
                }
                run(&mut c)
            };
            let (ca, cb) = (a.config_dir(), b.config_dir());
            let oa = first(&a, &["-ll", la, "-c", ca.to_str().unwrap_or(""), "-v3"]);
            let ob = first(
                &b,
                &[
                    "--loglocation",
                    lb,
                    "--config",
                    cb.to_str().unwrap_or(""),
                    "--verbosity",
                    "3",
                ],
            );
            assert_eq!(code(&oa), 0, "legacy flags: {}", text(&oa));
            assert_eq!(code(&ob), 0, "long flags: {}", text(&ob));
            let ini_a = fs::read_to_string(a.ini()).expect("legacy flags wrote no config in -c");
            let ini_b =
                fs::read_to_string(b.ini()).expect("long flags wrote no config in --config");
            assert_eq!(ini_a, ini_b);
            // Then --check the same two ways: ThreatQ is unreachable, so it fails, after
            // logging its attempts at debug level.
            let ca = ca.to_str().unwrap_or("");
            let cb = cb.to_str().unwrap_or("");
            let check_a = run(a.bare().args(["-ll", la, "-c", ca, "-v3", "--check"]));
            let check_b = run(b.bare().args([
                "--loglocation",
                lb,
                "--config",
                cb,
                "--verbosity",
                "3",
                "--check",
            ]));
            assert_eq!(code(&check_a), 1, "legacy flags: {}", text(&check_a));
            assert_eq!(code(&check_b), 1, "long flags: {}", text(&check_b));
            (oa, ob)
        }
        Style::SharedFile(_) => {
            a.configure(None);
            b.configure(None);
            let oa = run(a.cmd().args(["-ll", la, "-v3", "--check"]));
            let ob = run(b
                .cmd()
                .args(["--loglocation", lb, "--verbosity", "3", "--check"]));
            assert_eq!(code(&oa), 1, "legacy flags: {}", text(&oa));
            assert_eq!(code(&ob), 1, "long flags: {}", text(&ob));
            let normalise = |o: &Output, bin: &Bin| {
                String::from_utf8_lossy(&o.stdout)
                    .replace(&bin.dir.path().display().to_string(), "")
            };
            assert_eq!(normalise(&oa, &a), normalise(&ob, &b));
            (oa, ob)
        }
    };
    let log_a = fs::read_to_string(a.log_dir().join(format!("{}.log", a.name())))
        .unwrap_or_else(|_| panic!("no log in -ll dir: {}", text(&oa)));
    let log_b = fs::read_to_string(b.log_dir().join(format!("{}.log", b.name())))
        .unwrap_or_else(|_| panic!("no log in --loglocation dir: {}", text(&ob)));
    // -v3 logs info lines: the first-run message, or the config line of --check.
    let info = match p.style {
        Style::InstanceIni => "Connector configured",
        Style::SharedFile(_) => "check config: ok",
    };
    assert!(log_a.contains(info), "{log_a}");
    assert!(log_b.contains(info), "{log_b}");
    // Log files hold threat data and host names: created 0640 or tighter.
    for bin in [&a, &b] {
        assert_log_mode(&bin.log_dir().join(format!("{}.log", bin.name())));
    }
    // Verbosity 3 is debug: the HTTP attempts of --check are logged (2 would hide them).
    for (flags, log) in [("-v3", &log_a), ("--verbosity 3", &log_b)] {
        assert!(
            log.lines().any(|l| l.contains(" DEBUG ")),
            "{flags} logged no debug line:\n{log}"
        );
    }
}

/// A first run's promise: it printed `Connector configured. Set information in <ini>` and
/// wrote `ini` readable by its owner only (0600: it holds the password).
pub fn assert_configured(out: &Output, ini: &Path) {
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "Connector configured. Set information in {}",
            ini.display()
        )),
        "{}",
        text(out)
    );
    let mode = fs::metadata(ini)
        .unwrap_or_else(|e| panic!("no config file {}: {e}", ini.display()))
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", ini.display());
}

/// Log files hold threat data and host names: `log` exists, created 0640 or tighter.
pub fn assert_log_mode(log: &Path) {
    let mode = fs::metadata(log)
        .unwrap_or_else(|e| panic!("no log file {}: {e}", log.display()))
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode & !0o640, 0, "{} has mode {mode:o}", log.display());
}

/// `-v 4` exits 2 with a message giving the accepted range.
pub fn verbosity_out_of_range(p: &Profile) {
    let b = Bin::of(p);
    let out = run(b.cmd().args(["-v", "4"]));
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("1..=3"),
        "no clear message: {}",
        text(&out)
    );
    assert!(files_in(&b.config_dir()).is_empty(), "-v 4 wrote files");
}

/// No config and no input: exit 2, nothing written, and the message says how to make one
/// (standard: a terminal or the TQ_* variables; shared file: the file and the command that
/// prints the section to append).
pub fn first_run_without_input_fails(p: &Profile) {
    let b = Bin::of(p);
    fs::create_dir_all(b.config_dir()).expect("mkdir");
    let out = run(&mut b.cmd());
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    match p.style {
        Style::InstanceIni => assert!(
            t.contains("terminal") && t.contains("TQ_HOST") && t.contains("TQ_PASSWORD"),
            "{t}"
        ),
        Style::SharedFile(s) => assert!(
            t.contains(&b.ini().display().to_string())
                && t.contains("not found")
                && t.contains(&format!("{} {}", b.name(), s.template_command)),
            "{t}"
        ),
    }
    assert!(
        files_in(&b.config_dir()).is_empty(),
        "files written: {:?}",
        files_in(&b.config_dir())
    );
}

/// Standard: TQ_* variables write `<name>.ini`, mode 0600, every declared option; a second
/// run does not prompt. Shared file: the template command prints every declared option of
/// the connector's ThreatQ section, each with its help, and the file made from it is used
/// as it is (a second run does not ask anything either).
pub fn first_run_from_env_writes_every_option(p: &Profile) {
    let b = Bin::of(p);
    let out = b.configure(None);
    let ini_path = b.ini();
    let ini = fs::read_to_string(&ini_path).expect("read");
    match p.style {
        Style::InstanceIni => {
            assert_configured(&out, &ini_path);
            for (section, key) in declared_options(&b) {
                let lines = section_lines(&ini, &section)
                    .unwrap_or_else(|| panic!("section [{section}] missing from {ini}"));
                assert!(
                    lines.iter().any(|l| l.starts_with(&format!("{key} = "))),
                    "option {key} missing from section [{section}] of {ini}"
                );
            }
        }
        Style::SharedFile(s) => {
            let template = String::from_utf8_lossy(&out.stdout).into_owned();
            let own = s.threatq_section;
            assert!(template.contains(&format!("[{own}]")), "{template}");
            for (_, key, row) in printed_options(p.bin)
                .into_iter()
                .filter(|(section, _, _)| section == own)
            {
                assert!(
                    template
                        .lines()
                        .any(|l| l.starts_with(&format!("{key} = "))),
                    "option {key} missing from {template}"
                );
                let label = row.split('|').nth(3).unwrap_or_default().trim().to_string();
                assert!(
                    template.contains(&format!("# {label}: ")),
                    "no help for {key} in {template}"
                );
            }
        }
    }
    assert!(ini.contains(&format!(
        "{} = contract-password-0001",
        p.threatq_key("password")
    )));
    // A second run, on a terminal: the config exists, so nothing is asked.
    let mut c = b.on_terminal();
    c.arg("--check");
    let mut session = rexpect::session::spawn_command(c, Some(20_000)).expect("spawn on a pty");
    let rest = session.exp_eof().expect("second run did not finish");
    assert!(!rest.contains("Host:"), "second run prompted: {rest}");
    assert!(
        !rest.contains("Connector configured"),
        "second run configured again: {rest}"
    );
    assert!(rest.contains("--check"), "no check report: {rest}");
}

/// Standard: on a terminal the five fields are asked; secrets are not echoed, other fields
/// are. Shared file: a terminal changes nothing: no prompt, exit 2, nothing written.
pub fn first_run_prompt_on_a_terminal(p: &Profile) {
    let b = Bin::of(p);
    if let Style::SharedFile(_) = p.style {
        fs::create_dir_all(b.config_dir()).expect("mkdir");
        let mut session =
            rexpect::session::spawn_command(b.on_terminal(), Some(20_000)).expect("spawn on a pty");
        let rest = session
            .exp_eof()
            .expect("a run on a terminal did not finish");
        assert!(!rest.contains("Host:"), "prompted: {rest}");
        assert!(rest.contains("not found"), "{rest}");
        assert!(files_in(&b.config_dir()).is_empty(), "files written");
        return;
    }
    let c = b.on_terminal();
    let mut session = rexpect::session::spawn_command(c, Some(20_000)).expect("spawn on a pty");
    let secret_cid = "pty-client-id-4711";
    let secret_pw = "pty-password-0815";
    session.exp_string("ThreatQ Host: ").expect("host prompt");
    session.send_line("tq.example.com").expect("send");
    session.exp_string("Client ID: ").expect("client id prompt");
    session.send_line(secret_cid).expect("send");
    // What the terminal shows between the Client ID prompt and the next one: where an echo
    // of the client id would be.
    let after_client_id = session
        .exp_string("E-Mail Address: ")
        .expect("e-mail prompt");
    session.send_line("pty@example.com").expect("send");
    let echoed_email = session.exp_string("Password: ").expect("password prompt");
    session.send_line(secret_pw).expect("send");
    let after_password = session.exp_string("Status: ").expect("status prompt");
    session.send_line("Active").expect("send");
    let rest = session.exp_eof().expect("eof");
    assert!(
        echoed_email.contains("pty@example.com"),
        "the terminal does not echo plain input, so the no-echo check below proves nothing: {echoed_email:?}"
    );
    assert!(
        !after_password.contains(secret_pw),
        "password echoed: {after_password:?}"
    );
    assert!(
        !after_client_id.contains(secret_cid),
        "client id echoed: {after_client_id:?}"
    );
    assert!(rest.contains("Connector configured"), "{rest}");
    let ini = fs::read_to_string(b.ini()).expect("no config written");
    assert!(ini.contains(&format!("password = {secret_pw}")));
    assert!(ini.contains("username = pty@example.com"));
}

/// Unknown key, bad type, bad host, missing required option: exit 2 naming file, section,
/// key and what is expected.
pub fn config_errors_name_the_key(p: &Profile) {
    let b = Bin::of(p);
    b.configure(None);
    let good = fs::read_to_string(b.ini()).expect("read");
    let file = b.ini().display().to_string();
    let section = p.threatq_section();
    let (password, verify_tls, host) = (
        p.threatq_key("password"),
        p.threatq_key("verify_tls"),
        p.threatq_key("host"),
    );
    let header = format!("[{section}]\n");
    let set = |key: &str, value: &str| {
        good.lines()
            .map(|l| {
                if !l.starts_with('#') && option_name(l) == Some(key) {
                    format!("{key} = {value}")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let key = |k: &str| format!("[{section}] {k}");
    let mut cases: Vec<(String, String, &str)> = vec![
        (
            good.replace(&header, &format!("{header}colour = blue\n")),
            key("colour"),
            "unknown option",
        ),
        (
            good.lines()
                .filter(|l| option_name(l) != Some(password))
                .collect::<Vec<_>>()
                .join("\n"),
            key(password),
            "is missing",
        ),
        (set(verify_tls, "perhaps"), key(verify_tls), "true or false"),
        (
            set(host, "http://tq.example.com"),
            key(host),
            "only reached over https",
        ),
    ];
    if let Style::InstanceIni = p.style {
        cases.push((
            good.replace("timeout = 60", "timeout = soon"),
            "[threatq] timeout".into(),
            "is not an integer from 1 to 3600",
        ));
    }
    for (ini, key, expected) in cases {
        assert_ne!(ini, good, "{key}: the case did not change the file");
        fs::write(b.ini(), &ini).expect("write");
        let out = run(b.cmd().arg("--check"));
        let t = text(&out);
        assert_eq!(code(&out), 2, "{key}: {t}");
        assert!(
            t.contains(&file) && t.contains(&key) && t.contains(expected),
            "{key}: {t}"
        );
    }
}

/// `--check` passes against FakeThreatQ over HTTPS with ca_file, and reports the user and status.
pub fn check_passes(p: &Profile) {
    let fake = FakeThreatQ::start();
    let b = Bin::of(p);
    let _keep = b.configure_with(&fake, p.setup);
    let out = run(b.cmd().arg("--check"));
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    assert!(
        t.contains("logged in") && t.contains(fake.username()),
        "{t}"
    );
    assert!(
        t.contains("status \"Review\"") && t.contains("exists"),
        "{t}"
    );
    assert!(fake.count("GET", "/api/users/current") >= 1);
}

/// `--check` fails clearly (exit 1) with a wrong CA, wrong password, unknown status, server down.
pub fn check_failures(p: &Profile) {
    let fake = FakeThreatQ::start();
    let b = Bin::of(p);
    let _keep = b.configure_with(&fake, p.setup);
    let ca_file = fake.ca_file().display().to_string();
    let password = fake.password().to_string();
    let expect_fail = |what: &str, needle: &str| {
        let out = run(b.cmd().arg("--check"));
        let t = text(&out);
        assert_eq!(code(&out), 1, "{what}: {t}");
        assert!(
            t.contains("FAILED") && t.contains(needle),
            "{what}: expected \"{needle}\" in {t}"
        );
        assert!(!t.contains(&password), "{what}: password in output");
    };
    // A CA that did not sign the server certificate.
    let other = TestCa::new("someone else's CA");
    let other_ca = b.dir.path().join("other-ca.pem");
    other.write_cert(&other_ca).expect("write CA");
    b.set_threatq("ca_file", other_ca.to_str().unwrap_or(""));
    expect_fail("wrong CA", "TLS");
    b.set_threatq("ca_file", &ca_file);
    b.set_threatq("password", "not-the-password");
    expect_fail("wrong password", "login refused");
    b.set_threatq("password", fake.password());
    b.set_threatq("status", "Bogus");
    expect_fail("unknown status", "no indicator status named \"Bogus\"");
    b.set_threatq("status", "Review");
    let out = run(b.cmd().arg("--check"));
    assert_eq!(code(&out), 0, "restored config: {}", text(&out));
    // The fake's CA file may go with it: keep a copy for the config.
    let ca_copy = b.dir.path().join("fake-ca.pem");
    fs::copy(&ca_file, &ca_copy).expect("copy CA");
    b.set_threatq("ca_file", ca_copy.to_str().unwrap_or(""));
    let host = fake.host();
    drop(fake);
    b.set_threatq("host", &host);
    expect_fail("server down", "connection");
}

/// At -v3 the log, stdout and stderr of a full `--check` hold no password, client id or token.
pub fn no_secrets_in_logs(p: &Profile) {
    let fake = FakeThreatQ::start();
    let b = Bin::of(p);
    let keep = b.configure_with(&fake, p.setup);
    // A 401 makes the client renew its token: the refresh token is exercised too.
    fake.fail_next_on("/api/users/current", 1, Fault::Status(401));
    let log_dir = b.log_dir();
    let out = run(b.cmd().args(["-v", "3", "--check", "-ll"]).arg(&log_dir));
    assert_eq!(code(&out), 0, "{}", text(&out));
    let log = fs::read_to_string(log_dir.join(format!("{}.log", b.name()))).expect("log file");
    assert!(
        log.contains("/api/users/current"),
        "-v3 does not log requests: {log}"
    );
    let everything = format!("{log}{}", text(&out));
    let mut secrets = vec![fake.password().to_string(), fake.client_id().to_string()];
    let (access, refresh) = (fake.access_tokens(), fake.refresh_tokens());
    assert!(
        access.len() >= 2 && refresh.len() >= 2,
        "the login and the renewal after the 401 should have issued two tokens, got {} access \
         and {} refresh token(s): the leak check below would miss them",
        access.len(),
        refresh.len()
    );
    secrets.extend(access);
    secrets.extend(refresh);
    // The other systems' secrets: settings named *PASSWORD/*SECRET (first-run variables,
    // `section.key` pairs, or the other programs' sections of a shared file).
    let is_secret = |k: &str| {
        let k = k.trim().to_ascii_uppercase();
        k.ends_with("PASSWORD") || k.ends_with("SECRET")
    };
    let mut settings: Vec<(String, String)> = keep.env.clone();
    settings.extend(p.extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    if let Style::SharedFile(s) = p.style {
        settings.extend(s.preamble.lines().filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            Some((k.to_string(), v.trim().to_string()))
        }));
    }
    secrets.extend(
        settings
            .into_iter()
            .filter(|(k, v)| is_secret(k) && !v.is_empty())
            .map(|(_, v)| v),
    );
    for s in secrets {
        assert!(
            !everything.contains(&s),
            "secret {s:?} leaked:\n{everything}"
        );
    }
}

const USERS_CURRENT: &str = "/api/users/current";

/// The command's output and how long it took.
fn timed(c: &mut Command) -> (Output, Duration) {
    let started = Instant::now();
    let out = run(c);
    (out, started.elapsed())
}

/// 401 → one renewal and a retry; 500 and 429 (Retry-After) retried; exhausted → exit 1.
pub fn token_renewal_and_retries(p: &Profile) {
    let fake = FakeThreatQ::start();
    let b = Bin::of(p);
    let _keep = b.configure_with(&fake, p.setup);
    fake.clear_requests();
    fake.fail_next_on(USERS_CURRENT, 1, Fault::Status(401));
    let out = run(b.cmd().arg("--check"));
    assert_eq!(code(&out), 0, "401 not recovered: {}", text(&out));
    assert_eq!(
        fake.count("GET", USERS_CURRENT),
        2,
        "the call was not retried once"
    );
    assert_eq!(
        fake.count("POST", "/api/token"),
        2,
        "login + exactly one renewal: {:?}",
        fake.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );

    fake.clear_requests();
    fake.fail_next_on("/api/indicator/statuses", 2, Fault::Status(500));
    let out = run(b.cmd().arg("--check"));
    assert_eq!(code(&out), 0, "500 not retried: {}", text(&out));
    assert_eq!(fake.count("GET", "/api/indicator/statuses"), 3);

    let wait = Fault::TooManyRequests {
        retry_after_secs: 1,
    };
    fake.fail_next_on(USERS_CURRENT, 1, wait);
    let (out, took) = timed(b.cmd().arg("--check"));
    assert_eq!(code(&out), 0, "429 not retried: {}", text(&out));
    assert!(
        took >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured ({took:?})"
    );

    fake.fail_next_on(USERS_CURRENT, 50, Fault::Status(500));
    let out = run(b.cmd().arg("--check"));
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("ThreatQ") && t.contains("500"), "{t}");
    fake.clear_faults();
}

/// Takes the `flock` lock a running instance would hold on `path` (until dropped).
pub fn hold_lock(path: &Path) -> fs::File {
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .expect("open lock");
    lock.try_lock().expect("take the lock");
    lock
}

/// A second instance on the same config exits 0 with "previous run still active".
pub fn lock_held_means_exit_0(p: &Profile) {
    let b = Bin::of(p);
    b.configure(None);
    let lock = hold_lock(&b.lock_file());
    assert_stopped_by_the_lock(&run(&mut b.cmd()));
    drop(lock);
}

/// A run that found its lock held: exit 0, saying "previous run still active".
pub fn assert_stopped_by_the_lock(out: &Output) {
    let t = text(out);
    assert_eq!(code(out), 0, "{t}");
    assert!(t.contains("previous run still active"), "{t}");
}

/// A state file cut in half: exit 2, reported, moved aside, not reset silently.
pub fn corrupt_state_is_moved_aside(p: &Profile) {
    let b = Bin::of(p);
    b.configure(None);
    let state = b.state_file();
    let full = "{\n  \"version\": 1,\n  \"data\": {\n    \"watermark\": \"2026-01-01 00:00:00\",\n    \"seen\": [1, 2, 3]\n  }\n}\n";
    fs::write(&state, &full[..full.len() / 2]).expect("write state");
    let out = run(&mut b.cmd());
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(t.contains("state file") && t.contains("moved aside"), "{t}");
    assert!(!state.exists(), "corrupt state left in place");
    let state_name = state
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside: Vec<String> = files_in(&b.config_dir())
        .into_iter()
        .filter(|f| f.starts_with(&format!("{state_name}.corrupt-")))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", files_in(&b.config_dir()));
}

/// A state file of a newer format (a later release wrote it): exit 2 saying so, and the file
/// is kept where it is, unchanged (not moved aside as corrupt).
pub fn newer_state_is_refused_and_kept(p: &Profile) {
    let b = Bin::of(p);
    b.configure(None);
    let state = b.state_file();
    let newer = "{\n  \"version\": 999,\n  \"data\": {\n    \"watermark\": \"2031-01-01 00:00:00\"\n  }\n}\n";
    fs::write(&state, newer).expect("write state");
    let out = run(&mut b.cmd());
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(
        t.contains("state file")
            && t.contains(&state.display().to_string())
            && t.contains("newer release"),
        "{t}"
    );
    assert_eq!(
        fs::read_to_string(&state).ok().as_deref(),
        Some(newer),
        "the newer state file was not kept as it was"
    );
    let aside: Vec<String> = files_in(&b.config_dir())
        .into_iter()
        .filter(|f| f.contains(".corrupt-"))
        .collect();
    assert!(aside.is_empty(), "moved aside: {aside:?}");
}

/// Generates one `#[test]` per contract function for a connector binary: a standard one
/// (`contract_tests!(bin, extra)` or `contract_tests!(bin, extra, setup)`), or one described
/// by a [`Profile`] constant (`contract_tests!(profile: PROFILE)`).
#[macro_export]
macro_rules! contract_tests {
    ($bin:expr, $extra:expr) => {
        $crate::contract_tests!($bin, $extra, $crate::contract::no_setup);
    };
    ($bin:expr, $extra:expr, $setup:expr) => {
        const CONTRACT_PROFILE: $crate::contract::Profile =
            $crate::contract::Profile::standard($bin, $extra, $setup);
        $crate::contract_tests!(profile: CONTRACT_PROFILE);
    };
    (profile: $profile:expr) => {
        #[test]
        fn contract_print_spec_names_the_original() {
            $crate::contract::print_spec_names_the_original(&$profile);
        }
        #[test]
        fn contract_legacy_and_long_flags_agree() {
            $crate::contract::legacy_and_long_flags_agree(&$profile);
        }
        #[test]
        fn contract_verbosity_out_of_range() {
            $crate::contract::verbosity_out_of_range(&$profile);
        }
        #[test]
        fn contract_first_run_without_input_fails() {
            $crate::contract::first_run_without_input_fails(&$profile);
        }
        #[test]
        fn contract_first_run_from_env_writes_every_option() {
            $crate::contract::first_run_from_env_writes_every_option(&$profile);
        }
        #[test]
        fn contract_first_run_prompt_on_a_terminal() {
            $crate::contract::first_run_prompt_on_a_terminal(&$profile);
        }
        #[test]
        fn contract_config_errors_name_the_key() {
            $crate::contract::config_errors_name_the_key(&$profile);
        }
        #[test]
        fn contract_check_passes() {
            $crate::contract::check_passes(&$profile);
        }
        #[test]
        fn contract_check_failures() {
            $crate::contract::check_failures(&$profile);
        }
        #[test]
        fn contract_no_secrets_in_logs() {
            $crate::contract::no_secrets_in_logs(&$profile);
        }
        #[test]
        fn contract_token_renewal_and_retries() {
            $crate::contract::token_renewal_and_retries(&$profile);
        }
        #[test]
        fn contract_lock_held_means_exit_0() {
            $crate::contract::lock_held_means_exit_0(&$profile);
        }
        #[test]
        fn contract_corrupt_state_is_moved_aside() {
            $crate::contract::corrupt_state_is_moved_aside(&$profile);
        }
        #[test]
        fn contract_newer_state_is_refused_and_kept() {
            $crate::contract::newer_state_is_refused_and_kept(&$profile);
        }
    };
}
