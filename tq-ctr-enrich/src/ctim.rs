//! Reading an enrich (`observe/observables`) answer: the CTIM entities each module returned
//! about each observable we sent (research/ctr.md §6, §9 "write-back rules").
//!
//! The answer is read leniently, in every documented shape: `data` a list of module results
//! (`module` + `module_instance_id`/`module_type_id`, or the older `module-type`); each
//! module's `data` an object of entity lists `{count, docs}` where every list is optional,
//! `count` may be a float and `docs` may be missing; `errors` absent, `[]` or a list of
//! module errors. Unknown keys are ignored.
//!
//! Per (observable, module) the context is: the module's verdict on the observable, the
//! judgement behind it (`verdict.judgement_id`, else the highest `priority`), the most
//! recent sighting listing the observable, and the CTIM indicator linked to that judgement
//! or sighting by a relationship (`based-on`, `sighting-of`, either direction). Docs about
//! observables we did not send are ignored. A module whose only word is an `Unknown`
//! verdict gives no context; modules listed in `errors` with type `fatal` or `error` are
//! not used at all.

use std::collections::HashSet;

use serde_json::Value;

use crate::observable_types::match_key;

/// CTIM dispositions (research/ctr.md §6.3).
pub const DISPOSITIONS: &[(i64, &str)] = &[
    (1, "Clean"),
    (2, "Malicious"),
    (3, "Suspicious"),
    (4, "Common"),
    (5, "Unknown"),
];

/// What one module said about one observable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleContext {
    /// The module's display name (`module`, else `module-type`, else its type id).
    pub module: String,
    /// Its verdict.
    pub verdict: Option<Value>,
    /// The judgement behind the verdict (or the highest-priority one).
    pub judgement: Option<Value>,
    /// The most recent sighting of the observable.
    pub sighting: Option<Value>,
    /// The CTIM indicator related to the judgement or sighting.
    pub indicator: Option<Value>,
}

/// A module error of the answer (a partial failure is still a 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleError {
    /// Module name or id, when given.
    pub module: String,
    /// `fatal`, `error` or `warning`.
    pub kind: String,
    /// `code: message`.
    pub text: String,
}

#[derive(Debug, Clone)]
struct ModuleResult {
    name: String,
    data: Value,
}

