//! Watchlist alerts, binary against FakeThreatQ and the real aiosmtpd sink (issue 10's
//! acceptance list): an object added to a listed user's watchlist, comments, a status change
//! and a new source described, events and adversaries, several users, `--send-existing`,
//! escaping, and the bulk reads (no request per object).

mod common;

use common::*;
use tq_testkit::rigs::smtp::SinkOptions;
use tq_testkit::server::Request;

const ANALYST: &str = "ann.analyst@example.com";

fn touched_at(r: &Rig, collection: &str, id: u64) -> String {
    r.tq.object(collection, id).expect("object")["touched_at"]
        .as_str()
        .expect("touched_at")
        .to_string()
}

#[test]
fn an_indicator_added_to_a_watchlist_is_one_mail_per_the_guide_to_every_recipient() {
    let r = Rig::new(SinkOptions {
        log_commands: true,
        ..SinkOptions::plain()
    });
    let analyst = r.tq.add_user(ANALYST, "Ann Analyst");
    let old = r.tq.add_indicator("1.2.3.4", "IP Address", "Active");
    r.tq.watch_as(analyst, "indicators", old);
    let ind = r.tq.add_indicator("7.8.9.0", "IP Address", "Review");
    r.configure(&[
        ("enable_watchlist", "true"),
        ("watchlist_users", "Ann Analyst"),
    ]);
    // First run: the baseline; nothing is mailed and the SMTP server is not contacted.
    let out = r.run_ok(&[]);
    assert!(r.mails().is_empty(), "first run floods: {out}");
    assert!(out.contains("baselined"), "{out}");
    assert!(r.sink.commands().is_empty(), "{:?}", r.sink.commands());

    r.later();
    r.tq.watch_as(analyst, "indicators", ind);
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(subjects(&mails), vec!["ThreatQ Watchlist: Indicator Added"]);
    let m = &mails[0];
    assert_envelope(m);
    let url = link("indicators", ind);
    let text = text_part(m);
    assert!(
        text.contains(&format!(
            "An item in your ThreatQ watchlist has been updated!\n\nDetails\n\nType: Indicator\nItem: 7.8.9.0\nChanged At: {}\nThreatQ Link: {url}\n",
            touched_at(&r, "indicators", ind)
        )),
        "{text}"
    );
    assert!(!text.contains("What has changed?"), "{text}");
    assert_eq!(m.text_links(), vec![url.clone()]);
    assert_eq!(m.html_links(), vec![url]);
    assert!(
        html_part(m).contains("<td>7.8.9.0</td>"),
        "{}",
        html_part(m)
    );

    // A rerun with no change sends nothing.
    r.run_ok(&[]);
    assert_eq!(r.mails().len(), 1);
}

#[test]
fn comments_a_status_change_and_a_new_source_are_described() {
    let r = Rig::new(SinkOptions::plain());
    let analyst = r.tq.add_user(ANALYST, "Ann Analyst");
    let ind = r.tq.add_indicator("7.8.9.0", "IP Address", "Review");
    r.tq.watch_as(analyst, "indicators", ind);
    r.configure(&[("enable_watchlist", "true"), ("watchlist_users", ANALYST)]);
    r.run_ok(&[]);
    assert!(r.mails().is_empty());

    r.later();
    r.tq.add_comment("indicators", ind, "seen in the proxy logs");
    r.tq.add_comment("indicators", ind, "blocked at the edge");
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Watchlist: Indicator Updated"]
    );
    let text = text_part(&mails[0]);
    assert!(
        text.ends_with(&format!(
            "ThreatQ Link: {}\n\nWhat has changed? Comment added: 2\n",
            link("indicators", ind)
        )),
        "{text}"
    );
    assert!(html_part(&mails[0]).contains("<strong>What has changed?</strong> Comment added: 2"));
    assert_eq!(mails[0].text_links(), vec![link("indicators", ind)]);

    r.later();
    r.tq.set_indicator_status(ind, "Active");
    r.tq.add_source("indicators", ind, "CrowdFeed");
    r.run_ok(&[]);
    let mails = r.mails_since(1);
    assert_eq!(
        subjects(&mails),
        vec!["ThreatQ Watchlist: Indicator Updated"]
    );
    assert!(
        text_part(&mails[0]).contains(
            "\nWhat has changed? Status changed: Review → Active, Source added: CrowdFeed\n"
        ),
        "{}",
        text_part(&mails[0])
    );
    assert!(
        text_part(&mails[0]).contains(&format!(
            "Changed At: {}\n",
            touched_at(&r, "indicators", ind)
        )),
        "Changed At is the new touched_at"
    );

    r.run_ok(&[]);
    assert_eq!(r.mails().len(), 2, "nothing changed, nothing sent");
}

