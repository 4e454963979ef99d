//! CTR module context → the ThreatQ attributes the vendor guide shows (Priority, Origin,
//! Reference, CTR Module, Disposition, Confidence, Severity, Description, Source), all
//! attributed to the source "Cisco Threat Response Enrichment".
//!
//! The mapping is a table ([`ATTRIBUTE_MAP`]): for each attribute, the CTIM fields tried in
//! order, the first non-empty one wins (research/ctr.md §9; the original's exact mapping is
//! not public, so correcting a row is a one-line change). One set of attributes is made per
//! (indicator, module that had context); an attribute with no value is not written.
//!
//! Re-runs never write an attribute twice: [`new_attributes`] drops every candidate that
//! the indicator already carries with the same name, value and source.

use serde_json::Value;
use tq_common::threatq::{Attribute, AttributeWrite};

use crate::ctim::{disposition_name, ModuleContext};

/// The ThreatQ source of every attribute (and of the indicator upserts) we write.
pub const SOURCE: &str = "Cisco Threat Response Enrichment";

/// The CTIM entity a field is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// The module's verdict on the observable.
    Verdict,
    /// The judgement behind it.
    Judgement,
    /// The most recent sighting.
    Sighting,
    /// The CTIM indicator linked to the judgement or sighting.
    Indicator,
}

/// Where an attribute value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The module's display name.
    Module,
    /// A field of an entity, as a JSON pointer (`/priority`, `/external_references/0/url`).
    Of(Entity, &'static str),
    /// The disposition name of an entity (`disposition_name`, else the name of 1–5).
    Disposition(Entity),
}

use Entity::*;
use Field::*;

/// Attribute name → CTIM fields, tried in order.
pub const ATTRIBUTE_MAP: &[(&str, &[Field])] = &[
    ("Priority", &[Of(Judgement, "/priority")]),
    ("Origin", &[Of(Indicator, "/producer")]),
    (
        "Reference",
        &[
            Of(Judgement, "/source_uri"),
            Of(Judgement, "/reason_uri"),
            Of(Sighting, "/source_uri"),
            Of(Indicator, "/source_uri"),
            Of(Indicator, "/external_references/0/url"),
        ],
    ),
    ("CTR Module", &[Module]),
    (
        "Disposition",
        &[Disposition(Verdict), Disposition(Judgement)],
    ),
    (
        "Confidence",
        &[
            Of(Judgement, "/confidence"),
            Of(Sighting, "/confidence"),
            Of(Indicator, "/confidence"),
        ],
    ),
    (
        "Severity",
        &[
            Of(Judgement, "/severity"),
            Of(Sighting, "/severity"),
            Of(Indicator, "/severity"),
        ],
    ),
    (
        "Description",
        &[
            Of(Judgement, "/reason"),
            Of(Sighting, "/description"),
            Of(Sighting, "/title"),
            Of(Indicator, "/description"),
            Of(Indicator, "/short_description"),
            Of(Indicator, "/title"),
        ],
    ),
    (
        "Source",
        &[
            Of(Judgement, "/source"),
            Of(Sighting, "/source"),
            Of(Indicator, "/source"),
        ],
    ),
];

/// The attribute names this connector writes, in the guide's order.
pub fn names() -> Vec<&'static str> {
    ATTRIBUTE_MAP.iter().map(|(n, _)| *n).collect()
}

fn entity(ctx: &ModuleContext, e: Entity) -> Option<&Value> {
    match e {
        Verdict => ctx.verdict.as_ref(),
        Judgement => ctx.judgement.as_ref(),
        Sighting => ctx.sighting.as_ref(),
        Indicator => ctx.indicator.as_ref(),
    }
}

