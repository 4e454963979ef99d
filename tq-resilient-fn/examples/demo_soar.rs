//! The SOAR side of scripts/demo's tq-resilient-fn part (scripts/demo.d/resilient.sh): starts
//! a real ActiveMQ (STOMP over TLS) and the fake Resilient REST API, writes an app.config
//! pointing at them and at the demo's simulated ThreatQ, runs `tq-resilient-fn customize`,
//! `--check` and `run`, puts a few action messages on the fn_threatq destination as SOAR
//! would, prints the replies, stops the service, and stops the broker.
//!
//!     demo_soar BIN_DIR WORK_DIR      (ThreatQ from TQ_URL, TQ_CLIENT_ID, TQ_USERNAME,
//!                                      TQ_PASSWORD, TQ_CA_FILE)

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_testkit::resilient::{samples, FakeResilient};
use tq_testkit::rigs::activemq::{ActionMessage, ActiveMq, ActiveMqOptions, Destination};

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"))
}

fn show(cmd: &mut Command, shown: &str) {
    println!("$ {shown}");
    let out = cmd.output().expect("run tq-resilient-fn");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    print!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        println!("(exit status {})", out.status);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = PathBuf::from(args.get(1).expect("BIN_DIR")).join("tq-resilient-fn");
    let work = PathBuf::from(args.get(2).expect("WORK_DIR"));
    std::fs::create_dir_all(&work).expect("work dir");

    println!("starting ActiveMQ (STOMP over TLS, as SOAR's message broker) and a fake Resilient REST API...");
    let broker = ActiveMq::start(ActiveMqOptions::default());
    let soar = FakeResilient::builder().password(broker.password()).start();
    let dest = Destination::new("fn_threatq");
    println!(
        "Resilient (simulated): https://{}:{}, org \"{}\" (id {}), user {}; broker: STOMP+TLS on {}:{}",
        soar.host(),
        soar.port(),
        soar.org_name(),
        soar.org_id(),
        soar.email(),
        broker.host(),
        broker.tls_port()
    );

    let cfg = work.join("app.config");
    std::fs::write(
        &cfg,
        format!(
            "[resilient]\nhost = {}\nport = {}\norg = {}\nemail = {}\npassword = {}\ncafile = {}\n\
             stomp_port = {}\nstomp_cafile = {}\nlogdir = {}\n\n\
             [fn_threatq]\nhost = {}\ncid = {}\nusername = {}\npassword = {}\nca_file = {}\n\
             custom_objects = threat_actor=adversaries\n",
            soar.host(),
            soar.port(),
            soar.org_name(),
            soar.email(),
            soar.password(),
            soar.ca_file().display(),
            broker.tls_port(),
            broker.ca_file().display(),
            work.display(),
            env("TQ_URL"),
            env("TQ_CLIENT_ID"),
            env("TQ_USERNAME"),
            env("TQ_PASSWORD"),
            env("TQ_CA_FILE"),
        ),
    )
    .expect("write app.config");
    let mut perm = std::fs::metadata(&cfg).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o600);
    std::fs::set_permissions(&cfg, perm).expect("chmod");
    println!(
        "app.config: [resilient] as resilient-circuits reads it, [fn_threatq] as \
         `tq-resilient-fn config` prints it ({})",
        cfg.display()
    );

    let with_cfg = |c: &mut Command| {
        c.arg("--app-config").arg(&cfg).env_remove("APP_LOCK_FILE");
    };
    let mut c = Command::new(&bin);
    c.args(["customize", "-y"]);
    with_cfg(&mut c);
    show(
        &mut c,
        "tq-resilient-fn customize -y --app-config app.config",
    );
    let mut c = Command::new(&bin);
    c.arg("--check");
    with_cfg(&mut c);
    show(&mut c, "tq-resilient-fn --check --app-config app.config");

    println!(
        "$ tq-resilient-fn run --app-config app.config -ll {} -v 2 &",
        work.display()
    );
    let log = work.join("tq-resilient-fn.log");
    let mut c = Command::new(&bin);
    c.arg("run");
    with_cfg(&mut c);
    let mut svc = c
        .arg("-ll")
        .arg(&work)
        .args(["-v", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tq-resilient-fn");
    let t0 = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("listening:")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the service did not subscribe"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // The rule ids Resilient gave the rules customize installed.
    let id_of = |name: &str| -> u64 {
        soar.rules()
            .iter()
            .find(|r| r["name"] == name)
            .and_then(|r| r["id"].as_u64())
            .unwrap_or_else(|| panic!("customize did not install {name}"))
    };
    let rule = |kind: &str, name: &str, inv: u64, edit: &dyn Fn(&mut Value)| {
        let mut v = samples::action(kind);
        v["action_id"] = json!(id_of(name));
        edit(&mut v);
        (
            format!("{name} on the {kind}"),
            ActionMessage::rule(&v, inv),
        )
    };
    let dns = soar.add_artifact(2095, "DNS Name", "evil.example.com");
    let msgs = vec![
        rule("incident", "ThreatQ: Sync Incident", 1, &|v| {
            v["properties"] = json!({});
            v["incident"]["properties"]["threat_actor"] = json!("APT 29");
        }),
        rule("artifact", "ThreatQ: Sync Indicator", 2, &|_| {}),
        rule("note", "ThreatQ: Sync Comment", 3, &|v| {
            v["note"]["text"] = json!("<p>Blocked at the <b>proxy</b> &amp; the mail gateway</p>");
        }),
        rule("artifact", "ThreatQ: Mark as False Positive", 4, &|v| {
            v["artifact"]["id"] = json!(dns);
            v["artifact"]["type"] = json!(2);
            v["artifact"]["value"] = json!("evil.example.com");
            v["type_info"]["artifact"]["fields"]["type"]["values"]["2"] =
                json!({"value": 2, "label": "DNS Name"});
            v["properties"]["threatq_remove_artifact"] = json!(11);
            v["type_info"]["actioninvocation"]["fields"]["threatq_remove_artifact"] =
                json!({"values": {"11": {"value": 11, "label": "No"}}});
        }),
        (
            "the function threatq_add_indicator".to_string(),
            ActionMessage::function(
                &json!({
                    "function": {"id": 3, "name": "threatq_add_indicator"},
                    "inputs": {"threatq_indicator_value": "44d88612fea8a8f36de82e1278abb02f",
                               "threatq_indicator_status": {"id": 1, "name": "Active"}},
                    "workflow_instance": {"workflow_instance_id": 80}
                }),
                5,
            ),
        ),
    ];
    let mut side = broker.soar(&dest);
    let ms: Vec<ActionMessage> = msgs.iter().map(|(_, m)| m.clone()).collect();
    println!(
        "\nSOAR puts {} action messages on actions.201.fn_threatq:",
        ms.len()
    );
    side.send_all(&ms);
    let ids: Vec<&str> = ms.iter().map(|m| m.correlation_id()).collect();
    let replies = side.collect(&ids, Duration::from_secs(60));
    for (what, m) in &msgs {
        let id = m.correlation_id();
        println!("\n{id}  {what}");
        for r in replies.all(id) {
            let kind = if r.complete() {
                if r.message_type() == 0 {
                    "final"
                } else {
                    "ERROR"
                }
            } else {
                "interim"
            };
            println!("  {kind:>7}: {}", r.message().replace('\n', " "));
            if !r.json["results"].is_null() {
                println!("  results: {}", r.json["results"]);
            }
        }
    }
    println!(
        "\nIn Resilient: incident 2095 now names its ThreatQ event (threatq_event_id = {}).",
        soar.incident(2095)
            .map(|i| i["properties"]["threatq_event_id"].clone())
            .unwrap_or(Value::Null)
    );
    println!(
        "$ kill -TERM {}   # the service finishes what it holds and exits 0",
        svc.id()
    );
    let _ = Command::new("kill")
        .args(["-TERM", &svc.id().to_string()])
        .status();
    let status = svc.wait().expect("wait");
    println!("({status})\n--- the service's log ---");
    print!("{}", std::fs::read_to_string(&log).unwrap_or_default());
    drop(side);
    stop(&work);
}

/// Nothing to undo but the files (the broker and the fake stop when dropped).
fn stop(work: &Path) {
    let _ = std::fs::remove_file(work.join("app.config"));
}
