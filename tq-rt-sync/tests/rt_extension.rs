//! RT::Extension::ThreatQ in a real Request Tracker, with a recording stand-in for
//! tq-rt-sync as `ThreatQ_Sync_Binary` (rt_sync.rs runs the real binary). The stand-in
//! records its argv, environment, standard input and the `ps` listing of the machine while it
//! runs, so the tests see exactly what the extension hands over: which transactions start a
//! sync and with which arguments, that the settings (passwords included) arrive on standard
//! input and nowhere else, the queue filter, the skip of RT_User_For_ThreatQ's own
//! transactions, the Sync Ticket page (success and failure), and Edit ThreatQ Config for
//! super users only.
//!
//! One RT serves every test (started by the first, stopped when the binary exits); each test
//! makes its own tickets. The stand-in's behaviour per ticket is set by a control file.

mod common;

use common::Web;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{OnceLock, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tq_rt_sync::rt::{CfValue, LinkType, NewTicket, RtClient, TicketUpdate};
use tq_testkit::rigs::rt::{
    Rt, RtOptions, RtUser, ALICE, AUDITOR, QUEUE_GENERAL, QUEUE_INCIDENTS, QUEUE_REPORTS, ROOT,
    RTNAME, SYNC_USER,
};

const TQ_PASSWORD: &str = "tq-pw-Secret-8812";
const TQ_CID: &str = "cid-Secret-4471";
const SECRETS: [&str; 3] = [TQ_PASSWORD, TQ_CID, SYNC_USER.password];

/// The stand-in for tq-rt-sync: records one JSON file per run in `calls/` beside itself;
/// `control/<ticket>` may say `fail` and/or `sleep <seconds>`.
const STAND_IN: &str = r#"#!/usr/bin/perl
use strict; use warnings; use JSON::PP; use File::Basename qw(dirname);
my $dir = dirname($0);
my $stdin = do { local $/; <STDIN> };
my %arg; for (my $i = 0; $i < @ARGV; $i++) { $arg{$1} = $ARGV[$i + 1] if $ARGV[$i] =~ /^--(\w+)$/ }
my $ticket = $arg{ticket} // 'none';
my $control = '';
if (open my $c, '<', "$dir/control/$ticket") { local $/; $control = <$c>; }
my $ps = `ps -eo args`;
my $rec = { argv => \@ARGV, env => \%ENV, stdin => $stdin, ps => $ps, pid => $$, started => time };
my $name = "$dir/calls/$ticket-" . ($arg{transaction} // 'manual') . "-$$.json";
open my $f, '>', "$name.tmp" or die "$name.tmp: $!";
print $f JSON::PP->new->canonical->encode($rec); close $f; rename "$name.tmp", $name;
sleep $1 if $control =~ /sleep (\d+)/;
print STDERR "stand-in: reading ticket $ticket <from RT>\n";
if ($control =~ /fail/) { print "stand-in: ThreatQ is down\n"; exit 1 }
print "stand-in: synced ticket $ticket\n";
exit 0;
"#;

struct Rig {
    rt: Rt,
}

static RIG: OnceLock<Rig> = OnceLock::new();

/// Tests that depend on the extension's settings hold it for reading; the one that saves
/// settings through Edit ThreatQ Config holds it for writing.
static SETTINGS: RwLock<()> = RwLock::new(());

fn settings_shared() -> RwLockReadGuard<'static, ()> {
    SETTINGS.read().unwrap_or_else(|e| e.into_inner())
}

fn site_config() -> String {
    format!(
        "Set($ThreatQ_Sync_Binary, \"$RT::VarPath/standin/tq-rt-sync\");
Set($ThreatQ_Host, 'tq.test');
Set($ThreatQ_User, 'analyst@tq.test');
Set($ThreatQ_Password, '{TQ_PASSWORD}');
Set($ThreatQ_CID, '{TQ_CID}');
Set($ThreatQ_Status, 'Review');
Set($ThreatQ_Use_SSL, '0');
Set($RT_User_For_ThreatQ, '{}');
Set($RT_Password_For_ThreatQ, '{}');
Set($RT_Queues_For_ThreatQ, '{QUEUE_INCIDENTS} , {QUEUE_REPORTS}');
Set($ThreatQ_Create_Wait, '0');
",
        SYNC_USER.name, SYNC_USER.password
    )
}

fn rig() -> &'static Rig {
    RIG.get_or_init(|| {
        let rt = Rt::start(RtOptions {
            site_config: site_config(),
            ..RtOptions::default()
        });
        let dir = standin_dir(&rt);
        std::fs::create_dir_all(dir.join("calls")).expect("calls dir");
        std::fs::create_dir_all(dir.join("control")).expect("control dir");
        let bin = dir.join("tq-rt-sync");
        std::fs::write(&bin, STAND_IN).expect("write stand-in");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        eprintln!(
            "RT up in {:.2} s, {} MiB PSS",
            rt.started_in().as_secs_f64(),
            rt.pss_kb() / 1024
        );
        Rig { rt }
    })
}

