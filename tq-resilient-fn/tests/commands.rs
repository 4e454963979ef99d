//! `customize` against the fake Resilient (asked twice unless -y, everything installed once
//! also when run twice, the user or API key made a member of the destination) and
//! `clear-destination` against the real ActiveMQ (shows the count, asks, acknowledges every
//! waiting message, answers none of them).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Rig, BIN};
use serde_json::Value;
use tq_resilient_fn::{customize, functions, rules};
use tq_testkit::resilient::FakeResilient;
use tq_testkit::rigs::activemq::ActionMessage;

/// An app.config for customize: Resilient only (ThreatQ is not reached).
fn config(dir: &Path, soar: &FakeResilient, login: &str) -> PathBuf {
    let p = dir.join("app.config");
    std::fs::write(
        &p,
        format!(
            "[resilient]\nhost = {}\nport = {}\norg = {}\n{login}\ncafile = {}\n\n\
             [fn_threatq]\nhost = 127.0.0.1:9\ncid = c-0001\nusername = u@example.com\n\
             password = tq-pw-0001\n",
            soar.host(),
            soar.port(),
            soar.org_name(),
            soar.ca_file().display()
        ),
    )
    .unwrap();
    p
}

fn password_login(soar: &FakeResilient) -> String {
    format!("email = {}\npassword = {}", soar.email(), soar.password())
}

fn run(args: &[&str], cfg: &Path, stdin: &str) -> Output {
    let mut c = Command::new(BIN)
        .args(args)
        .arg("--app-config")
        .arg(cfg)
        .env_remove("APP_LOCK_FILE")
        .env("TQ_RETRY_BASE_MS", "10")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tq-resilient-fn");
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    c.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn names(list: Vec<Value>) -> Vec<String> {
    let mut v: Vec<String> = list
        .iter()
        .filter_map(|x| x["name"].as_str().map(str::to_string))
        .collect();
    v.sort();
    v
}

#[test]
fn customize_asks_twice_installs_everything_once_and_joins_the_destination() {
    let soar = FakeResilient::builder().samples(false).start();
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), &soar, &password_login(&soar));
    let rules_before = soar.rules().len();

    // "n" twice: nothing installed.
    let o = run(&["customize"], &cfg, "n\nn\n");
    assert!(o.status.success(), "{}", out(&o));
    let t = out(&o);
    assert_eq!(t.matches("(y/n)").count(), 2, "{t}");
    assert_eq!(soar.imports_applied(), 0);
    assert_eq!(soar.rules().len(), rules_before);

    // "y" twice: everything.
    let o = run(&["customize"], &cfg, "y\ny\n");
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(soar.imports_applied(), 1);
    let mut want: Vec<String> = rules::ALL.iter().map(|r| r.name.to_string()).collect();
    want.sort();
    assert_eq!(names(soar.rules()), want);
    let mut want: Vec<String> = functions::ALL.iter().map(|f| f.name.to_string()).collect();
    want.sort();
    assert_eq!(names(soar.functions()), want);
    for f in customize::all_fields() {
        let defs = soar.fields(f.of.name());
        assert_eq!(
            defs.iter().filter(|d| d["name"] == f.name).count(),
            1,
            "{} {}",
            f.of.name(),
            f.name
        );
    }
    let dest = soar.destination("fn_threatq").expect("destination");
    assert_eq!(dest["users"], serde_json::json!([soar.user_id()]));
    // A menu item's dialog names its activity fields.
    let sync = soar
        .rules()
        .into_iter()
        .find(|r| r["name"] == "ThreatQ: Sync Indicator")
        .unwrap();
    assert_eq!(sync["type"], 0, "automatic");
    let hist = soar
        .rules()
        .into_iter()
        .find(|r| r["name"] == "ThreatQ: Historical Sync")
        .unwrap();
    assert_eq!(hist["type"], 1, "menu item");
    assert_eq!(hist["view_items"].as_array().unwrap().len(), 2);

    // Again with -y: nothing installed twice.
    let o = run(&["customize", "-y"], &cfg, "");
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("Nothing to install"), "{}", out(&o));
    assert!(
        out(&o).contains("member of fn_threatq already"),
        "{}",
        out(&o)
    );
    assert_eq!(soar.imports_applied(), 1);
    assert_eq!(soar.rules().len(), rules::ALL.len() + rules_before);
    assert_eq!(soar.functions().len(), functions::ALL.len());

    // A wrong password: exit 1 naming the user, the server and what to check, not the password.
    let bad = config(
        d.path(),
        &soar,
        &format!("email = {}\npassword = wrong-password-1", soar.email()),
    );
    let o = run(&["customize", "-y"], &bad, "");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let t = out(&o);
    assert!(
        t.contains(&format!("login refused for {} at https://", soar.email()))
            && t.contains("check [resilient] email and password"),
        "{t}"
    );
    assert!(!t.contains("wrong-password-1"), "{t}");
}

