//! Every captured or synthetic sample in research/samples (copied to tests/fixtures) decodes
//! to the fields its annotated dump and its dxltieclient view give.

use std::collections::BTreeMap;

use serde_json::Value;
use tq_tie_listener::dxl::{self, Kind};
use tq_tie_listener::providers::Provider;
use tq_tie_listener::repchange::{base64_decode, Filter, RepChange};
use tq_tie_listener::trust_levels::{AtdScale, LevelSet, TrustLevel};

struct Sample {
    name: &'static str,
    bytes: Vec<u8>,
    payload: String,
    sdk_view: Value,
}

fn section<'a>(text: &'a str, start: &str) -> &'a str {
    let at = text
        .find(start)
        .unwrap_or_else(|| panic!("no section {start}"));
    let body = &text[at..];
    let body = &body[body.find('\n').expect("heading line") + 1..];
    match body.find("\n## ") {
        Some(end) => &body[..end],
        None => body,
    }
}

fn load(name: &'static str) -> Sample {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    let hex: String = section(&text, "## HEX")
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    let b64: String = section(&text, "## BASE64")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(
        base64_decode(&b64).expect("base64 block"),
        bytes,
        "{name}: HEX and BASE64 differ"
    );
    let payload = section(&text, "## PAYLOAD, exact bytes")
        .trim_end_matches('\n')
        .to_string();
    let sdk_view =
        serde_json::from_str(section(&text, "## WHAT dxltieclient")).expect("SDK view is JSON");
    Sample {
        name,
        bytes,
        payload,
        sdk_view,
    }
}

const SAMPLES: [&str; 3] = [
    "dxl-tie-repchange-a-eicar-v2.txt",
    "dxl-tie-repchange-b-notepad-v2.txt",
    "dxl-tie-repchange-a-broker-v3-synthetic.txt",
];

#[test]
fn envelopes_decode_as_annotated() {
    let a = load(SAMPLES[0]);
    let m = dxl::decode(&a.bytes).expect("sample A decodes");
    assert_eq!(a.bytes.len(), 1374);
    assert_eq!((m.version, m.kind), (2, Kind::Event));
    assert_eq!(m.message_id, "{d5f97c25-efef-4988-b896-bcefe8a81477}");
    assert_eq!((m.source_client_id, m.source_broker_id), ("", ""));
    assert!(m.broker_ids.is_empty() && m.client_ids.is_empty() && m.other_fields.is_empty());
    assert_eq!(m.payload.len(), 1321);
    assert_eq!(m.trailing, 0);

    let b = load(SAMPLES[1]);
    let m = dxl::decode(&b.bytes).expect("sample B decodes");
    assert_eq!(b.bytes.len(), 1148);
    assert_eq!(m.message_id, "{74cd34bf-efeb-4e58-8358-2ca9d5c3f41b}");
    assert_eq!((m.version, m.payload.len(), m.trailing), (2, 1095, 0));

    let v3 = load(SAMPLES[2]);
    let m = dxl::decode(&v3.bytes).expect("v3 sample decodes");
    assert_eq!(v3.bytes.len(), 1630);
    assert_eq!((m.version, m.kind), (3, Kind::Event));
    assert_eq!(
        m.source_client_id,
        "c9e31ed84cd86685c8df4c67ded992337ca33bd1"
    );
    assert_eq!(m.source_broker_id, "{3f1c7d0e-1111-4a2b-9c3d-000000000001}");
    assert_eq!(
        m.other_fields.field("dxl.certs"),
        Some("0761d9ff6c9925fbe730931a906cadab2f4c2cd8;c9e31ed84cd86685c8df4c67ded992337ca33bd1")
    );
    assert_eq!(m.source_tenant_guid, "");
    assert!(m.destination_tenant_guids.is_empty());
    assert_eq!(
        m.source_client_instance_id,
        "c9e31ed84cd86685c8df4c67ded992337ca33bd1:5d1e2c3b-4a59-4687-9a0b-1c2d3e4f5061"
    );
    assert_eq!(m.trailing, 0);
}