fn standin_dir(rt: &Rt) -> PathBuf {
    rt.dir().join("var").join("standin")
}

fn rest(user: RtUser) -> RtClient {
    common::rest(&rig().rt.url(), user)
}

/// One recorded run of the stand-in.
#[derive(Debug, Clone)]
struct Call {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    stdin: String,
    ps: String,
}

impl Call {
    fn arg(&self, flag: &str) -> Option<&str> {
        let i = self.argv.iter().position(|a| a == flag)?;
        self.argv.get(i + 1).map(String::as_str)
    }

    fn ticket(&self) -> Option<u64> {
        self.arg("--ticket")?.parse().ok()
    }

    fn transaction(&self) -> Option<u64> {
        self.arg("--transaction")?.parse().ok()
    }

    fn kind(&self) -> &str {
        self.arg("--type").unwrap_or("")
    }

    fn settings(&self) -> Value {
        serde_json::from_str(&self.stdin)
            .unwrap_or_else(|e| panic!("stdin is not JSON ({e}): {:?}", self.stdin))
    }
}

fn calls(ticket: u64) -> Vec<Call> {
    let dir = standin_dir(&rig().rt).join("calls");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("calls dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&format!("{ticket}-")) || !name.ends_with(".json") {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(e.path()).expect("read call"))
            .expect("call JSON");
        out.push(Call {
            argv: v["argv"]
                .as_array()
                .expect("argv")
                .iter()
                .map(|a| a.as_str().unwrap_or("").to_string())
                .collect(),
            env: v["env"]
                .as_object()
                .expect("env")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect(),
            stdin: v["stdin"].as_str().unwrap_or("").to_string(),
            ps: v["ps"].as_str().unwrap_or("").to_string(),
        });
    }
    out
}

