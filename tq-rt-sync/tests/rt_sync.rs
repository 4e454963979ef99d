//! tq-rt-sync end to end: a real Request Tracker (tq_testkit::rigs::rt) whose scrip runs the
//! real binary as `ThreatQ_Sync_Binary`, FakeThreatQ for ThreatQ, and the cron mode run by
//! the tests. Tickets are made and changed through RT's REST API; the tests check ThreatQ's
//! objects and FakeThreatQ's request log (what each transaction type does, and nothing
//! more), the ticket's written-back fields, RT's log and the binary's own log.
//!
//! One RT and one FakeThreatQ serve the whole binary; the tests run one at a time (they
//! count FakeThreatQ's requests), each with its own tickets, and wait until every sync the
//! scrip started for them has ended (RT's log says so for each transaction).

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tq_rt_sync::rt::{CfValue, LinkType, NewTicket, RtClient, Ticket, TicketUpdate};
use tq_testkit::rigs::rt::{
    Rt, RtOptions, QUEUE_GENERAL, QUEUE_INCIDENTS, QUEUE_REPORTS, ROOT, SYNC_USER,
};
use tq_testkit::server::Fault;
use tq_testkit::threatq::{FakeThreatQ, NewIndicator};

const BIN: &str = env!("CARGO_BIN_EXE_tq-rt-sync");
const STATUS: &str = "Active";

struct Rig {
    rt: Rt,
    tq: FakeThreatQ,
    /// The cron instance's config dir.
    cron: tempfile::TempDir,
}

static RIG: OnceLock<Rig> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

/// One test at a time: they count FakeThreatQ's requests.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn site_config(tq: &FakeThreatQ) -> String {
    format!(
        "Set($ThreatQ_Sync_Binary, '{BIN}');
Set($ThreatQ_Host, '{host}');
Set($ThreatQ_User, '{user}');
Set($ThreatQ_Password, '{pw}');
Set($ThreatQ_CID, '{cid}');
Set($ThreatQ_Status, '{STATUS}');
Set($ThreatQ_Use_SSL, '1');
Set($ThreatQ_CA_File, '{ca}');
Set($RT_User_For_ThreatQ, '{rt_user}');
Set($RT_Password_For_ThreatQ, '{rt_pw}');
Set($RT_Queues_For_ThreatQ, '{QUEUE_INCIDENTS} , {QUEUE_REPORTS}');
Set($ThreatQ_Create_Wait, '0');
",
        host = tq.url(),
        user = tq.username(),
        pw = tq.password(),
        cid = tq.client_id(),
        ca = tq.ca_file().display(),
        rt_user = SYNC_USER.name,
        rt_pw = SYNC_USER.password,
    )
}

fn rig() -> &'static Rig {
    RIG.get_or_init(|| {
        let tq = FakeThreatQ::builder().shuffled_ids(true).start();
        let rt = Rt::start(RtOptions {
            site_config: site_config(&tq),
            ..RtOptions::default()
        });
        eprintln!(
            "RT up in {:.2} s, {} MiB PSS",
            rt.started_in().as_secs_f64(),
            rt.pss_kb() / 1024
        );
        let cron = tempfile::tempdir().expect("cron dir");
        let ini = format!(
            "{}[connector]\nrt_host = {}\nrt_username = {}\nrt_password = {}\n",
            tq.threatq_section(STATUS),
            rt.url(),
            SYNC_USER.name,
            SYNC_USER.password
        );
        let path = cron.path().join("tq-rt-sync.ini");
        std::fs::write(&path, ini).expect("cron ini");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        Rig { rt, tq, cron }
    })
}

fn tq() -> &'static FakeThreatQ {
    &rig().tq
}

fn root() -> RtClient {
    common::rest(&rig().rt.url(), ROOT)
}

fn source() -> String {
    format!("Request Tracker 127.0.0.1:{}", rig().rt.port())
}

fn secrets() -> Vec<String> {
    vec![
        tq().password().to_string(),
        tq().client_id().to_string(),
        SYNC_USER.password.to_string(),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "{what} holds a secret");
    }
    for t in tq().access_tokens() {
        assert!(!text.contains(&t), "{what} holds an access token");
    }
}

fn log_tail() -> String {
    common::log_tail(&rig().rt, 40)
}

/// The result line RT logged for each sync of a ticket's transactions.
fn result_lines(ticket: u64) -> BTreeMap<u64, String> {
    let prefix = format!("ThreatQ: sync of ticket {ticket} (transaction ");
    let mut out = BTreeMap::new();
    for l in rig().rt.log().lines() {
        let Some(rest) = l.split_once(&prefix).map(|(_, r)| r) else {
            continue;
        };
        let Some(txn) = rest.split(',').next().and_then(|t| t.parse::<u64>().ok()) else {
            continue;
        };
        if rest.contains(") finished") || rest.contains(") failed") {
            out.insert(txn, l.to_string());
        }
    }
    out
}

