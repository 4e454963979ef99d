//! `tq_rt_sync::rt::RtClient` against a real Request Tracker (tq_testkit::rigs::rt): every
//! call, RT's error answers, and the injection case (a value holding `\nStatus: deleted` or
//! any `Field: value` line changes only its own field). Where the client reads its own writes
//! back, the ticket is also read through RT's REST 2.0 JSON, a second, independent reader.
//!
//! One RT serves every test of this binary (started by the first test, stopped when the
//! binary exits); each test makes its own tickets.

use std::sync::{OnceLock, RwLock, RwLockReadGuard};

use serde_json::Value;
use tq_common::http::{basic_auth, Http, HttpSettings, Method, Request};
use tq_common::Secret;
use tq_rt_sync::rt::search::sql_quote;
use tq_rt_sync::rt::{CfValue, Edited, LinkType, NewTicket, RtClient, TicketUpdate};
use tq_testkit::rigs::rt::{
    Rt, RtOptions, QUEUE_INCIDENTS, QUEUE_REPORTS, ROOT, RTNAME, SYNC_USER,
};

static RT: OnceLock<Rt> = OnceLock::new();

/// Tests hold it for reading; the one that makes RT forget every session holds it for
/// writing, so no other test's login is cut off half-way.
static SESSIONS: RwLock<()> = RwLock::new(());

fn shared() -> RwLockReadGuard<'static, ()> {
    SESSIONS.read().unwrap_or_else(|e| e.into_inner())
}

fn rt() -> &'static Rt {
    RT.get_or_init(|| {
        let rt = Rt::start(RtOptions {
            // The scrip runs, but no queue is listed: it never starts a sync here.
            site_config:
                "Set($ThreatQ_Sync_Binary, '/bin/false');\nSet($RT_Queues_For_ThreatQ, '');\n"
                    .into(),
            ..RtOptions::default()
        });
        eprintln!(
            "RT up in {:.2} s, {} MiB PSS",
            rt.started_in().as_secs_f64(),
            rt.pss_kb() / 1024
        );
        rt
    })
}

fn http() -> Http {
    Http::new(HttpSettings::default()).expect("http")
}

fn client() -> RtClient {
    RtClient::new(
        http(),
        &rt().url(),
        SYNC_USER.name,
        Secret::new(SYNC_USER.password),
    )
    .expect("client")
}

/// The ticket through REST 2.0 (JSON), as root.
fn rest2_ticket(id: u64) -> Value {
    let req = Request::new(Method::Get, format!("{}/REST/2.0/ticket/{id}", rt().url())).header(
        "Authorization",
        basic_auth(ROOT.name, &Secret::new(ROOT.password)).expose(),
    );
    let resp = http().send("RT REST 2.0", &req).expect("REST 2.0");
    assert_eq!(resp.status, 200, "{}", resp.text());
    serde_json::from_slice(&resp.body).expect("REST 2.0 JSON")
}