/// Waits (up to 20 s) until the stand-in ran for `ticket` with `kind`.
fn wait_call(ticket: u64, kind: &str) -> Call {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(c) = calls(ticket)
            .into_iter()
            .find(|c| c.kind() == kind && c.ticket() == Some(ticket))
        {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} sync of ticket {ticket} within 20 s; calls: {:?}\nRT log tail:\n{}",
            calls(ticket)
                .iter()
                .map(|c| c.argv.join(" "))
                .collect::<Vec<_>>(),
            log_tail()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits (up to 20 s) until RT's log holds a line with every one of `parts`; returns it.
fn wait_log(parts: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(l) = rig()
            .rt
            .log()
            .lines()
            .find(|l| parts.iter().all(|p| l.contains(p)))
        {
            return l.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no RT log line with {parts:?}\n{}",
            log_tail()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn log_tail() -> String {
    common::log_tail(&rig().rt, 30)
}

fn control(ticket: u64, what: &str) {
    std::fs::write(
        standin_dir(&rig().rt)
            .join("control")
            .join(ticket.to_string()),
        what,
    )
    .expect("control");
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} holds a secret ({s})");
    }
}

#[test]
fn create_runs_the_action_with_settings_on_stdin_only() {
    let _s = settings_shared();
    let root = rest(ROOT);
    let id = root
        .create_ticket(
            &NewTicket::new(QUEUE_INCIDENTS, "create")
                .cf("IP", CfValue::Multi(vec!["10.1.1.1".into()])),
        )
        .expect("create");
    let call = wait_call(id, "Create");
    let create_txn = root
        .transactions(id)
        .expect("transactions")
        .into_iter()
        .find(|t| t.kind == "Create")
        .expect("create transaction")
        .id;
    assert_eq!(
        call.argv,
        [
            "action",
            "--ticket",
            &id.to_string(),
            "--transaction",
            &create_txn.to_string(),
            "--type",
            "Create"
        ]
    );
    let s = call.settings();
    assert_eq!(s["version"], 1);
    assert_eq!(s["ThreatQ_Password"], TQ_PASSWORD);
    assert_eq!(s["ThreatQ_CID"], TQ_CID);
    assert_eq!(s["RT_Password_For_ThreatQ"], SYNC_USER.password);
    assert_eq!(s["RT_User_For_ThreatQ"], SYNC_USER.name);
    assert_eq!(s["ThreatQ_Host"], "tq.test");
    assert_eq!(s["ThreatQ_User"], "analyst@tq.test");
    assert_eq!(s["ThreatQ_Status"], "Review");
    assert_eq!(s["ThreatQ_Use_SSL"], "0");
    assert_eq!(s["ThreatQ_Create_Wait"], "0");
    assert_eq!(s["WebURL"], format!("{}/", rig().rt.url()));
    assert_eq!(s["rtname"], RTNAME);
    assert!(s.get("ThreatQ_Sync_Binary").is_none());
    // Nowhere else: not in argv, not in the environment, not in any process's command line
    // while the sync ran.
    assert_no_secret("argv", &call.argv.join(" "));
    for (k, v) in &call.env {
        assert_no_secret(&format!("environment variable {k}"), v);
    }
    assert!(
        call.ps.contains(&format!("action --ticket {id}")),
        "ps listing misses the sync:\n{}",
        call.ps
    );
    assert_no_secret("ps listing during the sync", &call.ps);
    // RT's log shows the command, without secrets, and the output at debug level.
    let line = wait_log(&[
        "ThreatQ: Executing - ",
        &format!("action --ticket {id} --transaction {create_txn} --type Create"),
    ]);
    assert!(line.contains("[debug]"), "{line}");
    let done = wait_log(&[
        &format!("sync of ticket {id} (transaction {create_txn}, Create) finished"),
        "stand-in: synced ticket",
    ]);
    assert!(done.contains("[debug]"), "{done}");
    assert_no_secret("RT's log", &rig().rt.log());
}

#[test]
fn each_transaction_starts_one_sync_of_its_type() {
    let _s = settings_shared();
    let root = rest(ROOT);
    let a = root
        .create_ticket(&NewTicket::new(QUEUE_REPORTS, "types a"))
        .expect("create a");
    let b = root
        .create_ticket(&NewTicket::new(QUEUE_INCIDENTS, "types b"))
        .expect("create b");
    root.comment(a, "a comment").expect("comment");
    wait_call(a, "Comment");
    root.correspond(a, "a reply").expect("correspond");
    wait_call(a, "Correspond");
    root.edit_ticket(
        a,
        &TicketUpdate::new().set_cf("Description", CfValue::Single("changed".into())),
    )
    .expect("cf");
    wait_call(a, "CustomField");
    root.edit_ticket(a, &TicketUpdate::new().set("Status", "resolved"))
        .expect("status");
    wait_call(a, "Status");
    root.add_link(a, LinkType::RefersTo, &b.to_string())
        .expect("link");
    wait_call(a, "AddLink");
    wait_call(b, "AddLink");
    root.edit_ticket(a, &TicketUpdate::new().set("Subject", "types a, renamed"))
        .expect("subject");
    wait_call(a, "Set");

    // Exactly one sync per transaction, and none for the mail records RT adds.
    std::thread::sleep(Duration::from_millis(500));
    let want: BTreeSet<u64> = common::syncable_transactions(&root, a)
        .into_iter()
        .collect();
    let got: Vec<u64> = calls(a).iter().filter_map(Call::transaction).collect();
    let got_set: BTreeSet<u64> = got.iter().copied().collect();
    assert_eq!(
        got.len(),
        got_set.len(),
        "a transaction was synced twice: {got:?}"
    );
    assert_eq!(
        got_set, want,
        "synced transactions differ from the ticket's"
    );
    let kinds: BTreeSet<String> = calls(a).iter().map(|c| c.kind().to_string()).collect();
    for k in [
        "Create",
        "Comment",
        "Correspond",
        "CustomField",
        "Status",
        "AddLink",
        "Set",
    ] {
        assert!(kinds.contains(k), "{k} missing from {kinds:?}");
    }
}

#[test]
fn tickets_of_other_queues_are_not_synced() {
    let _s = settings_shared();
    let root = rest(ROOT);
    let other = root
        .create_ticket(&NewTicket::new(QUEUE_GENERAL, "not synced"))
        .expect("create");
    root.comment(other, "still not synced").expect("comment");
    wait_log(&[&format!(
        "ticket {other} is in queue 'General', which RT_Queues_For_ThreatQ does not list"
    )]);
    // A later sync of a listed queue's ticket has run: the scrip had its chance.
    let later = root
        .create_ticket(&NewTicket::new(QUEUE_REPORTS, "sentinel"))
        .expect("create");
    wait_call(later, "Create");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        calls(other).is_empty(),
        "ticket {other} of General was synced"
    );
}