/// A parsed enrich answer.
#[derive(Debug, Clone, Default)]
pub struct ObserveAnswer {
    modules: Vec<ModuleResult>,
    /// The module errors it listed.
    pub errors: Vec<ModuleError>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl ObserveAnswer {
    /// Reads an answer body.
    pub fn parse(body: &Value) -> ObserveAnswer {
        let errors: Vec<ModuleError> = body
            .get("errors")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .map(|e| ModuleError {
                        module: text(e.get("module"))
                            .or_else(|| text(e.get("module-type")))
                            .or_else(|| text(e.get("module_instance_id")))
                            .unwrap_or_default(),
                        kind: text(e.get("type"))
                            .unwrap_or_else(|| "error".into())
                            .to_ascii_lowercase(),
                        text: match (text(e.get("code")), text(e.get("message"))) {
                            (Some(c), Some(m)) => format!("{c}: {m}"),
                            (Some(c), None) => c,
                            (None, Some(m)) => m,
                            (None, None) => e.to_string(),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Modules that failed (not mere warnings) are not used.
        let failed: HashSet<String> = body
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|e| !text(e.get("type")).is_some_and(|t| t.eq_ignore_ascii_case("warning")))
            .flat_map(|e| {
                [
                    text(e.get("module_instance_id")),
                    text(e.get("module")),
                    text(e.get("module-type")),
                ]
            })
            .flatten()
            .collect();
        let modules = body
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| {
                let name = text(m.get("module"))
                    .or_else(|| text(m.get("module-type")))
                    .or_else(|| text(m.get("module_type_id")))
                    .unwrap_or_else(|| "unknown module".into());
                let instance_id = text(m.get("module_instance_id"));
                let is_failed = failed.contains(&name)
                    || instance_id.as_ref().is_some_and(|i| failed.contains(i));
                if is_failed {
                    log::warn!("CTR module {name} failed: its partial answer is not used");
                    return None;
                }
                let data = m.get("data").filter(|d| d.is_object())?.clone();
                Some(ModuleResult { name, data })
            })
            .collect();
        ObserveAnswer { modules, errors }
    }

    /// How many module results the answer carried (failed ones excluded).
    pub fn module_count(&self) -> usize {
        self.modules.len()
    }

    /// The context each module gave about the observable `(kind, value)`; modules with
    /// nothing to say are left out.
    pub fn contexts(&self, kind: &str, value: &str) -> Vec<ModuleContext> {
        let key = match_key(kind, value);
        self.modules
            .iter()
            .filter_map(|m| module_context(m, &key))
            .collect()
    }
}

fn docs<'a>(data: &'a Value, list: &str) -> &'a [Value] {
    data.get(list)
        .and_then(|l| l.get("docs"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn is_observable(o: &Value, key: &(String, String)) -> bool {
    match (
        o.get("type").and_then(Value::as_str),
        o.get("value").and_then(Value::as_str),
    ) {
        (Some(t), Some(v)) => match_key(t, v) == *key,
        _ => false,
    }
}

fn about(doc: &Value, key: &(String, String)) -> bool {
    doc.get("observable").is_some_and(|o| is_observable(o, key))
}

fn lists(doc: &Value, key: &(String, String)) -> bool {
    doc.get("observables")
        .and_then(Value::as_array)
        .is_some_and(|l| l.iter().any(|o| is_observable(o, key)))
}

/// The disposition number of a verdict or judgement (CTIM default: 5 Unknown).
pub fn disposition_number(doc: &Value) -> i64 {
    if let Some(n) = doc.get("disposition").and_then(Value::as_i64) {
        return n;
    }
    let name = doc
        .get("disposition_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    DISPOSITIONS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(i, _)| *i)
        .unwrap_or(5)
}

/// The disposition name of a verdict or judgement: `disposition_name`, else the name of
/// `disposition` (1–5).
pub fn disposition_name(doc: &Value) -> Option<String> {
    if let Some(n) = text(doc.get("disposition_name")) {
        return Some(n);
    }
    let n = doc.get("disposition").and_then(Value::as_i64)?;
    DISPOSITIONS
        .iter()
        .find(|(i, _)| *i == n)
        .map(|(_, name)| name.to_string())
}

fn priority(doc: &Value) -> f64 {
    doc.get("priority").and_then(Value::as_f64).unwrap_or(0.0)
}

fn sighting_time(doc: &Value) -> String {
    doc.pointer("/observed_time/start_time")
        .or_else(|| doc.get("timestamp"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn module_context(m: &ModuleResult, key: &(String, String)) -> Option<ModuleContext> {
    let data = &m.data;
    let verdict = docs(data, "verdicts")
        .iter()
        .find(|d| about(d, key))
        .cloned();
    let judgements: Vec<&Value> = docs(data, "judgements")
        .iter()
        .filter(|d| about(d, key))
        .collect();
    let by_verdict = verdict
        .as_ref()
        .and_then(|v| v.get("judgement_id"))
        .and_then(Value::as_str)
        .and_then(|id| {
            judgements
                .iter()
                .find(|j| j.get("id").and_then(Value::as_str) == Some(id))
        })
        .copied();
    let judgement = by_verdict
        .or_else(|| {
            // Highest priority; the first one on a tie.
            judgements
                .iter()
                .copied()
                .fold(None, |best: Option<&Value>, j| match best {
                    Some(b) if priority(b) >= priority(j) => Some(b),
                    _ => Some(j),
                })
        })
        .cloned();
    let sighting = docs(data, "sightings")
        .iter()
        .filter(|d| lists(d, key))
        .fold(None, |best: Option<&Value>, s| match best {
            Some(b) if sighting_time(b) >= sighting_time(s) => Some(b),
            _ => Some(s),
        })
        .cloned();
    let only_unknown_verdict = judgement.is_none()
        && sighting.is_none()
        && verdict.as_ref().is_none_or(|v| disposition_number(v) == 5);
    if only_unknown_verdict {
        return None;
    }
    let indicator = [judgement.as_ref(), sighting.as_ref()]
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("id").and_then(Value::as_str))
        .find_map(|id| related_indicator(data, id))
        .cloned();
    Some(ModuleContext {
        module: m.name.clone(),
        verdict,
        judgement,
        sighting,
        indicator,
    })
}

/// The CTIM indicator that a relationship ties to the entity `id` (either direction).
fn related_indicator<'a>(data: &'a Value, id: &str) -> Option<&'a Value> {
    let indicators = docs(data, "indicators");
    docs(data, "relationships").iter().find_map(|r| {
        let s = r.get("source_ref").and_then(Value::as_str)?;
        let t = r.get("target_ref").and_then(Value::as_str)?;
        let other = if s == id {
            t
        } else if t == id {
            s
        } else {
            return None;
        };
        indicators
            .iter()
            .find(|i| i.get("id").and_then(Value::as_str) == Some(other))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        serde_json::from_str(tq_testkit::ctr::SAMPLE).unwrap()
    }

    #[test]
    fn sample_domain_context() {
        let a = ObserveAnswer::parse(&sample());
        assert_eq!(a.module_count(), 2);
        assert_eq!(a.errors.len(), 1);
        assert_eq!(a.errors[0].module, "AbuseIPDB");
        let c = a.contexts("domain", "login-update.example.com");
        assert_eq!(c.len(), 1);
        let c = &c[0];
        assert_eq!(c.module, "Talos Intelligence");
        assert_eq!(
            disposition_name(c.verdict.as_ref().unwrap()).unwrap(),
            "Suspicious"
        );
        assert_eq!(c.judgement.as_ref().unwrap()["priority"], 90);
        assert_eq!(
            c.sighting.as_ref().unwrap()["title"],
            "Domain referenced in Talos blog post"
        );
        assert_eq!(c.indicator.as_ref().unwrap()["producer"], "Cisco Talos");
    }

    #[test]
    fn sample_hash_and_ip_contexts() {
        let a = ObserveAnswer::parse(&sample());
        let h = a.contexts(
            "sha256",
            "E204D9E8A0DE6E135E761A428DC2815AE84FF2D58D0D08C15C1FB9243AE09BA5",
        );
        assert_eq!(h.len(), 1, "hash values match without regard to case");
        assert_eq!(h[0].module, "Private Intelligence");
        assert!(h[0].indicator.is_none());
        let ip = a.contexts("ip", "198.51.100.7");
        assert_eq!(
            ip[0].judgement.as_ref().unwrap()["disposition_name"],
            "Clean"
        );
        assert!(ip[0].sighting.is_none());
        assert!(a.contexts("ip", "192.0.2.1").is_empty());
    }

    #[test]
    fn failed_modules_are_not_used_warnings_are() {
        let body = json!({
            "data": [
                {"module": "A", "module_instance_id": "a1", "module_type_id": "t",
                 "data": {"verdicts": {"count": 1.0, "docs": [
                     {"type": "verdict", "disposition": 2, "observable": {"type": "ip", "value": "192.0.2.1"}}]}}},
                {"module": "B", "module_instance_id": "b1", "module_type_id": "t",
                 "data": {"verdicts": {"count": 1, "docs": [
                     {"type": "verdict", "disposition": 2, "observable": {"type": "ip", "value": "192.0.2.1"}}]}}}
            ],
            "errors": [
                {"module_instance_id": "a1", "module_type_id": "t", "type": "fatal", "code": "x", "message": "y"},
                {"module": "B", "module_instance_id": "b1", "module_type_id": "t", "type": "warning", "code": "slow", "message": "z"}
            ]
        });
        let a = ObserveAnswer::parse(&body);
        let c = a.contexts("ip", "192.0.2.1");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].module, "B");
        assert_eq!(a.errors[0].text, "x: y");
    }

    #[test]
    fn older_and_sparse_shapes() {
        // `module-type` instead of the ids, no errors key, a list without docs, a module
        // without data, disposition given only by name.
        let body = json!({"data": [
            {"module-type": "SenderBaseInvestigateModule", "data": {
                "verdicts": {"count": 1, "docs": [{"type": "verdict", "disposition_name": "Malicious",
                    "observable": {"type": "domain", "value": "cisco.com"}}]},
                "judgements": {"count": 0}
            }},
            {"module": "Empty"}
        ]});
        let a = ObserveAnswer::parse(&body);
        let c = a.contexts("domain", "CISCO.com");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].module, "SenderBaseInvestigateModule");
        assert_eq!(disposition_number(c[0].verdict.as_ref().unwrap()), 2);
        assert!(ObserveAnswer::parse(&json!({}))
            .contexts("ip", "x")
            .is_empty());
        assert!(ObserveAnswer::parse(&json!({"data": {}}))
            .contexts("ip", "x")
            .is_empty());
    }

    #[test]
    fn unknown_only_verdict_is_no_context() {
        let body = json!({"data": [{"module": "AMP", "module_instance_id": "m", "module_type_id": "t",
            "data": {"verdicts": {"count": 1, "docs": [{"type": "verdict", "disposition": 5,
                "disposition_name": "Unknown", "observable": {"type": "sha256", "value": "ab"}}]}}}]});
        assert!(ObserveAnswer::parse(&body)
            .contexts("sha256", "ab")
            .is_empty());
    }

    #[test]
    fn judgement_choice_verdict_link_then_priority() {
        let obs = json!({"type": "ip", "value": "192.0.2.9"});
        let body = json!({"data": [{"module": "M", "module_instance_id": "m", "module_type_id": "t", "data": {
            "verdicts": {"count": 1, "docs": [{"type": "verdict", "disposition": 3, "observable": obs, "judgement_id": "j-low"}]},
            "judgements": {"count": 2, "docs": [
                {"id": "j-high", "priority": 95, "observable": obs, "disposition": 2},
                {"id": "j-low", "priority": 10, "observable": obs, "disposition": 3}]}
        }}]});
        let c = ObserveAnswer::parse(&body).contexts("ip", "192.0.2.9");
        assert_eq!(c[0].judgement.as_ref().unwrap()["id"], "j-low");
        let body2 = json!({"data": [{"module": "M", "data": {
            "judgements": {"count": 2, "docs": [
                {"id": "a", "priority": 50, "observable": obs},
                {"id": "b", "priority": 95, "observable": obs},
                {"id": "c", "priority": 95, "observable": obs}]}}}]});
        let c = ObserveAnswer::parse(&body2).contexts("ip", "192.0.2.9");
        assert_eq!(c[0].judgement.as_ref().unwrap()["id"], "b");
    }

    #[test]
    fn indicator_linked_in_either_direction_and_docs_about_others_ignored() {
        let obs = json!({"type": "url", "value": "http://a.example/x"});
        let body = json!({"data": [{"module": "M", "data": {
            "sightings": {"count": 2, "docs": [
                {"id": "s-other", "observables": [{"type": "url", "value": "http://b.example/"}], "observed_time": {"start_time": "2026-01-02T00:00:00.000Z"}},
                {"id": "s1", "observables": [obs], "observed_time": {"start_time": "2026-01-01T00:00:00.000Z"}}]},
            "indicators": {"count": 1, "docs": [{"id": "i1", "producer": "P"}]},
            "relationships": {"count": 1, "docs": [{"relationship_type": "sighting-of", "source_ref": "i1", "target_ref": "s1"}]}
        }}]});
        let c = ObserveAnswer::parse(&body).contexts("url", "http://a.example/x");
        assert_eq!(c[0].sighting.as_ref().unwrap()["id"], "s1");
        assert_eq!(c[0].indicator.as_ref().unwrap()["producer"], "P");
    }
}
