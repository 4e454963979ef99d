//! Each SMTP mode of issue 10, binary against the real aiosmtpd sink: plain with
//! skip_login, AUTH over STARTTLS, implicit TLS (`use_ssl`), a wrong password (exit 1 naming
//! server and user, never the password), and `require_starttls` refusing a server without
//! STARTTLS before AUTH or MAIL; `--check` reports the SMTP server either way.

mod common;

use std::path::Path;

use common::*;
use serde_json::json;
use tq_testkit::rigs::smtp::{Mode, SinkOptions};

const USER: &str = "smtp-tester";
const PASSWORD: &str = "Sm7p-pa55-w0rd";

/// A rig with one item in the collection "All Active" and the SMTP options `smtp`; the run
/// backfills it (`--send-existing`): one mail when the SMTP side works.
fn rig(opts: SinkOptions, smtp: &[(&str, &str)]) -> Rig {
    let r = Rig::new(opts);
    r.tq.add_indicator("203.0.113.7", "IP Address", "Active");
    r.tq.add_saved_search("All Active", json!({"status_name": "Active"}));
    configure(&r, smtp);
    r
}

fn configure(r: &Rig, smtp: &[(&str, &str)]) {
    let mut options = vec![
        ("enable_data_collection", "true"),
        ("data_collection_name", "All Active"),
    ];
    options.extend_from_slice(smtp);
    r.configure(&options);
}

/// [`rig`] with a TLS sink (`mode`) requiring AUTH, configured to log in as `USER` with
/// `password`, trusting the sink's CA, plus `extra`.
fn logged_in(mode: Mode, password: &str, extra: &[(&str, &str)]) -> Rig {
    let r = rig(SinkOptions::with_auth(mode, USER, PASSWORD), &[]);
    let ca_file = ca(&r);
    let mut smtp = vec![
        ("skip_login", "false"),
        ("username", USER),
        ("password", password),
        ("smtp_ca_file", ca_file.as_str()),
    ];
    smtp.extend_from_slice(extra);
    configure(&r, &smtp);
    r
}

fn ca(r: &Rig) -> String {
    r.sink
        .ca_file()
        .as_deref()
        .map(Path::display)
        .map(|d| d.to_string())
        .expect("a TLS sink has a CA")
}

fn assert_one_mail(r: &Rig, auth_user: &str, tls: bool) {
    let mails = r.mails();
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Data Collection Updated: 1 New Item"]
    );
    assert_envelope(&mails[0]);
    assert_eq!(mails[0].auth_user, auth_user);
    assert_eq!(mails[0].tls, tls);
}

#[test]
fn plain_with_skip_login() {
    let r = rig(
        SinkOptions {
            log_commands: true,
            ..SinkOptions::plain()
        },
        &[("skip_login", "true")],
    );
    r.run_ok(&["--send-existing"]);
    assert_one_mail(&r, "", false);
    assert!(!r.sink.commands().iter().any(|c| c.starts_with("AUTH")));
}

#[test]
fn auth_over_starttls_and_check_reports_it() {
    let r = logged_in(Mode::StartTls, PASSWORD, &[]);
    let check = r.run_ok(&["--check"]);
    assert!(
        check.contains(&format!(
            "SMTP server 127.0.0.1:{}  ok: connected, TLS (STARTTLS), logged in as {USER}",
            r.sink.port()
        )),
        "{check}"
    );
    assert!(
        check.contains("data collection") && check.contains("\"All Active\" is collection"),
        "{check}"
    );
    assert!(r.mails().is_empty(), "--check sends nothing");
    r.run_ok(&["--send-existing"]);
    assert_one_mail(&r, USER, true);
}

#[test]
fn implicit_tls_with_use_ssl() {
    let r = logged_in(Mode::Smtps, PASSWORD, &[("use_ssl", "true")]);
    r.run_ok(&["--send-existing"]);
    assert_one_mail(&r, USER, true);
}

#[test]
fn a_wrong_password_exits_1_naming_server_and_user_never_the_password() {
    let wrong = "not-the-Pa55word";
    let r = logged_in(Mode::StartTls, wrong, &[]);
    let log_dir = tempfile::tempdir().unwrap();
    let out = r.run(&["--send-existing", "-ll", log_dir.path().to_str().unwrap()]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let server = format!("SMTP server 127.0.0.1:{}", r.sink.port());
    assert!(
        t.contains(&format!("{server} refused the login of user {USER}")),
        "{t}"
    );
    let log = std::fs::read_to_string(log_dir.path().join("tq-email-alerts.log")).unwrap();
    for s in [&t, &log] {
        assert!(!s.contains(wrong) && !s.contains(PASSWORD), "{s}");
    }
    assert!(r.mails().is_empty());
    let check = r.run(&["--check"]);
    let t = text(&check);
    assert_eq!(check.status.code(), Some(1), "{t}");
    assert!(t.contains(&format!("{server}  FAILED:")), "{t}");
    assert!(!t.contains(wrong), "{t}");
}

#[test]
fn require_starttls_refuses_a_server_without_it_before_auth_or_mail() {
    let r = rig(
        SinkOptions {
            log_commands: true,
            ..SinkOptions::with_auth(Mode::Plain, USER, PASSWORD)
        },
        &[
            ("skip_login", "false"),
            ("username", USER),
            ("password", PASSWORD),
        ],
    );
    let out = r.run(&["--send-existing"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("does not offer STARTTLS") && t.contains(USER) && !t.contains(PASSWORD),
        "{t}"
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    let cmds = r.sink.commands();
    assert!(cmds.iter().any(|c| c.starts_with("EHLO")), "{cmds:?}");
    assert!(
        !cmds
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        "{cmds:?}"
    );
    assert!(r.mails().is_empty());
}