#[test]
fn the_sync_users_own_transactions_are_not_synced() {
    let _s = settings_shared();
    let sync = rest(SYNC_USER);
    let root = rest(ROOT);
    let own = sync
        .create_ticket(&NewTicket::new(QUEUE_INCIDENTS, "made by the sync user"))
        .expect("create");
    let id = root
        .create_ticket(&NewTicket::new(QUEUE_INCIDENTS, "made by root"))
        .expect("create");
    wait_call(id, "Create");
    sync.comment(id, "written back by the sync")
        .expect("comment");
    sync.edit_ticket(
        id,
        &TicketUpdate::new().set_cf(
            "ThreatQ Link",
            CfValue::Single("https://tq.test/events/1/details".into()),
        ),
    )
    .expect("cf");
    wait_log(&["was made by RT_User_For_ThreatQ (threatq); not synced"]);
    root.comment(id, "a person's comment").expect("comment");
    wait_call(id, "Comment");
    std::thread::sleep(Duration::from_millis(300));
    let kinds: Vec<String> = calls(id).iter().map(|c| c.kind().to_string()).collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "Comment").count(),
        1,
        "{kinds:?}"
    );
    assert!(!kinds.iter().any(|k| k == "CustomField"), "{kinds:?}");
    assert!(
        calls(own).is_empty(),
        "the sync user's own ticket was synced"
    );
}

#[test]
fn the_scrip_does_not_wait_for_the_sync_and_logs_failures() {
    let _s = settings_shared();
    let root = rest(ROOT);
    let id = root
        .create_ticket(&NewTicket::new(QUEUE_INCIDENTS, "slow and failing"))
        .expect("create");
    wait_call(id, "Create");
    control(id, "sleep 3 fail");
    let t0 = Instant::now();
    root.comment(id, "this sync fails").expect("comment");
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the comment waited {took:?} for the sync"
    );
    let call = wait_call(id, "Comment");
    let txn = call.transaction().expect("transaction");
    let line = wait_log(&[&format!(
        "sync of ticket {id} (transaction {txn}, Comment) failed (exit status 1)"
    )]);
    assert!(line.contains("[error]"), "{line}");
    assert!(line.contains("stand-in: ThreatQ is down"), "{line}");
    assert!(t0.elapsed() >= Duration::from_secs(3));
}

