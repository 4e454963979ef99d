//! The tq-sim binary: prints its connection lines, serves the seeded fake, stops on
//! SIGTERM and when stdin closes.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

fn spawn(extra: &[&str]) -> (Child, HashMap<String, Vec<String>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tq-sim"))
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn tq-sim");
    let mut lines: HashMap<String, Vec<String>> = HashMap::new();
    let out = child.stdout.take().unwrap();
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        let (k, v) = line.split_once('=').expect("key=value");
        if k == "ready" {
            break;
        }
        lines.entry(k.to_string()).or_default().push(v.to_string());
    }
    (child, lines)
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "tq-sim did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn seeded_sim_serves_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("tq-sim-test-{}", std::process::id()));
    let (mut child, l) = spawn(&[
        "--seed",
        "--cert-dir",
        dir.to_str().unwrap(),
        "--password",
        "pw-fixed",
    ]);
    let get = |k: &str| l[k][0].clone();
    assert!(get("url").starts_with("https://127.0.0.1:"));
    assert_eq!(get("host"), get("url").trim_start_matches("https://"));
    assert_eq!(get("password"), "pw-fixed");
    let ca = std::fs::read_to_string(get("ca_file")).unwrap();
    let agent = common::agent(&ca);
    let (st, v) = common::json_of(agent.post(format!("{}/api/token", get("url"))).send_json(
        json!({
            "email": get("username"), "password": get("password"),
            "grant_type": "password", "client_id": get("client_id")
        }),
    ));
    assert_eq!(st, 200, "{v}");
    let token = v["access_token"].as_str().unwrap().to_string();
    let (_, v) = common::json_of(
        agent
            .post(format!("{}/api/indicators/query?limit=1", get("url")))
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(json!({})),
    );
    assert!(v["total"].as_u64().unwrap() >= 30, "{v}");
    assert_eq!(l["saved_search"].len(), 2);
    let hash = l["saved_search"][0].split('|').nth(1).unwrap().to_string();
    let (st, v) = common::json_of(
        agent
            .get(format!(
                "{}/api/indicators/query/hash/{hash}?limit=100&cursorMark=*",
                get("url")
            ))
            .header("Authorization", &format!("Bearer {token}"))
            .call(),
    );
    assert_eq!(st, 200);
    assert!(v["total"].as_u64().unwrap() > 20);

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(wait_exit(&mut child).success());
    assert!(dir.join("ca.pem").exists(), "a given --cert-dir is kept");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sim_stops_when_stdin_closes_and_cleans_its_temp_dir() {
    let (mut child, l) = spawn(&[]);
    let ca_file = std::path::PathBuf::from(&l["ca_file"][0]);
    assert!(ca_file.exists());
    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
    assert!(!ca_file.exists(), "temporary cert dir removed");
}