/// A JSON scalar as attribute text: trimmed strings, integral numbers without `.0`.
fn scalar(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Bool(b) => if *b { "Yes" } else { "No" }.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

fn value_of(ctx: &ModuleContext, field: Field) -> Option<String> {
    match field {
        Module => scalar(&Value::String(ctx.module.clone())),
        Of(e, pointer) => entity(ctx, e)?.pointer(pointer).and_then(scalar),
        Disposition(e) => entity(ctx, e).and_then(disposition_name),
    }
}

/// The attributes `(name, value)` one module's context gives, in table order.
pub fn from_context(ctx: &ModuleContext) -> Vec<(String, String)> {
    ATTRIBUTE_MAP
        .iter()
        .filter_map(|(name, fields)| {
            fields
                .iter()
                .find_map(|f| value_of(ctx, *f))
                .map(|v| (name.to_string(), v))
        })
        .collect()
}

/// Whether the indicator already carries this attribute from our source. An embedded
/// attribute that lists no sources is taken as ours when name and value match (the
/// collection may not embed attribute sources; writing it again could duplicate it).
fn already_present(existing: &[Attribute], name: &str, value: &str) -> bool {
    existing.iter().any(|a| {
        a.name == name
            && a.value.trim() == value
            && (a.sources.is_empty() || a.sources.iter().any(|s| s.name == SOURCE))
    })
}

/// The attributes to write: the candidates of every module, without the ones already on
/// the indicator and without repeats. Returns `(to write, already present)`.
pub fn new_attributes(
    existing: &[Attribute],
    candidates: &[(String, String)],
) -> (Vec<AttributeWrite>, usize) {
    let mut out: Vec<AttributeWrite> = Vec::new();
    let mut present = 0;
    for (name, value) in candidates {
        if already_present(existing, name, value) {
            present += 1;
            continue;
        }
        if out.iter().any(|a| a.name == *name && a.value == *value) {
            continue;
        }
        out.push(AttributeWrite::new(name.clone(), value.clone(), SOURCE));
    }
    (out, present)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctim::ObserveAnswer;
    use serde_json::json;
    use tq_common::threatq::SourceName;

    fn sample() -> ObserveAnswer {
        ObserveAnswer::parse(&serde_json::from_str(tq_testkit::ctr::SAMPLE).unwrap())
    }

    fn attrs(kind: &str, value: &str) -> Vec<(String, String)> {
        sample()
            .contexts(kind, value)
            .iter()
            .flat_map(from_context)
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn talos_domain_gives_all_nine() {
        assert_eq!(
            attrs("domain", "login-update.example.com"),
            pairs(&[
                ("Priority", "90"),
                ("Origin", "Cisco Talos"),
                (
                    "Reference",
                    "https://talosintelligence.com/reputation_center/lookup?search=login-update.example.com"
                ),
                ("CTR Module", "Talos Intelligence"),
                ("Disposition", "Suspicious"),
                ("Confidence", "Medium"),
                ("Severity", "Medium"),
                ("Description", "Poor Talos Intelligence reputation score"),
                ("Source", "Talos Intelligence"),
            ])
        );
    }

    #[test]
    fn private_intel_hash_has_no_reference_or_origin() {
        assert_eq!(
            attrs(
                "sha256",
                "e204d9e8a0de6e135e761a428dc2815ae84ff2d58d0d08c15c1fb9243ae09ba5"
            ),
            pairs(&[
                ("Priority", "95"),
                ("CTR Module", "Private Intelligence"),
                ("Disposition", "Malicious"),
                ("Confidence", "High"),
                ("Severity", "High"),
                (
                    "Description",
                    "Analyst conviction: dropper seen in phishing campaign"
                ),
                ("Source", "Private Intelligence"),
            ])
        );
    }

    #[test]
    fn fallbacks_follow_the_table() {
        // A verdict, a sighting and its indicator, no judgement: no Priority; Reference,
        // Confidence, Description, Source from the sighting; Severity and Origin from the
        // indicator; Disposition from the verdict's number.
        let ctx = ModuleContext {
            module: "Umbrella".into(),
            verdict: Some(json!({"disposition": 2})),
            judgement: None,
            sighting: Some(json!({"confidence": "Low", "source": "Umbrella DNS",
                "source_uri": "https://umbrella.example/s/1", "title": "Blocked lookup"})),
            indicator: Some(json!({"producer": "Umbrella", "severity": "High",
                "external_references": [{"url": "https://ref.example/1"}]})),
        };
        let got = from_context(&ctx);
        assert_eq!(
            got,
            pairs(&[
                ("Origin", "Umbrella"),
                ("Reference", "https://umbrella.example/s/1"),
                ("CTR Module", "Umbrella"),
                ("Disposition", "Malicious"),
                ("Confidence", "Low"),
                ("Severity", "High"),
                ("Description", "Blocked lookup"),
                ("Source", "Umbrella DNS"),
            ])
        );
        let only_ext = ModuleContext {
            module: "M".into(),
            indicator: Some(json!({"external_references": [{"url": "https://ref.example/1"}]})),
            ..Default::default()
        };
        assert!(
            from_context(&only_ext).contains(&("Reference".into(), "https://ref.example/1".into()))
        );
    }

    #[test]
    fn numbers_are_written_as_integers() {
        let ctx = ModuleContext {
            module: "M".into(),
            judgement: Some(json!({"priority": 95.0})),
            ..Default::default()
        };
        assert!(from_context(&ctx).contains(&("Priority".into(), "95".into())));
    }

    fn attr(name: &str, value: &str, sources: &[&str]) -> Attribute {
        Attribute {
            id: 1,
            name: name.into(),
            value: value.into(),
            sources: sources
                .iter()
                .map(|s| SourceName {
                    name: s.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn no_duplicate_same_name_value_source() {
        let existing = vec![
            attr("Disposition", "Malicious", &[SOURCE]),
            attr("Severity", "High", &["Other Feed"]),
            attr("Priority", "95", &[]),
        ];
        let cands = pairs(&[
            ("Disposition", "Malicious"),
            ("Severity", "High"),
            ("Priority", "95"),
            ("CTR Module", "A"),
            ("CTR Module", "A"),
            ("Disposition", "Clean"),
        ]);
        let (w, present) = new_attributes(&existing, &cands);
        let got: Vec<(&str, &str)> = w
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Severity", "High"),
                ("CTR Module", "A"),
                ("Disposition", "Clean")
            ]
        );
        assert_eq!(present, 2);
        assert!(w.iter().all(|a| a.sources[0].name == SOURCE));
    }
}