#[test]
fn payloads_match_the_sdk_view() {
    for name in SAMPLES {
        let s = load(name);
        let m = dxl::decode(&s.bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.payload, s.payload.as_bytes(), "{}: payload bytes", s.name);
        let rc = RepChange::parse(m.payload).unwrap_or_else(|e| panic!("{name}: {e}"));
        let view = &s.sdk_view;

        // Hashes: base64 on the wire, lowercase hex in the SDK view.
        let d = rc.digests().expect("digests");
        let hashes = &view["hashes"];
        assert_eq!(d.md5.as_deref(), hashes["md5"].as_str(), "{name} md5");
        assert_eq!(d.sha1.as_deref(), hashes["sha1"].as_str(), "{name} sha1");
        assert_eq!(
            d.sha256.as_deref(),
            hashes["sha256"].as_str(),
            "{name} sha256"
        );
        assert!(d.md5.is_some() && d.sha1.is_some());

        assert_eq!(
            rc.update_time,
            view["updateTime"].as_i64(),
            "{name} updateTime"
        );

        for (side, reps) in [
            ("newReputations", &rc.new_reputations),
            ("oldReputations", &rc.old_reputations),
        ] {
            let expected: &serde_json::Map<String, Value> =
                view[side].as_object().expect("provider map");
            let got: BTreeMap<String, _> = reps
                .reputations
                .iter()
                .map(|r| (r.provider_id.to_string(), r))
                .collect();
            assert_eq!(got.len(), expected.len(), "{name} {side} providers");
            for (pid, want) in expected {
                let r = got[pid];
                assert_eq!(
                    Some(r.trust_level),
                    want["trustLevel"].as_i64(),
                    "{name} {side} {pid}"
                );
                assert_eq!(
                    r.create_date,
                    want["createDate"].as_i64(),
                    "{name} {side} {pid}"
                );
                let attrs = &want["attributes"];
                assert_eq!(
                    r.attributes.first_contact.as_deref(),
                    attrs["2102165"].as_str()
                );
                assert_eq!(
                    r.attributes.prevalence.as_deref(),
                    attrs["2101652"].as_str()
                );
            }
        }
        // props.serverTime is in sample A's wire JSON (not in the SDK view).
        if name.contains("-a-") {
            assert_eq!(rc.new_reputations.props.server_time, Some(1732280400));
            assert_eq!(rc.old_reputations.props.server_time, Some(1732280400));
        } else {
            assert_eq!(rc.new_reputations.props.server_time, None);
        }
    }
}

#[test]
fn sample_a_passes_default_filter_and_sample_b_does_not() {
    let f = Filter::default();
    let a = load(SAMPLES[0]);
    let m = dxl::decode(&a.bytes).expect("decodes");
    let rc = RepChange::parse(m.payload).expect("parses");
    assert!(f.accepts(&rc));
    let levels: Vec<_> = f.levels(&rc).collect();
    assert_eq!(
        levels,
        [
            (Provider::Gti, TrustLevel::KnownMalicious),
            (Provider::Enterprise, TrustLevel::KnownMalicious),
            (Provider::Atd, TrustLevel::KnownMalicious),
        ]
    );
    // Sample A's ATD trustLevel 1 read on the legacy ATD scale is "Might be Trusted".
    let legacy = Filter {
        atd_scale: AtdScale::Legacy,
        ..f
    };
    assert!(legacy
        .levels(&rc)
        .any(|l| l == (Provider::Atd, TrustLevel::MightBeTrusted)));
    // Only ATD listened for (malicious): legacy mapping rejects it, 2.1.1+ accepts it.
    let atd_only = Filter {
        enterprise: LevelSet::EMPTY,
        gti: LevelSet::EMPTY,
        ..f
    };
    assert!(atd_only.accepts(&rc));
    assert!(!Filter {
        atd_scale: AtdScale::Legacy,
        ..atd_only
    }
    .accepts(&rc));

    // Sample B: Enterprise Not Set -> Known Trusted, GTI Known Trusted: nothing by default.
    let b = load(SAMPLES[1]);
    let m = dxl::decode(&b.bytes).expect("decodes");
    let rc = RepChange::parse(m.payload).expect("parses");
    assert!(!f.accepts(&rc));
    let trusted = Filter {
        enterprise: LevelSet::of(&[TrustLevel::KnownTrusted]),
        ..f
    };
    assert!(trusted.accepts(&rc));
}