#[test]
fn events_and_adversaries_of_several_users_each_get_one_mail_with_their_links() {
    let r = Rig::new(SinkOptions::plain());
    let analyst = r.tq.add_user(ANALYST, "Ann Analyst");
    // The connector's own ThreatQ user, listed by its e-mail below.
    let me = tq_testkit::clients::threatq(&r.tq)
        .current_user()
        .expect("current user")
        .id
        .expect("an id") as u64;
    r.configure(&[
        ("enable_watchlist", "true"),
        (
            "watchlist_users",
            &format!("Ann Analyst , {}", r.tq.username()),
        ),
    ]);
    r.run_ok(&[]);
    r.later();
    let ev = r.tq.add_event("Phishing wave", "Spearphish");
    let adv = r.tq.add_adversary("Example Actor");
    let both = r.tq.add_indicator("evil.example", "FQDN", "Active");
    r.tq.watch_as(analyst, "events", ev);
    r.tq.watch_as(me, "adversaries", adv);
    r.tq.watch_as(analyst, "indicators", both);
    r.tq.watch_as(me, "indicators", both);
    let out = r.run_ok(&[]);
    let mut mails = r.mails();
    mails.sort_by(|a, b| a.subject.cmp(&b.subject));
    assert_eq!(
        subjects(&mails),
        vec![
            "ThreatQ Watchlist: Adversary Added",
            "ThreatQ Watchlist: Event Added",
            "ThreatQ Watchlist: Indicator Added",
        ],
        "an object two users watch is one mail: {out}"
    );
    for (m, (path, id, item)) in mails.iter().zip([
        ("adversaries", adv, "Example Actor"),
        ("events", ev, "Phishing wave"),
        ("indicators", both, "evil.example"),
    ]) {
        assert_envelope(m);
        assert_eq!(m.text_links(), vec![link(path, id)]);
        assert_eq!(m.html_links(), vec![link(path, id)]);
        assert!(
            text_part(m).contains(&format!("\nItem: {item}\n")),
            "{}",
            text_part(m)
        );
    }
    assert!(text_part(&mails[1]).contains("\nType: Event\n"));
    // One SMTP connection for the run.
    assert!(mails.iter().all(|m| m.session == mails[0].session));
}

#[test]
fn send_existing_backfills_what_is_watched_and_what_the_collection_holds() {
    let r = Rig::new(SinkOptions::plain());
    let analyst = r.tq.add_user(ANALYST, "Ann Analyst");
    let a = r.tq.add_indicator("198.51.100.1", "IP Address", "Active");
    let b = r.tq.add_indicator("198.51.100.2", "IP Address", "Active");
    r.tq.watch_as(analyst, "indicators", a);
    r.tq.add_saved_search("Active IPs", serde_json::json!({"status_name": "Active"}));
    r.configure(&[
        ("enable_watchlist", "true"),
        ("watchlist_users", ANALYST),
        ("enable_data_collection", "true"),
        ("data_collection_name", "Active IPs"),
    ]);
    r.run_ok(&["--send-existing"]);
    let mails = r.mails();
    assert_eq!(
        subjects(&mails),
        vec![
            "ThreatQ Watchlist: Indicator Added",
            "ThreatQ Data Collection Updated: 2 New Items",
        ]
    );
    assert_eq!(
        mails[1].text_links(),
        vec![link("indicators", a), link("indicators", b)]
    );
    r.run_ok(&[]);
    assert_eq!(r.mails().len(), 2, "the backfill is recorded");
    // Allowed on any run.
    r.run_ok(&["--send-existing"]);
    assert_eq!(r.mails().len(), 4);
}