#[test]
fn sync_ticket_menu_runs_the_sync_and_shows_its_output() {
    let _s = settings_shared();
    let root = rest(ROOT);
    let id = root
        .create_ticket(&NewTicket::new(QUEUE_REPORTS, "menu"))
        .expect("create");
    let web = Web::login(&rig().rt.url(), ROOT);
    let page = web.get(&format!("/Ticket/Display.html?id={id}")).text();
    assert!(
        page.contains(&format!(
            "href=\"/Ticket/ThreatQSync.html?id={id}\">Sync Ticket</a>"
        )),
        "no Ticket > ThreatQ > Sync Ticket menu"
    );
    let page = web.get(&format!("/Ticket/ThreatQSync.html?id={id}")).text();
    assert!(page.contains("threatq-sync-ok"), "{page}");
    assert!(
        page.contains(&format!("stand-in: synced ticket {id}")),
        "output missing"
    );
    assert!(page.contains("&lt;from RT&gt;"), "output not HTML-escaped");
    let call = wait_call(id, "Manual");
    assert_eq!(
        call.argv,
        ["action", "--ticket", &id.to_string(), "--type", "Manual"]
    );
    assert_eq!(call.settings()["ThreatQ_Password"], TQ_PASSWORD);

    control(id, "fail");
    let page = web.get(&format!("/Ticket/ThreatQSync.html?id={id}")).text();
    assert!(page.contains("threatq-sync-failed"), "{page}");
    assert!(
        page.contains("exit status 1") && page.contains("stand-in: ThreatQ is down"),
        "{page}"
    );
    wait_log(&[
        &format!("sync of ticket {id} (Sync Ticket) failed (exit status 1)"),
        "[error]",
    ]);

    let other = root
        .create_ticket(&NewTicket::new(QUEUE_GENERAL, "menu, other queue"))
        .expect("create");
    let page = web
        .get(&format!("/Ticket/ThreatQSync.html?id={other}"))
        .text();
    assert!(
        page.contains("Not synced: the ticket is in queue &#39;General&#39;")
            || page.contains("Not synced: the ticket is in queue 'General'"),
        "{page}"
    );
    assert!(calls(other).is_empty());
    assert_no_secret("the Sync Ticket page", &page);
}