/// Waits (up to 60 s) until every sync the scrip started for these tickets has ended;
/// returns RT's result lines.
fn settle(tickets: &[u64]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut lines = Vec::new();
        let mut missing = Vec::new();
        for t in tickets {
            let done = result_lines(*t);
            for txn in common::syncable_transactions(&root(), *t) {
                match done.get(&txn) {
                    Some(l) => lines.push(l.clone()),
                    None => missing.push((*t, txn)),
                }
            }
        }
        if missing.is_empty() {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "syncs not ended within 60 s: {missing:?}\n{}",
            log_tail()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Settles and checks that every sync succeeded.
fn settle_ok(tickets: &[u64]) {
    for l in settle(tickets) {
        assert!(
            l.contains(") finished"),
            "a sync failed: {l}\n{}",
            log_tail()
        );
    }
}

fn create(ticket: NewTicket) -> u64 {
    let id = root().create_ticket(&ticket).expect("create ticket");
    settle_ok(&[id]);
    id
}

/// The ThreatQ events of a ticket (by its RT Ticket ID), fully embedded.
fn events_of(ticket: u64) -> Vec<Value> {
    tq().objects("events")
        .into_iter()
        .filter(|e| {
            e["attributes"].as_array().is_some_and(|a| {
                a.iter().any(|r| {
                    r["name"] == "RT Ticket ID" && r["value"].as_str() == Some(&*ticket.to_string())
                })
            })
        })
        .collect()
}

fn event_of(ticket: u64) -> Value {
    let mut e = events_of(ticket);
    assert_eq!(e.len(), 1, "ticket {ticket} has {} events", e.len());
    e.remove(0)
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_u64().expect("id")
}

fn attrs(e: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = e["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_string(),
                a["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn names(e: &Value, rel: &str, key: &str) -> Vec<String> {
    let mut v: Vec<String> = e[rel]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x[key].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// FakeThreatQ's requests from `mark` on, as `METHOD /path`, with event ids shown as `{e}`
/// when they are `event`'s.
fn requests_since(mark: usize, event: u64) -> Vec<String> {
    let e = format!("/{event}");
    tq().requests()[mark..]
        .iter()
        .map(|r| {
            let path = r.path.replace(&format!("{e}/"), "/{e}/");
            let path = match path.strip_suffix(&e) {
                Some(p) => format!("{p}/{{e}}"),
                None => path,
            };
            format!("{} {path}", r.method)
        })
        .collect()
}

fn ticket(id: u64) -> Ticket {
    root().ticket(id).expect("ticket")
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn cron(extra: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(["-c", &rig().cron.path().display().to_string(), "-v", "3"])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("run cron");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// RT requests the cron run reported.
fn rt_requests(cron_output: &str) -> u64 {
    cron_output
        .lines()
        .find_map(|l| {
            let i = l.find(" Request Tracker requests")?;
            l[..i].rsplit(' ').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no request count in:\n{cron_output}"))
}

/// Freezes FakeThreatQ's clock for a test; unfreezes it when dropped (even on a panic).
struct FrozenClock;

impl FrozenClock {
    fn at_now() -> FrozenClock {
        tq().freeze_at(&tq().now());
        FrozenClock
    }
}

impl Drop for FrozenClock {
    fn drop(&mut self) {
        tq().unfreeze();
    }
}

const MD5: &str = "44d88612fea8a8f36de82e1278abb02f";
const SHA1: &str = "3395856ce81f2b7382dee72602f798b642f14140";
const SHA256: &str = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

#[test]
fn create_with_every_mapped_field_makes_the_event_and_writes_back() {
    let _s = serial();
    // Known to ThreatQ already, whitelisted: the sync links it and keeps its status.
    tq().add_indicator_with(NewIndicator::new("198.51.100.77", "IP Address").status("Whitelisted"));
    let multi = |v: &[&str]| CfValue::Multi(v.iter().map(|s| s.to_string()).collect());
    let id = create(
        NewTicket::new(QUEUE_INCIDENTS, "Phishing wave")
            .text("first message")
            .cf("IP", multi(&["198.51.100.7", "198.51.100.77"]))
            .cf("FileNames", multi(&["invoice.pdf.exe"]))
            .cf("HASH", multi(&[MD5, SHA1, SHA256]))
            .cf("Domains", multi(&["evil.example"]))
            .cf("Sender", multi(&["bad@evil.example"]))
            .cf("URL", multi(&["http://evil.example/a?b=1,2"]))
            .cf("Threat Actors", multi(&["APT-RT-1", "Spider, Scattered"]))
            .cf("Threat Campaign", CfValue::Single("Operation Inbox".into()))
            .cf("Tags", multi(&["phishing", "wave-7"]))
            .cf("External Ticket Number", CfValue::Single("EXT-4711".into()))
            .cf("Systems Re-Imaged", multi(&["ws-01", "ws-02"]))
            .cf("Threat TTP", multi(&["T1566.001"]))
            .cf(
                "Description",
                CfValue::Single("Mails with\ntwo lines".into()),
            )
            .cf("Resolution", CfValue::Single("Blocked sender".into()))
            .cf("Classification", CfValue::Single("Phishing".into()))
            .cf(
                "ThreatQ Attributes",
                multi(&["Severity: High", "Kill Chain: delivery, exploit"]),
            ),
    );
    let e = event_of(id);
    assert_eq!(e["title"], format!("RT #{id}: Phishing wave"));
    assert_eq!(e["type"]["name"], "Incident");
    assert_eq!(names(&e, "sources", "name"), [source()]);
    let a = attrs(&e);
    let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
    for want in [
        pair("RT Ticket ID", &id.to_string()),
        pair("Status", QUEUE_INCIDENTS),
        pair("External Ticket Number", "EXT-4711"),
        pair("Systems Re-Imaged", "ws-01"),
        pair("Systems Re-Imaged", "ws-02"),
        pair("Threat TTP", "T1566.001"),
        pair("Description", "Mails with\ntwo lines"),
        pair("Resolution", "Blocked sender"),
        pair("Classification", "Phishing"),
        pair("Severity", "High"),
        pair("Kill Chain", "delivery, exploit"),
    ] {
        assert!(a.contains(&want), "{want:?} missing from {a:?}");
    }
    assert_eq!(a.len(), 11, "{a:?}");
    let mut inds: Vec<(String, String, String)> = e["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .map(|i| {
            let full = tq().indicator(id_of(i)).expect("indicator");
            (
                full["value"].as_str().unwrap().to_string(),
                full["type"]["name"].as_str().unwrap().to_string(),
                full["status"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    inds.sort();
    let t = |v: &str, k: &str, s: &str| (v.to_string(), k.to_string(), s.to_string());
    assert_eq!(
        inds,
        sorted_t(vec![
            t("198.51.100.7", "IP Address", STATUS),
            t("198.51.100.77", "IP Address", "Whitelisted"),
            t("invoice.pdf.exe", "Filename", STATUS),
            t(MD5, "MD5", STATUS),
            t(SHA1, "SHA-1", STATUS),
            t(SHA256, "SHA-256", STATUS),
            t("evil.example", "FQDN", STATUS),
            t("bad@evil.example", "Email Address", STATUS),
            t("http://evil.example/a?b=1,2", "URL", STATUS),
        ])
    );
    assert_eq!(
        names(&e, "adversaries", "name"),
        ["APT-RT-1", "Spider, Scattered"]
    );
    assert_eq!(names(&e, "tags", "name"), ["phishing", "wave-7"]);
    let related: Vec<&Value> = e["events"].as_array().expect("events").iter().collect();
    assert_eq!(related.len(), 1);
    let campaign = tq().object("events", id_of(related[0])).expect("campaign");
    assert_eq!(campaign["title"], "Operation Inbox");
    assert_eq!(campaign["type"]["name"], "Campaign");

    // Written back: the event's page and every indicator with its page.
    let t = ticket(id);
    let tq_url = tq().url();
    assert_eq!(
        t.cf("ThreatQ Link"),
        Some(format!("{tq_url}/events/{}/details", id_of(&e)).as_str())
    );
    let ind_field = t.cf_values("ThreatQ Indicators");
    assert_eq!(ind_field.len(), 9, "{ind_field:?}");
    let ip = tq().indicator_by_value("198.51.100.7").expect("ip");
    assert!(ind_field.contains(&format!(
        "IP Address: 198.51.100.7 {tq_url}/indicators/{}/details",
        id_of(&ip)
    )));
    assert_eq!(
        sorted(t.cf_values("ThreatQ Attributes")),
        ["Kill Chain: delivery, exploit", "Severity: High"],
        "already what the event has: not rewritten"
    );
}

fn sorted_t(mut v: Vec<(String, String, String)>) -> Vec<(String, String, String)> {
    v.sort();
    v
}

/// A synced ticket with one IP, a Description, its event id, and FakeThreatQ's request mark.
fn synced_ticket(subject: &str) -> (u64, u64) {
    let id = create(
        NewTicket::new(QUEUE_REPORTS, subject)
            .cf("IP", CfValue::Multi(vec!["203.0.113.5".into()]))
            .cf("Description", CfValue::Single("before".into())),
    );
    (id, id_of(&event_of(id)))
}

#[test]
fn comments_and_correspondence_add_comments_and_nothing_more() {
    let _s = serial();
    let (id, ev) = synced_ticket("comments");
    let mark = tq().requests().len();
    root()
        .comment(id, "internal note\nline two")
        .expect("comment");
    settle_ok(&[id]);
    assert_eq!(
        requests_since(mark, ev),
        [
            "POST /api/token",
            "POST /api/events/query",
            "POST /api/events/{e}/comments"
        ]
    );
    let mark = tq().requests().len();
    root().correspond(id, "a reply").expect("correspond");
    settle_ok(&[id]);
    // RT opens a new ticket on a reply: a Status transaction, whose sync finds the Status
    // attribute right (still the queue's name) and writes nothing.
    let kinds: Vec<String> = root()
        .transactions(id)
        .unwrap()
        .into_iter()
        .filter(|t| t.creator != SYNC_USER.name && t.kind != "EmailRecord")
        .map(|t| t.kind)
        .collect();
    assert_eq!(kinds, ["Create", "Comment", "Correspond", "Status"]);
    assert_eq!(
        sorted(requests_since(mark, ev)),
        [
            "POST /api/events/query",
            "POST /api/events/query",
            "POST /api/events/{e}/comments",
            "POST /api/token",
            "POST /api/token",
        ],
        "two syncs, one comment"
    );
    let comments: Vec<String> = tq().object("events", ev).expect("event")["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(comments.len(), 2, "{comments:?}");
    let note = comments
        .iter()
        .find(|c| c.starts_with("Comment by root"))
        .expect("comment");
    assert!(note.ends_with("internal note\nline two"), "{note}");
    assert!(comments
        .iter()
        .any(|c| c.starts_with("Correspondence by root") && c.ends_with("a reply")));
}

#[test]
fn status_changes_set_the_status_attribute_in_place_and_nothing_more() {
    let _s = serial();
    let (id, ev) = synced_ticket("status");
    let status_rows = || -> Vec<(u64, String)> {
        tq().attributes_of("events", ev)
            .iter()
            .filter(|a| a["name"] == "Status")
            .map(|a| (id_of(a), a["value"].as_str().unwrap().to_string()))
            .collect()
    };
    let before = status_rows();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].1, QUEUE_REPORTS, "else the queue name");
    for (status, want) in [("resolved", "Resolved"), ("rejected", "Rejected")] {
        let mark = tq().requests().len();
        root()
            .edit_ticket(id, &TicketUpdate::new().set("Status", status))
            .expect("status");
        settle_ok(&[id]);
        let row = before[0].0;
        assert_eq!(
            requests_since(mark, ev),
            [
                "POST /api/token".to_string(),
                "POST /api/events/query".into(),
                format!("PUT /api/events/{{e}}/attributes/{row}"),
            ]
        );
        assert_eq!(status_rows(), [(row, want.to_string())], "changed in place");
    }
}

#[test]
fn a_new_link_links_the_two_events_and_nothing_more() {
    let _s = serial();
    let (a, ea) = synced_ticket("link a");
    let (b, eb) = synced_ticket("link b");
    let mark = tq().requests().len();
    root()
        .add_link(a, LinkType::DependsOn, &b.to_string())
        .expect("link");
    settle_ok(&[a, b]);
    let reqs = requests_since(mark, ea);
    let writes: Vec<&String> = reqs
        .iter()
        .filter(|r| !r.starts_with("POST /api/token") && !r.starts_with("POST /api/events/query"))
        .collect();
    assert_eq!(writes.len(), 1, "{reqs:?}");
    assert!(
        writes[0] == "POST /api/events/{e}/events"
            || *writes[0] == format!("POST /api/events/{eb}/events"),
        "{reqs:?}"
    );
    assert_eq!(
        reqs.len(),
        5,
        "two syncs (token, query) and one link: {reqs:?}"
    );
    let linked: Vec<u64> = tq().object("events", ea).unwrap()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(linked, [eb]);
}

#[test]
fn a_custom_field_edit_syncs_the_fields_and_nothing_more() {
    let _s = serial();
    let (id, ev) = synced_ticket("cf edit");
    let mark = tq().requests().len();
    root()
        .edit_ticket(
            id,
            &TicketUpdate::new()
                .set_cf("IP", CfValue::Multi(vec!["203.0.113.6".into()]))
                .set_cf("Description", CfValue::Single("after".into())),
        )
        .expect("edit");
    settle_ok(&[id]);
    let reqs = requests_since(mark, ev);
    for r in &reqs {
        assert!(
            !r.contains("/comments")
                && !r.contains("/tags")
                && !r.contains("{e}/events")
                && !r.starts_with("PUT"),
            "{r} is not a custom-field sync: {reqs:?}"
        );
    }
    let e = tq().object("events", ev).unwrap();
    let values: Vec<String> = e["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(values, ["203.0.113.6"], "the removed value was unlinked");
    assert!(
        tq().indicator_by_value("203.0.113.5").is_some(),
        "unlinked, not deleted"
    );
    let a = attrs(&e);
    assert!(a.contains(&("Description".into(), "after".into())), "{a:?}");
    assert!(
        !a.contains(&("Description".into(), "before".into())),
        "{a:?}"
    );
    let t = ticket(id);
    assert_eq!(t.cf_values("ThreatQ Indicators").len(), 1);
    assert!(t.cf_values("ThreatQ Indicators")[0].starts_with("IP Address: 203.0.113.6 "));
}

#[test]
fn tickets_of_other_queues_are_not_synced() {
    let _s = serial();
    let mark = tq().requests().len();
    let id = root()
        .create_ticket(
            &NewTicket::new(QUEUE_GENERAL, "not synced")
                .cf("IP", CfValue::Multi(vec!["192.0.2.99".into()])),
        )
        .expect("create");
    root().comment(id, "still not").expect("comment");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !rig().rt.log().contains(&format!(
        "ticket {id} is in queue 'General', which RT_Queues_For_ThreatQ does not list"
    )) {
        assert!(Instant::now() < deadline, "{}", log_tail());
        std::thread::sleep(Duration::from_millis(50));
    }
    // A listed ticket's sync after it has come and gone: the scrip had its chance.
    create(NewTicket::new(QUEUE_INCIDENTS, "sentinel"));
    assert!(events_of(id).is_empty());
    assert!(tq().indicator_by_value("192.0.2.99").is_none());
    assert!(result_lines(id).is_empty());
    assert!(tq().requests()[mark..]
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.body).contains("192.0.2.99")));
}

#[test]
fn sync_ticket_shows_the_syncs_output() {
    let _s = serial();
    let (id, ev) = synced_ticket("menu");
    let web = common::Web::login(&rig().rt.url(), ROOT);
    let page = web.get(&format!("/Ticket/ThreatQSync.html?id={id}")).text();
    assert!(page.contains("threatq-sync-ok"), "{page}");
    assert!(
        page.contains(&format!("ticket {id}: ThreatQ event {ev} already in sync")),
        "{page}"
    );
    assert!(
        page.contains("syncing everything with ThreatQ event"),
        "the log lines: {page}"
    );
    assert_no_secret("the Sync Ticket page", &page);
}

#[test]
fn a_field_line_in_a_value_changes_no_other_field() {
    let _s = serial();
    let id = create(
        NewTicket::new(QUEUE_INCIDENTS, "injection")
            .cf(
                "Description",
                CfValue::Single("harmless\nStatus: deleted\nSubject: pwned".into()),
            )
            .cf("ThreatQ Attributes", CfValue::Multi(vec!["Note: x".into()])),
    );
    let t = ticket(id);
    assert_eq!(t.status(), "new");
    assert_eq!(t.subject(), "injection");
    let ev = id_of(&event_of(id));
    // From ThreatQ's side: an attribute whose value holds field lines, written back by cron.
    tq().add_attribute(
        "events",
        ev,
        "Analyst Note",
        "ok\nStatus: deleted\nCF.{ThreatQ Link}: x",
        None,
    );
    let (code, out) = cron(&[]);
    assert_eq!(code, 0, "{out}");
    let t = ticket(id);
    assert_eq!(t.status(), "new", "{out}");
    assert_eq!(t.subject(), "injection");
    assert!(t
        .cf("ThreatQ Link")
        .unwrap()
        .ends_with(&format!("/events/{ev}/details")));
    assert!(
        t.cf_values("ThreatQ Attributes")
            .contains(&"Analyst Note: ok Status: deleted CF.{ThreatQ Link}: x".to_string()),
        "{:?}",
        t.cf_values("ThreatQ Attributes")
    );
}

#[test]
fn cron_writes_back_threatq_context_and_a_run_without_change_sends_one_request() {
    let _s = serial();
    // ThreatQ's clock stands still: every change below is in the second of the last run
    // (touched_at has a resolution of one second), the case a watermark alone would miss.
    let _clock = FrozenClock::at_now();
    let (id, ev) = synced_ticket("cron write-back");
    // Bring the watermark up to now, then change the event in ThreatQ.
    let (code, out) = cron(&[]);
    assert_eq!(code, 0, "{out}");
    tq().add_attribute("events", ev, "Confidence", "High", Some("Analyst"));
    let ind = tq().add_indicator("cron-added.example", "FQDN", "Active");
    tq().link("events", ev, "indicators", ind);
    let (code, out) = cron(&[]);
    assert_eq!(code, 0, "{out}");
    let t = ticket(id);
    assert!(
        t.cf_values("ThreatQ Attributes")
            .contains(&"Confidence: High".to_string()),
        "{out}"
    );
    assert!(t
        .cf_values("ThreatQ Indicators")
        .iter()
        .any(|v| v.starts_with("FQDN: cron-added.example ")));
    let before = root().history(id).expect("history").len();
    let (code, out) = cron(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(rt_requests(&out) <= 1, "{out}");
    assert_eq!(
        root().history(id).expect("history").len(),
        before,
        "nothing written"
    );
    assert_no_secret("the cron log at -v3", &out);
}

#[test]
fn threatq_down_during_a_scrip_sync_is_logged_and_completed_later_without_duplicates() {
    let _s = serial();
    let (id, ev) = synced_ticket("threatq down");
    tq().fail_next(100_000, Fault::Status(503));
    root()
        .comment(id, "written while ThreatQ was down")
        .expect("comment");
    let fresh = root()
        .create_ticket(
            &NewTicket::new(QUEUE_INCIDENTS, "created while down")
                .cf("IP", CfValue::Multi(vec!["198.18.0.9".into()])),
        )
        .expect("create");
    let lines = settle(&[id, fresh]);
    tq().clear_faults();
    let failed: Vec<&String> = lines.iter().filter(|l| l.contains(") failed")).collect();
    assert_eq!(failed.len(), 2, "{lines:?}");
    for l in &failed {
        assert!(l.contains("[error]"), "{l}");
        assert!(
            l.contains("ThreatQ") && l.contains("503"),
            "a clear message: {l}"
        );
    }
    assert!(ticket(id)
        .cf("ThreatQ Link")
        .unwrap()
        .contains("ThreatQ sync pending"));
    assert!(ticket(fresh)
        .cf("ThreatQ Link")
        .unwrap()
        .contains("ThreatQ sync pending"));
    assert!(events_of(fresh).is_empty());

    let (code, out) = cron(&[]);
    assert_eq!(code, 0, "{out}");
    let (code, out2) = cron(&[]);
    assert_eq!(code, 0, "{out2}");
    let comments = tq().object("events", ev).unwrap()["comments"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(comments, 1, "{out}");
    let e = event_of(fresh);
    assert_eq!(names(&e, "indicators", "value"), ["198.18.0.9"]);
    assert!(!ticket(id).cf("ThreatQ Link").unwrap().contains("pending"));
    assert!(!ticket(fresh)
        .cf("ThreatQ Link")
        .unwrap()
        .contains("pending"));

    // The other way to complete one: the Sync Ticket menu.
    tq().fail_next(100_000, Fault::Status(503));
    root()
        .correspond(id, "another while down")
        .expect("correspond");
    settle(&[id]);
    tq().clear_faults();
    assert!(ticket(id).cf("ThreatQ Link").unwrap().contains("pending"));
    let web = common::Web::login(&rig().rt.url(), ROOT);
    let page = web.get(&format!("/Ticket/ThreatQSync.html?id={id}")).text();
    assert!(page.contains("threatq-sync-ok"), "{page}");
    let page = web.get(&format!("/Ticket/ThreatQSync.html?id={id}")).text();
    assert!(page.contains("already in sync"), "{page}");
    let comments = tq().object("events", ev).unwrap()["comments"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(comments, 2);
    assert_eq!(
        tq().objects("indicators")
            .iter()
            .filter(|i| i["value"] == "198.18.0.9")
            .count(),
        1
    );
}

#[test]
fn no_password_in_rts_log_in_ps_during_a_sync_or_in_our_log_at_v3() {
    let _s = serial();
    let (id, _ev) = synced_ticket("secrets");
    // A slow ThreatQ keeps the sync running while ps looks.
    tq().set_latency(Duration::from_millis(400));
    root().comment(id, "slow").expect("comment");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = String::new();
    while Instant::now() < deadline {
        let ps = Command::new("ps")
            .args(["-eo", "args"])
            .output()
            .expect("ps");
        let ps = String::from_utf8_lossy(&ps.stdout).into_owned();
        if ps.contains(&format!("action --ticket {id} ")) {
            seen = ps;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    tq().set_latency(Duration::ZERO);
    settle_ok(&[id]);
    assert!(!seen.is_empty(), "the sync was not seen running");
    assert_no_secret("ps during a sync", &seen);
    assert_no_secret("RT's log", &rig().rt.log());

    // Our own log at -v3 (ThreatQ_Log_Dir), run as the scrip runs it.
    let dir = tempfile::tempdir().expect("log dir");
    let out = action(
        id,
        "Manual",
        &[("ThreatQ_Log_Dir", dir.path().to_str().unwrap())],
        &["-v", "3"],
    );
    assert!(out.status.success(), "{out:?}");
    let log = std::fs::read_to_string(dir.path().join("tq-rt-sync.log")).expect("log file");
    assert!(log.contains("DEBUG"), "{log}");
    assert!(log.contains("already in sync"), "{log}");
    assert_no_secret("tq-rt-sync's log at -v3", &log);
    assert_no_secret("tq-rt-sync's output", &String::from_utf8_lossy(&out.stdout));
}

/// The hand-over the extension writes, for running the action by hand.
fn handover(extra: &[(&str, &str)]) -> String {
    let t = tq();
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("version", "1"),
        ("ThreatQ_Host", &t.url()),
        ("ThreatQ_User", t.username()),
        ("ThreatQ_Password", t.password()),
        ("ThreatQ_CID", t.client_id()),
        ("ThreatQ_Status", STATUS),
        ("ThreatQ_Use_SSL", "1"),
        ("ThreatQ_CA_File", &t.ca_file().display().to_string()),
        ("RT_User_For_ThreatQ", SYNC_USER.name),
        ("RT_Password_For_ThreatQ", SYNC_USER.password),
        ("RT_Queues_For_ThreatQ", "Incidents,Incident Reports"),
        ("WebURL", &format!("{}/", rig().rt.url())),
        ("rtname", "rt.test"),
        ("ThreatQ_Create_Wait", "0"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        m.insert(k.to_string(), json!(v));
    }
    Value::Object(m).to_string()
}

fn spawn_action(
    id: u64,
    kind: &str,
    extra: &[(&str, &str)],
    flags: &[&str],
) -> std::process::Child {
    use std::io::Write as _;
    let mut child = Command::new(BIN)
        .args(flags)
        .args(["action", "--ticket", &id.to_string(), "--type", kind])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn action");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(handover(extra).as_bytes())
        .expect("write settings");
    child
}

fn action(id: u64, kind: &str, extra: &[(&str, &str)], flags: &[&str]) -> std::process::Output {
    spawn_action(id, kind, extra, flags)
        .wait_with_output()
        .expect("action")
}

#[test]
fn concurrent_syncs_of_one_ticket_make_one_event() {
    let _s = serial();
    // A ticket the scrip does not sync (General), synced here by three actions at once,
    // as one web edit starts several syncs of one ticket.
    let id = root()
        .create_ticket(&NewTicket::new(QUEUE_GENERAL, "three at once").cf(
            "IP",
            CfValue::Multi(vec!["198.18.7.1".into(), "198.18.7.2".into()]),
        ))
        .expect("create");
    let extra = [
        ("RT_Queues_For_ThreatQ", "General"),
        ("ThreatQ_Create_Wait", "1"),
    ];
    let t0 = Instant::now();
    let children: Vec<_> = ["Create", "CustomField", "Manual"]
        .iter()
        .map(|k| spawn_action(id, k, &extra, &[]))
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("action");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Each one synced, one after the other (none gave up on the held lock).
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("ticket {id}: ThreatQ event ")),
            "{text}"
        );
    }
    assert!(
        t0.elapsed() >= Duration::from_secs(1),
        "ThreatQ_Create_Wait"
    );
    let e = event_of(id);
    assert_eq!(
        names(&e, "indicators", "value"),
        ["198.18.7.1", "198.18.7.2"]
    );
    assert_eq!(
        tq().objects("indicators")
            .iter()
            .filter(|i| i["value"] == "198.18.7.1")
            .count(),
        1
    );
}

#[test]
fn a_fifty_indicator_ticket_syncs_within_the_request_budget() {
    let _s = serial();
    // A ThreatQ that has had a campaign from RT before (the type exists).
    tq_testkit::clients::threatq(tq())
        .ensure_event_type("Campaign")
        .expect("type");
    let ips: Vec<String> = (1..=30).map(|i| format!("100.64.9.{i}")).collect();
    let domains: Vec<String> = (1..=15)
        .map(|i| format!("host{i}.budget.example"))
        .collect();
    let hashes: Vec<String> = (1..=5).map(|i| format!("{i:032x}")).collect();
    let mark = tq().requests().len();
    let id = create(
        NewTicket::new(QUEUE_INCIDENTS, "fifty")
            .cf("IP", CfValue::Multi(ips))
            .cf("Domains", CfValue::Multi(domains))
            .cf("HASH", CfValue::Multi(hashes))
            .cf("Threat Actors", CfValue::Multi(vec!["Budget Bear".into()]))
            .cf(
                "Threat Campaign",
                CfValue::Single("Operation Budget".into()),
            )
            .cf("Tags", CfValue::Multi(vec!["budget".into()]))
            .cf("Classification", CfValue::Single("Test".into())),
    );
    let ev = id_of(&event_of(id));
    let reqs = requests_since(mark, ev);
    assert!(
        reqs.len() <= 12,
        "{} ThreatQ requests: {reqs:?}",
        reqs.len()
    );
    assert_eq!(event_of(id)["indicators"].as_array().unwrap().len(), 50);
    let log = rig().rt.log();
    let line = log
        .lines()
        .find(|l| l.contains(&format!("ticket {id}: ThreatQ event {ev} created")))
        .unwrap_or_else(|| panic!("no result line\n{}", log_tail()));
    let rt_n: u64 = line
        .find(" Request Tracker requests")
        .and_then(|i| line[..i].rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no RT request count: {line}"));
    assert!(rt_n <= 3, "{line}");
}

#[test]
fn the_action_refuses_bad_settings_naming_the_key() {
    let _s = serial();
    let out = action(1, "Manual", &[("ThreatQ_Use_SSL", "perhaps")], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[RT_SiteConfig] ThreatQ_Use_SSL: \"perhaps\" is not true or false"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args(["action", "--ticket", "1"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing on standard input"));
}

#[test]
fn a_first_cron_run_covers_every_event_with_an_rt_ticket_id() {
    let _s = serial();
    // A ticket the scrip never synced, whose event someone made in ThreatQ, with a
    // related indicator and an attribute.
    let id = root()
        .create_ticket(&NewTicket::new(QUEUE_GENERAL, "made in ThreatQ"))
        .expect("create");
    let ev = tq().add_object(
        "events",
        json!({
            "title": format!("RT #{id}: made in ThreatQ"), "type": "Incident",
            "sources": [{"name": source()}],
            "attributes": [{"name": "RT Ticket ID", "value": id.to_string()},
                           {"name": "Owner Team", "value": "SOC"}],
        }),
    );
    let ind = tq().add_indicator("first-run.example", "FQDN", "Active");
    tq().link("events", ev, "indicators", ind);
    // An event of another RT is left alone.
    let other = root()
        .create_ticket(&NewTicket::new(QUEUE_GENERAL, "another RT's number"))
        .expect("create");
    tq().add_object(
        "events",
        json!({
            "title": "RT #x: elsewhere", "type": "Incident",
            "sources": [{"name": "Request Tracker rt.elsewhere.example"}],
            "attributes": [{"name": "RT Ticket ID", "value": other.to_string()}],
        }),
    );
    let fresh = tempfile::tempdir().expect("dir");
    std::fs::copy(
        rig().cron.path().join("tq-rt-sync.ini"),
        fresh.path().join("first.ini"),
    )
    .expect("copy ini");
    let out = Command::new(BIN)
        .args([
            "-c",
            &fresh.path().display().to_string(),
            "-n",
            "first",
            "-v",
            "2",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("cron");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = ticket(id);
    assert_eq!(
        t.cf("ThreatQ Link"),
        Some(format!("{}/events/{ev}/details", tq().url()).as_str()),
        "{text}"
    );
    assert_eq!(t.cf_values("ThreatQ Attributes"), ["Owner Team: SOC"]);
    assert!(t.cf_values("ThreatQ Indicators")[0].starts_with("FQDN: first-run.example "));
    assert_eq!(
        ticket(other).cf("ThreatQ Link"),
        Some(""),
        "another RT's event"
    );
}

#[test]
fn a_create_action_waits_for_a_ticket_rt_has_not_committed_yet() {
    let _s = serial();
    // RT runs the scrip before it commits the new ticket, so the action may ask for a
    // ticket the REST API does not show yet ("Ticket N does not exist."). Here the action
    // starts for the next ticket id a moment before that ticket is made.
    let before = root()
        .create_ticket(&NewTicket::new(QUEUE_GENERAL, "the id before"))
        .expect("create");
    let extra = [("RT_Queues_For_ThreatQ", "General")];
    let child = spawn_action(before + 1, "Create", &extra, &["-ll", "stdout", "-v", "2"]);
    std::thread::sleep(Duration::from_millis(1500));
    let id = root()
        .create_ticket(
            &NewTicket::new(QUEUE_GENERAL, "committed late")
                .cf("IP", CfValue::Multi(vec!["198.18.9.1".into()])),
        )
        .expect("create");
    assert_eq!(
        id,
        before + 1,
        "nothing else makes tickets while tests run serially"
    );
    let out = child.wait_with_output().expect("action");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("not visible through the REST API yet"),
        "{text}"
    );
    assert_eq!(names(&event_of(id), "indicators", "value"), ["198.18.9.1"]);
}
