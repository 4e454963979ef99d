//! The tq-sim binary: prints its connection lines, serves the seeded fake, stops on
//! SIGTERM and when stdin closes.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tq_testkit::files::assert_files_in;

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
    assert_eq!(l["saved_search"].len(), 3);
    assert_eq!(get("watcher"), "Ann Analyst <ann.analyst@example.com>");
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

/// `--seed` then SIGUSR1: the seeded changes of the e-mail alerts demo, once.
#[test]
fn sigusr1_makes_the_seeded_changes_once() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tq-sim"))
        .args(["--seed", "--ignore-stdin"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn tq-sim");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut lines: HashMap<String, String> = HashMap::new();
    for line in out.by_ref() {
        let line = line.unwrap();
        let (k, v) = line.split_once('=').expect("key=value");
        if k == "ready" {
            break;
        }
        lines.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    let url = lines["url"].clone();
    let agent = common::agent(&std::fs::read_to_string(&lines["ca_file"]).unwrap());
    let (_, v) = common::json_of(agent.post(format!("{url}/api/token")).send_json(json!({
        "email": lines["username"], "password": lines["password"],
        "grant_type": "password", "client_id": lines["client_id"]
    })));
    let auth = format!("Bearer {}", v["access_token"].as_str().unwrap());
    let fqdns = || {
        let (_, v) = common::json_of(
            agent
                .post(format!("{url}/api/indicators/query?limit=1"))
                .header("Authorization", &auth)
                .send_json(json!({"filters": {"type_name": "FQDN"}})),
        );
        v["total"].as_u64().unwrap()
    };
    let before = fqdns();
    let usr1 = |pid: u32| {
        assert!(Command::new("kill")
            .args(["-USR1", &pid.to_string()])
            .status()
            .unwrap()
            .success())
    };
    usr1(child.id());
    assert_eq!(out.next().unwrap().unwrap(), "changes=6");
    assert_eq!(fqdns(), before + 3);
    usr1(child.id());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(fqdns(), before + 3, "once");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(wait_exit(&mut child).success());
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

/// `--with-dxl`: a mosquitto that takes the listener's client certificate, the two OpenDXL
/// directories and the publisher's spec; the broker goes when tq-sim stops.
#[test]
fn with_dxl_starts_a_broker_for_the_written_client_directories() {
    let dir = tq_testkit::rigs::TempDir::new("tq-sim-dxl");
    let (mut child, l) = spawn(&["--with-dxl", dir.path().to_str().unwrap()]);
    let get = |k: &str| {
        l.get(k)
            .map(|v| v[0].clone())
            .unwrap_or_else(|| panic!("{k} missing"))
    };
    let port: u16 = get("dxl_port").parse().unwrap();
    let cert_dir = std::path::PathBuf::from(get("dxl_cert_dir"));
    assert_files_in(
        &cert_dir,
        &[
            "dxlclient.config",
            "ca-bundle.crt",
            "client.crt",
            "client.key",
        ],
    );
    let config = std::fs::read_to_string(cert_dir.join("dxlclient.config")).unwrap();
    assert!(
        config.contains(&format!(";{port};localhost;127.0.0.1")),
        "{config}"
    );
    assert!(std::path::Path::new(&get("dxl_publisher_config")).exists());
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(get("dxl_publish_spec")).unwrap()).unwrap();
    assert_eq!(spec["topic"], "/mcafee/event/tie/file/repchange/broadcast");
    assert_eq!(spec["payloads"].as_array().map(Vec::len), Some(2));
    // The broker answers TLS with a certificate of the same CA, and asks for ours.
    let ca = std::fs::read_to_string(cert_dir.join("ca-bundle.crt")).unwrap();
    let cert = std::fs::read(cert_dir.join("client.crt")).unwrap();
    let key = std::fs::read(cert_dir.join("client.key")).unwrap();
    let connector = native_tls::TlsConnector::builder()
        .add_root_certificate(native_tls::Certificate::from_pem(ca.as_bytes()).unwrap())
        .identity(native_tls::Identity::from_pkcs8(&cert, &key).unwrap())
        .build()
        .unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).expect("broker listening");
    connector
        .connect("localhost", tcp)
        .expect("TLS with the client certificate");

    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the broker outlived tq-sim"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