#[test]
fn edit_threatq_config_is_for_super_users_and_shows_no_password() {
    let _all = SETTINGS.write().unwrap_or_else(|e| e.into_inner());
    // A user without admin rights: RT's own 403 for /Admin.
    let alice = Web::login(&rig().rt.url(), ALICE);
    let r = alice.get("/Admin/Tools/ThreatQ.html");
    assert_eq!(r.status, 403);
    assert!(!r.text().contains("ThreatQ_Host"));
    let r = alice.post(
        "/Admin/Tools/ThreatQ.html",
        &[("Save", "1"), ("ThreatQ_Status", "Hacked")],
    );
    assert_eq!(r.status, 403);
    // A user who may open the Admin menu but is no super user: RT's permission-denied page.
    let auditor = Web::login(&rig().rt.url(), AUDITOR);
    let r = auditor.get("/Admin/Tools/ThreatQ.html");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Permission Denied"), "{}", r.text());
    assert!(!auditor
        .get("/Admin/")
        .text()
        .contains("Edit ThreatQ Config"));
    let r = auditor.post(
        "/Admin/Tools/ThreatQ.html",
        &[("Save", "1"), ("ThreatQ_Status", "Hacked")],
    );
    assert_eq!(r.status, 403);

    let root = Web::login(&rig().rt.url(), ROOT);
    assert!(root
        .get("/Admin/")
        .text()
        .contains("href=\"/Admin/Tools/ThreatQ.html\">Edit ThreatQ Config</a>"));
    let page = root.get("/Admin/Tools/ThreatQ.html").text();
    assert!(
        page.contains("name=\"ThreatQ_Host\" id=\"threatq-ThreatQ_Host\" value=\"tq.test\""),
        "{page}"
    );
    assert!(
        !page.to_ascii_lowercase().contains("type=\"password\""),
        "a password field"
    );
    assert!(
        !page.contains("name=\"ThreatQ_Password\"")
            && !page.contains("name=\"RT_Password_For_ThreatQ\"")
    );
    assert!(
        !page.contains("name=\"ThreatQ_Sync_Binary\""),
        "the program path is editable"
    );
    assert_no_secret("Edit ThreatQ Config", &page);
    assert_no_secret(
        "RT's System Configuration page",
        &root
            .get("/Admin/Tools/Configuration.html")
            .text()
            .replace(TQ_CID, ""),
    );

    // A bad value: nothing saved.
    let page = root
        .post(
            "/Admin/Tools/ThreatQ.html",
            &[
                ("Save", "1"),
                ("ThreatQ_Host", "tq2.test"),
                ("ThreatQ_Create_Wait", "soon"),
            ],
        )
        .text();
    assert!(
        page.contains("ThreatQ_Create_Wait: expected a whole number of seconds"),
        "{page}"
    );
    assert!(root
        .get("/Admin/Tools/ThreatQ.html")
        .text()
        .contains("value=\"tq.test\""));

    // Saved values take over from RT_SiteConfig.pm; the CID is kept when left empty.
    let form = [
        ("Save", "1"),
        ("ThreatQ_Host", "tq2.test"),
        ("ThreatQ_User", "analyst@tq.test"),
        ("ThreatQ_CID", ""),
        ("ThreatQ_Status", "Active"),
        ("ThreatQ_Use_SSL", "1"),
        ("ThreatQ_CA_File", ""),
        ("RT_User_For_ThreatQ", SYNC_USER.name),
        ("RT_Queues_For_ThreatQ", "Incidents,General"),
        ("ThreatQ_Create_Wait", "0"),
        ("ThreatQ_Log_Dir", ""),
        ("ThreatQ_Password", "injected-password"),
    ];
    let page = root.post("/Admin/Tools/ThreatQ.html", &form).text();
    assert!(page.contains("ThreatQ settings saved."), "{page}");
    let rest_root = rest(ROOT);
    let general = rest_root
        .create_ticket(&NewTicket::new(QUEUE_GENERAL, "General is listed now"))
        .expect("create");
    let s = wait_call(general, "Create").settings();
    assert_eq!(
        (
            s["ThreatQ_Host"].as_str(),
            s["ThreatQ_Status"].as_str(),
            s["ThreatQ_Use_SSL"].as_str()
        ),
        (Some("tq2.test"), Some("Active"), Some("1"))
    );
    assert_eq!(s["ThreatQ_CID"], TQ_CID);
    assert_eq!(
        s["ThreatQ_Password"], TQ_PASSWORD,
        "a password came from the web form"
    );
    let reports = rest_root
        .create_ticket(&NewTicket::new(
            QUEUE_REPORTS,
            "Incident Reports is not listed now",
        ))
        .expect("create");
    wait_log(&[&format!("ticket {reports} is in queue 'Incident Reports', which RT_Queues_For_ThreatQ does not list")]);

    // Back to the site config's values for the other tests.
    let restore = [
        ("Save", "1"),
        ("ThreatQ_Host", "tq.test"),
        ("ThreatQ_User", "analyst@tq.test"),
        ("ThreatQ_CID", ""),
        ("ThreatQ_Status", "Review"),
        ("ThreatQ_Use_SSL", "0"),
        ("RT_User_For_ThreatQ", SYNC_USER.name),
        ("RT_Queues_For_ThreatQ", "Incidents , Incident Reports"),
        ("ThreatQ_Create_Wait", "0"),
    ];
    assert!(root
        .post("/Admin/Tools/ThreatQ.html", &restore)
        .text()
        .contains("ThreatQ settings saved."));
}
