//! How tq-resilient-fn finds and reads the operator's app.config through the common runner
//! (the contract tests cover the messages, --check, lock and state): the lookup order of
//! resilient-circuits, flags after the command, `[resilient]` validated with other keys
//! left to resilient-circuits, and the lock file beside app.config by default.

use std::fs;
use std::path::Path;
use std::process::Command;

use tq_testkit::contract::{assert_stopped_by_the_lock, code, hold_lock, run, text};

const BIN: &str = env!("CARGO_BIN_EXE_tq-resilient-fn");

/// A complete app.config pointing Resilient and ThreatQ at a closed port (so --check fails
/// fast, exit 1, after the config passed).
const APP_CONFIG: &str = "[resilient]\nhost = 127.0.0.1\nport = 9\norg = Org\nemail = u@example.com\n\
password = soar-pw-0001\nlogdir = /var/log/rc\ncomponentsdir = /opt/rc\n\n[fn_other_app]\nkey = value\n\n\
[fn_threatq]\nhost = 127.0.0.1:9\nusername = tq@example.com\npassword = tq-pw-0001\ncid = tq-cid-0001\n";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write app.config");
}

/// The binary with a clean environment: HOME in `home`, run in `cwd`.
fn cmd(home: &Path, cwd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("APP_CONFIG_FILE")
        .env_remove("APP_LOCK_FILE")
        .env("HOME", home)
        .env("TQ_RETRY_BASE_MS", "1")
        .current_dir(cwd);
    c
}

fn checked_file(args: &[&str], c: &mut Command) -> String {
    let out = run(c.args(args));
    let t = text(&out);
    assert_eq!(code(&out), 1, "config valid, ThreatQ unreachable: {t}");
    let line = t
        .lines()
        .find(|l| l.contains("config") && l.contains("is valid"))
        .unwrap_or_else(|| panic!("no config line: {t}"));
    line.to_string()
}

#[test]
fn app_config_is_found_as_resilient_circuits_finds_it() {
    let d = tempfile::tempdir().expect("tempdir");
    let (home, cwd) = (d.path().join("home"), d.path().join("work"));
    fs::create_dir_all(&cwd).expect("mkdir");
    let in_home = home.join(".resilient/app.config");
    write(&in_home, APP_CONFIG);
    let line = checked_file(&["--check"], &mut cmd(&home, &cwd));
    assert!(line.contains(&in_home.display().to_string()), "{line}");

    let in_cwd = cwd.join("app.config");
    write(&in_cwd, APP_CONFIG);
    let line = checked_file(&["--check"], &mut cmd(&home, &cwd));
    assert!(line.contains(&in_cwd.display().to_string()), "{line}");

    let by_env = d.path().join("etc/by-env.config");
    write(&by_env, APP_CONFIG);
    let mut c = cmd(&home, &cwd);
    c.env("APP_CONFIG_FILE", &by_env);
    let line = checked_file(&["--check"], &mut c);
    assert!(line.contains(&by_env.display().to_string()), "{line}");

    // --app-config wins over all, and flags may follow the command.
    let by_flag = d.path().join("etc/by-flag.config");
    write(&by_flag, APP_CONFIG);
    let mut c = cmd(&home, &cwd);
    c.env("APP_CONFIG_FILE", &by_env);
    let flag = by_flag.display().to_string();
    let line = checked_file(
        &["run", "--check", "-v", "2", "--app-config", &flag],
        &mut c,
    );
    assert!(line.contains(&flag), "{line}");
}