#[test]
fn customize_with_an_api_key_completes_a_partial_install_and_adds_the_key() {
    let soar = FakeResilient::builder().samples(false).start();
    // Someone created the destination and one rule by hand.
    soar.add_rule("ThreatQ: Sync Task", "task", false, &["fn_threatq"]);
    let d = tempfile::tempdir().unwrap();
    let login = format!(
        "api_key_id = {}\napi_key_secret = {}",
        soar.api_key_id(),
        soar.api_key_secret()
    );
    let cfg = config(d.path(), &soar, &login);
    let o = run(&["customize", "-y"], &cfg, "");
    assert!(o.status.success(), "{}", out(&o));
    let t = out(&o);
    assert!(t.contains("Installed 9 rule(s)"), "{t}");
    assert!(t.contains("There already: 1 rule(s) of 10"), "{t}");
    assert!(!t.contains(&soar.api_key_secret()), "{t}");
    assert_eq!(soar.rules().len(), rules::ALL.len());
    let dest = soar.destination("fn_threatq").unwrap();
    assert_eq!(dest["api_keys"], serde_json::json!([soar.api_key_handle()]));
    assert_eq!(soar.logins(), 0, "an API key, no session");

    // A wrong key: exit 1 naming the key id, not the secret.
    let bad = config(
        d.path(),
        &soar,
        &format!(
            "api_key_id = {}\napi_key_secret = wrong-secret-1",
            soar.api_key_id()
        ),
    );
    let o = run(&["customize", "-y"], &bad, "");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let t = out(&o);
    assert!(
        t.contains(&format!(
            "login refused for API key {} at https://",
            soar.api_key_id()
        )) && t.contains("check [resilient] api_key_id and api_key_secret"),
        "{t}"
    );
    assert!(!t.contains("wrong-secret-1"), "{t}");
}

#[test]
fn clear_destination_shows_the_count_asks_and_acknowledges_every_waiting_message() {
    let rig = Rig::new();
    let cfg = rig.write_config("a", "");
    let mut soar = rig.soar_side();
    let msgs = ActionMessage::sample_rules("artifact", 700..705);
    soar.send_all(&msgs);
    // "n": counted, nothing acknowledged.
    let o = run(&["clear-destination"], &cfg, "n\n");
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("5 message(s) waiting"), "{}", out(&o));
    assert!(out(&o).contains("Nothing acknowledged"), "{}", out(&o));
    assert_eq!(soar.waiting_actions().len(), 5);
    // -y: all acknowledged, none answered, ThreatQ not called.
    let o = run(&["clear-destination", "-y"], &cfg, "");
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("Acknowledged 5 message(s)"), "{}", out(&o));
    assert!(soar.waiting_actions().is_empty());
    assert!(
        soar.next_reply(Duration::from_millis(500)).is_none(),
        "no replies"
    );
    assert_eq!(rig.tq.request_count(), 0);
    // Empty: says so, asks nothing.
    let o = run(&["clear-destination"], &cfg, "");
    assert!(out(&o).contains("0 message(s) waiting"), "{}", out(&o));
}