#[test]
fn values_are_escaped_in_html_and_cannot_add_a_header() {
    let r = Rig::new(SinkOptions::plain());
    let analyst = r.tq.add_user(ANALYST, "Ann Analyst");
    r.configure(&[("enable_watchlist", "true"), ("watchlist_users", ANALYST)]);
    r.run_ok(&[]);
    r.later();
    let script =
        r.tq.add_indicator("<script>alert(1)</script>", "String", "Active");
    let crlf =
        r.tq.add_adversary("Actor\r\nBcc: victim@example.org\r\nX-Evil: 1");
    r.tq.watch_as(analyst, "indicators", script);
    r.tq.watch_as(analyst, "adversaries", crlf);
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(mails.len(), 2);
    let ind = mails
        .iter()
        .find(|m| m.subject == "ThreatQ Watchlist: Indicator Added")
        .expect("indicator mail");
    let html = html_part(ind);
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"),
        "{html}"
    );
    assert!(text_part(ind).contains("\nItem: <script>alert(1)</script>\n"));
    let adv = mails
        .iter()
        .find(|m| m.subject == "ThreatQ Watchlist: Adversary Added")
        .expect("adversary mail");
    assert!(adv.header("Bcc").is_none() && adv.header("X-Evil").is_none());
    assert_eq!(adv.envelope_to, RECIPIENTS.to_vec(), "no extra recipient");
    assert!(
        text_part(adv).contains("\nItem: Actor  Bcc: victim@example.org  X-Evil: 1\n"),
        "{}",
        text_part(adv)
    );
}

fn per_object_reads(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.path.clone())
        .filter(|p| {
            let segs: Vec<&str> = p.trim_start_matches("/api/").split('/').collect();
            segs.len() >= 2 && segs[1].parse::<u64>().is_ok()
        })
        .collect()
}

#[test]
fn watchlists_are_read_in_bulk_whatever_changed() {
    // Pages of 100 at most, as a server may cap them: the reads page through.
    let tq = tq_testkit::threatq::FakeThreatQ::builder()
        .freeze_at("2026-03-01 10:00:00")
        .max_limit(100)
        .start();
    let r = Rig::with(tq, SinkOptions::plain());
    let analyst = r.tq.add_user(ANALYST, "Ann Analyst");
    let ids: Vec<u64> = (0..250)
        .map(|i| {
            let id = r.tq.add_indicator(
                &format!("10.1.{}.{}", i / 250, i % 250),
                "IP Address",
                "Review",
            );
            r.tq.watch_as(analyst, "indicators", id);
            id
        })
        .collect();
    r.tq.add_ip_indicators(0..30, "Review");
    r.configure(&[("enable_watchlist", "true"), ("watchlist_users", ANALYST)]);
    r.run_ok(&[]);
    r.later();
    for id in ids.iter().step_by(10) {
        r.tq.add_comment("indicators", *id, "looked at");
    }
    r.tq.clear_requests();
    r.run_ok(&[]);
    let mails = r.mails();
    assert_eq!(mails.len(), 25);
    assert!(
        mails.iter().all(|m| m.session == mails[0].session),
        "one connection"
    );
    let requests = r.tq.requests();
    assert!(
        per_object_reads(&requests).is_empty(),
        "{:?}",
        per_object_reads(&requests)
    );
    // token, users, 3 pages of indicators, events, adversaries
    assert!(requests.len() <= 15, "{} requests", requests.len());
    assert_eq!(
        requests
            .iter()
            .filter(|q| q.path == "/api/indicators")
            .count(),
        3,
        "280 indicators in pages of 100"
    );
}