#[test]
fn resilient_keys_are_validated_and_other_programs_keys_ignored() {
    let d = tempfile::tempdir().expect("tempdir");
    let file = d.path().join("app.config");
    let path = file.display().to_string();
    let check = |config: &str| {
        write(&file, config);
        run(cmd(d.path(), d.path()).args(["--check", "--app-config", &path]))
    };
    // logdir, componentsdir and [fn_other_app] are not ours: accepted as they are.
    assert_eq!(code(&check(APP_CONFIG)), 1);
    for (config, key, expected) in [
        (
            APP_CONFIG.replace("port = 9", "port = https"),
            "[resilient] port",
            "\"https\" is not an integer from 1 to 65535",
        ),
        (
            APP_CONFIG.replace("org = Org", "cafile = /nonexistent/ca.pem"),
            "[resilient] cafile",
            "cannot read file",
        ),
        (
            APP_CONFIG.replace("email = u@example.com\n", ""),
            "[resilient] email",
            "set email and password, or api_key_id and api_key_secret",
        ),
        (
            APP_CONFIG.replace(
                "cid = tq-cid-0001",
                "cid = tq-cid-0001\ncustom_objects = actor",
            ),
            "[fn_threatq] custom_objects",
            "is not field_name=name",
        ),
        (
            APP_CONFIG.replace("[fn_threatq]", "[fn_threatq_old]"),
            "[fn_threatq] is missing",
            "it must set host, cid, username, password",
        ),
    ] {
        let out = check(&config);
        let t = text(&out);
        assert_eq!(code(&out), 2, "{key}: {t}");
        assert!(
            t.contains(&path) && t.contains(key) && t.contains(expected),
            "{key}: {t}"
        );
        assert!(
            !t.contains("soar-pw-0001") && !t.contains("tq-pw-0001"),
            "{t}"
        );
    }
    // cafile = false turns verification off: accepted (a warning when the service starts).
    assert_eq!(
        code(&check(&APP_CONFIG.replace("org = Org", "cafile = false"))),
        1
    );
}

#[test]
fn without_app_lock_file_the_lock_is_beside_app_config() {
    let d = tempfile::tempdir().expect("tempdir");
    let file = d.path().join("app.config");
    write(&file, APP_CONFIG);
    let lock = hold_lock(&d.path().join("app.config.lock"));
    let path = file.display().to_string();
    assert_stopped_by_the_lock(&run(cmd(d.path(), d.path()).args([
        "run",
        "--app-config",
        &path,
    ])));
    drop(lock);
    // Free: the run goes on to the service, which logs in to Resilient first (closed port).
    let out = run(cmd(d.path(), d.path()).args(["run", "--app-config", &path]));
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("Resilient"), "{}", text(&out));
    assert!(!text(&out).contains("soar-pw-0001"), "{}", text(&out));
}

#[test]
fn customize_and_clear_destination_read_app_config_as_run_does() {
    let d = tempfile::tempdir().expect("tempdir");
    for command in ["customize", "clear-destination"] {
        let out = run(cmd(d.path(), d.path()).args([command, "-y"]));
        assert_eq!(code(&out), 2, "{command}: {}", text(&out));
        assert!(text(&out).contains("app.config"), "{}", text(&out));
    }
    let file = d.path().join("app.config");
    write(&file, APP_CONFIG);
    let path = file.display().to_string();
    for command in ["customize", "clear-destination"] {
        let out = run(cmd(d.path(), d.path()).args([command, "-y", "--app-config", &path]));
        assert_eq!(code(&out), 1, "{command}: {}", text(&out));
        assert!(text(&out).contains("Resilient"), "{}", text(&out));
    }
    // clear-destination never runs beside the service: the lock stops it, with an error.
    let lock = hold_lock(&d.path().join("app.config.lock"));
    let out = run(cmd(d.path(), d.path()).args(["clear-destination", "-y", "--app-config", &path]));
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("stop it first"), "{}", text(&out));
    drop(lock);
}

#[test]
fn the_systemd_units_name_app_config_and_lock_and_their_flags_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for unit in ["tq-resilient-fn.service", "tq-resilient-fn@.service"] {
        let unit_text = fs::read_to_string(root.join("scripts/systemd").join(unit)).expect("unit");
        assert!(unit_text.contains("Environment=APP_CONFIG_FILE="), "{unit}");
        assert!(unit_text.contains("Environment=APP_LOCK_FILE="), "{unit}");
        assert!(unit_text.contains("Restart=always"), "{unit}");
        assert!(unit_text.contains("NoNewPrivileges=yes"), "{unit}");
        let exec = unit_text
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("ExecStart");
        let mut words = exec.split_whitespace();
        assert_eq!(words.next(), Some("/usr/bin/tq-resilient-fn"), "{unit}");
        let args: Vec<&str> = words.collect();
        assert!(args.contains(&"run"), "{unit}: {args:?}");
        // The unit's flags parse: the run goes as far as the (missing) app.config.
        let d = tempfile::tempdir().expect("tempdir");
        let out = run(cmd(d.path(), d.path())
            .args(&args)
            .env("APP_CONFIG_FILE", d.path().join("missing/app.config")));
        assert_eq!(code(&out), 2, "{unit}: {}", text(&out));
        assert!(
            text(&out).contains("missing/app.config"),
            "{unit}: {}",
            text(&out)
        );
    }
}
