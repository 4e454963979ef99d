//! Demo seed data for `tq-sim --seed` and for tests that want a populated instance: a few
//! dozen indicators of several types (some CTR-enrichable, some not), two saved searches,
//! an event and an adversary linked to some indicators; for the e-mail alerts a second user
//! ([`WATCHER`]) whose watchlist holds two indicators and the event, and the data
//! collection [`EMAIL_COLLECTION`] (active FQDNs and spearphish events). [`email_changes`]
//! then makes the changes the e-mail alerts report (`tq-sim` on SIGUSR1).

use serde_json::json;

use super::{FakeThreatQ, NewIndicator};

/// What [`seed_demo`] created, for printing (`saved_search=` lines and the like).
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    /// Ids of the indicators created.
    pub indicators: Vec<u64>,
    /// (name, hash) of the saved searches.
    pub saved_searches: Vec<(String, String)>,
    /// The event's id.
    pub event: u64,
    /// The adversary's id.
    pub adversary: u64,
    /// The id of the [`WATCHER`] user.
    pub watcher: u64,
    /// What the watcher watches: `(collection, id)`.
    pub watched: Vec<(&'static str, u64)>,
}

/// The user whose watchlist the e-mail alerts demo follows: (e-mail, display name).
pub const WATCHER: (&str, &str) = ("ann.analyst@example.com", "Ann Analyst");

/// The data collection of the e-mail alerts demo: active FQDNs and spearphish events.
pub const EMAIL_COLLECTION: &str = "Phishing Watch";

const SOURCE: &str = "tq-sim seed";

/// Fills `tq` with the demo data set.
pub fn seed_demo(tq: &FakeThreatQ) -> Seeded {
    let mut out = Seeded::default();
    let add = |value: String, ty: &str, status: &str, attrs: &[(&str, &str)]| {
        let mut ind = NewIndicator::new(&value, ty).status(status).source(SOURCE);
        for (n, v) in attrs {
            ind = ind.attribute(n, v);
        }
        tq.add_indicator_with(ind)
    };
    for i in 0..10 {
        let status = if i % 3 == 0 { "Review" } else { "Active" };
        let id = add(
            format!("198.51.100.{}", 10 + i),
            "IP Address",
            status,
            &[("Country", "US")],
        );
        out.indicators.push(id);
    }
    for i in 0..8 {
        let id = add(format!("bad{i}.example.com"), "FQDN", "Active", &[]);
        out.indicators.push(id);
    }
    for i in 0..5 {
        let id = add(
            format!("http://bad{i}.example.net/login.php"),
            "URL",
            "Active",
            &[],
        );
        out.indicators.push(id);
    }
    for i in 0..5 {
        let md5 = super::objects::md5_hex(&format!("tq-sim sample {i}"));
        out.indicators
            .push(add(md5, "MD5", "Active", &[("File Type", "PE32")]));
    }
    for i in 0..3 {
        let sha = format!("{:0>64}", format!("{:x}", 0xdead_beef_u64 + i));
        out.indicators.push(add(sha, "SHA-256", "Review", &[]));
    }
    for i in 0..3 {
        let id = add(
            format!("phisher{i}@example.org"),
            "Email Address",
            "Active",
            &[],
        );
        out.indicators.push(id);
    }
    out.indicators
        .push(add("invoice.pdf.exe".into(), "Filename", "Active", &[]));
    out.indicators
        .push(add("CVE-2021-44228".into(), "CVE", "Active", &[]));
    out.indicators.push(add(
        "Mozilla/4.0 (evil)".into(),
        "User-agent",
        "Review",
        &[],
    ));

    out.event = tq.add_object(
        "events",
        json!({"title": "Phishing wave against finance", "type": "Spearphish",
               "happened_at": "2026-01-05 09:30:00", "sources": [{"name": SOURCE}]}),
    );
    out.adversary = tq.add_object(
        "adversaries",
        json!({"name": "Example Actor", "sources": [{"name": SOURCE}]}),
    );
    for id in out.indicators.iter().take(4) {
        tq.link("events", out.event, "indicators", *id);
        tq.link("adversaries", out.adversary, "indicators", *id);
    }
    let enrichable = json!({"+or": [
        {"type_name": "IP Address"}, {"type_name": "FQDN"}, {"type_name": "URL"},
        {"type_name": "MD5"}, {"type_name": "SHA-256"}, {"type_name": "Email Address"},
        {"type_name": "Filename"}, {"type_name": "CVE"}
    ]});
    for (name, criteria) in [
        ("CTR Enrichment", enrichable),
        ("Active Indicators", json!({"status_name": "Active"})),
    ] {
        let hash = tq.add_saved_search(name, criteria);
        out.saved_searches.push((name.to_string(), hash));
    }
    let hash = tq.add_data_collection(
        EMAIL_COLLECTION,
        &[
            (
                "indicators",
                json!({"+and": [{"type_name": "FQDN"}, {"status_name": "Active"}]}),
            ),
            ("events", json!({"type_name": "Spearphish"})),
        ],
    );
    out.saved_searches
        .push((EMAIL_COLLECTION.to_string(), hash));
    out.watcher = tq.add_user(WATCHER.0, WATCHER.1);
    // 198.51.100.10 (Review) and 198.51.100.11 (Active), and the event.
    out.watched = vec![
        ("indicators", out.indicators[0]),
        ("indicators", out.indicators[1]),
        ("events", out.event),
    ];
    for (collection, id) in &out.watched {
        tq.watch_as(out.watcher, collection, *id);
    }
    out
}

/// The changes the e-mail alerts demo reports after its baseline run, four mails: two
/// comments on 198.51.100.11 and 198.51.100.10 from Review to Active with a new source (two
/// "Indicator Updated"), the adversary put on the watcher's watchlist ("Adversary Added"),
/// and three new active FQDNs in [`EMAIL_COLLECTION`] ("3 New Items"). Returns how many
/// objects changed.
pub fn email_changes(tq: &FakeThreatQ, seeded: &Seeded) -> usize {
    let (first, second) = (seeded.indicators[0], seeded.indicators[1]);
    tq.add_comment(
        "indicators",
        second,
        "Seen in the proxy logs of the finance team.",
    );
    tq.add_comment("indicators", second, "Blocked at the edge firewall.");
    tq.set_indicator_status(first, "Active");
    tq.add_source("indicators", first, "CrowdFeed");
    tq.watch_as(seeded.watcher, "adversaries", seeded.adversary);
    for name in ["login-update", "invoice-portal", "hr-benefits"] {
        tq.add_indicator(&format!("{name}.example.org"), "FQDN", "Active");
    }
    6
}