/// A custom field's values in a REST 2.0 ticket.
fn rest2_cf(t: &Value, name: &str) -> Vec<String> {
    t["CustomFields"]
        .as_array()
        .expect("CustomFields")
        .iter()
        .find(|cf| cf["name"] == name)
        .map(|cf| {
            cf["values"]
                .as_array()
                .expect("values")
                .iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn new_ticket(c: &RtClient, queue: &str, subject: &str) -> u64 {
    c.create_ticket(&NewTicket::new(queue, subject).text("first message"))
        .unwrap_or_else(|e| panic!("create {subject:?} in {queue}: {e}"))
}

#[test]
fn create_and_show_with_custom_fields() {
    let _shared = shared();
    let c = client();
    let id = c
        .create_ticket(
            &NewTicket::new(QUEUE_REPORTS, "create and show")
                .text("line one\nline two")
                .cf(
                    "IP",
                    CfValue::Multi(vec!["10.0.0.1".into(), "a,b".into(), "it's".into()]),
                )
                .cf("Description", CfValue::Single("first\nsecond: line".into()))
                .cf("External Ticket Number", CfValue::Single("EXT-1".into())),
        )
        .expect("create");
    let t = c.ticket(id).expect("show");
    assert_eq!(t.id, id);
    assert_eq!(t.queue(), QUEUE_REPORTS);
    assert_eq!(t.subject(), "create and show");
    assert_eq!(t.status(), "new");
    assert_eq!(t.cf_values("IP"), ["10.0.0.1", "a,b", "it's"]);
    assert_eq!(t.cf("Description"), Some("first\nsecond: line"));
    assert_eq!(t.cf("External Ticket Number"), Some("EXT-1"));
    assert_eq!(t.cf("ThreatQ Link"), Some(""));
    for name in [
        "ThreatQ Link",
        "ThreatQ Attributes",
        "ThreatQ Indicators",
        "HASH",
        "Threat Campaign",
    ] {
        assert!(t.cf_names().any(|n| n == name), "{name} not shown");
    }
    let r2 = rest2_ticket(id);
    let mut ips = rest2_cf(&r2, "IP");
    ips.sort();
    assert_eq!(ips, ["10.0.0.1", "a,b", "it's"]);
    assert_eq!(rest2_cf(&r2, "Description"), ["first\nsecond: line"]);

    let only = c
        .ticket_fields(id, &["Status", "CF.{External Ticket Number}"])
        .expect("fields");
    assert_eq!(only.status(), "new");
    assert_eq!(only.cf("External Ticket Number"), Some("EXT-1"));
    assert_eq!(only.subject(), "");
}

#[test]
fn a_value_never_changes_another_field() {
    let _shared = shared();
    let c = client();
    let id = new_ticket(&c, QUEUE_INCIDENTS, "injection");
    c.edit_ticket(id, &TicketUpdate::new().set("Status", "open"))
        .expect("open");
    let nasty = [
        "x\nStatus: deleted",
        "x\n--\nStatus: deleted",
        "x\nQueue: General",
        "x\nCF.{IP}: 6.6.6.6",
        "x}: Status: deleted",
        "\nStatus: deleted",
        "# x\nStatus: rejected",
        "x\r\nStatus: deleted",
    ];
    for v in nasty {
        let edited = c
            .edit_ticket(
                id,
                &TicketUpdate::new()
                    .set_cf("Description", CfValue::Single(v.into()))
                    .set_cf(
                        "Threat Actors",
                        CfValue::Multi(vec![v.into(), "APT-1".into()]),
                    ),
            )
            .unwrap_or_else(|e| panic!("{v:?}: {e}"));
        assert_eq!(edited, Edited::Updated, "{v:?}");
        let r2 = rest2_ticket(id);
        assert_eq!(r2["Status"], "open", "{v:?} changed the status");
        assert_eq!(rest2_cf(&r2, "IP"), Vec::<String>::new(), "{v:?} set IP");
        let t = c.ticket(id).expect("show");
        assert_eq!(t.status(), "open");
        assert_eq!(t.queue(), QUEUE_INCIDENTS, "{v:?} moved the ticket");
        assert_eq!(
            t.cf("Description"),
            Some(tq_rt_sync::rt::form::stored_form(v).as_str()),
            "{v:?}"
        );
        let mut actors = rest2_cf(&r2, "Threat Actors");
        actors.sort();
        let mut want: Vec<String> = v
            .split('\n')
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        want.push("APT-1".into());
        want.sort();
        want.dedup();
        assert_eq!(actors, want, "{v:?}");
    }
    // Comments are forms too.
    c.comment(id, "hello\nStatus: resolved\nQueue: General")
        .expect("comment");
    let t = c.ticket(id).expect("show");
    assert_eq!((t.status(), t.queue()), ("open", QUEUE_INCIDENTS));
    let last = c
        .transactions(id)
        .expect("history")
        .into_iter()
        .rfind(|t| t.kind == "Comment")
        .expect("comment txn");
    assert_eq!(last.content, "hello\nStatus: resolved\nQueue: General");
}

#[test]
fn edit_reports_unchanged_and_rt_errors() {
    let _shared = shared();
    let c = client();
    let id = new_ticket(&c, QUEUE_INCIDENTS, "edits");
    let up = TicketUpdate::new()
        .set_cf(
            "ThreatQ Link",
            CfValue::Single("https://tq.test/events/7/details".into()),
        )
        .set_cf(
            "ThreatQ Indicators",
            CfValue::Multi(vec![
                "1.2.3.4 (IP Address): https://tq.test/indicators/3/details".into(),
            ]),
        );
    assert_eq!(c.edit_ticket(id, &up).expect("edit"), Edited::Updated);
    let status = TicketUpdate::new().set("Status", "open");
    assert_eq!(c.edit_ticket(id, &status).expect("status"), Edited::Updated);
    assert_eq!(
        c.edit_ticket(id, &status).expect("same status"),
        Edited::Unchanged
    );
    let t = c.ticket(id).expect("show");
    assert_eq!(
        t.cf("ThreatQ Link"),
        Some("https://tq.test/events/7/details")
    );
    assert_eq!(
        t.cf_values("ThreatQ Indicators"),
        ["1.2.3.4 (IP Address): https://tq.test/indicators/3/details"]
    );
    // Clearing.
    c.edit_ticket(
        id,
        &TicketUpdate::new().set_cf("ThreatQ Indicators", CfValue::Multi(vec![])),
    )
    .expect("clear");
    assert!(c
        .ticket(id)
        .expect("show")
        .cf_values("ThreatQ Indicators")
        .is_empty());

    let e = c
        .edit_ticket(
            id,
            &TicketUpdate::new().set_cf("NoSuchField", CfValue::Single("x".into())),
        )
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("Request Tracker: http://127.0.0.1:"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("POST /REST/1.0/ticket/{id}/edit")),
        "{msg}"
    );
    assert!(msg.contains("Unknown custom field"), "{msg}");
    assert_eq!(e.status(), Some(409));

    let e = c.ticket(99_999_999).unwrap_err();
    assert!(
        e.to_string().contains("Ticket 99999999 does not exist"),
        "{e}"
    );
    assert_eq!(e.status(), Some(404));
    let e = c
        .edit_ticket(99_999_999, &TicketUpdate::new().set("Status", "open"))
        .unwrap_err();
    assert!(e.to_string().contains("does not exist"), "{e}");
    assert!(c
        .comment(99_999_999, "x")
        .unwrap_err()
        .to_string()
        .contains("does not exist"));
    let e = c
        .create_ticket(&NewTicket::new("No Such Queue", "x"))
        .unwrap_err();
    assert!(e.to_string().contains("Could not create ticket"), "{e}");
}

#[test]
fn comment_correspond_and_history() {
    let _shared = shared();
    let c = client();
    let id = new_ticket(&c, QUEUE_INCIDENTS, "messages");
    c.comment(id, "internal note\n--\nsecond paragraph")
        .expect("comment");
    c.correspond(id, "reply to requestor").expect("correspond");
    let h = c.history(id).expect("history");
    let d: Vec<&str> = h.iter().map(|e| e.description.as_str()).collect();
    assert!(
        d.iter().any(|x| x.starts_with("Ticket created by threatq")),
        "{d:?}"
    );
    assert!(
        d.iter().any(|x| x.starts_with("Comments added by threatq")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|x| x.starts_with("Correspondence added by threatq")),
        "{d:?}"
    );
    let txns = c.transactions(id).expect("transactions");
    assert_eq!(txns.len(), h.len(), "long and short history differ");
    let create = txns.iter().find(|t| t.kind == "Create").expect("create");
    assert_eq!(
        (create.ticket, create.creator.as_str()),
        (id, SYNC_USER.name)
    );
    assert_eq!(create.content, "first message");
    let comment = txns.iter().find(|t| t.kind == "Comment").expect("comment");
    assert_eq!(comment.content, "internal note\n--\nsecond paragraph");
    let one = c.transaction(id, comment.id).expect("one transaction");
    assert_eq!(one, *comment);
    assert!(c.transaction(id, create.id + 100_000).is_err());
    assert_eq!(c.history(99_999_999).unwrap_err().status(), Some(404));
}

#[test]
fn links_in_each_direction() {
    let _shared = shared();
    let c = client();
    let a = new_ticket(&c, QUEUE_INCIDENTS, "link a");
    let b = new_ticket(&c, QUEUE_REPORTS, "link b");
    let m = new_ticket(&c, QUEUE_REPORTS, "link parent");
    c.add_link(a, LinkType::RefersTo, &b.to_string())
        .expect("refers");
    c.add_link(a, LinkType::RefersTo, &b.to_string())
        .expect("again: no error");
    c.add_link(b, LinkType::DependsOn, &a.to_string())
        .expect("depends");
    c.add_link(a, LinkType::MemberOf, &m.to_string())
        .expect("member");
    let la: Vec<(LinkType, Option<u64>)> = c
        .links(a)
        .expect("links a")
        .iter()
        .map(|l| (l.kind, l.ticket(RTNAME)))
        .collect();
    assert!(la.contains(&(LinkType::RefersTo, Some(b))), "{la:?}");
    assert!(la.contains(&(LinkType::DependedOnBy, Some(b))), "{la:?}");
    assert!(la.contains(&(LinkType::MemberOf, Some(m))), "{la:?}");
    let lb: Vec<(LinkType, Option<u64>)> = c
        .links(b)
        .expect("links b")
        .iter()
        .map(|l| (l.kind, l.ticket(RTNAME)))
        .collect();
    assert!(lb.contains(&(LinkType::ReferredToBy, Some(a))), "{lb:?}");
    assert!(lb.contains(&(LinkType::DependsOn, Some(a))), "{lb:?}");
    let lm = c.links(m).expect("links m");
    assert!(lm
        .iter()
        .any(|l| l.kind == LinkType::Members && l.ticket(RTNAME) == Some(a)));
    assert!(c
        .links(new_ticket(&c, QUEUE_INCIDENTS, "no links"))
        .expect("none")
        .is_empty());
    let e = c.add_link(a, LinkType::RefersTo, "99999999").unwrap_err();
    assert!(e.to_string().contains("99999999"), "{e}");
}

#[test]
fn search_and_queue_fields() {
    let _shared = shared();
    let c = client();
    let subject = format!("search O'Neil {}", std::process::id());
    let a = new_ticket(&c, QUEUE_REPORTS, &subject);
    let b = new_ticket(&c, QUEUE_REPORTS, &subject);
    let q = format!(
        "Queue = {} AND Subject = {}",
        sql_quote(QUEUE_REPORTS),
        sql_quote(&subject)
    );
    assert_eq!(c.search(&q, "id").expect("search"), [a, b]);
    assert_eq!(c.search(&q, "-id").expect("search"), [b, a]);
    assert!(c
        .search("Subject = 'no ticket has this subject 9f3a'", "id")
        .expect("none")
        .is_empty());
    let e = c.search("Queue = = 'x'", "id").unwrap_err();
    assert!(e.to_string().contains("400"), "{e}");

    let defs = c.queue_custom_fields(QUEUE_REPORTS).expect("queue fields");
    let multi = |n: &str| tq_rt_sync::rt::customfields::is_multiple(&defs, n);
    assert_eq!(multi("IP"), Some(true));
    assert_eq!(multi("ThreatQ Indicators"), Some(true));
    assert_eq!(multi("ThreatQ Attributes"), Some(true));
    assert_eq!(multi("ThreatQ Link"), Some(false));
    assert_eq!(multi("Description"), Some(false));
    let e = c.queue_custom_fields("No Such Queue").unwrap_err();
    assert!(
        e.to_string().contains("No queue named No Such Queue"),
        "{e}"
    );
    assert_eq!(e.status(), Some(404));
}

#[test]
fn login_errors_and_sessions() {
    let _all = SESSIONS.write().unwrap_or_else(|e| e.into_inner());
    let bad = RtClient::new(
        http(),
        &rt().url(),
        SYNC_USER.name,
        Secret::new("wrong-pw-31337"),
    )
    .expect("client");
    let e = bad.ticket(1).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("refused") && msg.contains("threatq"), "{msg}");
    assert!(!msg.contains("wrong-pw-31337"), "{msg}");
    assert_eq!(e.status(), Some(401));

    let c = client();
    let id = new_ticket(&c, QUEUE_INCIDENTS, "session");
    assert_eq!(
        c.requests(),
        1,
        "the first call carries the credentials: it is the login"
    );
    let before = c.requests();
    c.ticket(id).expect("show");
    assert_eq!(
        c.requests(),
        before + 1,
        "a call with a session must not log in again"
    );
    // RT forgets every session (rt-clean-sessions, a restart with file sessions): the
    // client logs in once more and the call succeeds.
    for e in std::fs::read_dir(rt().dir().join("sessions"))
        .expect("sessions dir")
        .flatten()
    {
        let _ = std::fs::remove_file(e.path());
    }
    c.ticket(id).expect("show after the session was dropped");
    assert_eq!(
        c.requests(),
        before + 1 + 2,
        "expected: 401, the same call with the credentials"
    );

    // Logout ends the session at RT: the next call logs in again.
    c.logout().expect("logout");
    c.logout().expect("a second logout sends nothing");
    let before = c.requests();
    c.ticket(id).expect("show after logout");
    assert_eq!(
        c.requests(),
        before + 1,
        "expected: show with the credentials"
    );
    let before = c.requests();
    c.ticket(id).expect("show with the new session");
    assert_eq!(c.requests(), before + 1, "the new session is kept");

    let wrong_path = RtClient::new(
        http(),
        &format!("{}/rt", rt().url()),
        SYNC_USER.name,
        Secret::new(SYNC_USER.password),
    )
    .expect("client");
    let e = wrong_path.ticket(1).unwrap_err();
    assert!(
        e.to_string().contains("web path") || e.to_string().contains("REST 1.0"),
        "{e}"
    );
}

#[test]
fn snapshot_reads_ticket_links_history_and_transaction_in_one_request() {
    let _shared = shared();
    let c = client();
    let a = c
        .create_ticket(
            &NewTicket::new(QUEUE_INCIDENTS, "snapshot a")
                .text("the first message")
                .cf(
                    "IP",
                    CfValue::Multi(vec!["10.9.9.1".into(), "10.9.9.2".into()]),
                )
                .cf("Description", CfValue::Single("one\ntwo, three".into())),
        )
        .expect("create a");
    let b = new_ticket(&c, QUEUE_REPORTS, "snapshot b");
    c.add_link(a, LinkType::DependsOn, &b.to_string())
        .expect("link");
    c.comment(a, "a note\nwith two lines").expect("comment");
    let comment = c
        .history(a)
        .expect("history")
        .into_iter()
        .find(|h| h.description.starts_with("Comments added"))
        .expect("comment transaction")
        .id;
    let before = c.requests();
    let snap = c.snapshot(a, Some(comment)).expect("snapshot");
    assert_eq!(c.requests(), before + 1, "one request");
    assert_eq!(snap.ticket.id, a);
    assert_eq!(snap.ticket.subject(), "snapshot a");
    assert_eq!(snap.ticket.cf_values("IP"), ["10.9.9.1", "10.9.9.2"]);
    assert_eq!(snap.ticket.cf("Description"), Some("one\ntwo, three"));
    assert_eq!(snap.links.len(), 1);
    assert_eq!(snap.links[0].kind, LinkType::DependsOn);
    assert_eq!(snap.links[0].ticket(RTNAME), Some(b));
    assert!(snap.history.iter().any(|h| h.id == comment));
    assert!(snap.history[0].description.starts_with("Ticket created"));
    let t = snap.transaction.expect("the transaction");
    assert_eq!((t.id, t.kind.as_str()), (comment, "Comment"));
    assert_eq!(t.content, "a note\nwith two lines");

    let create = snap.history[0].id;
    let full = c
        .transactions_by_id(a, &[create, comment])
        .expect("transactions");
    let kinds: Vec<(u64, &str)> = full.iter().map(|t| (t.id, t.kind.as_str())).collect();
    assert_eq!(kinds, [(create, "Create"), (comment, "Comment")]);
    assert_eq!(full[0].content, "the first message");

    let e = c.snapshot(999_999, None).unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
}

#[test]
fn many_tickets_are_read_and_edited_in_one_request_each() {
    let _shared = shared();
    let c = client();
    let a = new_ticket(&c, QUEUE_INCIDENTS, "many a");
    let b = new_ticket(&c, QUEUE_REPORTS, "many b");
    let missing = 999_998;
    let before = c.requests();
    let edits = c
        .edit_many(&[
            (
                a,
                TicketUpdate::new().set_cf(
                    "ThreatQ Attributes",
                    CfValue::Multi(vec!["Severity: High".into(), "Kill Chain: a, b".into()]),
                ),
            ),
            (
                b,
                TicketUpdate::new().set_cf(
                    "ThreatQ Link",
                    CfValue::Single("https://tq.test/events/7/details\nStatus: deleted".into()),
                ),
            ),
            (
                missing,
                TicketUpdate::new().set_cf("ThreatQ Link", CfValue::Single("x".into())),
            ),
        ])
        .expect("edit many");
    assert_eq!(c.requests(), before + 1, "one request");
    assert_eq!(edits[0], (a, Ok(Edited::Updated)));
    assert_eq!(edits[1], (b, Ok(Edited::Updated)));
    assert!(
        edits[2]
            .1
            .as_ref()
            .is_err_and(|e| e.contains("does not exist")),
        "{:?}",
        edits[2]
    );
    let read = c
        .tickets_fields(
            &[a, b, missing],
            &["Status", "CF.{ThreatQ Attributes}", "CF.{ThreatQ Link}"],
        )
        .expect("read many");
    assert_eq!(read.len(), 3);
    let ta = read[0].1.as_ref().expect("a");
    let mut attrs = ta.cf_values("ThreatQ Attributes");
    attrs.sort();
    assert_eq!(attrs, ["Kill Chain: a, b", "Severity: High"]);
    let tb = read[1].1.as_ref().expect("b");
    assert_eq!(
        tb.status(),
        "new",
        "the injected Status line changed nothing"
    );
    assert_eq!(
        tb.cf("ThreatQ Link"),
        Some("https://tq.test/events/7/details\nStatus: deleted")
    );
    assert_eq!(read[2].0, missing);
    assert!(read[2].1.is_err());
}
