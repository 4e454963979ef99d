//! The common contract every connector binary keeps (design.md §3, issue 3), as test
//! functions run against a real binary. Each connector crate runs them all with one line:
//!
//! ```ignore
//! tq_testkit::contract_tests!(env!("CARGO_BIN_EXE_tq-ctr-enrich"), &[("TQ_CONNECTOR_CLIENT_ID", "x")]);
//! ```
//!
//! The second argument gives the connector's required `[connector]` options as first-run
//! environment variables, so `--check` can run. Every function panics with a message
//! saying what broke.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::certs::TestCa;
use crate::server::Fault;
use crate::threatq::FakeThreatQ;

/// What a connector needs besides FakeThreatQ for `--check` to pass (e.g. a fake CTR):
/// extra first-run variables, and whatever must stay alive while the binary runs.
pub struct Setup {
    /// First-run variables (`TQ_CONNECTOR_...`); they override the defaults.
    pub env: Vec<(String, String)>,
    /// Kept alive until the test ends (fake servers).
    pub keep: Vec<Box<dyn std::any::Any>>,
}

/// Builds a [`Setup`] next to a started FakeThreatQ.
pub type SetupFn = fn(&FakeThreatQ) -> Setup;

/// No other system: the static `extra` variables are all a connector needs.
pub fn no_setup(_: &FakeThreatQ) -> Setup {
    Setup {
        env: Vec::new(),
        keep: Vec::new(),
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

/// A binary under test and a scratch directory for its config and logs.
pub struct Bin {
    path: PathBuf,
    name: String,
    extra_env: Vec<(String, String)>,
    /// Scratch directory (removed on drop).
    pub dir: tempfile::TempDir,
}

impl Bin {
    /// `path` is `env!("CARGO_BIN_EXE_<name>")`; `extra_env` the connector's required options.
    pub fn new(path: &str, extra_env: &[(&str, &str)]) -> Bin {
        let path = PathBuf::from(path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Bin {
            path,
            name,
            extra_env: extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
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
        self.config_dir().join(format!("{}.ini", self.name))
    }

    /// A command with a clean environment (no first-run or proxy variables) and stdin closed.
    pub fn bare(&self) -> Command {
        self.clean(Command::new(&self.path))
    }

    /// The binary with `-c <config dir>`, run through `sh` so that `stty echo` turns the
    /// pseudo-terminal's echo back on first (rexpect starts with echo off, which would
    /// hide whether the binary itself turns echo off for secrets).
    pub fn on_terminal(&self) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg("stty echo && exec \"$0\" \"$@\"")
            .arg(&self.path)
            .arg("-c")
            .arg(self.config_dir());
        let mut c = self.clean(c);
        c.stdin(std::process::Stdio::inherit());
        c
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
        c.env("TQ_RETRY_BASE_MS", "10");
        c.stdin(std::process::Stdio::null());
        c
    }

    /// `bare()` with `-c <config dir>`.
    pub fn cmd(&self) -> Command {
        let mut c = self.bare();
        c.arg("-c").arg(self.config_dir());
        c
    }

    /// First run through the environment against `fake` with `setup`'s other systems.
    pub fn configure_with(&self, fake: &FakeThreatQ, setup: SetupFn) -> Setup {
        let s = setup(fake);
        self.first_run(Some(fake), &s.env);
        s
    }

    /// First run through the environment against `fake` (or an unreachable host).
    pub fn configure(&self, fake: Option<&FakeThreatQ>) -> Output {
        self.first_run(fake, &[])
    }

    fn first_run(&self, fake: Option<&FakeThreatQ>, more: &[(String, String)]) -> Output {
        let mut c = self.cmd();
        match fake {
            Some(f) => {
                c.env("TQ_HOST", f.host())
                    .env("TQ_CLIENT_ID", f.client_id())
                    .env("TQ_USERNAME", f.username())
                    .env("TQ_PASSWORD", f.password())
                    .env("TQ_CA_FILE", f.ca_file());
            }
            None => {
                c.env("TQ_HOST", "127.0.0.1:9")
                    .env("TQ_CLIENT_ID", "contract-client-id-0001")
                    .env("TQ_USERNAME", "analyst@example.com")
                    .env("TQ_PASSWORD", "contract-password-0001");
            }
        }
        c.env("TQ_STATUS", "Review");
        for (k, v) in self.extra_env.iter().chain(more) {
            c.env(k, v);
        }
        let out = run(&mut c);
        assert_eq!(code(&out), 0, "first run with TQ_* failed: {}", text(&out));
        out
    }

    /// Replaces `key = ...` in the config file's `section`.
    pub fn set_option(&self, section: &str, key: &str, value: &str) {
        let ini = fs::read_to_string(self.ini()).expect("read ini");
        let mut out = String::new();
        let mut current = String::new();
        let mut done = false;
        for line in ini.lines() {
            let t = line.trim();
            if t.starts_with('[') {
                current = t.trim_matches(|c| c == '[' || c == ']').to_string();
            }
            if current == section
                && t.split('=').next().map(str::trim) == Some(key)
                && !t.starts_with('#')
            {
                out.push_str(&format!("{key} = {value}\n"));
                done = true;
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        assert!(done, "[{section}] {key} not found in the config file");
        fs::write(self.ini(), out).expect("write ini");
    }
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

/// The option names `--print-options-md` declares.
pub fn declared_options(b: &Bin) -> Vec<(String, String)> {
    let out = run(b.bare().arg("--print-options-md"));
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
            Some((section.to_string(), key.to_string()))
        })
        .collect()
}

/// `-ll X -c Y -v3` and `--loglocation X --config Y --verbosity 3` do the same thing.
pub fn legacy_and_long_flags_agree(path: &str, extra: &[(&str, &str)]) {
    let a = Bin::new(path, extra);
    let b = Bin::new(path, extra);
    let first = |bin: &Bin, args: &[&str]| {
        let mut c = bin.bare();
        c.args(args)
            .env("TQ_HOST", "tq.example.com")
            .env("TQ_CLIENT_ID", "cid-0001")
            .env("TQ_USERNAME", "a@example.com")
            .env("TQ_PASSWORD", "pw-0001")
            .env("TQ_STATUS", "Active");
        for (k, v) in extra {
            c.env(k, v);
        }
        run(&mut c)
    };
    let (la, ca) = (a.log_dir(), a.config_dir());
    let (lb, cb) = (b.log_dir(), b.config_dir());
    let oa = first(
        &a,
        &[
            "-ll",
            la.to_str().unwrap_or(""),
            "-c",
            ca.to_str().unwrap_or(""),
            "-v3",
        ],
    );
    let ob = first(
        &b,
        &[
            "--loglocation",
            lb.to_str().unwrap_or(""),
            "--config",
            cb.to_str().unwrap_or(""),
            "--verbosity",
            "3",
        ],
    );
    assert_eq!(code(&oa), 0, "legacy flags: {}", text(&oa));
    assert_eq!(code(&ob), 0, "long flags: {}", text(&ob));
    let ini_a = fs::read_to_string(a.ini()).expect("legacy flags wrote no config in -c");
    let ini_b = fs::read_to_string(b.ini()).expect("long flags wrote no config in --config");
    assert_eq!(ini_a, ini_b);
    let log_a =
        fs::read_to_string(la.join(format!("{}.log", a.name()))).expect("no log in -ll dir");
    let log_b = fs::read_to_string(lb.join(format!("{}.log", b.name())))
        .expect("no log in --loglocation dir");
    // -v3 logs info lines: the first-run message is one.
    assert!(log_a.contains("Connector configured"), "{log_a}");
    assert!(log_b.contains("Connector configured"), "{log_b}");
}

/// `-v 4` exits 2 with a message giving the accepted range.
pub fn verbosity_out_of_range(path: &str) {
    let b = Bin::new(path, &[]);
    let out = run(b.cmd().args(["-v", "4"]));
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("1..=3"),
        "no clear message: {}",
        text(&out)
    );
    assert!(files_in(&b.config_dir()).is_empty(), "-v 4 wrote files");
}

/// No config, no terminal, no TQ_* variables: exit 2, both ways named, nothing written.
pub fn first_run_without_input_fails(path: &str) {
    let b = Bin::new(path, &[]);
    fs::create_dir_all(b.config_dir()).expect("mkdir");
    let out = run(&mut b.cmd());
    assert_eq!(code(&out), 2, "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("terminal") && t.contains("TQ_HOST") && t.contains("TQ_PASSWORD"),
        "{t}"
    );
    assert!(
        files_in(&b.config_dir()).is_empty(),
        "files written: {:?}",
        files_in(&b.config_dir())
    );
}

/// TQ_* variables: `<name>.ini`, mode 0600, every declared option; a second run does not prompt.
pub fn first_run_from_env_writes_every_option(path: &str, extra: &[(&str, &str)]) {
    let b = Bin::new(path, extra);
    let out = b.configure(None);
    let ini_path = b.ini();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "Connector configured. Set information in {}",
            ini_path.display()
        )),
        "{}",
        text(&out)
    );
    let mode = fs::metadata(&ini_path)
        .expect("no config file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "config file mode {mode:o}");
    let ini = fs::read_to_string(&ini_path).expect("read");
    for (section, key) in declared_options(&b) {
        assert!(
            ini.contains(&format!("[{section}]")),
            "section [{section}] missing"
        );
        assert!(
            ini.lines().any(|l| l.starts_with(&format!("{key} = "))),
            "option {key} missing from {ini}"
        );
    }
    assert!(ini.contains("password = contract-password-0001"));
    // A second run, on a terminal: the config exists, so nothing is asked.
    let mut c = b.on_terminal();
    c.arg("--check");
    let mut p = rexpect::session::spawn_command(c, Some(20_000)).expect("spawn on a pty");
    let rest = p.exp_eof().expect("second run did not finish");
    assert!(
        !rest.contains("ThreatQ Host"),
        "second run prompted: {rest}"
    );
    assert!(
        !rest.contains("Connector configured"),
        "second run configured again: {rest}"
    );
}

/// On a terminal the five fields are asked; secrets are not echoed, other fields are.
pub fn first_run_prompt_on_a_terminal(path: &str) {
    let b = Bin::new(path, &[]);
    let c = b.on_terminal();
    let mut p = rexpect::session::spawn_command(c, Some(20_000)).expect("spawn on a pty");
    let secret_cid = "pty-client-id-4711";
    let secret_pw = "pty-password-0815";
    p.exp_string("ThreatQ Host: ").expect("host prompt");
    p.send_line("tq.example.com").expect("send");
    p.exp_string("Client ID: ").expect("client id prompt");
    p.send_line(secret_cid).expect("send");
    p.exp_string("E-Mail Address: ").expect("e-mail prompt");
    p.send_line("pty@example.com").expect("send");
    let echoed_email = p.exp_string("Password: ").expect("password prompt");
    p.send_line(secret_pw).expect("send");
    let after_password = p.exp_string("Status: ").expect("status prompt");
    p.send_line("Active").expect("send");
    let rest = p.exp_eof().expect("eof");
    assert!(
        echoed_email.contains("pty@example.com"),
        "the terminal does not echo plain input, so the no-echo check below proves nothing: {echoed_email:?}"
    );
    assert!(
        !after_password.contains(secret_pw),
        "password echoed: {after_password:?}"
    );
    assert!(
        !echoed_email.contains(secret_cid),
        "client id echoed: {echoed_email:?}"
    );
    assert!(rest.contains("Connector configured"), "{rest}");
    let ini = fs::read_to_string(b.ini()).expect("no config written");
    assert!(ini.contains(&format!("password = {secret_pw}")));
    assert!(ini.contains("username = pty@example.com"));
}

/// Unknown key, bad type, missing required option: exit 2 naming file, section, key, expectation.
pub fn config_errors_name_the_key(path: &str, extra: &[(&str, &str)]) {
    let b = Bin::new(path, extra);
    b.configure(None);
    let good = fs::read_to_string(b.ini()).expect("read");
    let file = b.ini().display().to_string();
    let cases: Vec<(String, &str, &str)> = vec![
        (
            good.replace("[threatq]\n", "[threatq]\ncolour = blue\n"),
            "[threatq] colour",
            "unknown option",
        ),
        (
            good.replace("timeout = 60", "timeout = soon"),
            "[threatq] timeout",
            "is not an integer from 1 to 3600",
        ),
        (
            good.lines()
                .filter(|l| !l.starts_with("password ="))
                .collect::<Vec<_>>()
                .join("\n"),
            "[threatq] password",
            "is missing",
        ),
        (
            good.replace("verify_tls = true", "verify_tls = perhaps"),
            "[threatq] verify_tls",
            "true or false",
        ),
    ];
    for (ini, key, expected) in cases {
        fs::write(b.ini(), &ini).expect("write");
        let out = run(b.cmd().arg("--check"));
        let t = text(&out);
        assert_eq!(code(&out), 2, "{key}: {t}");
        assert!(
            t.contains(&file) && t.contains(key) && t.contains(expected),
            "{key}: {t}"
        );
    }
}

/// `--check` passes against FakeThreatQ over HTTPS with ca_file, and reports the user and status.
pub fn check_passes(path: &str, extra: &[(&str, &str)], setup: SetupFn) {
    let fake = FakeThreatQ::start();
    let b = Bin::new(path, extra);
    let _keep = b.configure_with(&fake, setup);
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
pub fn check_failures(path: &str, extra: &[(&str, &str)], setup: SetupFn) {
    let fake = FakeThreatQ::start();
    let b = Bin::new(path, extra);
    let _keep = b.configure_with(&fake, setup);
    let ini = fs::read_to_string(b.ini()).expect("read ini");
    let ca_file = ini
        .lines()
        .find_map(|l| l.strip_prefix("ca_file = "))
        .unwrap_or_default()
        .to_string();
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
    b.set_option("threatq", "ca_file", other_ca.to_str().unwrap_or(""));
    expect_fail("wrong CA", "TLS");
    b.set_option("threatq", "ca_file", &ca_file);
    b.set_option("threatq", "password", "not-the-password");
    expect_fail("wrong password", "login refused");
    b.set_option("threatq", "password", fake.password());
    b.set_option("threatq", "status", "Bogus");
    expect_fail("unknown status", "no indicator status named \"Bogus\"");
    b.set_option("threatq", "status", "Review");
    let out = run(b.cmd().arg("--check"));
    assert_eq!(code(&out), 0, "restored config: {}", text(&out));
    // The fake's CA file may go with it: keep a copy for the config.
    let ca_copy = b.dir.path().join("fake-ca.pem");
    fs::copy(&ca_file, &ca_copy).expect("copy CA");
    b.set_option("threatq", "ca_file", ca_copy.to_str().unwrap_or(""));
    let host = fake.host();
    drop(fake);
    b.set_option("threatq", "host", &host);
    expect_fail("server down", "connection");
}

/// At -v3 the log, stdout and stderr of a full `--check` hold no password, client id or token.
pub fn no_secrets_in_logs(path: &str, extra: &[(&str, &str)], setup: SetupFn) {
    let fake = FakeThreatQ::start();
    let b = Bin::new(path, extra);
    let keep = b.configure_with(&fake, setup);
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
    secrets.extend(fake.access_tokens());
    // The other systems' secrets, passed as first-run variables named *PASSWORD/*SECRET.
    secrets.extend(
        keep.env
            .iter()
            .filter(|(k, _)| k.ends_with("PASSWORD") || k.ends_with("SECRET"))
            .map(|(_, v)| v.clone()),
    );
    assert!(secrets.len() >= 3, "no token was issued");
    for s in secrets {
        assert!(
            !everything.contains(&s),
            "secret {s:?} leaked:\n{everything}"
        );
    }
}

/// 401 → one renewal and a retry; 500 and 429 (Retry-After) retried; exhausted → exit 1.
pub fn token_renewal_and_retries(path: &str, extra: &[(&str, &str)], setup: SetupFn) {
    let fake = FakeThreatQ::start();
    let b = Bin::new(path, extra);
    let _keep = b.configure_with(&fake, setup);
    fake.clear_requests();
    fake.fail_next_on("/api/users/current", 1, Fault::Status(401));
    let out = run(b.cmd().arg("--check"));
    assert_eq!(code(&out), 0, "401 not recovered: {}", text(&out));
    assert_eq!(
        fake.count("GET", "/api/users/current"),
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

    fake.fail_next_on(
        "/api/users/current",
        1,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    let started = Instant::now();
    let out = run(b.cmd().arg("--check"));
    assert_eq!(code(&out), 0, "429 not retried: {}", text(&out));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured ({:?})",
        started.elapsed()
    );

    fake.fail_next_on("/api/users/current", 50, Fault::Status(500));
    let out = run(b.cmd().arg("--check"));
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("ThreatQ") && t.contains("500"), "{t}");
    fake.clear_faults();
}

/// A second instance on the same config exits 0 with "previous run still active".
pub fn lock_held_means_exit_0(path: &str, extra: &[(&str, &str)]) {
    let b = Bin::new(path, extra);
    b.configure(None);
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(b.config_dir().join(format!("{}.lock", b.name())))
        .expect("open lock");
    lock.try_lock().expect("take the lock");
    let out = run(&mut b.cmd());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("previous run still active"),
        "{}",
        text(&out)
    );
    drop(lock);
}

/// A state file cut in half: exit 2, reported, moved aside, not reset silently.
pub fn corrupt_state_is_moved_aside(path: &str, extra: &[(&str, &str)]) {
    let b = Bin::new(path, extra);
    b.configure(None);
    let state = b.config_dir().join(format!("{}.state.json", b.name()));
    let full = "{\n  \"version\": 1,\n  \"data\": {\n    \"watermark\": \"2026-01-01 00:00:00\",\n    \"seen\": [1, 2, 3]\n  }\n}\n";
    fs::write(&state, &full[..full.len() / 2]).expect("write state");
    let out = run(&mut b.cmd());
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(t.contains("state file") && t.contains("moved aside"), "{t}");
    assert!(!state.exists(), "corrupt state left in place");
    let aside: Vec<String> = files_in(&b.config_dir())
        .into_iter()
        .filter(|f| f.contains(".state.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", files_in(&b.config_dir()));
}

/// Generates one `#[test]` per contract function for a connector binary.
#[macro_export]
macro_rules! contract_tests {
    ($bin:expr, $extra:expr) => {
        $crate::contract_tests!($bin, $extra, $crate::contract::no_setup);
    };
    ($bin:expr, $extra:expr, $setup:expr) => {
        #[test]
        fn contract_legacy_and_long_flags_agree() {
            $crate::contract::legacy_and_long_flags_agree($bin, $extra);
        }
        #[test]
        fn contract_verbosity_out_of_range() {
            $crate::contract::verbosity_out_of_range($bin);
        }
        #[test]
        fn contract_first_run_without_input_fails() {
            $crate::contract::first_run_without_input_fails($bin);
        }
        #[test]
        fn contract_first_run_from_env_writes_every_option() {
            $crate::contract::first_run_from_env_writes_every_option($bin, $extra);
        }
        #[test]
        fn contract_first_run_prompt_on_a_terminal() {
            $crate::contract::first_run_prompt_on_a_terminal($bin);
        }
        #[test]
        fn contract_config_errors_name_the_key() {
            $crate::contract::config_errors_name_the_key($bin, $extra);
        }
        #[test]
        fn contract_check_passes() {
            $crate::contract::check_passes($bin, $extra, $setup);
        }
        #[test]
        fn contract_check_failures() {
            $crate::contract::check_failures($bin, $extra, $setup);
        }
        #[test]
        fn contract_no_secrets_in_logs() {
            $crate::contract::no_secrets_in_logs($bin, $extra, $setup);
        }
        #[test]
        fn contract_token_renewal_and_retries() {
            $crate::contract::token_renewal_and_retries($bin, $extra, $setup);
        }
        #[test]
        fn contract_lock_held_means_exit_0() {
            $crate::contract::lock_held_means_exit_0($bin, $extra);
        }
        #[test]
        fn contract_corrupt_state_is_moved_aside() {
            $crate::contract::corrupt_state_is_moved_aside($bin, $extra);
        }
    };
}
